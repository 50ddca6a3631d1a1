from invoice_gateway.domain.headers import (
    ClientConnection,
    forwarded_request_headers,
    returned_response_headers,
)

CLIENT = ClientConnection(address="203.0.113.7", scheme="https", host="api.example.com")


def _forwarded(incoming, **overrides):
    arguments = {
        "client": CLIENT,
        "request_id": "req-1",
        "content_length": None,
        "trace_headers": {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
    }
    arguments.update(overrides)
    return forwarded_request_headers(incoming, **arguments)


def _names(headers):
    return [name for name, _ in headers]


def test_the_authorization_header_and_ordinary_headers_pass_unchanged():
    headers = _forwarded(
        [("Authorization", "Bearer abc"), ("Accept", "application/json"), ("Idempotency-Key", "k")]
    )

    assert ("authorization", "Bearer abc") in headers
    assert ("accept", "application/json") in headers
    assert ("idempotency-key", "k") in headers


def test_hop_by_hop_headers_and_those_named_in_connection_are_dropped():
    headers = _forwarded(
        [
            ("Connection", "keep-alive, X-Private-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("TE", "trailers"),
            ("Trailer", "Expires"),
            ("Upgrade", "h2c"),
            ("Proxy-Authorization", "Basic xyz"),
            ("Proxy-Whatever", "1"),
            ("X-Private-Hop", "secret"),
            ("Accept", "*/*"),
        ]
    )

    assert _names(headers)[0] == "accept"
    assert not {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-whatever",
        "x-private-hop",
    } & set(_names(headers))


def test_a_client_cannot_claim_an_identity_through_headers():
    headers = _forwarded(
        [
            ("X-User-Id", "someone-else"),
            ("X-User", "admin"),
            ("X-Auth-User-Id", "1"),
            ("X-Forwarded-User", "admin"),
            ("X-Remote-User", "admin"),
            ("Remote-User", "admin"),
        ]
    )

    assert not any("user" in name for name in _names(headers))


def test_the_gateway_sets_request_id_trace_and_forwarding_headers():
    headers = dict(
        _forwarded(
            [
                ("X-Request-Id", "client-chosen"),
                ("Host", "api.example.com"),
                ("X-Forwarded-For", "198.51.100.1"),
                ("X-Forwarded-Proto", "http"),
                ("Traceparent", "00-bogus"),
            ]
        )
    )

    assert headers["x-request-id"] == "req-1"
    assert headers["traceparent"].startswith("00-1111")
    assert headers["x-forwarded-for"] == "198.51.100.1, 203.0.113.7"
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == "api.example.com"
    assert "host" not in headers


def test_the_declared_length_is_passed_on_only_when_known():
    assert ("content-length", "42") in _forwarded([("Content-Length", "42")], content_length=42)
    assert "content-length" not in _names(_forwarded([("Content-Length", "42")]))


def test_answers_lose_hop_by_hop_cors_and_the_backends_own_frame_headers():
    returned = returned_response_headers(
        [
            ("content-type", "application/pdf"),
            ("content-length", "10"),
            ("content-disposition", 'attachment; filename="a.pdf"'),
            ("location", "/invoices/1"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("connection", "close"),
            ("transfer-encoding", "chunked"),
            ("x-request-id", "from-backend"),
            ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ("server", "uvicorn"),
            ("access-control-allow-origin", "*"),
        ]
    )

    assert returned == [
        ("content-type", "application/pdf"),
        ("content-length", "10"),
        ("content-disposition", 'attachment; filename="a.pdf"'),
        ("location", "/invoices/1"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
