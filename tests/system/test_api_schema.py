"""Schemathesis against the whole OpenAPI schema, as several people and as nobody.

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid
and invalid, on a copy of the seeded demo market (PostgreSQL), each sent as
one of: an SC's trader, its user access administrator, its settlement
analyst, the ISO's market operator, the ISO's administrator, or nobody. No
answer may be a server error, and every answer must match what the schema
says of the operation (status code, content type, body, headers).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode
from tests.system.conftest import ROLE_EMAILS, SeededMarket, market_copy

from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings

pytestmark = pytest.mark.system

EXAMPLES_PER_OPERATION = 12
PEOPLE = [*ROLE_EMAILS, "nobody"]
CONFIG = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {
    # A request the schema allows may still break a market rule: 422 says which and where.
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}}})
SECONDS = 300
"""Past this the remaining operations are left out and the test fails."""


@pytest.fixture(scope="module")
def api(seeded_market: SeededMarket, access_parameters: MarketParameters
        ) -> Iterator[schemathesis.BaseSchema]:
    """The application in process on a copy of the seeded market (cheap password hashing)."""
    with market_copy(seeded_market, "_schema") as url:
        settings = Settings(database_url=url, market=access_parameters)
        app = create_app(settings)
        app.state.clock = FixedClock(seeded_market.market.clock)
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=CONFIG)
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def credentials(seeded_market: SeededMarket) -> dict[str, dict[str, str]]:
    headers = {role: {"Authorization": f"Bearer {secret}"}
               for role, secret in seeded_market.tokens.items()}
    return {**headers, "nobody": {}}


def _findings(operation: APIOperation, mode: GenerationMode,
              credentials: dict[str, dict[str, str]]) -> str | None:
    """What is wrong with the answers to generated requests for ``operation``, if anything."""

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode),
                      person=st.sampled_from(PEOPLE))
    @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                         derandomize=True, phases=[hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck))
    def answers_as_documented(case: schemathesis.Case, person: str) -> None:
        headers = credentials[person]
        if mode is GenerationMode.NEGATIVE and "Authorization" in (case.headers or {}):
            headers = {}  # The generated, perhaps malformed, credential is what is tested.
        try:
            case.call_and_validate(headers=headers)
        except (Exception, BaseExceptionGroup) as error:
            error.add_note(f"as {person}: {case.as_curl_command()}")
            raise

    try:
        answers_as_documented()
    except hypothesis.errors.Unsatisfiable:
        return None  # Nothing to make invalid (no parameters, no body).
    except (Exception, BaseExceptionGroup) as error:  # Every finding is reported, then fails.
        return f"{operation.label} ({mode.value}):\n{_described(error)}"
    return None


def _described(error: BaseException) -> str:
    """Each failure's title and message, then how to reproduce it (schemathesis' notes)."""
    failures = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
    lines = [f"  - {getattr(f, 'title', type(f).__name__)}: "
             f"{getattr(f, 'message', str(f)).strip()[:500]}" for f in failures]
    notes = [note.strip()[:800] for note in getattr(error, "__notes__", [])
             if note.startswith("as ")]
    return "\n".join(lines + notes)


def test_every_operation_answers_as_its_schema_says(
    api: schemathesis.BaseSchema, credentials: dict[str, dict[str, str]]
) -> None:
    findings = []
    deadline = time.monotonic() + SECONDS
    for result in api.get_all_operations():
        operation = result.ok()
        assert time.monotonic() < deadline, f"not done within {SECONDS} s; found so far: " \
            + "\n\n".join(findings)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            finding = _findings(operation, mode, credentials)
            if finding:
                findings.append(finding)
    assert not findings, "\n\n".join(findings)
