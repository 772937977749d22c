"""The desk's alerts: money and credit matters waiting for the person, each with its page.

Built from the areas' own reads (invoices with their status today, "my credit",
the credit monitor, disputes); a line appears only for what the person's
roles deal with.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gridmarket.access.policy import Action
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.credit.money import ZERO, usd
from gridmarket.credit.notices import CREDIT_NOTICE_KINDS, at_or_above_warning
from gridmarket.credit.overview import credit_monitor, my_credit
from gridmarket.settlement.billing_models import DisputeStatus, InvoiceStatus
from gridmarket.settlement.disputes import visible_disputes
from gridmarket.settlement.invoice_views import invoice_rows
from gridmarket.web.viewer import Viewer


@dataclass(frozen=True)
class Alert:
    """One line on the desk about money or credit, with the page that deals with it."""

    text: str
    href: str
    urgent: bool = False


def notice_page(kind: str, coordinator_id: int) -> str:
    """Where a notice is dealt with: credit notices on the credit page, others on the SC's."""
    return "/credit" if kind in CREDIT_NOTICE_KINDS else f"/coordinators/{coordinator_id}"


def sc_alerts(session: Session, viewer: Viewer, parameters: MarketParameters,
              clock: Clock) -> list[Alert]:
    """Unpaid and overdue invoices, a collateral call or high utilisation, open disputes."""
    today = MarketCalendar(parameters).trade_date_of(clock.now())
    alerts = []
    unpaid = [r for r in invoice_rows(session, viewer.principal, today=today)
              if r.status is not InvoiceStatus.PAID]
    overdue = [r for r in unpaid if r.status is InvoiceStatus.OVERDUE]
    if overdue:
        due_now = sum((r.invoice.outstanding_usd for r in overdue), ZERO)
        alerts.append(Alert(f"{len(overdue)} invoice(s) overdue: {usd(due_now)} to pay now",
                            "/invoices?status=OVERDUE", urgent=True))
    elif unpaid:
        due = sum((r.invoice.outstanding_usd for r in unpaid), ZERO)
        first = min(unpaid, key=lambda r: r.invoice.due_date).invoice
        alerts.append(Alert(f"{len(unpaid)} invoice(s) unpaid: {usd(due)}, the next due "
                            f"{first.due_date:%a %d %b %Y}", "/invoices"))
    credit = my_credit(session, viewer.principal, parameters, clock)
    if credit.open_call is not None:
        alerts.append(Alert(f"Collateral call: post {usd(credit.open_call.amount_usd)} of "
                            f"security by {credit.open_call.due_on:%a %d %b %Y}", "/credit",
                            urgent=True))
    elif at_or_above_warning(credit.eal_usd, credit.limit.acl_usd,
                             parameters.credit.utilisation_warning_ratio):
        share = f"{credit.utilisation * 100:.1f}%" if credit.utilisation is not None else "all"
        alerts.append(Alert(f"Credit utilisation {share} of your limit; available "
                            f"{usd(credit.available_credit_usd)}", "/credit", urgent=True))
    waiting = visible_disputes(session, viewer.principal, status=DisputeStatus.SUBMITTED)
    if waiting:
        alerts.append(Alert(f"{len(waiting)} dispute(s) awaiting the ISO's decision",
                            "/disputes?status=SUBMITTED"))
    return alerts


def iso_alerts(session: Session, viewer: Viewer, parameters: MarketParameters,
               clock: Clock) -> list[Alert]:
    """The work waiting for this ISO person: disputes to decide, overdue invoices, credit."""
    alerts = []
    if viewer.may(Action.REVIEW_DISPUTE):
        waiting = visible_disputes(session, viewer.principal, status=DisputeStatus.SUBMITTED)
        if waiting:
            alerts.append(Alert(f"{len(waiting)} dispute(s) awaiting a decision", "/disputes"))
    if viewer.may(Action.MANAGE_BILLING):
        today = MarketCalendar(parameters).trade_date_of(clock.now())
        overdue = invoice_rows(session, viewer.principal, today=today,
                               status=InvoiceStatus.OVERDUE)
        if overdue:
            alerts.append(Alert(f"{len(overdue)} invoice(s) overdue", "/invoices?status=OVERDUE",
                                urgent=True))
    if viewer.may(Action.MANAGE_CREDIT):
        ratio = parameters.credit.utilisation_warning_ratio
        flagged = [r for r in credit_monitor(session, viewer.principal, parameters, clock)
                   if at_or_above_warning(r.eal_usd, r.acl_usd, ratio)]
        if flagged:
            alerts.append(Alert(f"{len(flagged)} SC(s) at or above {ratio * 100:.0f}% of their "
                                "credit limit", "/credit", urgent=True))
    return alerts
