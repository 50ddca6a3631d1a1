# One image for all five services; the command picks the service (python -m invoice_<name>).
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir "uv>=0.9,<0.14"
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY contracts contracts
COPY libs libs
COPY services services
RUN uv sync --frozen --all-packages --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --system --uid 10001 invoices
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 LOG_JSON=true
USER invoices
EXPOSE 8000
CMD ["python", "-m", "invoice_gateway"]
