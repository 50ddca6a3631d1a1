import pytest
from invoice_gateway.settings import GatewaySettings
from pydantic import ValidationError


def test_defaults_point_at_the_local_backends(monkeypatch):
    for name in ("GATEWAY_AUTH_URL", "AUTH_JWKS_URL", "GATEWAY_PORT", "GATEWAY_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)

    settings = GatewaySettings()

    assert settings.port == 8000
    assert settings.backend_urls() == {
        "auth": "http://127.0.0.1:8081",
        "ingest": "http://127.0.0.1:8082",
        "query": "http://127.0.0.1:8083",
    }
    assert settings.jwks_url == "http://127.0.0.1:8081/.well-known/jwks.json"
    assert settings.cors_origins == []
    assert settings.max_upload_bytes == 20 * 1024 * 1024 + 64 * 1024
    assert settings.max_json_bytes == 1024 * 1024


def test_environment_variables_configure_it(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "9100")
    monkeypatch.setenv("GATEWAY_QUERY_URL", "http://query:8083")
    monkeypatch.setenv("AUTH_JWKS_URL", "http://auth:8081/.well-known/jwks.json")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://app.example.com, http://localhost:5173/")
    monkeypatch.setenv("GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "7.5")

    settings = GatewaySettings()

    assert settings.port == 9100
    assert settings.query_url == "http://query:8083"
    assert settings.jwks_url == "http://auth:8081/.well-known/jwks.json"
    assert settings.cors_origins == ["https://app.example.com", "http://localhost:5173"]
    assert settings.upstream_timeout_seconds == 7.5


def test_production_refuses_any_origin():
    with pytest.raises(ValidationError, match="GATEWAY_CORS_ORIGINS"):
        GatewaySettings(APP_ENV="production", cors_origins="*")


def test_development_may_allow_any_origin():
    assert GatewaySettings(APP_ENV="development", cors_origins="*").cors_origins == ["*"]
