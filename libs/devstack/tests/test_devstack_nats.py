import socket
from pathlib import Path

import nats
import pytest
from invoice_devstack.nats import NatsServer

pytestmark = pytest.mark.infra


async def test_jetstream_stores_and_returns_a_message(nats_server: NatsServer) -> None:
    client = await nats.connect(nats_server.url)
    try:
        jetstream = client.jetstream()
        await jetstream.add_stream(name="DEVSTACK_CHECK", subjects=["devstack.check.>"])

        ack = await jetstream.publish("devstack.check.one", b"hello")
        stored = await jetstream.get_msg("DEVSTACK_CHECK", ack.seq)

        assert stored.data == b"hello"
    finally:
        await client.close()


def test_stop_ends_the_process_and_start_again_keeps_the_store(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "store")

    with server:
        assert server.running
    assert not server.running
    with server:
        assert server.running

    assert (tmp_path / "store" / "jetstream").is_dir()
    assert (tmp_path / "nats.log").read_text()


def test_a_server_that_exits_is_reported_with_its_log(tmp_path: Path) -> None:
    # A bound socket that does not listen makes nats-server fail to bind and exit.
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        server = NatsServer(tmp_path / "store", port=blocker.getsockname()[1])

        with pytest.raises(RuntimeError, match=r"nats\.log"):
            server.start()

    assert not server.running


def test_a_port_in_use_is_refused(tmp_path: Path, nats_server: NatsServer) -> None:
    server = NatsServer(tmp_path / "store", port=nats_server.port)

    with pytest.raises(RuntimeError, match="already in use"):
        server.start()
