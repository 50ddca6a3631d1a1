import socket

import pytest
from invoice_devstack.ports import free_port, port_is_open, wait_for_port


def test_free_port_can_be_bound() -> None:
    port = free_port()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_for_port_returns_once_something_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]

        wait_for_port("127.0.0.1", port, timeout=2)

        assert port_is_open("127.0.0.1", port)


def test_wait_for_port_gives_up_with_a_clear_message() -> None:
    port = free_port()

    with pytest.raises(TimeoutError, match=f"127.0.0.1:{port} within 0.3s"):
        wait_for_port("127.0.0.1", port, timeout=0.3)
