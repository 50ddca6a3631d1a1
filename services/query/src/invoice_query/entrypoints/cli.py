"""The invoice-query command: serve (default), rebuild, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import uvicorn
from invoice_platform.logs import configure_logging

from invoice_query.bootstrap import SERVICE, create_app, migrate_read_model, rebuild
from invoice_query.settings import QuerySettings

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoice-query", description="The invoice query service (read models)."
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the HTTP API and the projection (the default)")
    commands.add_parser(
        "rebuild",
        help="empty the read model and reset the projection's consumer, so that the "
        "projector (running now or started later) replays the stream from sequence 1",
    )
    commands.add_parser("migrate", help="apply the database migrations and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    settings = QuerySettings()
    if arguments.command in (None, "serve"):
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
        return 0
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    if arguments.command == "rebuild":
        asyncio.run(rebuild(settings))
    else:
        asyncio.run(migrate_read_model(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
