"""One extractor process's throughput as the invoices in flight grow.

    uv run python bench/extractor_throughput.py [--in-flight 1 10 50 100] [--delay 2.0]

The pieces are the real ones: a NATS server with JetStream, the extractor started as its own
process (`python -m invoice_extractor`, EXTRACTOR_CONCURRENCY = in flight), a filesystem object
store holding the files beforehand, and the fake OpenAI answering every request after a fixed
delay. A small HTTP endpoint stands in for auth's extraction settings and gives each user a
distinct key; four invoices of a user are in flight at a time, below the default per-key limit
of eight, so the limit does not cap the run. The fake OpenAI and the settings endpoint run in
processes of their own, as OpenAI and auth do, so that they do not share the bench's GIL.

The uploads are appended with EventAppender once the extractor is ready; an invoice is done
when its outcome event is on the stream. With the answer delay d and n invoices in flight, one
process cannot do better than n / d invoices per second; the ratio says how close it comes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import uvicorn
from fastapi import FastAPI
from invoice_contracts.events import InvoiceUploaded, InvoiceUploadedData, kind_subjects
from invoice_devstack.fake_openai import FakeOpenAI
from invoice_devstack.nats import NatsServer
from invoice_platform.bus import EventAppender, ensure_invoice_stream, make_broker
from invoice_platform.storage import FilesystemObjectStore, invoice_object_key
from nats.aio.msg import Msg

REPOSITORY = Path(__file__).resolve().parents[1]
DOCUMENT = REPOSITORY / "eval" / "dataset" / "invoice-003.pdf"
INVOICES_PER_KEY_IN_FLIGHT = 4
READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Run:
    in_flight: int
    invoices: int
    seconds: float
    failed: int
    delay: float

    @property
    def per_second(self) -> float:
        return self.invoices / self.seconds

    @property
    def ideal(self) -> float:
        return self.in_flight / self.delay

    @property
    def ratio(self) -> float:
        return self.per_second / self.ideal


def user_key(user_id: str) -> str:
    """Each user's own fake key, derived from the user so the endpoint needs no state."""
    return f"sk-fake-ok-bench-{user_id}"


def serve_settings() -> None:
    """Auth's internal extraction-settings route; prints its base URL, then serves."""
    app = FastAPI()

    @app.get("/internal/users/{user_id}/extraction-settings")
    async def extraction_settings(user_id: str) -> dict[str, str | None]:
        return {"openai_api_key": user_key(user_id), "system_prompt": None, "model": None}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve_openai(delay: float) -> None:
    """The fake OpenAI answering after `delay`; prints its base URL, then serves."""
    fake = FakeOpenAI()
    fake.delay_seconds = delay
    fake.start()
    print(fake.base_url, flush=True)
    # Serves until the bench terminates this process.
    while True:
        time.sleep(3600)


@contextmanager
def helper_process(*arguments: str) -> Iterator[str]:
    """This script in a helper role; yields the URL it prints once it serves."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter and script, fixed arguments
        [sys.executable, __file__, *arguments], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"{arguments[0]} did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def extractor_process(
    workdir: Path, nats_url: str, auth_url: str, openai_url: str, in_flight: int
) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    environment = {
        **os.environ,
        "APP_ENV": "development",
        "LOG_JSON": "true",
        "NATS_URL": nats_url,
        "OBJECT_STORE": "filesystem",
        "OBJECT_STORE_PATH": str(workdir / "objects"),
        "AUTH_INTERNAL_URL": auth_url,
        "OPENAI_BASE_URL": openai_url,
        "EXTRACTOR_PORT": str(port),
        "EXTRACTOR_CONCURRENCY": str(in_flight),
        "EXTRACTOR_DURABLE": "bench",
    }
    with (workdir / f"extractor-{in_flight}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "invoice_extractor"], env=environment, stdout=log, stderr=log
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the extractor exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the extractor did not become ready")


@contextmanager
def profiled(pid: int, output: Path | None) -> Iterator[None]:
    """Sample the extractor with py-spy while the block runs (collapsed stacks in `output`)."""
    if output is None:
        yield
        return
    spy = shutil.which("py-spy")
    command = [spy] if spy else ["uvx", "py-spy"]
    options = ["--pid", str(pid), "--rate", "250", "--format", "raw", "-o", str(output)]
    recorder = subprocess.Popen(  # noqa: S603 - py-spy with fixed arguments
        [*command, "record", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=30)
        print(f"  profile in {output}", file=sys.stderr)


async def store_uploads(
    store: FilesystemObjectStore, content: bytes, count: int, users: int
) -> list[InvoiceUploaded]:
    user_ids = [uuid.uuid4() for _ in range(users)]
    digest = hashlib.sha256(content).hexdigest()
    uploads = []
    for number in range(count):
        # Round robin: a window of n invoices in stream order holds n / users of each user.
        user_id, invoice_id = user_ids[number % users], uuid.uuid4()
        key = invoice_object_key(user_id, invoice_id)
        await store.put(key, io.BytesIO(content), len(content), "application/pdf", {})
        uploads.append(
            InvoiceUploaded(
                source="/invoice-backend/bench",
                subject=str(invoice_id),
                userid=str(user_id),
                data=InvoiceUploadedData(
                    invoice_id=invoice_id,
                    user_id=user_id,
                    object_key=key,
                    file_name=f"bench-{number}.pdf",
                    content_type="application/pdf",
                    size_bytes=len(content),
                    sha256=digest,
                ),
            )
        )
    return uploads


async def prepare_stream(nats_url: str) -> None:
    broker = make_broker(nats_url, "bench")
    await broker.connect()
    try:
        await ensure_invoice_stream(broker)
    finally:
        await broker.stop()


async def measure(
    nats_url: str, uploads: list[InvoiceUploaded], in_flight: int, delay: float
) -> Run:
    outcomes: dict[str, str] = {}
    arrivals: list[float] = []
    all_done = asyncio.Event()

    async def on_outcome(message: Msg) -> None:
        _, invoice_id, kind = message.subject.split(".")
        outcomes[invoice_id] = kind
        arrivals.append(time.perf_counter())
        if len(outcomes) == len(uploads):
            all_done.set()

    watcher = await nats.connect(nats_url)
    for kind in ("extracted", "extraction_failed"):
        await watcher.subscribe(kind_subjects(kind), cb=on_outcome)
    broker = make_broker(nats_url, "bench")
    await broker.connect()
    appender = EventAppender(broker)
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(appender.append(upload, expected_invoice_sequence=0) for upload in uploads)
        )
        appended = time.perf_counter() - started
        timeout = 60.0 + 4 * delay * len(uploads) / in_flight
        await asyncio.wait_for(all_done.wait(), timeout)
    finally:
        await broker.stop()
        await watcher.close()

    failed = sum(1 for kind in outcomes.values() if kind != "extracted")
    # Where the time went: each round of `in_flight` invoices should end one delay later.
    round_ends = [arrivals[i] - started for i in range(in_flight - 1, len(arrivals), in_flight)]
    print(
        f"  appended in {appended:.2f} s; first outcome after {arrivals[0] - started:.2f} s; "
        f"rounds ended after {', '.join(f'{end:.2f}' for end in round_ends)} s",
        file=sys.stderr,
    )
    return Run(in_flight, len(uploads), arrivals[-1] - started, failed, delay)


def run_level(
    in_flight: int,
    invoices: int,
    delay: float,
    urls: tuple[str, str],
    content: bytes,
    options: argparse.Namespace,
) -> Run:
    settings_url, openai_url = urls
    users = max(1, math.ceil(in_flight / INVOICES_PER_KEY_IN_FLIGHT))
    warm_up = options.warm_up_rounds * in_flight
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-extractor-{in_flight}-") as folder,
        NatsServer(Path(folder) / "nats" / "jetstream") as server,
    ):
        workdir = Path(folder)
        asyncio.run(prepare_stream(server.url))
        store = FilesystemObjectStore(workdir / "objects")
        uploads = asyncio.run(store_uploads(store, content, warm_up + invoices, users))
        with extractor_process(workdir, server.url, settings_url, openai_url, in_flight) as process:
            if warm_up:
                # The same users' invoices, so that clients, connections and caches exist.
                print(f"  warming up with {warm_up} invoices", file=sys.stderr)
                asyncio.run(measure(server.url, uploads[:warm_up], in_flight, delay))
            output = options.profile and options.profile / f"extractor-{in_flight}.txt"
            with profiled(process.pid, output):
                cpu_before = _cpu_seconds(process.pid)
                run = asyncio.run(measure(server.url, uploads[warm_up:], in_flight, delay))
                cpu = _cpu_seconds(process.pid) - cpu_before
            print(f"  extractor CPU {1000 * cpu / invoices:.1f} ms per invoice", file=sys.stderr)
            return run


def _cpu_seconds(pid: int) -> float:
    """User and system time of a process so far, from Linux's /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--delay", type=float, default=2.0, help="the fake OpenAI's answer delay")
    parser.add_argument("--rounds", type=int, default=10, help="invoices = rounds x in flight")
    parser.add_argument("--min-invoices", type=int, default=5)
    parser.add_argument(
        "--warm-up-rounds",
        type=int,
        default=1,
        help="rounds of in-flight invoices before the measured run (0: a cold process)",
    )
    parser.add_argument("--profile", type=Path, help="record the extractor with py-spy here")
    arguments = parser.parse_args()

    content = DOCUMENT.read_bytes()
    runs = []
    with ExitStack() as stack:
        settings_url = stack.enter_context(helper_process("serve-settings"))
        openai_url = stack.enter_context(
            helper_process("serve-openai", "--delay", str(arguments.delay))
        )
        for in_flight in arguments.in_flight:
            invoices = max(arguments.rounds * in_flight, arguments.min_invoices)
            print(f"{in_flight} in flight, {invoices} invoices ...", file=sys.stderr)
            runs.append(
                run_level(
                    in_flight,
                    invoices,
                    arguments.delay,
                    (settings_url, openai_url),
                    content,
                    arguments,
                )
            )

    print(f"one extractor process; fake OpenAI answering after {arguments.delay:g} s")
    print(
        f"{'in_flight':>9} {'invoices':>8} {'seconds':>8} {'per_second':>10} {'ideal':>7} "
        f"{'ratio':>6} {'failed':>6}"
    )
    for run in runs:
        print(
            f"{run.in_flight:>9} {run.invoices:>8} {run.seconds:>8.2f} {run.per_second:>10.2f} "
            f"{run.ideal:>7.2f} {run.ratio:>6.3f} {run.failed:>6}"
        )
    return 0 if all(run.failed == 0 for run in runs) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve-settings"]:
        serve_settings()
    elif sys.argv[1:2] == ["serve-openai"]:
        serve_openai(float(sys.argv[3]))
    else:
        raise SystemExit(main())
