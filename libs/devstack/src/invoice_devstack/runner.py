"""`invoice-stack`: run the whole backend on this machine, no Docker needed.

Data (the event stream, the database, the stored files, development secrets) is kept under
--data-dir, so a restart continues where the last run stopped. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from dataclasses import fields
from pathlib import Path

from invoice_devstack.stack import Stack, StackPorts

logger = logging.getLogger("invoice_devstack.runner")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="invoice-stack", description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("STACK_DATA_DIR", ".data")),
        help="where the stream, database and files are kept (default: ./.data)",
    )
    parser.add_argument("--extractors", type=int, default=1, help="extractor processes to run")
    defaults = StackPorts()
    for name in fields(StackPorts):
        variable = f"STACK_{name.name.upper()}_PORT"
        parser.add_argument(
            f"--{name.name}-port",
            type=int,
            default=int(os.environ.get(variable, getattr(defaults, name.name))),
            help=f"port of {name.name} (default {getattr(defaults, name.name)}; env {variable})",
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s      stack | %(message)s")
    ports = StackPorts(
        **{name.name: getattr(args, f"{name.name}_port") for name in fields(StackPorts)}
    )
    stack = Stack(args.data_dir.resolve(), ports=ports, extractors=args.extractors, echo_logs=True)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("received %s: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start()
    except (RuntimeError, TimeoutError, OSError) as exc:
        logger.error(
            "the stack did not start: %s. If another program holds one of its ports, stop it "
            "or pick other ports (invoice-stack --help lists the options).",
            exc,
        )
        return 1
    print(
        "\n"
        f"  Gateway:   {stack.gateway_url}\n"
        f"  API docs:  {stack.gateway_url}/docs\n"
        f"  Data:      {stack.data_dir}\n"
        f"  Logs:      {stack.logs_dir}\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    exit_code = 0
    try:
        while not stopping.wait(1.0):
            dead = [s for s in stack.services.values() if s.process.poll() is not None]
            if dead:
                for service in dead:
                    logger.error(
                        "%s exited with code %s; see %s",
                        service.name,
                        service.process.returncode,
                        service.log_path,
                    )
                exit_code = 1
                break
    finally:
        stack.stop()
        logger.info("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
