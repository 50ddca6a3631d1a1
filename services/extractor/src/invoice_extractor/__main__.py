"""`python -m invoice_extractor`: the extractor process, with its health port."""

from __future__ import annotations

import uvicorn

from invoice_extractor.bootstrap import create_app
from invoice_extractor.settings import ExtractorSettings


def main() -> None:
    settings = ExtractorSettings()
    # log_config=None keeps the service's own logging setup (JSON, context ids) in charge.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
