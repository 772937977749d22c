"""What the browser journeys do on the pages: people, logging in, checks, certifying a company.

:func:`certify_new_company` is the whole way from registration to a certified
SC through the pages (application, checklist, evidence, connectivity test
with an API token, exam, the ISO's review), shared by the journeys that
start with a new company.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.e2e.live_server import PASSWORD

from gridmarket.config import MarketParameters
from gridmarket.participants.exam import question_bank

PDF = b"%PDF-1.4\n% signed evidence\n%%EOF\n"
EVIDENCE_ITEMS = (
    "FINANCIAL_SECURITY",
    "OFFICER_CERTIFICATION",
    "POINT_OF_CONTACT",
    "EMERGENCY_PLAN",
)
ISO_RECORDED_ITEMS = ("TRAINING", "EFT_TEST", "REAL_TIME_CONTACT_TEST")
NEW_COMPANY_PASSWORD = "correct horse battery staple"

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

Shot = Callable[..., None]
"""``shot(page, name, full_page=False)``: check a page and, where wanted, photograph it."""


def accessible(page: Page, name: str) -> None:
    assert page.evaluate(ACCESSIBILITY_CHECK) == [], f"{name}: accessibility"


def check_only(page: Page, name: str, *, full_page: bool = False) -> None:
    """A :data:`Shot` that checks the page and takes no picture."""
    accessible(page, name)


def person(browser: Browser, base_url: str) -> BrowserContext:
    """A browser of its own (its own cookies): one person at one desk."""
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 860}, device_scale_factor=1
    )
    context.set_default_timeout(10_000)
    return context


def log_in(page: Page, email: str, password: str = PASSWORD, *, go_to_login: bool = True) -> None:
    if go_to_login:
        page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".notice")).to_contain_text(f"Logged in as {email}")


def notice(page: Page, text: str) -> None:
    expect(page.locator(".notice").first).to_contain_text(text)


def new_scid() -> str:
    return random.choice(string.ascii_uppercase) + "".join(
        random.choices(string.ascii_uppercase + string.digits, k=3)
    )


@dataclass(frozen=True)
class CertifiedCompany:
    scid: str
    legal_name: str
    email: str
    """Of its user access administrator, who applied (password :data:`NEW_COMPANY_PASSWORD`)."""
    application_url: str
    coordinator_path: str
    page: Page
    """The user access administrator's page, logged in."""
    desk: Page
    """The ISO certification specialist's page, logged in."""


def certify_new_company(browser: Browser, base_url: str, shot: Shot, *, today: date
                        ) -> CertifiedCompany:
    """A new company registers and applies; the ISO certifies it; it sees its SCID.

    ``today`` is the server's trade date (dates typed in the forms follow it);
    ``shot`` is called on the pages worth a picture.
    """
    applicant = person(browser, base_url)
    page = applicant.new_page()
    page.goto("/")
    first_choice = new_scid()
    email = f"uaa@{first_choice.lower()}.example"
    legal_name = f"Juniper Power {first_choice} LLC"
    page.get_by_role("link", name="Register your company").click()
    page.get_by_label("Company name").fill(f"Juniper Power {first_choice}")
    page.get_by_label("Your name").fill("Jo Juniper")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_COMPANY_PASSWORD)
    page.get_by_label("Password again").fill(NEW_COMPANY_PASSWORD)
    page.get_by_role("button", name="Register").click()
    notice(page, "is registered")
    log_in(page, email, NEW_COMPANY_PASSWORD, go_to_login=False)
    expect(page).to_have_url(f"{base_url}/applications/new")

    page.get_by_label("Legal name").fill(legal_name)
    page.get_by_label("Type of entity").select_option("POWER_MARKETER")
    page.get_by_label("State of incorporation").fill("Nevada")
    page.get_by_label("Proposed start date").fill((today + timedelta(days=90)).isoformat())
    page.get_by_label("First SCID choice").fill(first_choice)
    page.get_by_label("Second SCID choice").fill("9BAD")
    page.get_by_label("Third SCID choice").fill(new_scid())
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
    page.get_by_label("Second SCID choice").fill(new_scid())
    page.get_by_role("button", name="Send the application").click()
    notice(page, "Application received")
    application_url = page.url.removeprefix(base_url)
    application_id = int(application_url.rsplit("/", 1)[1])
    expect(page.locator(".facts").first).to_contain_text("Completeness answer due")

    # --- the ISO reviews and opens certification -------------------------------------------
    desk = person(browser, base_url).new_page()
    log_in(desk, "certification@iso.example")
    desk.get_by_role("link", name="Applications", exact=True).click()
    expect(desk.get_by_role("link", name=legal_name)).to_be_visible()
    shot(desk, "03-iso-application-queue")
    desk.get_by_role("link", name=legal_name).click()
    desk.get_by_label("Payment reference").fill("WIRE-1")
    desk.get_by_role("button", name="Record fee").click()
    notice(desk, "Fee recorded")
    desk.get_by_role("button", name="Start the review").click()
    desk.get_by_role("button", name="Accept as complete").click()
    notice(desk, "accepted as complete")
    desk.get_by_label("Certification specialist").select_option(
        label="Western Interconnect ISO Certification Specialist (certification@iso.example)"
    )
    desk.get_by_role("button", name="Assign and open the checklist").click()
    notice(desk, "the checklist is open")
    for code in ISO_RECORDED_ITEMS:
        desk.locator(f"#item-{code}").get_by_role("button", name="Accept").click()
        notice(desk, "accepted")
    desk.get_by_label("Agreement").select_option("SC_AGREEMENT")
    desk.get_by_label("Signed on").fill(today.isoformat())
    desk.get_by_label("Signed document (PDF)").set_input_files(
        {"name": "sc-agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    desk.get_by_role("button", name="Record agreement").click()
    notice(desk, "Agreement recorded")

    # --- the applicant: evidence, connectivity test, exam --------------------------------------
    page.goto(application_url)
    for code in EVIDENCE_ITEMS:
        row = page.locator(f"#item-{code}")
        row.locator("input[type=file]").set_input_files(
            {"name": f"{code.lower()}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        row.get_by_role("button", name="Send evidence").click()
        notice(page, "Evidence sent for review")
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
    notice(page, "You scored 100%: passed")

    # --- the ISO accepts the evidence and certifies ------------------------------------------
    desk.goto(application_url)
    for code in EVIDENCE_ITEMS:
        desk.locator(f"#item-{code}").get_by_role("button", name="Accept").click()
        notice(desk, "accepted")
    expect(desk.locator("#item-EMERGENCY_PLAN")).to_contain_text("Accepted")
    shot(desk, "07-iso-checklist-done", full_page=True)
    desk.get_by_role("button", name="Certify and grant the SCID").click()
    notice(desk, f"holds SCID {first_choice}")
    coordinator_path = desk.get_by_role(
        "link", name="The scheduling coordinator's page"
    ).get_attribute("href")
    assert coordinator_path is not None

    # --- the new SC sees its SCID on its home page ----------------------------------------------
    page.goto("/")
    expect(page.locator("a.scid", has_text=first_choice).first).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My SC")
    shot(page, "08-sc-home")
    return CertifiedCompany(first_choice, legal_name, email, application_url, coordinator_path,
                            page, desk)
