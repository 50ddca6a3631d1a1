from __future__ import annotations

from pathlib import Path

import pytest
from invoice_evaluation.generate import write_dataset

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def committed_dataset() -> Path:
    """The dataset in the repository, made by `generate --count 36 --seed 7`."""
    return REPOSITORY / "eval" / "dataset"


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight freshly generated invoices: four text PDFs, two scanned PDFs, two PNGs."""
    folder = tmp_path_factory.mktemp("dataset")
    write_dataset(folder, count=8, seed=11)
    return folder
