"""Who is calling, and may they: the FastAPI side of the access area.

Every protected route takes :data:`CurrentPrincipal` (any logged-in person)
or ``Depends(require(Action.X))`` (a person allowed to do X); SCID checks call
:func:`gridmarket.access.policy.authorize` with ``scid=``. A credential is
either an API token (``Authorization: Bearer gmk_...``) or the session cookie
set by ``POST /api/v1/auth/login``.

:func:`install_security` registers the exception handlers that turn access
errors into JSON responses and write refusals to the audit log after the
request's own transaction has been rolled back.

Example::

    @router.post("/transfers")
    def submit(principal: Annotated[Principal, Depends(require(Action.SUBMIT_TRANSFER))]):
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from gridmarket.access.audit import record_refusal
from gridmarket.access.errors import (
    AccessConflict,
    AccessDenied,
    AccessError,
    AccessNotFound,
    AccountLocked,
    InvalidAccessRequest,
    NotAuthenticated,
    NotVisible,
    Refusal,
)
from gridmarket.access.models import TokenKind
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.access.tokens import SHOWN_PREFIX_LENGTH, authenticate
from gridmarket.api.deps import SessionDep
from gridmarket.clock import Clock, SystemClock

SESSION_COOKIE = "gridmarket_session"
"""The HttpOnly cookie that carries a web session token."""

_STATUS: dict[type[AccessError], int] = {
    NotAuthenticated: 401,
    AccessDenied: 403,
    NotVisible: 404,
    AccessNotFound: 404,
    AccessConflict: 409,
    InvalidAccessRequest: 422,
    AccountLocked: 429,
}


def get_clock(request: Request) -> Clock:
    """The application's clock (``app.state.clock``; the system clock unless a test sets one)."""
    clock: Clock | None = getattr(request.app.state, "clock", None)
    return clock or SystemClock()


ClockDep = Annotated[Clock, Depends(get_clock)]


def _presented_credential(request: Request) -> tuple[str, TokenKind] | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <API token>'")
        return secret.strip(), TokenKind.API
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, TokenKind.SESSION
    return None


BEARER_TOKEN = HTTPBearer(auto_error=False, scheme_name="APIToken",
                          description="An API token: 'Authorization: Bearer gmk_...'")
SESSION_COOKIE_SCHEME = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                                     scheme_name="SessionCookie",
                                     description="The session of POST /api/v1/auth/login")


def current_principal(
    request: Request, session: SessionDep, clock: ClockDep,
    _token: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_TOKEN)] = None,
    _cookie: Annotated[str | None, Security(SESSION_COOKIE_SCHEME)] = None,
) -> Principal:
    """The person behind the request's API token or session cookie; 401 if none is valid.

    ``_token`` and ``_cookie`` only put the two ways to authenticate in the OpenAPI
    schema; the credential is read from the request, so a malformed one is refused
    with a message saying what is wrong.

    Example::

        @router.get("/me")
        def me(principal: CurrentPrincipal) -> MeOut: ...
    """
    presented = _presented_credential(request)
    if presented is None:
        raise NotAuthenticated("log in, or send an API token as 'Authorization: Bearer <token>'")
    secret, kind = presented
    try:
        # One query: the token with its person, roles and SCIDs, read afresh on every request.
        return authenticate(session, secret, kind=kind, clock=clock)
    except (NotAuthenticated, AccessNotFound) as rejected:
        refusal = Refusal(
            actor=None,
            action="auth.credential_rejected",
            object_type="access_token",
            object_id=secret[:SHOWN_PREFIX_LENGTH],
            reason=rejected.detail,
            outcome="denied",
            details={"kind": kind.value, "path": request.url.path},
        )
        raise NotAuthenticated(
            f"{kind.value.lower()} credential refused: {rejected.detail}", refusal=refusal
        ) from rejected


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(action: Action) -> Callable[[Principal], Principal]:
    """A dependency that lets the request through only if the caller may do ``action``.

    Example::

        @router.get("/audit")
        def audit(principal: Annotated[Principal, Depends(require(Action.VIEW_AUDIT_LOG))]): ...
    """

    def authorized_principal(principal: CurrentPrincipal) -> Principal:
        authorize(principal, action)
        return principal

    authorized_principal.__name__ = f"require_{action.value.lower()}"
    return authorized_principal


def _status_of(error: AccessError) -> int:
    # The most specific class wins: AccountLocked (429) before NotAuthenticated (401).
    for kind in type(error).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return 400


def _access_error_response(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AccessError)
    refusal: Refusal | None = getattr(error, "refusal", None)
    if refusal is not None:
        engine: Engine = request.app.state.engine
        record_refusal(engine, refusal, clock=get_clock(request))
    status = _status_of(error)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, AccountLocked):
        wait = error.locked_until - get_clock(request).now()
        headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
    return JSONResponse(status_code=status, content={"detail": error.detail}, headers=headers)


def install_security(app: FastAPI) -> None:
    """Register the handlers that turn access errors into JSON 401/403/404/409/422/429.

    Example::

        app = FastAPI()
        install_security(app)
    """
    app.add_exception_handler(AccessError, _access_error_response)
