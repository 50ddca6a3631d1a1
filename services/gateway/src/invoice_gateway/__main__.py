"""Runs the gateway: python -m invoice_gateway (or the invoice-gateway script)."""

from __future__ import annotations

import uvicorn

from invoice_gateway.bootstrap import create_app
from invoice_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        server_header=False,
    )


if __name__ == "__main__":
    main()
