"""In real headless Chromium against a real server: a new company becomes a certified SC.

The journey of ``tests/test_participants_api.py`` done through the pages: a new
company registers, logs in and applies (a wrong SCID is named beside its
field); the ISO reviews, walks the checklist and records the SC Agreement; the
applicant uploads evidence, passes the connectivity test with an API token
made on the tokens page, and the exam in the browser; the ISO certifies it and
the new SC sees its SCID on its home page. Another SC's person gets 404 on
every one of its pages. The ISO's other pages are visited on the way.

The steps up to the certified SC are :func:`tests.e2e.pages.certify_new_company`,
shared with the journey that goes on to bid and settle
(``test_new_sc_market_journey.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.live_server import SeededMarket, live_server, seed_market
from tests.e2e.pages import accessible, certify_new_company, log_in, notice, person

TIME_BUDGET_SECONDS = 60


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeededMarket]]:
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'market.sqlite'}"
    seeded = seed_market(database_url)
    with live_server(database_url, folder / "server.log") as base_url:
        yield base_url, seeded


def test_a_new_company_becomes_a_certified_sc_in_the_browser(
    browser: Browser, market: tuple[str, SeededMarket], screenshots: Path
) -> None:
    started = time.monotonic()
    base_url, seeded = market

    def shot(page: Page, name: str, *, full_page: bool = False) -> None:
        accessible(page, name)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=screenshots / f"{name}.png", full_page=full_page)

    # --- the public home page, by keyboard first -------------------------------------------
    visitor = person(browser, base_url).new_page()
    visitor.goto("/")
    visitor.keyboard.press("Tab")
    expect(visitor.locator(":focus")).to_have_text("Skip to content")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Market overview")
    shot(visitor, "01-market-overview")

    # --- registration, application, checklist, exam, certification ---------------------------
    company = certify_new_company(browser, base_url, shot, today=date.today())
    page, desk = company.page, company.desk
    application_url, coordinator_path = company.application_url, company.coordinator_path
    first_choice = company.scid
    page.goto(f"/scids/{first_choice}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_choice)

    # --- another SC sees none of it ---------------------------------------------------------
    other = person(browser, base_url)
    stranger = other.new_page()
    log_in(stranger, "uaa@desert.example")
    for path in (
        application_url,
        f"{application_url}/exam",
        f"{application_url}/checklist/FINANCIAL_SECURITY/evidence/1",
        coordinator_path,
        f"/scids/{first_choice}",
    ):
        response = stranger.goto(path)
        assert response is not None and response.status == 404, path
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Page not found")
    shot(stranger, "09-another-sc-gets-404")

    # --- the ISO's other pages --------------------------------------------------------------
    desk.goto(f"/resources/{seeded.thermal_resource_id}")
    expect(desk.locator("svg.svg-chart path.curve")).to_be_visible()
    shot(desk, "10-resource-cost-curve")
    desk.goto(f"/transfers/{seeded.transfer_id}")
    letter = desk.request.get(f"/transfers/{seeded.transfer_id}/documents/NEW_SC_ACCEPTANCE_LETTER")
    assert letter.status == 200 and letter.body().startswith(b"%PDF")
    desk.get_by_role("button", name="Approve").click()
    notice(desk, "Transfer approved")
    shot(desk, "11-transfer-approved")
    desk.goto("/network")
    expect(desk.locator("svg.svg-map line.link--hvdc")).to_have_count(1)
    shot(desk, "12-network-map", full_page=True)

    admin = person(browser, base_url).new_page()
    log_in(admin, "admin@iso.example")
    admin.get_by_role("link", name="Audit log").click()
    admin.get_by_role("button", name="Verify the chain").click()
    expect(admin.locator("#verification")).to_contain_text("Audit chain intact")
    shot(admin, "13-audit-log")

    elapsed = time.monotonic() - started
    assert elapsed < TIME_BUDGET_SECONDS, f"the journey took {elapsed:.0f} s"
