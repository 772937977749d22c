"""Reading invoices with the confidentiality rules of rulebook §5.

An SC's people see their own SC's invoices; another SC's invoice is answered
as if it did not exist (404, audited by the API edge). ISO staff see all.

Example::

    invoices = visible_invoices(session, principal)
    invoice = visible_invoice(session, principal, 3)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.errors import NotVisible
from gridmarket.access.policy import Action, authorize
from gridmarket.access.principal import Principal
from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.billing_models import Invoice


def visible_invoice(session: Session, principal: Principal, invoice_id: int) -> Invoice:
    """Invoice ``invoice_id`` if the caller may see it; else 404 (audited)."""
    authorize(principal, Action.VIEW_INVOICES)
    row = session.execute(
        select(Invoice, SchedulingCoordinator.organisation_id)
        .join(SchedulingCoordinator,
              SchedulingCoordinator.id == Invoice.scheduling_coordinator_id)
        .where(Invoice.id == invoice_id)).one_or_none()
    if row is None or not (principal.is_iso or row[1] == principal.organisation_id):
        raise NotVisible(f"no invoice {invoice_id} visible to {principal.email}",
                         actor=principal, action=Action.VIEW_INVOICES.value,
                         object_type="billing_invoice", object_id=str(invoice_id))
    return row[0]


def visible_invoices(session: Session, principal: Principal, *,
                     coordinator_id: int | None = None, status: str | None = None,
                     limit: int = 500) -> list[Invoice]:
    """Invoices the caller may see (an SC: its own), newest first."""
    authorize(principal, Action.VIEW_INVOICES)
    query = select(Invoice).join(
        SchedulingCoordinator, SchedulingCoordinator.id == Invoice.scheduling_coordinator_id)
    if not principal.is_iso:
        query = query.where(SchedulingCoordinator.organisation_id == principal.organisation_id)
    if coordinator_id is not None:
        query = query.where(Invoice.scheduling_coordinator_id == coordinator_id)
    if status is not None:
        query = query.where(Invoice.status == status)
    return list(session.scalars(query.order_by(Invoice.invoice_date.desc(), Invoice.id.desc())
                                .limit(limit)))
