"""The errors of the access area, each meaning one HTTP status at the edge.

=========================  ======  ==============================================
error                      status  meaning
=========================  ======  ==============================================
``NotAuthenticated``       401     no valid credential (missing, wrong, expired)
``AccountLocked``          429     too many failed logins; try again later
``AccessDenied``           403     the caller may not do this at all
``NotVisible``             404     the object belongs to another SC's SCID
``AccessNotFound``         404     no such person, organisation, SCID or token
``AccessConflict``         409     the change contradicts the current state
``InvalidAccessRequest``   422     the request breaks an access rule
=========================  ======  ==============================================

``AccessDenied`` and ``NotVisible`` carry a :class:`Refusal` so the refusal can
be written to the audit log even though the request itself fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridmarket.access.principal import Principal


class AccessError(Exception):
    """Base of the access errors; ``detail`` is the message shown to the caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotAuthenticated(AccessError):
    """No credential, or one that is wrong, expired or revoked.

    ``refusal`` is set when a presented credential was rejected and the
    rejection is still to be written to the audit log.
    """

    def __init__(self, detail: str, *, refusal: Refusal | None = None) -> None:
        super().__init__(detail)
        self.refusal = refusal


class AccountLocked(NotAuthenticated):
    """Too many failed logins: the account is locked until ``locked_until``."""

    def __init__(self, detail: str, *, locked_until: datetime) -> None:
        super().__init__(detail)
        self.locked_until = locked_until


@dataclass(frozen=True)
class Refusal:
    """What was refused, to whom, and why: the content of the audit entry."""

    actor: Principal | None
    action: str
    object_type: str
    object_id: str
    reason: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)


class _Refused(AccessError):
    outcome = "denied"

    def __init__(
        self,
        detail: str,
        *,
        actor: Principal | None,
        action: str,
        object_type: str = "action",
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.refusal = Refusal(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id if object_id is not None else action,
            reason=detail,
            outcome=self.outcome,
            details=details or {},
        )


class AccessDenied(_Refused):
    """The caller may not do this action (HTTP 403)."""

    outcome = "denied"


class NotVisible(_Refused):
    """The object belongs to an SCID the caller may not see (HTTP 404, existence not leaked)."""

    outcome = "not_visible"


class AccessNotFound(AccessError):
    """No such person, organisation, SCID or token."""


class AccessConflict(AccessError):
    """The change contradicts the current state (e.g. the e-mail is already registered)."""


class InvalidAccessRequest(AccessError):
    """The request breaks an access rule (e.g. a token lifetime above the maximum)."""
