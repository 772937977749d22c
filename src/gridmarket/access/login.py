"""Web login and logout, with throttling and lockout.

``AccessRules.max_failed_logins`` failed logins within
``failed_login_window_minutes`` lock the account for ``lockout_minutes``.
While locked, the password is not even checked, so guessing makes no progress.
Every attempt, good or bad, is written to the audit log.

A failed login changes the database (the failure count, the audit entry) and
still fails, so :func:`attempt_login` returns an outcome instead of raising:
the caller commits, then calls :meth:`LoginOutcome.raise_for_failure`.

Example::

    outcome = attempt_login(session, "trader@sc.example", "...", rules=rules, clock=clock)
    session.commit()
    outcome.raise_for_failure()
    set_cookie(outcome.issued.secret)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.access.audit import record_audit
from gridmarket.access.errors import AccountLocked, NotAuthenticated
from gridmarket.access.models import AccessToken, PasswordCredential, Person, TokenKind
from gridmarket.access.passwords import spend_verification_time, verify_password
from gridmarket.access.principal import Principal, load_principal
from gridmarket.access.tokens import IssuedToken, create_session_token, secret_sha256
from gridmarket.clock import Clock
from gridmarket.config import AccessRules

WRONG_CREDENTIALS = "wrong e-mail or password"


@dataclass(frozen=True)
class LoginOutcome:
    """A login's result: the principal and session token, or the error to raise."""

    principal: Principal | None = None
    issued: IssuedToken | None = None
    error: NotAuthenticated | None = None

    def raise_for_failure(self) -> None:
        """Raise the login's error, if it failed."""
        if self.error is not None:
            raise self.error


def attempt_login(
    session: Session, email: str, password: str, *, rules: AccessRules, clock: Clock
) -> LoginOutcome:
    """Check ``email`` and ``password``; on success open a web session.

    Returns the outcome rather than raising; commit, then ``raise_for_failure()``.
    """
    now = clock.now()
    person = session.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
    credential = (
        session.scalar(
            select(PasswordCredential)
            .where(PasswordCredential.person_id == person.id)
            .with_for_update()
        )
        if person is not None
        else None
    )
    if person is None or credential is None or not person.active:
        spend_verification_time(password, rules)
        _audit_failure(session, email, person, "unknown, inactive or password-less account", clock)
        return LoginOutcome(error=NotAuthenticated(WRONG_CREDENTIALS))

    if credential.locked_until is not None and now < credential.locked_until:
        _audit_failure(session, email, person, "account locked", clock, action="auth.login_locked")
        return LoginOutcome(error=_locked_error(credential.locked_until))

    check = verify_password(credential.password_hash, password, rules)
    if not check.matches:
        return _count_failure(session, email, person, credential, rules, clock)

    credential.failed_logins = 0
    credential.first_failed_login_at = None
    credential.locked_until = None
    if check.new_hash is not None:
        credential.password_hash = check.new_hash
    issued = create_session_token(session, person.id, rules=rules, clock=clock)
    principal = load_principal(session, person.id)
    record_audit(
        session,
        actor=principal,
        action="auth.login",
        object_type="person",
        object_id=str(person.id),
        details={"session_token_id": issued.token.id, "rehashed": check.new_hash is not None},
        clock=clock,
    )
    return LoginOutcome(principal=principal, issued=issued)


def _count_failure(
    session: Session,
    email: str,
    person: Person,
    credential: PasswordCredential,
    rules: AccessRules,
    clock: Clock,
) -> LoginOutcome:
    now = clock.now()
    window = timedelta(minutes=rules.failed_login_window_minutes)
    if credential.first_failed_login_at is None or now - credential.first_failed_login_at >= window:
        credential.failed_logins = 1
        credential.first_failed_login_at = now
    else:
        credential.failed_logins += 1
    _audit_failure(
        session, email, person, f"wrong password ({credential.failed_logins} in window)", clock
    )
    if credential.failed_logins < rules.max_failed_logins:
        return LoginOutcome(error=NotAuthenticated(WRONG_CREDENTIALS))
    credential.locked_until = now + timedelta(minutes=rules.lockout_minutes)
    credential.failed_logins = 0
    credential.first_failed_login_at = None
    record_audit(
        session,
        actor=None,
        actor_email=email,
        action="auth.lockout",
        object_type="person",
        object_id=str(person.id),
        details={"locked_until": credential.locked_until.isoformat()},
        outcome="denied",
        clock=clock,
    )
    return LoginOutcome(error=_locked_error(credential.locked_until))


def _locked_error(locked_until: datetime) -> AccountLocked:
    return AccountLocked(
        f"too many failed logins: the account is locked until {locked_until.isoformat()}",
        locked_until=locked_until,
    )


def _audit_failure(
    session: Session,
    email: str,
    person: Person | None,
    reason: str,
    clock: Clock,
    *,
    action: str = "auth.login_failed",
) -> None:
    record_audit(
        session,
        actor=None,
        actor_email=email,
        action=action,
        object_type="person",
        object_id=str(person.id) if person is not None else email,
        details={"reason": reason},
        outcome="denied",
        clock=clock,
    )


def log_out(session: Session, secret: str, *, clock: Clock) -> bool:
    """End the web session whose cookie holds ``secret``; False if it was not live.

    Example::

        log_out(session, request.cookies["gridmarket_session"], clock=clock)
    """
    token = session.scalar(
        select(AccessToken).where(
            AccessToken.secret_sha256 == secret_sha256(secret),
            AccessToken.kind == TokenKind.SESSION,
        )
    )
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    person = session.get(Person, token.person_id)
    actor = load_principal(session, token.person_id) if person and person.active else None
    record_audit(
        session,
        actor=actor,
        actor_email=person.email if person else None,
        action="auth.logout",
        object_type="person",
        object_id=str(token.person_id),
        details={"session_token_id": token.id},
        clock=clock,
    )
    return True
