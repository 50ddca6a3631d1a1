"""`python -m invoice_ingest`: serve the ingest API with uvicorn."""

from __future__ import annotations

import uvicorn

from invoice_ingest.bootstrap import create_app
from invoice_ingest.settings import IngestSettings


def main() -> None:
    settings = IngestSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
