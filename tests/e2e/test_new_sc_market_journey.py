"""In real headless Chromium: a new company's first market day, from applying to its statement.

The server runs on a fixed clock the test moves along the market's timeline
(``live_server_on_clock``), for trade date 2020-07-15 of the RTS-GMLC data:

1. Friday 26 June: the company registers, applies and is certified through the
   pages (``certify_new_company``); its user access administrator asks in the
   transfer form for the coal unit 101_STEAM_3 of Desert Thermal (DTGN) from
   14 July, the first day the 11-business-day lead allows; the ISO approves it.
2. 14 July, 08:00: the ISO applies the transfers due (the button on the
   transfers page) and the unit is the new SCID's; the demo's eight SCs bid
   their side through the API (``submit_demo_bids``), and the new SC's
   administrator bids the unit for all 24 hours of 15 July in the bid editor.
3. 10:00, the DAM closes: the market operator closes it and runs it with the
   documented API calls (there is no page for either), ``POST
   /api/v1/markets/DAM/{date}/close`` and ``POST /api/v1/market-runs``, with
   a token made on the tokens page. At 13:00 the new SC finds its bid valid
   and, on the day-ahead awards page, the unit's award by hour beside the
   published LMP at its node.
4. Real time, meter data and settlement as the demo does them: the demo's
   real-time bids and hourly closes, FMM and RTD run by the operator through
   the API, the meters read; on 28 July, the initial statements' publication
   date, the ISO's settlement analyst runs settlement through the API. The new
   SC opens its statement: the unit's day-ahead energy line has the MWh of
   its award and pays the SC, and charge code 6011 pays what the awards page
   said the award was worth (but for the rounding of its three parts); the
   bid's 72 segments are charged the bid segment fee.
5. Mesa Public Power's people get 404 for the new SC's bid, its bids list,
   its awards and its statement, 403 for the run's details; their own lists
   (statements, awards, the awards API) hold none of the new SC's rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.live_server import (
    PASSWORD,
    fast_settings,
    live_server_on_clock,
    seed_market_day,
)
from tests.e2e.pages import (
    NEW_COMPANY_PASSWORD,
    accessible,
    certify_new_company,
    check_only,
    log_in,
    notice,
    person,
)

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import Settings
from gridmarket.demo.market_day import (
    collect_meter_data,
    submit_demo_bids,
    submit_real_time_and_close,
)

TRADE_DATE = date(2020, 7, 15)
APPLIED_AT = datetime(2020, 6, 26, 16, tzinfo=UTC)
"""Friday 26 June 2020, 09:00 in California: the company applies and asks for its unit."""
EFFECTIVE = date(2020, 7, 14)
"""The unit is the new SC's from the trade day before the one it bids."""
UNIT = "101_STEAM_3"
UNIT_NODE = "ABEL_1_N101"
TIME_BUDGET_SECONDS = 90
RUN_TIMEOUT_SECONDS = 180
CALENDAR = MarketCalendar()


@dataclass(frozen=True)
class Market:
    base_url: str
    settings: Settings
    clock: FixedClock
    model_name: str


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    folder = tmp_path_factory.mktemp("new-sc-market")
    settings = fast_settings(f"sqlite:///{folder / 'market.sqlite'}")
    model_name = seed_market_day(settings, TRADE_DATE,
                                 certified_on=CALENDAR.add_business_days(TRADE_DATE, -30))
    clock = FixedClock(APPLIED_AT)
    with live_server_on_clock(settings, clock) as base_url:
        yield Market(base_url, settings, clock, model_name)


def _api_token(page: Page, name: str) -> dict[str, str]:
    """A bearer header made on the tokens page, as a person would for a script."""
    page.goto("/tokens")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Lifetime in days").fill("60")
    page.get_by_role("button", name="Create token").click()
    return {"Authorization": f"Bearer {page.locator('#new-token').inner_text()}"}


def _post(market: Market, path: str, headers: dict[str, str], body: Any = None) -> Any:
    response = httpx.post(f"{market.base_url}{path}", headers=headers, json=body,
                          timeout=RUN_TIMEOUT_SECONDS)
    assert response.status_code in (200, 201), f"{path}: {response.text}"
    return response.json()


def _cells(page: Page, row: str) -> list[str]:
    """The cells of the first table row whose first cell is ``row``."""
    line = page.locator("tr", has=page.locator("td:first-child", has_text=re.compile(
        rf"^{re.escape(row)}$"))).first
    return [cell.strip() for cell in line.locator("td").all_inner_texts()]


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("$", ""))


def test_a_new_sc_bids_is_awarded_and_settled_and_another_sc_sees_none_of_it(
    browser: Browser, market: Market, screenshots: Path
) -> None:
    started = time.monotonic()

    def shot(page: Page, name: str, *, full_page: bool = False) -> None:
        accessible(page, name)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=screenshots / f"{name}.png", full_page=full_page)

    def log_in_again(page: Page, email: str, password: str = PASSWORD) -> None:
        """The market's clock moved on: yesterday's session has ended."""
        page.context.clear_cookies()
        log_in(page, email, password)

    # --- 1. 26 June: certified in the browser, asks for its unit, the ISO approves -------------
    company = certify_new_company(browser, market.base_url, check_only,
                                  today=CALENDAR.trade_date_of(APPLIED_AT))
    scid, sc, desk = company.scid, company.page, company.desk
    sc.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    sc.get_by_role("link", name="Request a transfer").click()
    expect(sc.locator("#f-effective_date-hint")).to_contain_text("Tue 14 Jul 2020 at the earliest")
    sc.get_by_label("Your SCID").select_option(scid)
    sc.get_by_label("SCID representing them now").fill("DTGN")
    sc.get_by_label("Resources").fill(UNIT)
    sc.get_by_label("Effective date").fill(EFFECTIVE.isoformat())
    sc.get_by_label("Resource owner").fill("Desert Thermal Generation")
    sc.get_by_label("Signatory's name").fill("Jo Juniper")
    sc.get_by_label("Signatory's title").fill("Managing Director")
    shot(sc, "21-transfer-request", full_page=True)
    sc.get_by_role("button", name="Submit the request").click()
    notice(sc, "submitted with its letters")
    transfer_path = sc.url.removeprefix(market.base_url)
    expect(sc.locator("h1")).to_have_text(re.compile(rf"DTGN → {scid}$"))

    desk.goto("/transfers")
    desk.locator(f"a[href='{transfer_path}']").click()
    desk.get_by_role("button", name="Approve").click()
    notice(desk, "Transfer approved")

    # --- 2. 14 July, 08:00: the transfer applies; everyone bids for the 15th ---------------------
    market.clock.set(CALENDAR.dam_close(TRADE_DATE) - timedelta(hours=2))
    log_in_again(desk, "certification@iso.example")
    desk.goto("/transfers")
    desk.get_by_role("button", name="Apply the transfers due today").click()
    notice(desk, f"{UNIT} to {scid}")

    log_in_again(sc, company.email, NEW_COMPANY_PASSWORD)
    sc.goto(f"/scids/{scid}")
    expect(sc.locator("h2", has_text="Resources represented now (1)")).to_be_visible()
    expect(sc.locator("main")).to_contain_text(UNIT)
    submitted = submit_demo_bids(market.settings, TRADE_DATE, market.model_name, market.clock)
    assert "DTGN" in submitted and scid not in submitted

    sc.get_by_role("navigation", name="Main").get_by_role("link", name="Bids").click()
    sc.get_by_label("Trade date").fill(TRADE_DATE.isoformat())
    sc.get_by_role("button", name="Show").click()
    expect(sc.locator("table")).to_contain_text("No bids.")
    sc.get_by_role("link", name="New energy bid").click()
    sc.fill("[name=resource]", UNIT)
    sc.get_by_label("First hour (hour ending)").fill("1")
    sc.get_by_label("Last hour (hour ending)").fill("24")
    for step, (mw, price) in enumerate((("45", "14"), ("60", "17"), ("76", "18")), start=1):
        sc.fill(f"[name='segments[{step}].mw']", mw)
        sc.fill(f"[name='segments[{step}].price']", price)
    sc.get_by_role("button", name="Check").click()
    expect(sc.locator("h2", has_text="This bid would be")).to_contain_text("Conditionally valid")
    shot(sc, "22-new-sc-bid", full_page=True)
    sc.get_by_role("button", name="Submit bid").click()
    expect(sc.locator("h1")).to_contain_text(f"Energy {UNIT}")
    bid_path = sc.url.removeprefix(market.base_url)
    expect(sc.locator(".facts")).to_contain_text("Conditionally valid")

    # --- 3. 10:00: the operator closes and runs the DAM; at 13:00 the SC sees its award ----------
    market.clock.set(max(CALENDAR.dam_close(TRADE_DATE), CALENDAR.ist_dam_close(TRADE_DATE)))
    operator = person(browser, market.base_url).new_page()
    log_in(operator, "operator@iso.example")
    operator_api = _api_token(operator, "market runs")
    closed = _post(market, f"/api/v1/markets/DAM/{TRADE_DATE}/close", operator_api)
    assert closed["statuses"].get("VALID", 0) > 0
    dam = _post(market, "/api/v1/market-runs", operator_api,
                {"market": "DAM", "trade_date": TRADE_DATE.isoformat()})
    assert dam["status"] == "COMPLETED", dam["failure_reason"]

    market.clock.set(CALENDAR.dam_results(TRADE_DATE))
    log_in_again(sc, company.email, NEW_COMPANY_PASSWORD)
    sc.goto(bid_path)
    expect(sc.locator(".facts")).to_contain_text("Valid")
    expect(sc.locator("h2", has_text="Clean bid entering the market")).to_be_visible()
    sc.get_by_role("link", name=f"Day-ahead award of {UNIT}").click()
    expect(sc.locator("main")).to_contain_text(f"run {dam['id']}")
    expect(sc.locator("#hourly")).to_contain_text(f"{UNIT} by hour")
    summary = _cells(sc, UNIT)
    assert summary[1] == UNIT_NODE
    awarded_mwh, committed_hours, value = _number(summary[2]), int(summary[3]), _number(summary[4])
    assert awarded_mwh > 0 and committed_hours > 0, summary
    he18 = _cells(sc, "HE18")
    published = httpx.get(f"{market.base_url}/api/v1/prices", timeout=10, params={
        "trade_date": TRADE_DATE.isoformat(), "market": "DAM", "node": UNIT_NODE}).json()
    he18_start = CALENDAR.trade_day_start_utc(TRADE_DATE) + timedelta(hours=17)
    lmp = next(Decimal(p["lmp_usd_per_mwh"]) for p in published["prices"]
               if datetime.fromisoformat(p["interval_start_utc"]) == he18_start)
    assert he18[2] == f"{lmp:,.2f}", he18  # the price the SC sees is the published one
    assert _number(he18[3]) == (_number(he18[1]) * lmp).quantize(Decimal("0.01"))
    shot(sc, "23-day-ahead-awards", full_page=True)

    # --- 4. real time, meters, and the statement published on 28 July -------------------------
    submit_real_time_and_close(market.settings, TRADE_DATE, market.model_name)
    market.clock.set(CALENDAR.trade_day_end_utc(TRADE_DATE) + timedelta(hours=1))
    for real_time in ("FMM", "RTD"):
        run = _post(market, "/api/v1/market-runs", operator_api,
                    {"market": real_time, "trade_date": TRADE_DATE.isoformat()})
        assert run["status"] == "COMPLETED", run["failure_reason"]
    collect_meter_data(market.settings, TRADE_DATE)
    initial = CALENDAR.statement_schedule(TRADE_DATE)[0]
    market.clock.set(CALENDAR.trade_day_start_utc(initial.publication_date) + timedelta(hours=11))
    analyst = person(browser, market.base_url).new_page()
    log_in(analyst, "settlement@iso.example")
    settled = _post(market, f"/api/v1/settlement/trade-dates/{TRADE_DATE}/run",
                    _api_token(analyst, "settlement runs"), {"missing_meter": "use_expected"})
    assert Decimal(settled["total_usd"]) == 0  # the market nets to zero

    log_in_again(sc, company.email, NEW_COMPANY_PASSWORD)
    sc.get_by_role("navigation", name="Main").get_by_role("link", name="Statements").click()
    sc.get_by_label("Trade date").fill(TRADE_DATE.isoformat())
    sc.get_by_role("button", name="Show").click()
    expect(sc.locator("table tbody tr")).to_have_count(1)
    sc.get_by_role("link", name="initial v1").click()
    statement_path = sc.url.removeprefix(market.base_url)
    expect(sc.locator("h1")).to_contain_text(scid)
    expect(sc.locator(".facts")).to_contain_text("paid to the account")
    day_ahead = sc.locator("section", has=sc.locator("h2", has_text="Charge code 6011"))
    energy_line = day_ahead.locator("tr", has_text=UNIT).filter(has_text="ENERGY")
    cells = [c.strip() for c in energy_line.locator("td").all_inner_texts()]
    assert -_number(cells[2]) == awarded_mwh, cells  # the award's MWh, supplied (negative)
    assert cells[4].startswith("-$"), cells  # paid to the SC
    # ... what the awards page said the award was worth, but for the rounding of three parts.
    subtotal = _number(day_ahead.locator("h2 .muted").inner_text())
    assert abs(subtotal + value) <= Decimal("0.02"), (subtotal, value)
    # The bid's 3 steps in 24 hours are 72 segments, each charged the bid segment fee.
    fee = sc.locator("section", has=sc.locator("h2", has_text="Charge code 4515"))
    expect(fee.locator("tbody td").nth(2)).to_have_text("72")
    shot(sc, "24-new-sc-statement", full_page=True)

    # --- 5. another SC sees none of it -----------------------------------------------------------
    stranger = person(browser, market.base_url).new_page()
    log_in(stranger, "settlements@mesa.example")
    for path in (bid_path, f"/bids?scid={scid}&trade_date={TRADE_DATE}",
                 f"/awards?scid={scid}&trade_date={TRADE_DATE}", statement_path,
                 f"/api/v1/market-runs/{dam['id']}/awards?scid={scid}"):
        response = stranger.goto(path)
        assert response is not None and response.status == 404, path
    response = stranger.goto(f"/market-runs/{dam['id']}")
    assert response is not None and response.status == 403
    stranger.goto(f"/statements?trade_date={TRADE_DATE}")
    expect(stranger.locator("table tbody tr")).to_have_count(1)
    expect(stranger.locator("table")).to_contain_text("MPPA")
    expect(stranger.locator("table")).not_to_contain_text(scid)
    stranger.goto(f"/awards?trade_date={TRADE_DATE}")
    expect(stranger.locator("main")).to_contain_text("awarded MPPA for Wed 15 Jul 2020")
    expect(stranger.locator("main")).not_to_contain_text(UNIT)
    own_awards = stranger.request.get(f"/api/v1/market-runs/{dam['id']}/awards").json()
    assert own_awards and {row["scid"] for row in own_awards} == {"MPPA"}
    stranger.goto(statement_path)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Page not found")

    elapsed = time.monotonic() - started
    assert elapsed < TIME_BUDGET_SECONDS, f"the journey took {elapsed:.0f} s"
