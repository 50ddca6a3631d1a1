"""`python -m invoice_auth` serves the API; `python -m invoice_auth migrate` only migrates."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from invoice_platform.logs import configure_logging

from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.bootstrap import create_app
from invoice_auth.settings import AuthSettings


async def _migrate(settings: AuthSettings) -> None:
    store = PostgresAuthStore.from_url(settings.database_url, pool_size=1)
    try:
        async with store.setup():
            pass
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="invoice-auth", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate"],
        default="serve",
        help="serve the API (default; migrates first) or only bring the database schema up to date",
    )
    arguments = parser.parse_args()
    settings = AuthSettings()
    if arguments.command == "migrate":
        configure_logging("auth", settings.log_level, settings.log_json)
        asyncio.run(_migrate(settings))
        return
    # log_config=None keeps the logging the app configured (JSON, request context).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
