"""Run an extractor over a dataset folder and score what it extracts.

python -m invoice_evaluation.run --folder eval/dataset --provider offline
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from invoice_contracts.extraction import InvoiceData

from invoice_evaluation.documents import EXPECTED_SUFFIX, detect_kind
from invoice_evaluation.scoring import DocumentPair, Report, score_dataset

logger = logging.getLogger(__name__)

Extract = Callable[[bytes, str, str], Awaitable[InvoiceData]]
"""Document bytes, content type and file name in; the extracted data out, or an exception."""

PROVIDER_MODULE = "invoice_extractor.evaluation"
DOCUMENT_SUFFIXES = (".pdf", ".png")


class DatasetError(ValueError):
    """The folder is not a dataset: no ground truth, or ground truth without its document."""


class ProviderUnavailable(RuntimeError):
    """The extractor does not offer ``make_extract`` for evaluation."""


def dataset_documents(folder: Path) -> list[tuple[Path, Path]]:
    """Each document of the folder with its ground truth, in name order."""
    documents = []
    for expected in sorted(folder.glob("*" + EXPECTED_SUFFIX)):
        stem = expected.name.removesuffix(EXPECTED_SUFFIX)
        candidates = [folder / (stem + suffix) for suffix in DOCUMENT_SUFFIXES]
        found = [path for path in candidates if path.is_file()]
        if len(found) != 1:
            raise DatasetError(f"{expected.name} needs exactly one of {stem}.pdf or {stem}.png")
        documents.append((found[0], expected))
    if not documents:
        raise DatasetError(f"no *{EXPECTED_SUFFIX} files in {folder}")
    return documents


async def _extract_one(
    document: Path, expected_path: Path, extract: Extract, slots: asyncio.Semaphore
) -> DocumentPair:
    async with slots:
        content = await asyncio.to_thread(document.read_bytes)
        expected = InvoiceData.model_validate_json(
            await asyncio.to_thread(expected_path.read_bytes)
        )
        kind = await asyncio.to_thread(detect_kind, content)
        try:
            extracted = await extract(content, kind.content_type, document.name)
            if not isinstance(extracted, InvoiceData):
                raise TypeError(f"extract returned {type(extracted).__name__}, not InvoiceData")
        # Any error of the extractor is a result to report, not a reason to stop the run.
        except Exception as error:
            logger.warning("extraction of %s failed: %s", document.name, error)
            failure = f"{type(error).__name__}: {error}"
            return DocumentPair(document.name, expected, None, kind, failure)
    return DocumentPair(document.name, expected, extracted, kind)


async def evaluate(folder: Path, extract: Extract, concurrency: int = 4) -> Report:
    """Extract every document of the folder, at most ``concurrency`` at a time, and score it."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots = asyncio.Semaphore(concurrency)
    pairs = await asyncio.gather(
        *(
            _extract_one(document, expected, extract, slots)
            for document, expected in dataset_documents(folder)
        )
    )
    return score_dataset(pairs)


def load_make_extract(module_name: str = PROVIDER_MODULE) -> Callable[..., Extract]:
    """Import ``make_extract`` only when a run needs it: the extractor is a separate service."""
    missing = (
        f"{module_name}.make_extract(provider_name, **options) is not available: the extractor "
        "service has to provide it, returning an async callable (document bytes, content type, "
        "file name) -> InvoiceData. Until then, call invoice_evaluation.run.evaluate() with "
        "your own callable."
    )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        parts = module_name.split(".")
        prefixes = {".".join(parts[: n + 1]) for n in range(len(parts))}
        if error.name not in prefixes:
            raise
        raise ProviderUnavailable(missing) from error
    make_extract = getattr(module, "make_extract", None)
    if not callable(make_extract):
        raise ProviderUnavailable(missing)
    return make_extract  # type: ignore[no-any-return]


def _options(pairs: Sequence[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise argparse.ArgumentTypeError(f"--option wants KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invoice_evaluation.run",
        description="Extract every document of a dataset folder and print precision and recall.",
    )
    parser.add_argument("--folder", type=Path, default=Path("eval/dataset"))
    parser.add_argument("--provider", choices=("offline", "openai"), required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to make_extract as a keyword argument; may be repeated",
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        options = _options(arguments.option)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))

    try:
        make_extract = load_make_extract()
    except ProviderUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    extract = make_extract(arguments.provider, **options)

    started = time.perf_counter()
    report = asyncio.run(evaluate(arguments.folder, extract, arguments.concurrency))
    print(report.to_table())
    print(f"{len(report.documents)} documents in {time.perf_counter() - started:.1f} s")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
