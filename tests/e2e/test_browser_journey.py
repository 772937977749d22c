"""In real headless Chromium against a real server: a new company becomes a certified SC.

The journey of ``tests/test_participants_api.py`` done through the pages: a new
company registers, logs in and applies (a wrong SCID is named beside its
field); the ISO reviews, walks the checklist and records the SC Agreement; the
applicant uploads evidence, passes the connectivity test with an API token
made on the tokens page, and the exam in the browser; the ISO certifies it and
the new SC sees its SCID on its home page. Another SC's person gets 404 on
every one of its pages. The ISO's other pages are visited on the way.

Debian's ``chromium`` must be installed (``.ci/run`` installs it): without it
the test fails rather than skips. Screenshots of the main pages go to
``GRIDMARKET_SCREENSHOTS_DIR`` when set (``docs/screenshots`` for the README),
else to a temporary folder.
"""

from __future__ import annotations

import os
import random
import re
import string
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from tests.e2e.live_server import PASSWORD, SeededMarket, live_server, seed_market

from gridmarket.config import MarketParameters
from gridmarket.participants.exam import question_bank

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIME_BUDGET_SECONDS = 60
PDF = b"%PDF-1.4\n% signed evidence\n%%EOF\n"
EVIDENCE_ITEMS = (
    "FINANCIAL_SECURITY",
    "OFFICER_CERTIFICATION",
    "POINT_OF_CONTACT",
    "EMERGENCY_PLAN",
)
ISO_RECORDED_ITEMS = ("TRAINING", "EFT_TEST", "REAL_TIME_CONTACT_TEST")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
            ".ci/run does this when it is missing",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeededMarket]]:
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'market.sqlite'}"
    seeded = seed_market(database_url)
    with live_server(database_url, folder / "server.log") as base_url:
        yield base_url, seeded


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GRIDMARKET_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _person(browser: Browser, base_url: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 860}, device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    return context


def _log_in(page: Page, email: str, password: str = PASSWORD, *, go_to_login: bool = True) -> None:
    if go_to_login:
        page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".notice")).to_contain_text(f"Logged in as {email}")


def _notice(page: Page, text: str) -> None:
    expect(page.locator(".notice").first).to_contain_text(text)


ACCESSIBILITY_CHECK = """() => {
  const problems = [];
  for (const control of document.querySelectorAll("input, select, textarea")) {
    if (control.type === "hidden") continue;
    if (!control.labels.length && !control.getAttribute("aria-label")) {
      problems.push(`unlabelled ${control.tagName.toLowerCase()} ${control.name}`);
    }
  }
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  if (headings.filter((h) => h.tagName === "H1").length !== 1) problems.push("not one h1");
  let previous = 0;
  for (const heading of headings) {
    const level = Number(heading.tagName[1]);
    if (level > previous + 1) problems.push(`${heading.tagName} after h${previous}`);
    previous = level;
  }
  if (document.querySelector("a.skip")?.getAttribute("href") !== "#main") {
    problems.push("no skip link");
  }
  return problems;
}"""
"""Labels on every control, one h1, headings in order, a skip link."""


def _scid() -> str:
    return random.choice(string.ascii_uppercase) + "".join(
        random.choices(string.ascii_uppercase + string.digits, k=3)
    )


def test_a_new_company_becomes_a_certified_sc_in_the_browser(
    browser: Browser, market: tuple[str, SeededMarket], screenshots: Path
) -> None:
    started = time.monotonic()
    base_url, seeded = market

    def shot(page: Page, name: str, *, full_page: bool = False) -> None:
        assert page.evaluate(ACCESSIBILITY_CHECK) == [], f"{name}: accessibility"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=screenshots / f"{name}.png", full_page=full_page)

    # --- the public home page, by keyboard first -------------------------------------------
    applicant = _person(browser, base_url)
    page = applicant.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    expect(page.get_by_role("heading", level=1)).to_have_text("Market overview")
    shot(page, "01-market-overview")

    # --- a new company registers, logs in and applies ----------------------------------------
    first_choice = _scid()
    email = f"uaa@{first_choice.lower()}.example"
    page.get_by_role("link", name="Register your company").click()
    page.get_by_label("Company name").fill(f"Juniper Power {first_choice}")
    page.get_by_label("Your name").fill("Jo Juniper")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_label("Password again").fill("correct horse battery staple")
    page.get_by_role("button", name="Register").click()
    _notice(page, "is registered")
    _log_in(page, email, "correct horse battery staple", go_to_login=False)
    expect(page).to_have_url(re.compile(r"/applications/new$"))

    page.get_by_label("Legal name").fill(f"Juniper Power {first_choice} LLC")
    page.get_by_label("Type of entity").select_option("POWER_MARKETER")
    page.get_by_label("State of incorporation").fill("Nevada")
    page.get_by_label("Proposed start date").fill("2031-10-01")
    page.get_by_label("First SCID choice").fill(first_choice)
    page.get_by_label("Second SCID choice").fill("9BAD")
    page.get_by_label("Third SCID choice").fill(_scid())
    page.get_by_label("Street address").fill("1 Main Street")
    page.get_by_label("City").fill("Reno")
    page.get_by_label("State or region").fill("NV")
    page.get_by_label("Postal code").fill("89501")
    page.get_by_label("Country").fill("US")
    page.locator("input[name=uses_scheduling_agent][value=no]").check()
    page.get_by_label("Generators").check()
    page.locator("input[name=has_sc_metered_entities][value=no]").check()
    page.get_by_role("button", name="Send the application").click()
    # The wrong choice is named beside its field, and the summary links to it.
    expect(page.locator("#f-scid_choices-2-error")).to_contain_text("'9BAD' must be exactly 4")
    expect(page.locator(".error-summary")).to_be_focused()
    shot(page, "02-application-form-error", full_page=True)
    page.get_by_label("Second SCID choice").fill(_scid())
    page.get_by_role("button", name="Send the application").click()
    _notice(page, "Application received")
    application_url = page.url.removeprefix(base_url)
    application_id = int(application_url.rsplit("/", 1)[1])
    expect(page.locator(".facts").first).to_contain_text("Completeness answer due")

    # --- the ISO reviews and opens certification -------------------------------------------
    iso = _person(browser, base_url)
    desk = iso.new_page()
    _log_in(desk, "certification@iso.example")
    desk.get_by_role("link", name="Applications", exact=True).click()
    expect(desk.get_by_role("link", name=f"Juniper Power {first_choice} LLC")).to_be_visible()
    shot(desk, "03-iso-application-queue")
    desk.get_by_role("link", name=f"Juniper Power {first_choice} LLC").click()
    desk.get_by_label("Payment reference").fill("WIRE-1")
    desk.get_by_role("button", name="Record fee").click()
    _notice(desk, "Fee recorded")
    desk.get_by_role("button", name="Start the review").click()
    desk.get_by_role("button", name="Accept as complete").click()
    _notice(desk, "accepted as complete")
    desk.get_by_label("Certification specialist").select_option(
        label="Western Interconnect ISO Certification Specialist (certification@iso.example)"
    )
    desk.get_by_role("button", name="Assign and open the checklist").click()
    _notice(desk, "the checklist is open")
    for code in ISO_RECORDED_ITEMS:
        desk.locator(f"#item-{code}").get_by_role("button", name="Accept").click()
        _notice(desk, "accepted")
    desk.get_by_label("Agreement").select_option("SC_AGREEMENT")
    desk.get_by_label("Signed on").fill("2031-07-01")
    desk.get_by_label("Signed document (PDF)").set_input_files(
        {"name": "sc-agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    desk.get_by_role("button", name="Record agreement").click()
    _notice(desk, "Agreement recorded")

    # --- the applicant: evidence, connectivity test, exam --------------------------------------
    page.goto(application_url)
    for code in EVIDENCE_ITEMS:
        row = page.locator(f"#item-{code}")
        row.locator("input[type=file]").set_input_files(
            {"name": f"{code.lower()}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        row.get_by_role("button", name="Send evidence").click()
        _notice(page, "Evidence sent for review")
    expect(page.locator("pre.command")).to_contain_text(f"/api/v1/applications/{application_id}")
    shot(page, "04-applicant-checklist", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My API tokens").click()
    page.get_by_label("Name").fill("connectivity test")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("gmk_")
    command = page.locator("#connectivity-command").inner_text()
    assert command.endswith(f"/api/v1/applications/{application_id}/connectivity-test")
    connectivity = httpx.post(
        command.rsplit(" ", 1)[1], headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert connectivity.status_code == 200, connectivity.text
    page.evaluate("document.querySelector('#new-token').textContent = 'gmk_••••••••'")
    page.evaluate(
        "document.querySelector('#connectivity-command').textContent = "
        "document.querySelector('#connectivity-command').textContent"
        ".replace(/gmk_[A-Za-z0-9_-]+/, 'gmk_••••••••')"
    )
    shot(page, "05-api-tokens")

    page.goto(f"{application_url}/exam")
    page.get_by_role("button", name="Start an attempt").click()
    answers = {q.id: q.answer for q in question_bank(MarketParameters())}
    questions = page.locator("fieldset[data-question]")
    expect(questions.first).to_be_visible()
    for index in range(questions.count()):
        question = questions.nth(index)
        correct = answers[question.get_attribute("data-question") or ""]
        question.locator(f"input[type=radio][value='{correct}']").check()
    shot(page, "06-exam")
    page.get_by_role("button", name="Send the answer sheet").click()
    _notice(page, "You scored 100%: passed")

    # --- the ISO accepts the evidence and certifies ------------------------------------------
    desk.goto(application_url)
    for code in EVIDENCE_ITEMS:
        desk.locator(f"#item-{code}").get_by_role("button", name="Accept").click()
        _notice(desk, "accepted")
    expect(desk.locator("#item-EMERGENCY_PLAN")).to_contain_text("Accepted")
    shot(desk, "07-iso-checklist-done", full_page=True)
    desk.get_by_role("button", name="Certify and grant the SCID").click()
    _notice(desk, f"holds SCID {first_choice}")
    coordinator_path = desk.get_by_role(
        "link", name="The scheduling coordinator's page"
    ).get_attribute("href")
    assert coordinator_path is not None

    # --- the new SC sees its SCID on its home page ----------------------------------------------
    page.goto("/")
    expect(page.locator("a.scid", has_text=first_choice).first).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My SC")
    shot(page, "08-sc-home")
    page.goto(f"/scids/{first_choice}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first_choice)

    # --- another SC sees none of it ---------------------------------------------------------
    other = _person(browser, base_url)
    stranger = other.new_page()
    _log_in(stranger, "uaa@desert.example")
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
    _notice(desk, "Transfer approved")
    shot(desk, "11-transfer-approved")
    desk.goto("/network")
    expect(desk.locator("svg.svg-map line.link--hvdc")).to_have_count(1)
    shot(desk, "12-network-map", full_page=True)

    admin = _person(browser, base_url).new_page()
    _log_in(admin, "admin@iso.example")
    admin.get_by_role("link", name="Audit log").click()
    admin.get_by_role("button", name="Verify the chain").click()
    expect(admin.locator("#verification")).to_contain_text("Audit chain intact")
    shot(admin, "13-audit-log")

    elapsed = time.monotonic() - started
    assert elapsed < TIME_BUDGET_SECONDS, f"the journey took {elapsed:.0f} s"
