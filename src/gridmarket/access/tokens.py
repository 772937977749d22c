"""Bearer tokens: named API tokens (up to a year) and web sessions (a few hours).

The secret is shown once, when the token is created; only its SHA-256 is
stored, so a copy of the database does not give anyone a working token.
Revoking takes effect on the next request: every request looks the token up.

Example::

    issued = create_api_token(session, person_id=7, name="bidding bot", lifetime_days=90,
                              rules=rules, clock=clock, actor=principal)
    print(issued.secret)  # gmk_...  (shown once)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import (
    AccessDenied,
    AccessNotFound,
    InvalidAccessRequest,
    NotAuthenticated,
    NotVisible,
)
from gridmarket.access.models import (
    AccessToken,
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleGrant,
    ScidGrant,
    TokenKind,
)
from gridmarket.access.principal import Principal
from gridmarket.clock import Clock
from gridmarket.config import AccessRules
from gridmarket.participants.models import Scid

SECRET_PREFIXES = {TokenKind.API: "gmk_", TokenKind.SESSION: "gms_"}
SHOWN_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret; the secret is not stored and cannot be shown again."""

    token: AccessToken
    secret: str


def secret_sha256(secret: str) -> str:
    """The stored form of a token secret.

    Example::

        >>> len(secret_sha256("gmk_example"))
        64
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def _issue(
    session: Session, person_id: int, kind: TokenKind, name: str, lifetime: timedelta, clock: Clock
) -> IssuedToken:
    secret = SECRET_PREFIXES[kind] + secrets.token_urlsafe(32)
    now = clock.now()
    token = AccessToken(
        person_id=person_id,
        kind=kind,
        name=name,
        secret_sha256=secret_sha256(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def create_api_token(
    session: Session,
    person_id: int,
    *,
    name: str,
    lifetime_days: int,
    rules: AccessRules,
    clock: Clock,
    actor: Principal | None,
) -> IssuedToken:
    """Create a named API token for a person, valid ``lifetime_days`` (at most a year).

    ``actor`` is the person themselves (tokens are personal), or ``None`` for
    an operator at the command line. Audited as ``token.create``.

    Example::

        issued = create_api_token(session, 7, name="bot", lifetime_days=30, rules=rules,
                                  clock=SystemClock(), actor=None)
    """
    if actor is not None and actor.person_id != person_id:
        raise AccessDenied(
            "API tokens are personal: a person creates tokens only for themselves",
            actor=actor,
            action="token.create",
            object_type="person",
            object_id=str(person_id),
        )
    if not 1 <= lifetime_days <= rules.max_token_lifetime_days:
        raise InvalidAccessRequest(
            f"an API token lives from 1 to {rules.max_token_lifetime_days} days; "
            f"{lifetime_days} days was asked"
        )
    name = name.strip()
    if not name:
        raise InvalidAccessRequest("an API token needs a name saying what it is for")
    person = session.get(Person, person_id)
    if person is None:
        raise AccessNotFound(f"no person with id {person_id}")
    issued = _issue(session, person_id, TokenKind.API, name, timedelta(days=lifetime_days), clock)
    record_audit(
        session,
        actor=actor,
        action="token.create",
        object_type="access_token",
        object_id=str(issued.token.id),
        details={
            "person": person.email,
            "name": name,
            "expires_at": issued.token.expires_at.isoformat(),
        },
        clock=clock,
    )
    return issued


def create_session_token(
    session: Session, person_id: int, *, rules: AccessRules, clock: Clock
) -> IssuedToken:
    """Create the token behind a web login cookie (``session_lifetime_minutes`` long).

    The login that calls this is what is audited.
    """
    lifetime = timedelta(minutes=rules.session_lifetime_minutes)
    return _issue(session, person_id, TokenKind.SESSION, "web session", lifetime, clock)


def resolve_token(session: Session, secret: str, *, clock: Clock) -> AccessToken:
    """The live token whose secret is ``secret``; :class:`NotAuthenticated` if none.

    Example::

        token = resolve_token(session, request_bearer_secret, clock=SystemClock())
    """
    token = session.scalar(
        select(AccessToken).where(AccessToken.secret_sha256 == secret_sha256(secret))
    )
    if token is None:
        raise NotAuthenticated("unknown token")
    if token.revoked_at is not None:
        raise NotAuthenticated("the token has been revoked")
    if token.expires_at <= clock.now():
        raise NotAuthenticated("the token has expired")
    return token


def list_tokens(
    session: Session, person_id: int, *, kind: TokenKind = TokenKind.API
) -> list[AccessToken]:
    """A person's tokens of ``kind``, newest first, revoked and expired ones included."""
    return list(
        session.scalars(
            select(AccessToken)
            .where(AccessToken.person_id == person_id, AccessToken.kind == kind)
            .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())
        )
    )


def revoke_token(
    session: Session, token_id: int, *, actor: Principal | None, clock: Clock
) -> AccessToken:
    """Revoke a token at once. A person revokes their own; an ISO administrator any.

    Revoking a token twice is harmless. Audited as ``token.revoke``.

    Example::

        revoke_token(session, 12, actor=principal, clock=SystemClock())
    """
    token = session.get(AccessToken, token_id)
    if token is None:
        raise AccessNotFound(f"no token {token_id} among yours")
    own = actor is None or token.person_id == actor.person_id
    if actor is not None and not own and not actor.has_any_role(Role.ISO_ADMINISTRATOR):
        # Reported like a missing token, so token ids are no way to probe others' tokens.
        raise NotVisible(
            f"no token {token_id} among yours",
            actor=actor,
            action="token.revoke",
            object_type="access_token",
            object_id=str(token_id),
        )
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="token.revoke",
            object_type="access_token",
            object_id=str(token.id),
            details={"person_id": token.person_id, "kind": token.kind.value, "name": token.name},
            clock=clock,
        )
    return token


_LIST_SEPARATOR = "\x1f"
"""Joins a person's roles and SCID codes in one column (a control character: in neither)."""


def _principal_by_secret_statement() -> Select[Any]:
    # Built once: building and caching a statement costs more than running it.
    roles = (
        select(func.aggregate_strings(RoleGrant.role, _LIST_SEPARATOR))
        .where(RoleGrant.person_id == AccessToken.person_id)
        .scalar_subquery()
    )
    scids = (
        select(func.aggregate_strings(Scid.code, _LIST_SEPARATOR))
        .join(ScidGrant, ScidGrant.scid_id == Scid.id)
        .where(ScidGrant.person_id == AccessToken.person_id)
        .scalar_subquery()
    )
    return (
        select(
            AccessToken.kind, AccessToken.revoked_at, AccessToken.expires_at,
            AccessToken.person_id, Person.id, Person.active, Person.email,
            Person.organisation_id, Organisation.kind, roles, scids,
        )
        .select_from(AccessToken)
        .outerjoin(Person, Person.id == AccessToken.person_id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(AccessToken.secret_sha256 == bindparam("secret_sha256"))
    )


_PRINCIPAL_BY_SECRET = _principal_by_secret_statement()


def authenticate(session: Session, secret: str, *, kind: TokenKind, clock: Clock) -> Principal:
    """The person behind a live token of ``kind``, loaded with one query.

    The token, the person, their organisation's kind, roles and granted SCIDs
    are read together every time (nothing is cached), so a revoked token, a
    deactivated person or a changed grant counts on the very next request.
    Raises :class:`NotAuthenticated` (unknown, revoked, expired or wrong kind of
    token; deactivated person) and :class:`AccessNotFound` (no such person), the
    same errors as :func:`resolve_token` followed by
    :func:`~gridmarket.access.principal.load_principal`.

    Example::

        principal = authenticate(session, "gmk_...", kind=TokenKind.API, clock=SystemClock())
    """
    row = session.execute(
        _PRINCIPAL_BY_SECRET, {"secret_sha256": secret_sha256(secret)}
    ).one_or_none()
    if row is None:
        raise NotAuthenticated("unknown token")
    (token_kind, revoked_at, expires_at, person_id, found_person, active, email,
     organisation_id, organisation_kind, roles, scids) = row
    if revoked_at is not None:
        raise NotAuthenticated("the token has been revoked")
    if expires_at <= clock.now():
        raise NotAuthenticated("the token has expired")
    if token_kind != kind:
        raise NotAuthenticated(f"a {token_kind.value.lower()} token is not accepted here")
    if found_person is None:
        raise AccessNotFound(f"no person with id {person_id}")
    if not active:
        raise NotAuthenticated(f"person {email} is deactivated")
    return Principal(
        person_id=person_id,
        organisation_id=organisation_id,
        email=email,
        roles=frozenset(Role(r) for r in roles.split(_LIST_SEPARATOR)) if roles else frozenset(),
        scids=frozenset(scids.split(_LIST_SEPARATOR)) if scids else frozenset(),
        is_iso=organisation_kind == OrganisationKind.ISO,
    )
