"""The one place that says who may do what.

Every named action maps to the roles that may perform it. Routes and service
functions call :func:`authorize` (or the API's ``require``) with an action, so
changing who may do something is a change to :data:`ACTION_ROLES` alone.

Two kinds of refusal:

* :class:`AccessDenied` (HTTP 403): none of the caller's roles allows the action.
* :class:`NotVisible` (HTTP 404): the action is allowed, but the object belongs to
  an SCID the caller has not been granted. A 404 does not reveal that another
  SC's object exists.

Both are written to the audit log by the edge that catches them
(``gridmarket.api.security``), in a transaction of their own.

Example::

    authorize(principal, Action.VIEW_RESOURCE, scid="DTGA")
"""

from __future__ import annotations

import enum

from gridmarket.access.errors import AccessDenied, NotVisible
from gridmarket.access.models import Role
from gridmarket.access.principal import Principal

__all__ = [
    "ACTION_ROLES",
    "ALL_ROLES",
    "ISO_ROLES",
    "SC_ROLES",
    "AccessDenied",
    "Action",
    "NotVisible",
    "authorize",
    "roles_for",
]

ISO_ROLES: frozenset[Role] = frozenset(
    {
        Role.ISO_ADMINISTRATOR,
        Role.CERTIFICATION_SPECIALIST,
        Role.CREDIT_ANALYST,
        Role.MARKET_OPERATOR,
        Role.SETTLEMENT_ANALYST_ISO,
    }
)
"""Roles held only by people of the ISO organisation."""

SC_ROLES: frozenset[Role] = frozenset(
    {Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER, Role.SETTLEMENT_ANALYST, Role.READ_ONLY}
)
"""Roles held only by people of SC (and applicant) organisations."""

ALL_ROLES: frozenset[Role] = ISO_ROLES | SC_ROLES


class Action(enum.StrEnum):
    """Everything that needs permission. Add an action here and in :data:`ACTION_ROLES`."""

    # Access administration.
    MANAGE_ORGANISATIONS = "MANAGE_ORGANISATIONS"
    MANAGE_PEOPLE = "MANAGE_PEOPLE"
    GRANT_ISO_ROLES = "GRANT_ISO_ROLES"
    GRANT_SC_ACCESS = "GRANT_SC_ACCESS"
    VIEW_AUDIT_LOG = "VIEW_AUDIT_LOG"
    # Scheduling coordinator applications and certification.
    SUBMIT_APPLICATION = "SUBMIT_APPLICATION"
    REVIEW_APPLICATION = "REVIEW_APPLICATION"
    MANAGE_CHECKLIST = "MANAGE_CHECKLIST"
    CERTIFY_SC = "CERTIFY_SC"
    # Master File.
    SUBMIT_TRANSFER = "SUBMIT_TRANSFER"
    APPROVE_TRANSFER = "APPROVE_TRANSFER"
    VIEW_RESOURCE = "VIEW_RESOURCE"
    MAINTAIN_MASTER_FILE = "MAINTAIN_MASTER_FILE"
    CERTIFY_METERING = "CERTIFY_METERING"
    # Marginal-loss adjustment eligibility.
    SUBMIT_LOSS_ELIGIBILITY = "SUBMIT_LOSS_ELIGIBILITY"
    REVIEW_LOSS_ELIGIBILITY = "REVIEW_LOSS_ELIGIBILITY"
    VIEW_LOSS_ELIGIBILITY = "VIEW_LOSS_ELIGIBILITY"
    # Credit.
    MANAGE_CREDIT = "MANAGE_CREDIT"
    VIEW_CREDIT = "VIEW_CREDIT"
    # Bids and market runs.
    SUBMIT_BIDS = "SUBMIT_BIDS"
    VIEW_BIDS = "VIEW_BIDS"
    RUN_MARKET = "RUN_MARKET"
    VIEW_MARKET_RESULTS = "VIEW_MARKET_RESULTS"
    # Settlement.
    RUN_SETTLEMENT = "RUN_SETTLEMENT"
    VIEW_STATEMENTS = "VIEW_STATEMENTS"
    # Billing: invoices, payments, penalties, disputes.
    MANAGE_BILLING = "MANAGE_BILLING"
    VIEW_INVOICES = "VIEW_INVOICES"
    SUBMIT_DISPUTE = "SUBMIT_DISPUTE"
    REVIEW_DISPUTE = "REVIEW_DISPUTE"
    # Meter data (settlement-quality meter data, SQMD).
    SUBMIT_METER_DATA = "SUBMIT_METER_DATA"
    VIEW_METER_DATA = "VIEW_METER_DATA"


_CERTIFICATION_STAFF = frozenset({Role.ISO_ADMINISTRATOR, Role.CERTIFICATION_SPECIALIST})

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.MANAGE_ORGANISATIONS: frozenset({Role.ISO_ADMINISTRATOR}),
    # A UAA creates people of its own organisation only; the service checks which.
    Action.MANAGE_PEOPLE: frozenset({Role.ISO_ADMINISTRATOR, Role.USER_ACCESS_ADMINISTRATOR}),
    Action.GRANT_ISO_ROLES: frozenset({Role.ISO_ADMINISTRATOR}),
    Action.GRANT_SC_ACCESS: frozenset({Role.USER_ACCESS_ADMINISTRATOR}),
    Action.VIEW_AUDIT_LOG: frozenset({Role.ISO_ADMINISTRATOR}),
    # An applicant's UAA acts on the organisation's own application.
    Action.SUBMIT_APPLICATION: frozenset({Role.USER_ACCESS_ADMINISTRATOR}),
    Action.REVIEW_APPLICATION: _CERTIFICATION_STAFF,
    Action.MANAGE_CHECKLIST: _CERTIFICATION_STAFF,
    Action.CERTIFY_SC: _CERTIFICATION_STAFF,
    Action.SUBMIT_TRANSFER: frozenset({Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER}),
    Action.APPROVE_TRANSFER: _CERTIFICATION_STAFF,
    Action.VIEW_RESOURCE: ALL_ROLES,
    Action.MAINTAIN_MASTER_FILE: _CERTIFICATION_STAFF,
    Action.CERTIFY_METERING: _CERTIFICATION_STAFF,
    Action.SUBMIT_LOSS_ELIGIBILITY: frozenset(
        {Role.USER_ACCESS_ADMINISTRATOR, Role.SETTLEMENT_ANALYST}
    ),
    Action.REVIEW_LOSS_ELIGIBILITY: frozenset(
        {Role.ISO_ADMINISTRATOR, Role.SETTLEMENT_ANALYST_ISO}
    ),
    Action.VIEW_LOSS_ELIGIBILITY: ALL_ROLES,
    # Profiles, financial security, recomputation and the monitor across SCs.
    Action.MANAGE_CREDIT: frozenset({Role.CREDIT_ANALYST}),
    # An SC's people see their own SC's credit (the service checks which); ISO staff see all.
    Action.VIEW_CREDIT: ALL_ROLES,
    # Traders bid for their SCIDs; everyone sees their own SCIDs' bids and results.
    Action.SUBMIT_BIDS: frozenset({Role.TRADER, Role.USER_ACCESS_ADMINISTRATOR}),
    Action.VIEW_BIDS: ALL_ROLES,
    Action.RUN_MARKET: frozenset({Role.MARKET_OPERATOR, Role.ISO_ADMINISTRATOR}),
    Action.VIEW_MARKET_RESULTS: ALL_ROLES,
    Action.RUN_SETTLEMENT: frozenset({Role.SETTLEMENT_ANALYST_ISO, Role.ISO_ADMINISTRATOR}),
    # An SC's people see their own SCIDs' statements (the service checks which).
    Action.VIEW_STATEMENTS: ALL_ROLES,
    # Invoice and penalty jobs, payments recorded (ISO); an SC sees its own invoices.
    Action.MANAGE_BILLING: frozenset({Role.SETTLEMENT_ANALYST_ISO, Role.ISO_ADMINISTRATOR}),
    Action.VIEW_INVOICES: ALL_ROLES,
    Action.SUBMIT_DISPUTE: frozenset({Role.SETTLEMENT_ANALYST, Role.USER_ACCESS_ADMINISTRATOR}),
    Action.REVIEW_DISPUTE: frozenset({Role.SETTLEMENT_ANALYST_ISO, Role.ISO_ADMINISTRATOR}),
    # SCs submit SQMD for their SC-metered resources; everyone sees their own SCIDs' meter data.
    Action.SUBMIT_METER_DATA: frozenset(
        {Role.USER_ACCESS_ADMINISTRATOR, Role.TRADER, Role.SETTLEMENT_ANALYST}
    ),
    Action.VIEW_METER_DATA: ALL_ROLES,
}


def roles_for(action: Action) -> frozenset[Role]:
    """The roles allowed to perform ``action``.

    Example::

        >>> sorted(roles_for(Action.VIEW_AUDIT_LOG))
        [<Role.ISO_ADMINISTRATOR: 'ISO_ADMINISTRATOR'>]
    """
    try:
        return ACTION_ROLES[action]
    except KeyError:
        # An action without an entry is allowed to nobody, never to everybody.
        return frozenset()


def authorize(principal: Principal, action: Action, *, scid: str | None = None) -> None:
    """Return if ``principal`` may do ``action`` (for ``scid``, if given); raise otherwise.

    Raises :class:`AccessDenied` when no role of the principal allows the action,
    and :class:`NotVisible` when ``scid`` is not one the principal may act for.

    Example::

        authorize(trader, Action.SUBMIT_TRANSFER, scid="DTGA")   # returns
        authorize(trader, Action.CERTIFY_SC)                     # raises AccessDenied
    """
    allowed = roles_for(action)
    if not principal.has_any_role(*allowed):
        raise AccessDenied(
            f"{principal.email} may not {action.value.lower().replace('_', ' ')}: "
            f"it needs one of the roles {', '.join(sorted(allowed)) or '(none)'}",
            actor=principal,
            action=action.value,
            object_type="SCID" if scid is not None else "action",
            object_id=scid,
        )
    if scid is not None and not principal.can_act_for(scid):
        raise NotVisible(
            f"no SCID {scid!r} among those granted to {principal.email}",
            actor=principal,
            action=action.value,
            object_type="SCID",
            object_id=scid,
        )
