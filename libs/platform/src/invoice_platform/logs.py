"""Logging: a module logger everywhere, JSON when not on a terminal, request context attached.

Context such as the request id, the invoice id or the event id lives in context variables and
is copied onto every record, so that an operator can follow one invoice through all services.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
from collections.abc import Iterator
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "log_context", default=None
)


def _current() -> dict[str, str]:
    return _context.get() or {}


@contextlib.contextmanager
def log_context(**values: object) -> Iterator[None]:
    """Attach values (request_id, invoice_id, user_id, event_id...) to every record inside."""
    merged = {**_current(), **{k: str(v) for k, v in values.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**values: object) -> None:
    """Attach values for the rest of the current task (a request or a message handler)."""
    _context.set({**_current(), **{k: str(v) for k, v in values.items() if v is not None}})


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for key, value in _current().items():
            setattr(record, key, value)
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{k}={v}" for k, v in _current().items())
        return f"{line} {context}" if context else line


def configure_logging(service: str, level: str = "INFO", json: bool | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    as_json = (not sys.stderr.isatty()) if json is None else json
    formatter: logging.Formatter
    if as_json:
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time"},
        )
    else:
        formatter = _TextFormatter(f"%(asctime)s %(levelname)-7s {service} %(name)s: %(message)s")
    handler.setFormatter(formatter)
    handler.addFilter(_ContextFilter(service))
    handler.set_name("invoice-platform")
    root = logging.getLogger()
    # Replace only our own handler, so that handlers others installed (pytest's capture) stay.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "invoice-platform"]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Request lines come from our own middleware, with the request id; uvicorn's would repeat them.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx2 and httpcore2 are the openai client's transport: a line for every LLM request.
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2", "botocore", "urllib3", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def current_log_context() -> dict[str, Any]:
    return dict(_current())
