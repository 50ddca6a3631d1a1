"""The offline provider's time per page: text-layer PDFs, and OCR of PNGs and scanned PDFs.

    uv run python bench/offline_pages.py [--folder eval/dataset] [--repeat 3]

Each document of the evaluation dataset is extracted `repeat` times, one at a time, by the
extractor's OfflineProvider; a document's time is the median of its runs, divided by its
pages. The table gives per kind of document the median and the 95th percentile (nearest rank)
of those per-page times. Before timing, one document of each kind is extracted once, so that
the OCR model's loading is reported on its own line rather than counted as a page.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
from invoice_evaluation.documents import DocumentKind, detect_kind
from invoice_evaluation.run import dataset_documents
from invoice_extractor.adapters.offline_provider import OfflineProvider
from invoice_extractor.domain.errors import ExtractionError
from invoice_extractor.domain.model import ContentType, Document, UserExtractionSettings

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class KindTimes:
    seconds_per_page: list[float] = field(default_factory=list)
    pages: int = 0
    failures: list[str] = field(default_factory=list)


def page_count(content: bytes, kind: DocumentKind) -> int:
    if kind is DocumentKind.PNG:
        return 1
    pdf = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        return len(pdf)
    finally:
        pdf.close()


def nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(percentile / 100 * len(ordered)) - 1, 0)]


async def timed(provider: OfflineProvider, document: Document) -> float:
    started = time.perf_counter()
    await provider.extract(document, UserExtractionSettings())
    return time.perf_counter() - started


async def measure(folder: Path, repeat: int) -> tuple[dict[DocumentKind, KindTimes], list[str]]:
    provider = OfflineProvider()
    documents = []
    for path, _ in dataset_documents(folder):
        content = path.read_bytes()
        kind = detect_kind(content)
        content_type: ContentType = "image/png" if kind is DocumentKind.PNG else "application/pdf"
        documents.append((kind, Document(content, content_type, path.name)))

    first_runs = []
    for kind in DocumentKind:
        first = next((document for k, document in documents if k is kind), None)
        if first is None:
            continue
        try:
            seconds = await timed(provider, first)
            first_runs.append(f"first {kind.label} ({first.file_name}): {seconds:.2f} s")
        except ExtractionError as error:
            first_runs.append(f"first {kind.label} ({first.file_name}): {error.error_code}")

    times = {kind: KindTimes() for kind in DocumentKind}
    try:
        for kind, document in documents:
            pages = page_count(document.bytes, kind)
            runs = []
            try:
                for _ in range(repeat):
                    runs.append(await timed(provider, document))
            except ExtractionError as error:
                times[kind].failures.append(f"{document.file_name}: {error.error_code}")
                continue
            times[kind].seconds_per_page.append(statistics.median(runs) / pages)
            times[kind].pages += pages
            print(f"  {document.file_name} {kind.label}: {1000 * runs[0]:.0f} ms", file=sys.stderr)
    finally:
        provider.close()
    return times, first_runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=REPOSITORY / "eval" / "dataset")
    parser.add_argument("--repeat", type=int, default=3, help="runs per document (median)")
    arguments = parser.parse_args()

    times, first_runs = asyncio.run(measure(arguments.folder, arguments.repeat))

    print(f"offline provider, one document at a time, median of {arguments.repeat} runs each")
    for line in first_runs:
        print(f"  {line}")
    print(
        f"{'kind':<12} {'documents':>9} {'pages':>5} {'median_ms':>9} {'p95_ms':>7} {'failed':>6}"
    )
    for kind, kind_times in times.items():
        per_page = kind_times.seconds_per_page
        failed = len(kind_times.failures)
        if not per_page:
            print(f"{kind.label:<12} {'-':>9} {'-':>5} {'-':>9} {'-':>7} {failed:>6}")
            continue
        median = 1000 * statistics.median(per_page)
        p95 = 1000 * nearest_rank(per_page, 95)
        print(
            f"{kind.label:<12} {len(per_page):>9} {kind_times.pages:>5} {median:>9.0f} "
            f"{p95:>7.0f} {failed:>6}"
        )
    failures = [failure for kind_times in times.values() for failure in kind_times.failures]
    for failure in failures:
        print(f"  failed: {failure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
