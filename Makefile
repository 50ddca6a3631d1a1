# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
UV := $(PYTHON) -m uv
PYTEST_ARGS ?=

.PHONY: bootstrap run test test-fast lint format typecheck bench eval clean-data

bootstrap:
	@scripts/bootstrap.sh

## Run the whole stack on the embedded default (NATS, PostgreSQL, files on disk, five services).
run: bootstrap
	$(UV) run --frozen invoice-stack

## Run every test: unit, integration (real NATS, PostgreSQL, S3 server, fake OpenAI), end to end.
test: bootstrap
	$(UV) run --frozen pytest $(PYTEST_ARGS)

## Unit tests only: no infrastructure is started.
test-fast: bootstrap
	$(UV) run --frozen pytest -m "not infra and not e2e" $(PYTEST_ARGS)

lint: bootstrap
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: bootstrap
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

typecheck: bootstrap
	$(UV) run --frozen mypy contracts/src libs/*/src services/*/src

## Score both extraction providers on eval/dataset: the offline reader, and the OpenAI path
## against the fake OpenAI answering each document's ground truth.
eval: bootstrap
	$(UV) run --frozen python -m invoice_evaluation.run --folder eval/dataset --provider offline
	$(UV) run --frozen python -m invoice_evaluation.run --folder eval/dataset --provider openai \
		--option answers_from=eval/dataset

## One extractor's throughput as invoices in flight grow; the offline reader's time per page.
bench: bootstrap
	$(UV) run --frozen python bench/extractor_throughput.py
	$(UV) run --frozen python bench/offline_pages.py

clean-data:
	rm -rf .data
