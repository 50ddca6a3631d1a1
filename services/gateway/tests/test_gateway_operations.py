"""What operators and frontend developers see: failures, the API description, readiness."""

import uuid


def _bearer(stand_ins) -> dict[str, str]:
    return {"Authorization": f"Bearer {stand_ins.key.token()}"}


async def test_a_backend_that_is_down_gives_a_502_problem_naming_it(degraded_client, stand_ins):
    answer = await degraded_client.get("/invoices", headers=_bearer(stand_ins))

    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("upstream-unavailable")
    assert "query service" in problem["detail"]
    assert problem["request_id"] == answer.headers["x-request-id"]


async def test_a_backend_that_answers_too_late_gives_a_504_problem(degraded_client, stand_ins):
    answer = await degraded_client.get(
        f"/invoices/{uuid.uuid4()}/file-url", params={"delay": 3}, headers=_bearer(stand_ins)
    )

    assert answer.status_code == 504
    assert answer.json()["detail"] == "The ingest service did not answer in time; try again."


async def test_the_api_description_merges_the_backends_routed_paths(client):
    answer = await client.get("/openapi.json")

    document = answer.json()
    assert answer.status_code == 200
    assert {
        "/auth/login",
        "/settings",
        "/invoices/upload",
        "/invoices/{invoice_id}/file",
        "/invoices",
        "/invoices/{invoice_id}",
    } <= set(document["paths"])
    assert not [path for path in document["paths"] if path.startswith("/internal")]
    assert "Echo" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/invoices"]["get"]["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/auth/login"]["post"]["security"] == []


async def test_the_api_description_leaves_out_a_backend_that_is_down(degraded_client):
    answer = await degraded_client.get("/openapi.json")

    document = answer.json()
    assert answer.status_code == 200
    assert "/auth/login" in document["paths"]
    assert "/invoices/upload" in document["paths"]
    assert "/invoices" not in document["paths"]
    assert "query service" in document["info"]["description"]


async def test_the_docs_page_shows_the_merged_description(client):
    answer = await client.get("/docs")

    assert answer.status_code == 200
    assert "/openapi.json" in answer.text


async def test_the_gateway_is_ready_when_keys_and_backends_are(client):
    answer = await client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json()["checks"] == {
        "signing-keys": "ok",
        "auth": "ok",
        "ingest": "ok",
        "query": "ok",
    }


async def test_the_gateway_is_not_ready_while_a_backend_is_down(degraded_client):
    answer = await degraded_client.get("/readyz")

    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["query"] != "ok"
    assert checks["auth"] == "ok"


async def test_upstream_durations_are_measured_by_backend_and_status(client, stand_ins):
    await client.get("/invoices", headers=_bearer(stand_ins))

    metrics = (await client.get("/metrics")).text

    count = 'gateway_upstream_request_duration_seconds_count{backend="query",status="200"}'
    assert count in metrics


async def test_request_metrics_name_the_routing_table_pattern(client, stand_ins):
    await client.get(f"/invoices/{uuid.uuid4()}", headers=_bearer(stand_ins))

    metrics = (await client.get("/metrics")).text

    latency = 'http_request_duration_seconds_count{method="GET",route="/invoices/{invoice_id}"'
    assert latency in metrics
