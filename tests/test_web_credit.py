"""Credit pages: an SC's limit, security, liability and calls; the ISO's monitor; SCs kept apart.

On Wed 1 Jul 2020 (noon PT), three SCs, each with one SCID granted on 1 Jun, so the
month's SCID charge ($1,000, not yet on a statement) is in every EAL as an estimated fee:

* hot: UCL $300,000 ($20M × 1.5%, BBB−) + cash $100,000 = ACL $400,000; a virtual bid
  holds $379,000 → EAL $380,000, 95.0% used, available $20,000 (a warning notice);
* cool: UCL $300,000, EAL $1,000 (0.3%);
* short: no UCL and the participation requirements not met, so $500,000 of security is
  held for them: ACL −$500,000 < EAL $1,000 → a collateral call of $501,000, due Mon 6 Jul.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import AccessWorld
from tests.test_credit_support import pacific_noon
from tests.web_helpers import PASSWORD, log_in, nav_labels, refusals, text_of

from gridmarket.access.models import OrganisationKind, Role
from gridmarket.api.app import create_app
from gridmarket.config import AccessRules, MarketParameters, Settings
from gridmarket.credit.financial_security import SecurityForm, post_financial_security
from gridmarket.credit.models import SecurityKind
from gridmarket.credit.profiles import CreditProfileForm, set_credit_profile
from gridmarket.credit.reservations import reserve_credit
from gridmarket.db.engine import make_session_factory, unit_of_work

TODAY = date(2020, 7, 1)
CLOCK = pacific_noon(TODAY)


@dataclass(frozen=True)
class Cast:
    hot: int
    cool: int
    short: int
    hot_trader: str
    cool_uaa: str
    short_trader: str
    credit_analyst: str
    settlement_analyst: str


def _profile(tnw: str, assets: str, rating: str | None) -> CreditProfileForm:
    return CreditProfileForm.model_validate({
        "tangible_net_worth_usd": tnw, "total_assets_usd": assets, "rating": rating,
        "financials_as_of": "2019-12-31"})


@pytest.fixture
def cast(engine: Engine, access_rules: AccessRules,
         access_parameters: MarketParameters) -> Cast:
    with unit_of_work(make_session_factory(engine)) as session:
        world = AccessWorld(session, access_rules, CLOCK)
        iso = world.organisation(OrganisationKind.ISO)
        analyst = world.person(iso, Role.CREDIT_ANALYST, password=PASSWORD)
        settlement = world.person(iso, Role.SETTLEMENT_ANALYST_ISO, password=PASSWORD)
        (hot_org, [hot]), (cool_org, [cool]), (short_org, [short]) = (
            world.scheduling_coordinator() for _ in range(3))
        principal = world.principal(analyst)
        for scid, profile in ((hot, _profile("20000000", "60000000", "BBB-")),
                              (cool, _profile("20000000", "60000000", "BBB-")),
                              (short, _profile("500000", "2000000", None))):
            set_credit_profile(session, principal, scid.scheduling_coordinator_id, profile,
                               access_parameters, CLOCK)
        post_financial_security(session, principal, hot.scheduling_coordinator_id, SecurityForm(
            kind=SecurityKind.CASH_DEPOSIT, amount_usd=Decimal("100000"),
            instrument_reference="WIRE 0701"), access_parameters, CLOCK)
        check = reserve_credit(session, hot.code, Decimal("379000.00"), "VB-HOT",
                               parameters=access_parameters, clock=CLOCK)
        assert check.bid_credit_status == "PASSED"
        return Cast(
            hot.scheduling_coordinator_id, cool.scheduling_coordinator_id,
            short.scheduling_coordinator_id,
            world.person(hot_org, Role.TRADER, scids=(hot,), password=PASSWORD).email,
            world.person(cool_org, Role.USER_ACCESS_ADMINISTRATOR, scids=(cool,),
                         password=PASSWORD).email,
            world.person(short_org, Role.TRADER, scids=(short,), password=PASSWORD).email,
            analyst.email, settlement.email)


@pytest.fixture
def client(database_url: str, access_parameters: MarketParameters) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, market=access_parameters))
    app.state.clock = CLOCK
    with TestClient(app) as test_client:
        yield test_client


def test_an_sc_sees_its_limit_security_liability_and_utilisation(client: TestClient,
                                                                 cast: Cast) -> None:
    log_in(client, cast.hot_trader)
    assert "Credit" in nav_labels(client.get("/").text)
    home = client.get("/credit", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == f"/credit/{cast.hot}"
    page = client.get(f"/credit/{cast.hot}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert ("95.0% of the aggregate credit limit is used: estimated aggregate liability "
            "$380,000.00 against a limit of $400,000.00. Available credit: $20,000.00") in text
    assert "Aggregate credit limit (ACL) $400,000.00" in text
    assert "Unsecured credit limit (UCL) $300,000.00" in text
    assert "Financial security counted $100,000.00" in text
    assert "Estimated fees" in text and "$1,000.00" in text
    assert "Outstanding virtual bids 1 bid, MW × the location's reference price $379,000.00" in (
        text.replace("&#39;", "'"))
    assert "EAL now $380,000.00" in text
    assert "Cash deposit WIRE 0701 Wed 01 Jul 2020 open-ended yes $100,000.00" in text
    assert "No collateral call." in text
    assert "Credit utilisation 95.0% of your aggregate credit limit" in text
    gauge = re.search(r'<svg [^>]*class="gauge gauge--(\w+)".*?</svg>', page.text, flags=re.S)
    assert gauge and gauge.group(1) == "warning"
    bar = re.search(r'class="gauge-track"/>\s*<rect x="0" y="0" width="([\d.]+)"', gauge.group(0))
    assert bar and float(bar.group(1)) == pytest.approx(0.95 / 1.25 * 480, abs=0.1)


def test_an_open_collateral_call_is_on_the_credit_page_and_the_desk(client: TestClient,
                                                                    cast: Cast) -> None:
    log_in(client, cast.short_trader)
    page = client.get(f"/credit/{cast.short}")
    text = text_of(page.text)
    assert ("Collateral call open: post $501,000.00 of financial security by the end of "
            "Mon 06 Jul 2020") in text
    assert ("Over the limit, which is not positive: estimated aggregate liability $1,000.00 "
            "against a limit of -$500,000.00. Available credit: -$501,000.00") in text
    assert "Held for participation requirements $500,000.00" in text
    assert "Wed 01 Jul 2020 Mon 06 Jul 2020 $1,000.00 -$500,000.00 $501,000.00 Open" in text
    assert 'class="gauge gauge--over"' in page.text
    desk = client.get("/")
    assert 'href="/credit"' in desk.text
    desk_text = text_of(desk.text)
    assert "Collateral call: post $501,000.00 of security by Mon 06 Jul 2020" in desk_text
    # The call's notice on the desk leads to the credit page.
    assert re.search(r'<a href="/credit">Collateral call: post \$501,000.00 of financial security',
                     desk.text)


def test_the_monitor_puts_calls_and_high_utilisation_first_and_highlights_them(
        client: TestClient, cast: Cast) -> None:
    log_in(client, cast.credit_analyst)
    assert "Credit monitor" in nav_labels(client.get("/").text)
    page = client.get("/credit")
    assert page.status_code == 200
    rows = re.findall(r'<tr( class="row--attention")?><th scope="row"><a href="/credit/(\d+)">',
                      page.text)
    mine = [(int(sc), bool(flag)) for flag, sc in rows
            if int(sc) in (cast.hot, cast.cool, cast.short)]
    assert mine == [(cast.short, True), (cast.hot, True), (cast.cool, False)]
    text = text_of(page.text)
    assert "over (no positive limit)" in text and "95.0%" in text and "0.3%" in text
    assert "$501,000.00 due Mon 06 Jul 2020" in text
    assert client.get(f"/credit/{cast.hot}").status_code == 200


def test_credit_stays_with_its_sc_and_the_monitor_with_credit_analysts(
        client: TestClient, cast: Cast, engine: Engine) -> None:
    log_in(client, cast.cool_uaa)
    for other in (cast.hot, cast.short):
        before = refusals(engine)
        response = client.get(f"/credit/{other}")
        assert response.status_code == 404 and "Page not found" in response.text
        assert refusals(engine) == before + 1
    assert client.get("/credit", follow_redirects=False).headers["location"] == (
        f"/credit/{cast.cool}")
    log_in(client, cast.settlement_analyst)
    assert "Credit monitor" not in nav_labels(client.get("/").text)
    refused = client.get("/credit")
    assert refused.status_code == 403 and "manage credit" in refused.text
    client.cookies.clear()
    for path in ("/credit", f"/credit/{cast.hot}"):
        anonymous = client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
