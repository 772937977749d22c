"""In real headless Chromium: the demo's market day as its SCs see it.

`gridmarket demo --no-serve` runs a whole trade day into a fresh SQLite
database (bids through the API, DAM, real time, meter data, settlement,
invoices); then a real server shows it. The thermal SC's trader finds its bids
raw and clean, the public prices with the price map (by LMP and by congestion,
with the binding branches) and the system load, enters a bid in the bid editor,
and its settlement analyst the day's statement down to a line's interval rows. Another SC's
people get 404 for all of it. Screenshots go where the other journey's go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from tests.e2e.live_server import PASSWORD, live_server
from tests.e2e.pages import ACCESSIBILITY_CHECK, log_in, person
from typer.testing import CliRunner

from gridmarket.cli.main import app
from gridmarket.config import get_settings

TRADE_DATE = "2020-07-15"


@pytest.fixture(scope="module")
def market_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("market-day")
    database_url = f"sqlite:///{folder / 'market.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRIDMARKET_DATABASE_URL", database_url)
        patch.setenv("GRIDMARKET_DEMO_PASSWORD", PASSWORD)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["demo", "--date", TRADE_DATE, "--no-serve"])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "all accounts together: $0.00" in result.output
    with live_server(database_url, folder / "server.log") as base_url:
        yield base_url


def test_an_sc_sees_its_bids_prices_and_statement_and_another_sc_none_of_it(
    browser: Browser, market_day: str, screenshots: Path
) -> None:
    trader = person(browser, market_day).new_page()
    log_in(trader, "trader@desert.example")
    trader.goto(f"/bids?scid=DTGN&trade_date={TRADE_DATE}")
    expect(trader.locator("h1")).to_have_text("Bids")
    expect(trader.locator("table")).to_contain_text("Valid")
    first_bid = trader.locator("table a[href^='/bids/']").first
    bid_path = first_bid.get_attribute("href")
    assert bid_path is not None
    first_bid.click()
    expect(trader.locator("h2", has_text="Clean bid entering the market")).to_be_visible()
    expect(trader.locator("svg .curve")).to_have_count(2)
    assert trader.evaluate(ACCESSIBILITY_CHECK) == []
    trader.screenshot(path=screenshots / "14-bid-raw-and-clean.png")

    trader.goto(f"/prices?trade_date={TRADE_DATE}&market=DAM&interval=17")
    expect(trader.locator("h2", has_text="Price map at HE18")).to_be_visible()
    expect(trader.locator("svg.svg-map circle.bus")).to_have_count(73)
    expect(trader.locator("[aria-labelledby=dlap-heading] path.line")).to_have_count(3)
    # The system load: day-ahead forecast, DAM cleared load, real-time forecast.
    expect(trader.locator("[aria-labelledby=load-heading] path.line")).to_have_count(3)
    assert trader.evaluate(ACCESSIBILITY_CHECK) == []
    trader.screenshot(path=screenshots / "15-prices-and-price-map.png", full_page=True)
    # HE2 of the demo's DAM is congested: colour by congestion, see the binding branch.
    trader.select_option("#p-interval", "1")
    trader.select_option("#p-colour", "mcc")
    trader.locator("#p-colour").locator("xpath=ancestor::form").locator("button").click()
    expect(trader.locator("#pmap-title")).to_contain_text("congestion part (MCC)")
    expect(trader.locator("line.link--binding[data-binding]")).not_to_have_count(0)
    expect(trader.locator("#binding-branches tbody tr")).not_to_have_count(0)

    # The bid editor draws the curve as it is typed and places the ISO's check beside it.
    open_day = (date.today() + timedelta(days=3)).isoformat()
    trader.goto(f"/bids/new?scid=DTGN&trade_date={open_day}")
    trader.fill("[name=resource]", "101_STEAM_3")
    for step, (mw, price) in enumerate((("45", "24"), ("40", "26")), start=1):
        trader.fill(f"[name='segments[{step}].mw']", mw)
        trader.fill(f"[name='segments[{step}].price']", price)
    expect(trader.locator("#curve-preview path.curve")).to_have_count(1)
    trader.locator("[name='segments[2].price']").blur()
    expect(trader.locator("[id='f-segments-2.mw-error']")).to_contain_text("not above 45 MW")
    expect(trader.locator("#check-result")).to_contain_text("invalid")
    assert trader.evaluate(ACCESSIBILITY_CHECK) == []
    trader.screenshot(path=screenshots / "20-bid-editor.png", full_page=True)

    analyst = person(browser, market_day).new_page()
    log_in(analyst, "settlements@desert.example")
    analyst.goto(f"/statements?trade_date={TRADE_DATE}")
    statement = analyst.locator("table a[href^='/statements/']").first
    statement_path = statement.get_attribute("href")
    assert statement_path is not None
    statement.click()
    expect(analyst.locator("h1")).to_contain_text("DTGN")
    expect(analyst.locator("h2", has_text="Charge code 6011")).to_be_visible()
    assert analyst.evaluate(ACCESSIBILITY_CHECK) == []
    analyst.screenshot(path=screenshots / "16-statement.png")
    analyst.locator("a[href*='/lines/']").first.click()
    expect(analyst.locator("h2", has_text="Bill determinants")).to_be_visible()
    expect(analyst.locator("p", has_text=re.compile(r"\d+ rows?"))).to_be_visible()

    stranger = person(browser, market_day).new_page()
    log_in(stranger, "settlements@mesa.example")
    for path in (bid_path, statement_path, f"/bids?scid=DTGN&trade_date={TRADE_DATE}"):
        response = stranger.goto(path)
        assert response is not None and response.status == 404, path


def test_an_sc_follows_its_desk_to_its_invoice_credit_and_meter_data(
    browser: Browser, market_day: str, screenshots: Path
) -> None:
    # The server runs on today's clock, so the demo's invoices of Aug 2020 are long overdue.
    analyst = person(browser, market_day).new_page()
    log_in(analyst, "settlements@mesa.example")
    alerts = analyst.locator("section", has=analyst.locator("h2", has_text="Billing and credit"))
    expect(alerts).to_contain_text("invoice(s) overdue")
    alerts.get_by_role("link").first.click()
    expect(analyst.locator("h1")).to_have_text("Invoices")
    expect(analyst.locator("table tbody tr")).to_have_count(1)
    expect(analyst.locator("table")).to_contain_text("Overdue")
    analyst.locator("table a[href^='/invoices/']").click()
    invoice_path = analyst.url.removeprefix(market_day)
    expect(analyst.locator("h2", has_text="Late-payment penalty")).to_be_visible()
    expect(analyst.locator("table").first).to_contain_text("MPPA")
    assert analyst.evaluate(ACCESSIBILITY_CHECK) == []
    analyst.screenshot(path=screenshots / "17-invoice.png", full_page=True)

    analyst.get_by_role("link", name="Credit", exact=True).click()
    expect(analyst.locator("h1")).to_contain_text("Mesa Public Power")
    expect(analyst.locator("svg.gauge")).to_be_visible()
    expect(analyst.locator("table").first).to_contain_text("EAL now")
    credit_path = analyst.url.removeprefix(market_day)
    assert analyst.evaluate(ACCESSIBILITY_CHECK) == []
    analyst.screenshot(path=screenshots / "18-credit.png", full_page=True)

    analyst.get_by_role("link", name="Meter data", exact=True).click()
    expect(analyst.locator("h2", has_text="Wed 15 Jul 2020")).to_be_visible()
    analyst.get_by_role("link", name="Upload meter data (SQMD)").click()
    expect(analyst.get_by_label("CSV file")).to_be_visible()
    expect(analyst.locator("main")).to_contain_text("SC-metered resources of MPPA")
    assert analyst.evaluate(ACCESSIBILITY_CHECK) == []

    monitor = person(browser, market_day).new_page()
    log_in(monitor, "credit@iso.example")
    monitor.get_by_role("link", name="Credit monitor").click()
    expect(monitor.locator("table tbody tr")).to_have_count(8)
    assert monitor.evaluate(ACCESSIBILITY_CHECK) == []
    monitor.screenshot(path=screenshots / "19-credit-monitor.png")

    stranger = person(browser, market_day).new_page()
    log_in(stranger, "settlements@desert.example")
    for path in (invoice_path, credit_path, "/meter-data?scid=MPPA"):
        response = stranger.goto(path)
        assert response is not None and response.status == 404, path
