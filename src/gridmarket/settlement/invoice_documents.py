"""An invoice as CSV (one row per line) and as PDF (Jinja2 template, WeasyPrint).

Example::

    text = invoice_csv(invoice)                 # "invoice_id,invoice_date,..."
    assert invoice_pdf(session, invoice).startswith(b"%PDF-")
"""

from __future__ import annotations

import csv
import io

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from gridmarket.participants.models import SchedulingCoordinator
from gridmarket.settlement.billing_models import Invoice
from gridmarket.settlement.invoicing import invoice_payments
from gridmarket.settlement.statements import TEMPLATE_DIR

CSV_HEADER = ("invoice_id", "invoice_date", "due_date", "line_kind", "charge_code", "account",
              "trade_date", "statement_id", "statement_version", "statement_total_usd",
              "previously_invoiced_usd", "penalty_invoice_id", "amount_usd", "description")


def invoice_csv(invoice: Invoice) -> str:
    """The invoice's lines as CSV.

    Example::

        invoice_csv(invoice).splitlines()[0].startswith("invoice_id,")   # True
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in invoice.lines:
        writer.writerow([invoice.id, invoice.invoice_date.isoformat(),
                         invoice.due_date.isoformat(), line.kind, line.charge_code,
                         line.account or "", line.trade_date or "", line.statement_id or "",
                         line.statement_version or "",
                         "" if line.statement_total_usd is None else line.statement_total_usd,
                         line.previously_invoiced_usd, line.penalty_invoice_id or "",
                         line.amount_usd, line.description])
    return out.getvalue()


def invoice_pdf(session: Session, invoice: Invoice) -> bytes:
    """The invoice rendered to PDF: header, lines, payments applied."""
    from weasyprint import HTML

    from gridmarket.resources.letters import TemplateFolderFetcher

    environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR),
                              autoescape=select_autoescape(["html"]),
                              undefined=StrictUndefined)
    html = environment.get_template("invoice.html").render(
        invoice=invoice, coordinator=session.get(SchedulingCoordinator,
                                                 invoice.scheduling_coordinator_id),
        payments=invoice_payments(session, invoice.id))
    pdf: bytes = HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/",
                      url_fetcher=TemplateFolderFetcher(TEMPLATE_DIR)).write_pdf()
    return pdf
