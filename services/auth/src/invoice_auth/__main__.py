"""`python -m invoice_auth` serves the API; `migrate` only migrates the database;
`rotate-signing-key` makes a new signing key and retires keys no valid token can name."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

import uvicorn
from invoice_platform.logs import configure_logging

from invoice_auth.adapters.postgres import PostgresAuthStore
from invoice_auth.bootstrap import create_app
from invoice_auth.domain.encryption import SecretBox
from invoice_auth.service import rotate_signing_key, utc_now
from invoice_auth.settings import AuthSettings


async def _migrate(settings: AuthSettings) -> None:
    store = PostgresAuthStore.from_url(settings.database_url, pool_size=1)
    try:
        async with store.setup():
            pass
    finally:
        await store.close()


async def _rotate_signing_key(settings: AuthSettings) -> None:
    store = PostgresAuthStore.from_url(settings.database_url, pool_size=1)
    try:
        rotation = await rotate_signing_key(
            store,
            SecretBox(settings.encryption_key),
            utc_now(),
            timedelta(seconds=settings.access_token_ttl_seconds),
        )
    finally:
        await store.close()
    print(f"new signing key: {rotation.new_kid}")
    print(f"retired: {', '.join(rotation.retired_kids) or 'none'}")
    print(f"published in the JWKS: {', '.join(rotation.published_kids)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="invoice-auth", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=["serve", "migrate", "rotate-signing-key"],
        default="serve",
        help="serve the API (default; migrates first), only bring the database schema up to "
        "date, or make a new signing key and retire the ones no valid token can name",
    )
    arguments = parser.parse_args()
    settings = AuthSettings()
    if arguments.command == "migrate":
        configure_logging("auth", settings.log_level, settings.log_json)
        asyncio.run(_migrate(settings))
        return
    if arguments.command == "rotate-signing-key":
        configure_logging("auth", settings.log_level, settings.log_json)
        asyncio.run(_rotate_signing_key(settings))
        return
    # log_config=None keeps the logging the app configured (JSON, request context).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
