"""Market parameters are typed defaults from the rulebook, overridable without code changes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from gridmarket.config import MarketParameters, Settings


def test_rulebook_defaults_are_the_configured_parameters() -> None:
    parameters = MarketParameters()
    assert parameters.bids.price_floor_usd_per_mwh == Decimal("-150")
    assert parameters.bids.soft_cap_usd_per_mwh == Decimal("1000")
    assert parameters.bids.hard_cap_usd_per_mwh == Decimal("2000")
    assert parameters.bids.max_segments == 10
    assert parameters.credit.unsecured_credit_cap_usd == Decimal("50000000")
    assert parameters.credit.rating_percent_of_tangible_net_worth["BBB-"] == Decimal("1.5")
    assert parameters.clearing.power_balance_penalty == Decimal("2000")
    assert parameters.settlement.dispute_window_business_days == 22
    assert parameters.participants.application_fee_usd == Decimal("5000")


def test_a_parameter_can_be_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMARKET_MARKET__BIDS__SOFT_CAP_USD_PER_MWH", "900")
    monkeypatch.setenv("GRIDMARKET_DATABASE_URL", "sqlite:///elsewhere.sqlite")
    settings = Settings()
    assert settings.market_parameters().bids.soft_cap_usd_per_mwh == Decimal("900")
    assert settings.market_parameters().bids.hard_cap_usd_per_mwh == Decimal("2000")
    assert settings.database_url == "sqlite:///elsewhere.sqlite"


def test_a_market_file_overrides_nested_parameters(tmp_path: Path) -> None:
    market_file = tmp_path / "market.json"
    market_file.write_text(json.dumps({"credit": {"unsecured_credit_cap_usd": "25000000"}}))
    parameters = Settings(market_file=market_file).market_parameters()
    assert parameters.credit.unsecured_credit_cap_usd == Decimal("25000000")
    assert parameters.credit.collateral_call_due_business_days == 2


def test_an_unknown_parameter_is_refused_by_name(tmp_path: Path) -> None:
    market_file = tmp_path / "market.json"
    market_file.write_text(json.dumps({"bids": {"soft_cap": 900}}))
    with pytest.raises(ValidationError, match="soft_cap"):
        Settings(market_file=market_file).market_parameters()


def test_fingerprint_changes_with_any_parameter() -> None:
    default = MarketParameters()
    changed = MarketParameters.model_validate({"metering": {"pmax_tolerance_ratio": "0.06"}})
    assert default.fingerprint() == MarketParameters().fingerprint()
    assert default.fingerprint() != changed.fingerprint()
    assert MarketParameters.model_validate_json(default.canonical_json()) == default


def test_data_dir_defaults_beside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDMARKET_DATA_DIR", raising=False)
    settings = Settings()
    assert settings.data_dir.name == "data"
    assert settings.rts_gmlc_dir == settings.data_dir / "rts-gmlc"
