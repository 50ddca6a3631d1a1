from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from gateway_standins import (
    ALLOWED_ORIGIN,
    MAX_JSON_BYTES,
    MAX_UPLOAD_BYTES,
    Recorder,
    SigningKey,
    auth_app,
    ingest_app,
    query_app,
)
from invoice_devstack.asgi import ThreadedAsgiServer
from invoice_devstack.ports import free_port
from invoice_gateway.bootstrap import create_app
from invoice_gateway.settings import GatewaySettings


@dataclass
class StandIns:
    key: SigningKey
    auth: Recorder
    ingest: Recorder
    query: Recorder
    auth_url: str
    ingest_url: str
    query_url: str


@dataclass
class RunningGateway:
    url: str
    settings: GatewaySettings


@pytest.fixture(scope="session")
def stand_ins() -> Iterator[StandIns]:
    key = SigningKey()
    recorders = Recorder(), Recorder(), Recorder()
    servers = [
        ThreadedAsgiServer(auth_app(recorders[0], key.jwks), "auth-stand-in").start(),
        ThreadedAsgiServer(ingest_app(recorders[1]), "ingest-stand-in").start(),
        ThreadedAsgiServer(query_app(recorders[2]), "query-stand-in").start(),
    ]
    yield StandIns(key, *recorders, *(server.url for server in servers))
    for server in servers:
        server.stop()


def _serve_gateway(settings: GatewaySettings, name: str) -> Iterator[RunningGateway]:
    server = ThreadedAsgiServer(create_app(settings), name, lifespan="on").start()
    yield RunningGateway(server.url, settings)
    server.stop()


@pytest.fixture(scope="session")
def gateway(stand_ins: StandIns) -> Iterator[RunningGateway]:
    settings = GatewaySettings(
        APP_ENV="test",
        auth_url=stand_ins.auth_url,
        ingest_url=stand_ins.ingest_url,
        query_url=stand_ins.query_url,
        cors_origins=ALLOWED_ORIGIN,
        max_upload_bytes=MAX_UPLOAD_BYTES,
        max_json_bytes=MAX_JSON_BYTES,
    )
    yield from _serve_gateway(settings, "gateway")


@pytest.fixture(scope="session")
def degraded_gateway(stand_ins: StandIns) -> Iterator[RunningGateway]:
    """A gateway whose query service is down and whose backends get half a second to answer."""
    settings = GatewaySettings(
        APP_ENV="test",
        auth_url=stand_ins.auth_url,
        ingest_url=stand_ins.ingest_url,
        query_url=f"http://127.0.0.1:{free_port()}",
        upstream_timeout_seconds=0.5,
    )
    yield from _serve_gateway(settings, "degraded-gateway")


@pytest.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=15) as client:
        yield client


@pytest.fixture
async def degraded_client(degraded_gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=degraded_gateway.url, timeout=15) as client:
        yield client
