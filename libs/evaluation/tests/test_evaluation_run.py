from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from invoice_contracts.extraction import InvoiceData
from invoice_evaluation.documents import EXPECTED_SUFFIX, DocumentKind
from invoice_evaluation.run import (
    DatasetError,
    ProviderUnavailable,
    dataset_documents,
    evaluate,
    load_make_extract,
)


class GroundTruthExtractor:
    """Reads the answer next to the document, and records what it was given."""

    def __init__(
        self, folder: Path, failing: frozenset[str] = frozenset(), overlap: int = 1
    ) -> None:
        self.folder = folder
        self.failing = failing
        self.overlap = overlap
        self.overlapped = asyncio.Event()
        self.calls: list[tuple[str, str, int]] = []
        self.running = 0
        self.most_running = 0

    async def __call__(self, document: bytes, content_type: str, file_name: str) -> InvoiceData:
        self.calls.append((file_name, content_type, len(document)))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            # The first calls hold on until ``overlap`` of them run at once, which only an
            # evaluate() that really runs them concurrently achieves before the timeout.
            if self.running >= self.overlap:
                self.overlapped.set()
            await asyncio.wait_for(self.overlapped.wait(), timeout=10)
            if file_name in self.failing:
                raise RuntimeError("the model refused the document")
            expected = self.folder / (file_name.rsplit(".", 1)[0] + EXPECTED_SUFFIX)
            return InvoiceData.model_validate_json(expected.read_text())
        finally:
            self.running -= 1


async def test_extracting_the_ground_truth_scores_precision_and_recall_one(
    small_dataset: Path,
) -> None:
    extractor = GroundTruthExtractor(small_dataset, overlap=2)

    report = await evaluate(small_dataset, extractor, concurrency=2)

    assert report.overall.precision == 1.0
    assert report.overall.recall == 1.0
    assert report.failures == []
    assert len(report.documents) == len(extractor.calls) == 8
    assert extractor.most_running == 2
    content_types = {name: content_type for name, content_type, _ in extractor.calls}
    assert {t for n, t in content_types.items() if n.endswith(".png")} == {"image/png"}
    assert {t for n, t in content_types.items() if n.endswith(".pdf")} == {"application/pdf"}
    assert {kind: count for kind, (count, _) in report.by_kind.items()} == {
        DocumentKind.TEXT_PDF: 4,
        DocumentKind.SCANNED_PDF: 2,
        DocumentKind.PNG: 2,
    }


async def test_an_extraction_that_raises_counts_as_all_null_and_is_listed(
    small_dataset: Path,
) -> None:
    failing = "invoice-001" + (".pdf" if (small_dataset / "invoice-001.pdf").exists() else ".png")
    extractor = GroundTruthExtractor(small_dataset, failing=frozenset({failing}))

    report = await evaluate(small_dataset, extractor)

    assert report.failures == [(failing, "RuntimeError: the model refused the document")]
    failed = next(doc for doc in report.documents if doc.name == failing)
    assert failed.overall.tp == 0 and failed.overall.fn > 0 and failed.overall.fp == 0
    assert report.overall.precision == 1.0
    assert report.overall.recall is not None and report.overall.recall < 1.0
    assert f"{failing}: RuntimeError" in report.to_table()


async def test_an_extraction_that_returns_something_else_is_a_failure(
    small_dataset: Path,
) -> None:
    async def wrong_type(document: bytes, content_type: str, file_name: str) -> InvoiceData:
        return {"total": "1.00"}  # type: ignore[return-value]

    report = await evaluate(small_dataset, wrong_type)

    assert len(report.failures) == 8
    assert report.failures[0][1] == "TypeError: extract returned dict, not InvoiceData"


def test_a_ground_truth_without_its_document_is_refused(tmp_path: Path) -> None:
    (tmp_path / ("invoice-001" + EXPECTED_SUFFIX)).write_text(InvoiceData().model_dump_json())

    with pytest.raises(DatasetError, match=r"invoice-001\.pdf or invoice-001\.png"):
        dataset_documents(tmp_path)


def test_an_empty_folder_is_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no \*\.expected\.json"):
        dataset_documents(tmp_path)


def test_a_missing_provider_module_is_reported_clearly() -> None:
    with pytest.raises(ProviderUnavailable, match=r"no_such_module\.make_extract\(provider_name"):
        load_make_extract("invoice_evaluation.no_such_module")


def test_a_provider_module_without_make_extract_is_reported_clearly() -> None:
    with pytest.raises(ProviderUnavailable, match=r"invoice_evaluation\.formats\.make_extract"):
        load_make_extract("invoice_evaluation.formats")
