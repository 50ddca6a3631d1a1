"""Auth's HTTP API: accounts, sessions, settings, the JWKS and the internal settings lookup."""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from invoice_platform.logs import bind_log_context
from invoice_platform.problems import Problem, problem_response
from invoice_platform.tokens import TokenVerifier, authenticate, bearer_token, unauthenticated
from pydantic import BaseModel, ConfigDict

from invoice_auth.adapters.store import StoreUnavailable
from invoice_auth.domain.accounts import (
    EmailAlreadyRegistered,
    InvalidCredentials,
    RegistrationRefused,
)
from invoice_auth.domain.encryption import SecretUnreadable
from invoice_auth.domain.sessions import RefreshRefused
from invoice_auth.domain.throttling import LoginThrottled
from invoice_auth.domain.user_settings import SettingsChanges, SettingsRefused
from invoice_auth.service import AuthService, IssuedTokens, SettingsView, UnknownUser
from invoice_auth.settings import AuthSettings

logger = logging.getLogger(__name__)

# The largest legitimate body is a settings update with a 20,000-character prompt, which JSON
# escaping can blow up to about six bytes per character.
MAX_BODY_BYTES = 128 * 1024
NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter()


@dataclass(frozen=True)
class AuthRuntime:
    """What the routes need, wired by the bootstrap when the app starts."""

    settings: AuthSettings
    service: AuthService
    verifier: TokenVerifier


def _runtime(request: Request) -> AuthRuntime:
    runtime: AuthRuntime = request.app.state.auth
    return runtime


Runtime = Annotated[AuthRuntime, Depends(_runtime)]


async def _current_user(request: Request, runtime: Runtime) -> uuid.UUID:
    principal = await authenticate(request, runtime.verifier)
    bind_log_context(user_id=principal.user_id)
    return principal.user_id


CurrentUser = Annotated[uuid.UUID, Depends(_current_user)]


def _require_service_token(request: Request, runtime: Runtime) -> None:
    presented = bearer_token(request)
    expected = runtime.settings.internal_service_token.get_secret_value()
    # Constant-time comparison, so that response times do not reveal how much of a guess
    # matched.
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise unauthenticated(
            "This endpoint is only for the backend's own services: send "
            "'Authorization: Bearer <INTERNAL_SERVICE_TOKEN>'."
        )


class Credentials(BaseModel):
    email: str
    password: str


class UserCreated(BaseModel):
    id: uuid.UUID
    email: str
    created_at: datetime


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int
    refresh_token: str
    refresh_expires_in: int

    @classmethod
    def of(cls, tokens: IssuedTokens) -> TokenPair:
        return cls(
            access_token=tokens.access_token,
            expires_in=tokens.expires_in,
            refresh_token=tokens.refresh_token,
            refresh_expires_in=tokens.refresh_expires_in,
        )


class RefreshTokenBody(BaseModel):
    refresh_token: str


class UserSettings(BaseModel):
    openai_api_key_set: bool
    openai_api_key: str | None
    system_prompt: str | None
    model: str
    updated_at: datetime | None

    @classmethod
    def of(cls, view: SettingsView) -> UserSettings:
        return cls(
            openai_api_key_set=view.openai_api_key_set,
            openai_api_key=view.openai_api_key,
            system_prompt=view.system_prompt,
            model=view.model,
            updated_at=view.updated_at,
        )


class SettingsUpdate(BaseModel):
    """Fields left out stay as they are; null resets a field to its default."""

    # A misspelt field would otherwise be dropped silently and the update look successful.
    model_config = ConfigDict(extra="forbid")

    openai_api_key: str | None = None
    system_prompt: str | None = None
    model: str | None = None

    def changes(self) -> SettingsChanges:
        return SettingsChanges(
            changed=frozenset(self.model_fields_set),
            openai_api_key=self.openai_api_key,
            system_prompt=self.system_prompt,
            model=self.model,
        )


class ExtractionSettingsBody(BaseModel):
    openai_api_key: str | None
    system_prompt: str | None
    model: str


@router.post("/auth/register", status_code=201, response_model=UserCreated)
async def register(body: Credentials, runtime: Runtime) -> UserCreated:
    """Create an account; the email must not be registered yet."""
    user = await runtime.service.register(body.email, body.password)
    return UserCreated(id=user.id, email=user.email, created_at=user.created_at)


@router.post("/auth/login", response_model=TokenPair)
async def login(body: Credentials, runtime: Runtime, response: Response) -> TokenPair:
    """Exchange email and password for an access token and a refresh token."""
    tokens = await runtime.service.login(body.email, body.password)
    response.headers.update(NO_STORE)
    return TokenPair.of(tokens)


@router.post("/auth/refresh", response_model=TokenPair)
async def refresh(body: RefreshTokenBody, runtime: Runtime, response: Response) -> TokenPair:
    """Exchange a refresh token for new tokens; the presented one stops working."""
    tokens = await runtime.service.refresh(body.refresh_token)
    response.headers.update(NO_STORE)
    return TokenPair.of(tokens)


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(body: RefreshTokenBody, runtime: Runtime) -> Response:
    """End the session of a refresh token; ending an ended or unknown session is no error."""
    await runtime.service.logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/settings", response_model=UserSettings)
async def read_settings(user_id: CurrentUser, runtime: Runtime, response: Response) -> UserSettings:
    """Your extraction settings; the OpenAI key only masked."""
    view = await runtime.service.settings_for_owner(user_id)
    response.headers.update(NO_STORE)
    return UserSettings.of(view)


@router.put("/settings", response_model=UserSettings)
async def update_settings(
    body: SettingsUpdate, user_id: CurrentUser, runtime: Runtime, response: Response
) -> UserSettings:
    """Change any of your OpenAI key, system prompt and model."""
    try:
        view = await runtime.service.update_settings(user_id, body.changes())
    except UnknownUser as exc:
        raise unauthenticated("Your account no longer exists. Register again.") from exc
    response.headers.update(NO_STORE)
    return UserSettings.of(view)


@router.get("/.well-known/jwks.json")
async def jwks(runtime: Runtime) -> JSONResponse:
    """The public keys that verify access tokens (JWK set)."""
    keys = await runtime.service.public_keys()
    max_age = runtime.settings.jwks_max_age_seconds
    return JSONResponse(keys, headers={"Cache-Control": f"public, max-age={max_age}"})


@router.get(
    "/internal/users/{user_id}/extraction-settings",
    response_model=ExtractionSettingsBody,
    dependencies=[Depends(_require_service_token)],
    include_in_schema=False,
)
async def extraction_settings(
    user_id: uuid.UUID, runtime: Runtime, response: Response
) -> ExtractionSettingsBody:
    """A user's settings with the OpenAI key in full, for the extractor."""
    bind_log_context(user_id=user_id)
    try:
        found = await runtime.service.extraction_settings(user_id)
    except UnknownUser as exc:
        raise Problem(404, "user-not-found", f"No user has the id {user_id}.") from exc
    response.headers.update(NO_STORE)
    return ExtractionSettingsBody(
        openai_api_key=found.openai_api_key, system_prompt=found.system_prompt, model=found.model
    )


def install_error_handlers(app: FastAPI) -> None:
    """Turns the domain's refusals into problem documents."""

    @app.exception_handler(RegistrationRefused)
    async def _registration_refused(request: Request, exc: RegistrationRefused) -> Response:
        return problem_response(request, 422, f"invalid-{exc.field}", exc.detail, field=exc.field)

    @app.exception_handler(EmailAlreadyRegistered)
    async def _email_taken(request: Request, exc: EmailAlreadyRegistered) -> Response:
        return problem_response(
            request,
            409,
            "email-already-registered",
            "This email is already registered: log in instead, or register with another email.",
        )

    @app.exception_handler(InvalidCredentials)
    async def _invalid_credentials(request: Request, exc: InvalidCredentials) -> Response:
        return problem_response(
            request,
            401,
            "invalid-credentials",
            "The email or the password is wrong. Check both and try again.",
        )

    @app.exception_handler(LoginThrottled)
    async def _login_throttled(request: Request, exc: LoginThrottled) -> Response:
        retry_at = exc.retry_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        minutes = -(-exc.retry_after_seconds // 60)
        return problem_response(
            request,
            429,
            "too-many-login-attempts",
            f"Too many failed logins for this email. Try again in {minutes} minute(s), "
            f"after {retry_at}.",
            headers={"Retry-After": str(exc.retry_after_seconds)},
            retry_at=retry_at,
        )

    @app.exception_handler(RefreshRefused)
    async def _refresh_refused(request: Request, exc: RefreshRefused) -> Response:
        return problem_response(
            request, 401, "invalid-refresh-token", exc.detail, reason=exc.reason
        )

    @app.exception_handler(SettingsRefused)
    async def _settings_refused(request: Request, exc: SettingsRefused) -> Response:
        return problem_response(request, 422, "invalid-settings", exc.detail, field=exc.field)

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable) -> Response:
        logger.error("auth database unavailable: %s", exc, exc_info=exc.__cause__)
        return problem_response(
            request,
            503,
            "database-unavailable",
            "Auth cannot reach its database right now; try again shortly.",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(SecretUnreadable)
    async def _secret_unreadable(request: Request, exc: SecretUnreadable) -> Response:
        logger.error("a stored OpenAI key does not decrypt with AUTH_SETTINGS_ENCRYPTION_KEY")
        return problem_response(
            request,
            500,
            "settings-unreadable",
            "The stored OpenAI key cannot be decrypted with the configured encryption key;"
            " restore AUTH_SETTINGS_ENCRYPTION_KEY, or have the user set the key again.",
        )
