"""Login, API tokens, people and their access, and the audit log.

Thin: parse, authorise (``CurrentPrincipal`` / ``require``), call one service
function of ``gridmarket.access``, commit, render. Access errors become JSON
responses in ``gridmarket.api.security``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field

from gridmarket.access import service, tokens
from gridmarket.access.audit import find_audit_entries
from gridmarket.access.errors import InvalidAccessRequest
from gridmarket.access.login import attempt_login, log_out
from gridmarket.access.models import AccessToken, AuditEntry, OrganisationKind, Role
from gridmarket.access.policy import Action
from gridmarket.access.principal import Principal
from gridmarket.access.queries import PersonAccess, person_access
from gridmarket.api.deps import ParametersDep, SessionDep, SettingsDep
from gridmarket.api.security import SESSION_COOKIE, ClockDep, CurrentPrincipal, require

router = APIRouter(prefix="/api/v1", tags=["access"])


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class MeOut(BaseModel):
    person_id: int
    organisation_id: int
    email: str
    roles: list[Role]
    scids: list[str]
    is_iso: bool


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    lifetime_days: int = Field(description="Days until the token expires (at most a year).")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret; shown this once and never again.")


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: OrganisationKind


class PersonIn(BaseModel):
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)
    password: str | None = Field(default=None, max_length=1024)


class PasswordIn(BaseModel):
    password: str = Field(max_length=1024)


class PersonOut(BaseModel):
    id: int
    organisation_id: int
    email: str
    display_name: str
    active: bool
    roles: list[Role]
    scids: list[str]


class RoleIn(BaseModel):
    role: Role


class ScidIn(BaseModel):
    scid: str = Field(min_length=1, max_length=8)


class AuditEntryOut(BaseModel):
    sequence: int
    occurred_at: datetime
    actor_person_id: int | None
    actor_email: str | None
    action: str
    object_type: str
    object_id: str
    outcome: str
    details_json: str
    entry_sha256: str


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    total: int
    offset: int
    limit: int


def _me(principal: Principal) -> MeOut:
    return MeOut(
        person_id=principal.person_id,
        organisation_id=principal.organisation_id,
        email=principal.email,
        roles=sorted(principal.roles),
        scids=sorted(principal.scids),
        is_iso=principal.is_iso,
    )


def _token_out(token: AccessToken) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


def _person_out(access: PersonAccess) -> PersonOut:
    return PersonOut(
        id=access.person_id,
        organisation_id=access.organisation_id,
        email=access.email,
        display_name=access.display_name,
        active=access.active,
        roles=access.roles,
        scids=access.scids,
    )


@router.post("/auth/login", response_model=MeOut, responses={401: {}, 429: {}})
def login(
    body: LoginIn,
    response: Response,
    session: SessionDep,
    parameters: ParametersDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> MeOut:
    """Log in with e-mail and password; sets the HttpOnly session cookie."""
    rules = parameters.access
    outcome = attempt_login(session, body.email, body.password, rules=rules, clock=clock)
    session.commit()  # Failures are recorded too: the count towards lockout, the audit entry.
    outcome.raise_for_failure()
    assert outcome.principal is not None and outcome.issued is not None
    response.set_cookie(
        SESSION_COOKIE,
        outcome.issued.secret,
        max_age=rules.session_lifetime_minutes * 60,
        httponly=True,
        secure=settings.environment == "production",
        samesite="lax",
        path="/",
    )
    return _me(outcome.principal)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: SessionDep, clock: ClockDep) -> None:
    """End the web session of the cookie, if any, and clear the cookie."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        log_out(session, secret, clock=clock)
        session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=MeOut, responses={401: {}})
def me(principal: CurrentPrincipal) -> MeOut:
    """Who you are: your organisation, roles and SCIDs."""
    return _me(principal)


@router.post("/me/tokens", response_model=TokenCreatedOut, status_code=status.HTTP_201_CREATED)
def create_my_token(
    body: TokenIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> TokenCreatedOut:
    """Create an API token for yourself. The secret is in this response only."""
    issued = tokens.create_api_token(
        session,
        principal.person_id,
        name=body.name,
        lifetime_days=body.lifetime_days,
        rules=parameters.access,
        clock=clock,
        actor=principal,
    )
    session.commit()
    return TokenCreatedOut(**_token_out(issued.token).model_dump(), token=issued.secret)


@router.get("/me/tokens", response_model=list[TokenOut])
def list_my_tokens(principal: CurrentPrincipal, session: SessionDep) -> list[TokenOut]:
    """Your API tokens, newest first (secrets are never shown again)."""
    return [_token_out(t) for t in tokens.list_tokens(session, principal.person_id)]


@router.delete("/me/tokens/{token_id}", response_model=TokenOut, responses={404: {}})
def revoke_my_token(
    token_id: int, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> TokenOut:
    """Revoke one of your tokens; it stops working on the next request."""
    token = tokens.revoke_token(session, token_id, actor=principal, clock=clock)
    session.commit()
    return _token_out(token)


@router.post("/organisations", response_model=OrganisationOut, status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: OrganisationIn,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_ORGANISATIONS))],
    session: SessionDep,
    clock: ClockDep,
) -> OrganisationOut:
    """Register an organisation (ISO administrators)."""
    organisation = service.create_organisation(
        session, principal, name=body.name, kind=body.kind, clock=clock
    )
    session.commit()
    return OrganisationOut(id=organisation.id, name=organisation.name, kind=organisation.kind)


@router.post(
    "/organisations/{organisation_id}/people",
    response_model=PersonOut,
    status_code=status.HTTP_201_CREATED,
)
def create_person(
    organisation_id: int,
    body: PersonIn,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_PEOPLE))],
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> PersonOut:
    """Create a person (ISO administrators anywhere; a UAA in its own organisation)."""
    person = service.create_person(
        session,
        principal,
        organisation_id=organisation_id,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        rules=parameters.access,
        clock=clock,
    )
    session.commit()
    return _person_out(person_access(session, person.id))


@router.put("/people/{person_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(
    person_id: int,
    body: PasswordIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    parameters: ParametersDep,
    clock: ClockDep,
) -> None:
    """Set a password: your own, or as UAA or ISO administrator someone else's."""
    service.set_password(
        session, principal, person_id, body.password, rules=parameters.access, clock=clock
    )
    session.commit()


@router.post("/people/{person_id}/roles", response_model=PersonOut)
def grant_role(
    person_id: int,
    body: RoleIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> PersonOut:
    """Grant a role (SC roles: the organisation's UAA; ISO roles: an ISO administrator)."""
    service.grant_role(session, principal, person_id, body.role, clock=clock)
    session.commit()
    return _person_out(person_access(session, person_id))


@router.delete("/people/{person_id}/roles/{role}", response_model=PersonOut)
def revoke_role(
    person_id: int, role: Role, principal: CurrentPrincipal, session: SessionDep, clock: ClockDep
) -> PersonOut:
    """Take a role away, under the same rules as granting it."""
    service.revoke_role(session, principal, person_id, role, clock=clock)
    session.commit()
    return _person_out(person_access(session, person_id))


@router.post("/people/{person_id}/scids", response_model=PersonOut)
def grant_scid(
    person_id: int,
    body: ScidIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> PersonOut:
    """Let a person act for one of their organisation's SCIDs (its UAA only)."""
    service.grant_scid(session, principal, person_id, body.scid, clock=clock)
    session.commit()
    return _person_out(person_access(session, person_id))


@router.delete("/people/{person_id}/scids/{scid_code}", response_model=PersonOut)
def revoke_scid(
    person_id: int,
    scid_code: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
) -> PersonOut:
    """Withdraw a person's access to one SCID (its organisation's UAA only)."""
    service.revoke_scid(session, principal, person_id, scid_code, clock=clock)
    session.commit()
    return _person_out(person_access(session, person_id))


@router.get("/audit", response_model=AuditPageOut)
def audit_log(
    principal: Annotated[Principal, Depends(require(Action.VIEW_AUDIT_LOG))],
    session: SessionDep,
    parameters: ParametersDep,
    actor: Annotated[str | None, Query(description="The actor's e-mail.")] = None,
    action: str | None = None,
    since: Annotated[datetime | None, Query(description="From this instant (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this instant.")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> AuditPageOut:
    """The audit log, newest first (ISO administrators)."""
    maximum = parameters.access.audit_page_max_records
    if limit > maximum:
        raise InvalidAccessRequest(f"limit {limit} exceeds the page maximum of {maximum}")
    for name, instant in (("since", since), ("until", until)):
        if instant is not None and instant.tzinfo is None:
            raise InvalidAccessRequest(f"{name} needs a timezone, e.g. 2020-07-01T00:00:00Z")
    page = find_audit_entries(
        session,
        actor_email=actor,
        action=action,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
    )
    return AuditPageOut(
        items=[_audit_out(entry) for entry in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


def _audit_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)
