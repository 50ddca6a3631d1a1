"""How long an upload takes to reach 'extracted' on the embedded default, offline provider.

Starts the whole stack (NATS, PostgreSQL, files on disk, five service processes) on free ports
in a temporary folder, uploads text PDFs one at a time through the gateway and polls the
detail every 10 ms until the invoice is extracted. Prints the median and p95 of the time from
sending the upload to seeing 'extracted', and of the upload request alone.

    uv run python bench/upload_to_extracted.py [--uploads 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from invoice_devstack.stack import Stack, StackPorts

from tests.documents import text_invoice_pdf


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=30)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="invoice-bench-"))
    data_dir.chmod(0o755)
    stack = Stack(data_dir, ports=StackPorts.free(), extra_env={"APP_ENV": "test"})
    try:
        stack.start(timeout=90)
        http = httpx.Client(base_url=stack.gateway_url, timeout=30.0)
        email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "benchmark password"
        http.post("/auth/register", json={"email": email, "password": password})
        token = http.post("/auth/login", json={"email": email, "password": password}).json()[
            "access_token"
        ]
        headers = {"Authorization": f"Bearer {token}"}
        to_extracted: list[float] = []
        upload_only: list[float] = []
        for number in range(args.uploads + 1):
            pdf = text_invoice_pdf(number=f"BENCH-{number}")
            started = time.perf_counter()
            response = http.post(
                "/invoices/upload",
                headers=headers,
                files={"file": ("bench.pdf", pdf, "application/pdf")},
            )
            accepted = time.perf_counter()
            invoice_id = response.json()["invoice_id"]
            while True:
                detail = http.get(f"/invoices/{invoice_id}", headers=headers)
                if detail.status_code == 200 and detail.json()["status"] != "processing":
                    break
                time.sleep(0.01)
            finished = time.perf_counter()
            assert detail.json()["status"] == "extracted", detail.text
            if number:  # the first upload warms caches and connections
                to_extracted.append(finished - started)
                upload_only.append(accepted - started)
        print(f"uploads measured: {len(to_extracted)} (text PDF, offline provider)")
        for label, values in (("upload -> extracted", to_extracted), ("upload 202", upload_only)):
            print(
                f"{label:>20}: median {statistics.median(values) * 1000:7.1f} ms   "
                f"p95 {_percentile(values, 0.95) * 1000:7.1f} ms   "
                f"max {max(values) * 1000:7.1f} ms"
            )
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
