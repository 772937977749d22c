"""Invoice and dispute pages: an SC reads its invoices and disputes a recalculation; the ISO acts.

One market, settled and invoiced once per database (a trade date has one initial
statement): SC A's generator serves SC B's load, 12 MW at $30/MWh all day on
Wed 9 Mar 2033. The initial statement (22 Mar) bills B $8,640.00 on the invoice of
28 Mar, due 4 Apr; it stays unpaid, so the penalty job accrues 2 × $4.32 on 5 and 6 Apr.
The recalculation (16 Jun) raises B's statement by $15.00 (A's generator read of the
first interval is corrected from 1 to 1.5 MWh); the invoice of 21 Jun, due 28 Jun, bills
$15.00 and the penalty, $8.64. The pages are read on Wed 22 Jun 2033.

The module has a database of its own: invoice and penalty runs cover every SC in a
database, and the other billing tests read ledger totals of the whole database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.billing.conftest import CALENDAR, PARAMS, generator_and_load_day, pacific_noon
from tests.conftest import AccessWorld
from tests.databases import fresh_postgres_database
from tests.resource_helpers import TINY_PDF
from tests.settlement.day import d
from tests.web_helpers import PASSWORD, csrf, log_in, nav_labels, refusals, text_of

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.settlement.billing_models import Dispute, Invoice, Payment
from gridmarket.settlement.invoicing import run_invoices
from gridmarket.settlement.models import SettlementStatement
from gridmarket.settlement.penalties import run_penalties
from gridmarket.settlement.statements import settle_trade_date

TRADE_DATE = date(2033, 3, 9)
INITIAL, RECALCULATION = (s.publication_date for s in CALENDAR.statement_schedule(TRADE_DATE)[:2])
FIRST_INVOICE = date(2033, 3, 28)
SECOND_INVOICE = date(2033, 6, 21)  # Mon 20 Jun is the Juneteenth holiday
TODAY = date(2033, 6, 22)
DISPUTE_DEADLINE = date(2033, 7, 20)


@dataclass(frozen=True)
class Billing:
    """Who is who, and the objects the pages show."""

    analyst_a: str
    analyst_b: str
    trader_b: str
    iso_analyst: str
    scid_b: str
    coordinator_b: int
    legal_name_b: str
    invoices_b: tuple[int, int]
    invoice_a: int
    initial_b: int
    recalculation_b: int


def _statement(session: Session, account: str, version: int) -> int:
    found = session.scalar(select(SettlementStatement.id).where(
        SettlementStatement.account == account, SettlementStatement.version == version))
    assert found is not None
    return found


@pytest.fixture(scope="module")
def own_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database of the same backend, for this module alone."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('billing_pages') / 'gridmarket.sqlite'}"
    else:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = fresh_postgres_database(f"gridmarket_billing_pages_{worker}")
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def own_engine(own_database_url: str) -> Iterator[Engine]:
    engine = make_engine(own_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def billing(own_engine: Engine, access_rules: AccessRules) -> Billing:
    with unit_of_work(make_session_factory(own_engine)) as session:
        world = AccessWorld(session, access_rules, pacific_noon(INITIAL))
        org_a, [scid_a] = world.scheduling_coordinator()
        org_b, [scid_b] = world.scheduling_coordinator()
        iso = world.organisation(OrganisationKind.ISO)
        cast = ((org_a, Role.SETTLEMENT_ANALYST, (scid_a,)),
                (org_b, Role.SETTLEMENT_ANALYST, (scid_b,)), (org_b, Role.TRADER, (scid_b,)),
                (iso, Role.SETTLEMENT_ANALYST_ISO, ()))
        people = [world.person(org, role, scids=scids, password=PASSWORD)
                  for org, role, scids in cast]
        day = generator_and_load_day(scid_a.code, scid_b.code, TRADE_DATE)
        settle_trade_date(session, day.inputs(), trade_date=TRADE_DATE, parameters=PARAMS,
                          clock=pacific_noon(INITIAL))
        run_invoices(session, FIRST_INVOICE, parameters=PARAMS, clock=pacific_noon(FIRST_INVOICE))
        for late in (date(2033, 4, 5), date(2033, 4, 6)):
            run_penalties(session, late, parameters=PARAMS, clock=pacific_noon(late))
        day.meter[0]["mwh"] = d("1.5")
        settle_trade_date(session, day.inputs(), trade_date=TRADE_DATE, parameters=PARAMS,
                          clock=pacific_noon(RECALCULATION))
        run_invoices(session, SECOND_INVOICE, parameters=PARAMS,
                     clock=pacific_noon(SECOND_INVOICE))

        def invoices(coordinator_id: int) -> list[int]:
            return list(session.scalars(select(Invoice.id).where(
                Invoice.scheduling_coordinator_id == coordinator_id).order_by(Invoice.id)))

        first_b, second_b = invoices(scid_b.scheduling_coordinator_id)
        return Billing(
            *(p.email for p in people), scid_b=scid_b.code,
            coordinator_b=scid_b.scheduling_coordinator_id,
            legal_name_b=scid_b.scheduling_coordinator.legal_name,
            invoices_b=(first_b, second_b), invoice_a=invoices(scid_a.scheduling_coordinator_id)[0],
            initial_b=_statement(session, scid_b.code, 1),
            recalculation_b=_statement(session, scid_b.code, 2))


@pytest.fixture
def client(own_database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=own_database_url, market=access_parameters))
    app.state.clock = pacific_noon(TODAY)
    with TestClient(app) as test_client:
        yield test_client


def _invoice_rows(page_html: str) -> dict[str, str]:
    """Invoice number → the text of its row."""
    rows = re.findall(r"<tr><td><a href=\"/invoices/(\d+)\">.*?</tr>", page_html, flags=re.S)
    bodies = re.findall(r"(<tr><td><a href=\"/invoices/\d+\">.*?</tr>)", page_html, flags=re.S)
    return {number: text_of(body) for number, body in zip(rows, bodies, strict=True)}


def _line_of(client: TestClient, statement_id: int, charge_code: str) -> str:
    page = client.get(f"/statements/{statement_id}")
    assert page.status_code == 200, page.text
    section = page.text.split(f'id="cc-{charge_code}"', 1)[1]
    match = re.search(rf'href="(/statements/{statement_id}/lines/\d+)"', section)
    assert match, f"no {charge_code} line on statement {statement_id}"
    return match.group(1)


def _payments(engine: Engine, coordinator_invoice: int) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Payment).join(
            Invoice, Invoice.scheduling_coordinator_id == Payment.scheduling_coordinator_id)
            .where(Invoice.id == coordinator_invoice, Payment.kind == "RECEIVED")) or 0


def _disputes(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Dispute)) or 0


# --- invoices -------------------------------------------------------------------------


def test_an_sc_reads_its_invoices_with_status_lines_and_the_late_payment_penalty(
        client: TestClient, billing: Billing) -> None:
    first, second = billing.invoices_b
    log_in(client, billing.analyst_b)
    listing = client.get("/invoices")
    assert listing.status_code == 200
    rows = _invoice_rows(listing.text)
    assert set(rows) == {str(first), str(second)}
    assert rows[str(first)] == (f"Invoice {first} Mon 28 Mar 2033 Wed 09 Mar 2033 $8,640.00 "
                                "$8,640.00 Mon 04 Apr 2033 Overdue")
    assert rows[str(second)] == (f"Invoice {second} Tue 21 Jun 2033 Wed 09 Mar 2033 $23.64 "
                                 "$23.64 Tue 28 Jun 2033 Unpaid")
    overdue = _invoice_rows(client.get("/invoices?status=OVERDUE").text)
    assert set(overdue) == {str(first)}
    # The filter form's "any" choices send empty values.
    assert set(_invoice_rows(client.get("/invoices?coordinator_id=&status=").text)) == set(rows)

    page = client.get(f"/invoices/{first}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Status Overdue" in text and "Amount due $8,640.00" in text
    assert f'href="/statements/{billing.initial_b}"' in page.text
    assert "No payment applied yet" in text
    assert (f"Accrued on this invoice: 8.64 USD over 2 days (0.05% a day of the overdue "
            f"amount), billed rounded to the cent on the next invoices: invoice {second} "
            "$8.64.") in text
    assert "Tue 05 Apr 2033 $8,640.00 4.32" in text
    assert "Record a payment" not in text

    later = text_of(client.get(f"/invoices/{second}").text)
    assert f"Late-payment penalty (5024) on invoice {first} $0.00 $8.64" in later
    assert (f"Settlement statement {billing.scid_b} Wed 09 Mar 2033 version 2 $8,655.00 "
            "$8,640.00 $15.00") in later

    # The desk says what is overdue and leads to it.
    desk = client.get("/")
    assert 'href="/invoices?status=OVERDUE"' in desk.text
    assert "1 invoice(s) overdue: $8,640.00 to pay now" in text_of(desk.text)


def test_a_credit_is_shown_with_its_sign_before_the_dollar(client: TestClient,
                                                           billing: Billing) -> None:
    log_in(client, billing.analyst_a)
    rows = _invoice_rows(client.get("/invoices").text)
    assert "-$8,640.00 $0.00" in rows[str(billing.invoice_a)]
    assert rows[str(billing.invoice_a)].endswith("Paid")
    statement = text_of(client.get("/statements").text)
    assert "-$8,640.00" in statement and "$-" not in statement


def test_another_sc_gets_404_for_an_invoice_and_never_sees_it_listed(
        client: TestClient, billing: Billing, own_engine: Engine) -> None:
    log_in(client, billing.analyst_a)
    for invoice in billing.invoices_b:
        before = refusals(own_engine)
        response = client.get(f"/invoices/{invoice}")
        assert response.status_code == 404 and "Page not found" in response.text
        assert refusals(own_engine) == before + 1
    assert not set(_invoice_rows(client.get("/invoices").text)) & {
        str(i) for i in billing.invoices_b}


def test_the_iso_records_a_payment_and_bad_amounts_are_refused_beside_the_field(
        client: TestClient, billing: Billing, own_engine: Engine) -> None:
    first, second = billing.invoices_b
    log_in(client, billing.trader_b)
    refused = client.post(f"/invoices/{first}/payments",
                          data={"csrf_token": csrf(client.get(f"/invoices/{first}").text),
                                "amount_usd": "8640.00", "received_at": "2033-06-22T09:00",
                                "reference": "SC SELF"})
    assert refused.status_code == 403

    log_in(client, billing.iso_analyst)
    listing = _invoice_rows(client.get("/invoices").text)
    assert billing.legal_name_b in listing[str(first)] and str(billing.invoice_a) in listing
    only_b = _invoice_rows(client.get(f"/invoices?coordinator_id={billing.coordinator_b}"
                                      "&status=").text)
    assert set(only_b) == {str(first), str(second)}
    page = client.get(f"/invoices/{first}")
    assert "Record a payment from" in page.text
    token = csrf(page.text)
    for amount, message in (("12.345", "12.345 is not exact to the cent"),
                            ("ten dollars", "&#39;ten dollars&#39; is not an amount"),
                            ("", "enter an amount")):
        bad = client.post(f"/invoices/{first}/payments", data={
            "csrf_token": token, "amount_usd": amount, "received_at": "2033-06-22T09:00",
            "reference": "WIRE 1"})
        assert bad.status_code == 422, amount
        assert message in bad.text and 'id="f-amount_usd-error"' in bad.text
    no_time = client.post(f"/invoices/{first}/payments", data={
        "csrf_token": token, "amount_usd": "100.00", "received_at": "yesterday",
        "reference": "WIRE 1"})
    assert no_time.status_code == 422 and 'id="f-received_at-error"' in no_time.text
    assert _payments(own_engine, first) == 0
    forged = client.post(f"/invoices/{first}/payments", data={
        "amount_usd": "100.00", "received_at": "2033-06-22T09:00", "reference": "WIRE 1"})
    assert forged.status_code == 403 and _payments(own_engine, first) == 0

    paid = client.post(f"/invoices/{first}/payments", data={
        "csrf_token": token, "amount_usd": "8650.00", "received_at": "2033-06-22T09:00",
        "reference": "WIRE 0622"}, follow_redirects=False)
    assert paid.status_code == 303 and paid.headers["location"] == f"/invoices/{first}"
    shown = text_of(client.get(f"/invoices/{first}").text)
    assert (f"Recorded the payment $8,650.00: invoice {first} $8,640.00, invoice {second} "
            "$10.00; credit $0.00.") in shown
    assert "Status Paid" in shown
    assert "WIRE 0622 Payment received Wed 22 Jun 2033 09:00 PDT" in shown
    second_row = _invoice_rows(client.get("/invoices").text)[str(second)]
    assert "$23.64 $13.64" in second_row and second_row.endswith("Unpaid, part paid")
    again = client.post(f"/invoices/{first}/payments", data={
        "csrf_token": token, "amount_usd": "1.00", "received_at": "2033-06-22T09:00",
        "reference": "WIRE 0622"})
    assert again.status_code == 409 and "is already recorded" in again.text
    assert _payments(own_engine, first) == 1


# --- disputes -------------------------------------------------------------------------


def test_an_sc_disputes_a_recalculation_line_and_the_iso_decides_in_part(
        client: TestClient, billing: Billing) -> None:
    log_in(client, billing.analyst_b)
    line = _line_of(client, billing.recalculation_b, "6477")
    line_page = client.get(line)
    assert f'href="{line}/dispute"' in line_page.text
    assert "until Wed 20 Jul 2033" in text_of(line_page.text)
    form = client.get(f"{line}/dispute")
    assert form.status_code == 200
    facts = text_of(form.text)
    assert "Trade date Wed 09 Mar 2033" in facts and "Recalculation, version 2" in facts
    assert "Dispute by Wed 20 Jul 2033 (22 business days after publication)" in facts
    filed = client.post(f"{line}/dispute", data={
        "csrf_token": csrf(form.text), "hours": "1", "amount_claimed_usd": "15.00",
        "reason": "A's meter read of HE1 was corrected after the fact"},
        files={"evidence": ("read.pdf", TINY_PDF, "application/pdf")}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    dispute_path = filed.headers["location"]
    dispute_id = dispute_path.rsplit("/", 1)[1]
    page = text_of(client.get(dispute_path).text)
    assert f"Dispute {dispute_id} filed; the ISO will review it." in page
    assert "Status Submitted" in page and "Hours ending 1" in page and "$15.00" in page
    assert "Awaiting the ISO" in page and "Record the decision" not in page
    listed = text_of(client.get("/disputes").text)
    assert (f"Dispute {dispute_id} {billing.scid_b} Wed 09 Mar 2033 version 2 6477 1 "
            "$15.00") in listed

    log_in(client, billing.iso_analyst)
    desk = client.get("/")
    assert 'href="/disputes"' in desk.text and "dispute(s) awaiting a decision" in desk.text
    queue = client.get("/disputes")
    assert f'href="/disputes/{dispute_id}"' in queue.text
    review = client.get(dispute_path)
    token = csrf(review.text)
    for values, field, message in (
        ({"status": ""}, "status", "choose accept, accept in part or reject"),
        ({"status": "PARTIALLY_ACCEPTED", "amount_usd": "", "reason": "HE1 in part"},
         "amount_usd", "must be more than $0"),
        ({"status": "PARTIALLY_ACCEPTED", "amount_usd": "15.00", "reason": "x"},
         "amount_usd", "a partial acceptance is less than the $15.00 claimed"),
        ({"status": "REJECTED", "reason": ""}, "reason", "needs its reasons"),
    ):
        refused = client.post(f"{dispute_path}/decision", data={"csrf_token": token, **values})
        assert refused.status_code == 422, values
        assert message in refused.text and f'id="f-{field}-error"' in refused.text, values
    decided = client.post(f"{dispute_path}/decision", data={
        "csrf_token": token, "status": "PARTIALLY_ACCEPTED", "amount_usd": "10.00",
        "reason": "Only 1 MWh of the correction is supported"}, follow_redirects=False)
    assert decided.status_code == 303
    shown = text_of(client.get(dispute_path).text)
    assert f"Dispute {dispute_id} decided: partially accepted." in shown
    assert "$10.00 accepted. Only 1 MWh of the correction is supported" in shown
    assert f'href="/disputes/{dispute_id}"' not in client.get("/disputes").text
    assert f'href="/disputes/{dispute_id}"' in client.get("/disputes?status=").text
    again = client.post(f"{dispute_path}/decision", data={
        "csrf_token": token, "status": "REJECTED", "reason": "no"})
    assert again.status_code == 409 and "already decided" in again.text


def test_a_refused_dispute_names_each_wrong_field_and_stores_nothing(
        client: TestClient, billing: Billing, own_engine: Engine) -> None:
    log_in(client, billing.analyst_b)
    line = _line_of(client, billing.recalculation_b, "6477")
    token = csrf(client.get(f"{line}/dispute").text)
    before = _disputes(own_engine)
    for values, field, message in (
        ({"hours": "25"}, "hours", "hours must be hours ending 1–24 of 2033-03-09"),
        ({"hours": "noon"}, "hours", "&#39;noon&#39; is not an hour ending"),
        ({"amount_claimed_usd": "0"}, "amount_claimed_usd", "must be more than $0"),
        ({"amount_claimed_usd": ""}, "amount_claimed_usd", "enter an amount"),
        ({"reason": " "}, "reason", "a dispute needs its reason"),
    ):
        data = {"csrf_token": token, "hours": "1-2", "amount_claimed_usd": "5.00",
                "reason": "meter read", **values}
        refused = client.post(f"{line}/dispute", data=data,
                              files={"evidence": ("read.pdf", TINY_PDF, "application/pdf")})
        assert refused.status_code == 422, values
        assert message in refused.text and f'id="f-{field}-error"' in refused.text, values
        assert 'aria-invalid="true"' in refused.text
    everything_wrong = client.post(f"{line}/dispute", data={
        "csrf_token": token, "hours": "x", "amount_claimed_usd": "", "reason": "read"})
    assert everything_wrong.status_code == 422
    # Every field that cannot be read is named at once, in the summary and beside it.
    for field, message in (("hours", "&#39;x&#39; is not an hour ending"),
                           ("amount_claimed_usd", "enter an amount"),
                           ("evidence", "attach the evidence for the dispute")):
        assert f'id="f-{field}-error"' in everything_wrong.text, field
        assert f'href="#f-{field}"' in everything_wrong.text, field
        assert message in everything_wrong.text, field
    assert ">read</textarea>" in everything_wrong.text  # what was typed is kept
    wrong_type = client.post(f"{line}/dispute", data={
        "csrf_token": token, "hours": "1", "amount_claimed_usd": "5.00", "reason": "read"},
        files={"evidence": ("read.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert wrong_type.status_code == 422 and 'id="f-evidence-error"' in wrong_type.text
    assert _disputes(own_engine) == before


def test_the_initial_statement_and_a_closed_window_cannot_be_disputed(
        client: TestClient, billing: Billing, own_engine: Engine) -> None:
    log_in(client, billing.analyst_b)
    initial_line = _line_of(client, billing.initial_b, "6011")
    page = client.get(initial_line)
    assert f'href="{initial_line}/dispute"' not in page.text
    assert "only recalculation statements are disputable" in page.text
    assert client.get(f"{initial_line}/dispute").status_code == 409
    line = _line_of(client, billing.recalculation_b, "6477")
    client.app.state.clock = pacific_noon(DISPUTE_DEADLINE + timedelta(days=1))  # type: ignore[attr-defined]
    log_in(client, billing.analyst_b)  # the session of a month ago has ended
    token = csrf(client.get("/").text)
    closed = client.get(line)
    assert closed.status_code == 200 and "Bill determinants" in closed.text
    assert f'href="{line}/dispute"' not in closed.text
    assert "closed on 2033-07-20" in closed.text
    late = client.post(f"{line}/dispute", data={
        "csrf_token": token, "hours": "1", "amount_claimed_usd": "5.00", "reason": "late"},
        files={"evidence": ("read.pdf", TINY_PDF, "application/pdf")})
    assert late.status_code == 409 and "closed on 2033-07-20" in late.text


def test_disputes_stay_with_their_sc_and_only_its_analysts_file_them(
        client: TestClient, billing: Billing, own_engine: Engine) -> None:
    log_in(client, billing.analyst_b)
    line = _line_of(client, billing.recalculation_b, "6477")
    form = client.get(f"{line}/dispute")
    filed = client.post(f"{line}/dispute", data={
        "csrf_token": csrf(form.text), "hours": "2", "amount_claimed_usd": "1.00",
        "reason": "kept private"},
        files={"evidence": ("read.pdf", TINY_PDF, "application/pdf")}, follow_redirects=False)
    dispute_path = filed.headers["location"]

    log_in(client, billing.trader_b)
    assert client.get(dispute_path).status_code == 200
    assert "Dispute this line" not in client.get(line).text
    assert client.get(f"{line}/dispute").status_code == 403

    log_in(client, billing.analyst_a)
    for path in (dispute_path, line, f"{line}/dispute"):
        before = refusals(own_engine)
        assert client.get(path).status_code == 404, path
        assert refusals(own_engine) == before + 1, path
    token = csrf(client.get("/disputes").text)  # the log-out form's: any form of the session
    before = _disputes(own_engine)
    posted = client.post(f"{line}/dispute", data={
        "csrf_token": token, "hours": "2", "amount_claimed_usd": "1.00", "reason": "not mine"},
        files={"evidence": ("read.pdf", TINY_PDF, "application/pdf")})
    assert posted.status_code == 404 and _disputes(own_engine) == before
    assert f'href="{dispute_path}"' not in client.get("/disputes").text
    decision = client.post(f"{dispute_path}/decision", data={
        "csrf_token": token, "status": "ACCEPTED", "reason": ""})
    assert decision.status_code == 403


def test_anyone_not_logged_in_is_sent_to_the_login_page(client: TestClient,
                                                        billing: Billing) -> None:
    for path in ("/invoices", f"/invoices/{billing.invoices_b[0]}", "/disputes", "/disputes/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login?next="), path


def test_the_navigation_offers_the_billing_pages_by_role(client: TestClient,
                                                         billing: Billing) -> None:
    log_in(client, billing.trader_b)
    sc = nav_labels(client.get("/").text)
    assert {"Invoices", "Disputes", "Meter data", "Credit"} <= set(sc)
    assert "Dispute queue" not in sc and "Credit monitor" not in sc
    log_in(client, billing.iso_analyst)
    iso = nav_labels(client.get("/").text)
    assert {"Invoices", "Dispute queue"} <= set(iso)
    assert "Credit monitor" not in iso  # the monitor is the credit analysts'
