"""Configuration: where things live, and every market parameter of the rulebook.

Every number of the rulebook is a typed default here, never a literal in
business code. An ISO that differs changes a setting (environment variable,
or a JSON file named by ``GRIDMARKET_MARKET_FILE``), not the program.

A market run records the exact parameters it used through
:meth:`MarketParameters.fingerprint` and the ``market_parameter_set`` table.

Example::

    >>> from gridmarket.config import MarketParameters
    >>> MarketParameters().bids.price_floor_usd_per_mwh
    Decimal('-150')
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeRules(_Group):
    """Rulebook §1: trade days, intervals, business days."""

    market_timezone: str = "America/Los_Angeles"
    dam_interval_minutes: int = 60
    fmm_interval_minutes: int = 15
    rtd_interval_minutes: int = 5
    holiday_country: str = "US"
    """Holiday calendar from the `holidays` package (US federal by default)."""
    extra_holidays: tuple[date, ...] = ()
    removed_holidays: tuple[date, ...] = ()
    business_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Weekdays that are business days unless a holiday (0 = Monday): Monday to Friday."""


class DeadlineRules(_Group):
    """Rulebook §4 timelines and §7 disruption deadline, in market (Pacific) time."""

    dam_open_days_before: int = 7
    dam_open_time: time = time(0, 0)
    """Market time at which DAM bidding opens, ``dam_open_days_before`` days before T
    *(assumed hour: the rulebook gives only the day)*."""
    dam_close_days_before: int = 1
    dam_close_time: time = time(10, 0)
    dam_results_time: time = time(13, 0)
    dam_rerun_deadline_time: time = time(13, 0)
    rt_bid_close_minutes_before_hour: int = 75
    ist_dam_close_time: time = time(11, 0)
    ist_rt_close_minutes_before_hour: int = 45


class ParticipantRules(_Group):
    """Rulebook §2: application, obligations, suspension."""

    application_fee_usd: Decimal = Decimal("5000")
    completeness_review_business_days: int = 10
    application_lapse_months: int = 12
    material_change_report_business_days: int = 5
    account_change_lead_business_days: int = 11
    officer_certification_due_month: int = 4
    officer_certification_due_day: int = 30
    meter_violation_notice_days: int = 14
    scid_length: int = 4
    officer_certification_grace_days: int = 10
    """Days after the officer certification due date before suspension *(assumed)*."""
    exam_question_count: int = 10
    exam_pass_mark_percent: int = 80
    exam_max_attempts: int = 3
    """Attempts per application *(assumed)*."""
    exam_retake_wait_days: int = 1
    """Calendar days between a failed attempt and the next *(assumed)*."""
    exam_time_limit_minutes: int = 60
    certification_expiry_warning_days: int = 30
    """Notice this many days before a meter or telemetry certification expires *(assumed)*."""


class ResourceRules(_Group):
    """Rulebook §3: Master File and transfers."""

    transfer_lead_business_days: int = 11
    station_power_setup_days: int = 30
    same_sc_scid_move_days: int = 10
    telemetry_threshold_mw: Decimal = Decimal("10")
    certification_validity_days: int = 3 * 365
    """How long a meter or telemetry certification lasts when no expiry is given *(assumed)*."""


class BidRules(_Group):
    """Rulebook §4: energy, AS and virtual bids."""

    max_segments: int = 10
    price_floor_usd_per_mwh: Decimal = Decimal("-150")
    soft_cap_usd_per_mwh: Decimal = Decimal("1000")
    hard_cap_usd_per_mwh: Decimal = Decimal("2000")
    min_load_cost_cap_usd_per_mwh: Decimal = Decimal("2000")
    proxy_cost_adder: Decimal = Decimal("1.1")
    default_energy_bid_adder: Decimal = Decimal("1.1")
    virtual_bid_min_mw: Decimal = Decimal("1")
    bid_segment_fee_usd: Decimal = Decimal("0.005")
    self_schedule_priority: tuple[str, ...] = ("LPT", "PT", "RMT", "ETC_TOR", "RMR")
    """Self-schedule types, lowest curtailment priority first."""


class AccessRules(_Group):
    """Rulebook §5."""

    upload_limit_bytes: int = 15 * 1024 * 1024
    download_limit_records: int = 200_000
    public_aggregate_bid_delay_days: int = 90
    max_token_lifetime_days: int = 365
    """An API token expires within this many days of its creation."""
    session_lifetime_minutes: int = 8 * 60
    """A web session (login cookie) lasts this long, then the person logs in again."""
    max_failed_logins: int = 5
    """This many failed logins within ``failed_login_window_minutes`` lock the account."""
    failed_login_window_minutes: int = 15
    lockout_minutes: int = 15
    min_password_length: int = 12
    password_time_cost: int = 3
    """Argon2id iterations; changing the argon2id settings rehashes each password at
    its next successful login."""
    password_memory_kib: int = 64 * 1024
    password_parallelism: int = 4
    audit_page_max_records: int = 1000
    """The largest page of audit entries one request returns."""


class CreditRules(_Group):
    """Rulebook §6."""

    rating_percent_of_tangible_net_worth: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "AAA": Decimal("7.5"),
            "AA": Decimal("6.5"),
            "A": Decimal("5.0"),
            "BBB+": Decimal("4.0"),
            "BBB": Decimal("2.5"),
            "BBB-": Decimal("1.5"),
        }
    )
    """Ratings not listed (below investment grade, unrated) get 0%."""
    rating_modifier_falls_back_to_base: bool = True
    """A rating with a ``+``/``-`` modifier that the table does not list (AA-, A+) takes
    the percentage of its base rating (AA, A) *(assumed)*; BB+ has no base in the
    table and stays at 0%."""
    unsecured_credit_cap_usd: Decimal = Decimal("50000000")
    """Cap on the UCL of an SC and its affiliates together; shared among affiliates
    pro rata to each one's uncapped UCL *(assumed sharing rule)*."""
    min_tangible_net_worth_usd: Decimal = Decimal("1000000")
    min_total_assets_usd: Decimal = Decimal("10000000")
    extra_security_if_below_minimum_usd: Decimal = Decimal("500000")
    """Financial security held for the minimum participation requirements; it backs
    no credit, so it is deducted from the ACL *(assumed reading of "extra")*."""
    reference_price_percentile: Decimal = Decimal("95")
    """Percentile of |DA - RT| price differences, by the nearest-rank method *(assumed)*."""
    reference_price_lookback_days: int = 30
    """Trade days before the as-of date whose price differences count."""
    default_reference_price_usd_per_mwh: Decimal = Decimal("50")
    utilisation_warning_ratio: Decimal = Decimal("0.90")
    collateral_call_due_business_days: int = 2


class ClearingRules(_Group):
    """Rulebook §7: penalty prices ($/MWh or $/MW) and solver settings."""

    power_balance_penalty: Decimal = Decimal("2000")
    branch_overload_penalty: Decimal = Decimal("1500")
    regulation_shortfall_penalty: Decimal = Decimal("1000")
    spinning_shortfall_penalty: Decimal = Decimal("800")
    non_spinning_shortfall_penalty: Decimal = Decimal("600")
    mip_gap: float = 0.001
    time_limit_seconds: float = 600.0
    lossless: bool = False
    realtime_lookahead_intervals: int = Field(default=6, ge=1, le=24)
    """FMM and RTD intervals solved together, the first binding and the rest advisory,
    so units ramp ahead of a commitment change at the hour *(assumed; the ISO's RTD
    looks up to 13 intervals ahead)*."""


class SettlementRules(_Group):
    """Rulebook §8."""

    initial_statement_business_days: int = 9
    recalculation_statement_business_days: int = 70
    later_recalculation_months: tuple[int, ...] = (11, 21, 24)
    invoice_weekday: int = 0
    """Invoices are issued weekly on this weekday (0 = Monday) *(assumed)*."""
    payment_due_business_days: int = 5
    late_payment_daily_rate: Decimal = Decimal("0.0005")
    """Late payment penalty accrual per calendar day *(assumed rate)*."""
    dispute_window_business_days: int = 22
    scid_monthly_charge_usd: Decimal = Decimal("1000")
    overdue_suspension_business_days: int = 2
    """An invoice unpaid this many business days past its due date suspends the SC
    *(assumed)*."""


class MeteringRules(_Group):
    """Rulebook §9."""

    allowed_interval_minutes: tuple[int, ...] = (5, 15, 60)
    pmax_tolerance_ratio: Decimal = Decimal("0.05")
    initial_sqmd_business_days: int = 5
    final_sqmd_business_days: int = 52
    distribution_loss_factor: Decimal = Decimal("1.02")
    """SC-metered load × this factor before settlement (one service voltage, *assumed*)."""


class PublicationRules(_Group):
    """Rulebook §10."""

    max_request_days: int = 31


class MarketParameters(_Group):
    """All rulebook parameters, grouped by rulebook section."""

    time: TimeRules = TimeRules()
    deadlines: DeadlineRules = DeadlineRules()
    participants: ParticipantRules = ParticipantRules()
    resources: ResourceRules = ResourceRules()
    bids: BidRules = BidRules()
    access: AccessRules = AccessRules()
    credit: CreditRules = CreditRules()
    clearing: ClearingRules = ClearingRules()
    settlement: SettlementRules = SettlementRules()
    metering: MeteringRules = MeteringRules()
    publication: PublicationRules = PublicationRules()

    def canonical_json(self) -> str:
        """The parameters as canonical JSON (sorted keys), the form that is stored."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`canonical_json`; equal parameters give equal fingerprints."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


class Settings(BaseSettings):
    """Process settings, from ``GRIDMARKET_*`` environment variables.

    Nested market parameters can be set with ``__``, e.g.
    ``GRIDMARKET_MARKET__BIDS__SOFT_CAP_USD_PER_MWH=900``.
    """

    model_config = SettingsConfigDict(
        env_prefix="GRIDMARKET_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'gridmarket.sqlite'}"
    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"
    market_file: Path | None = None
    """Optional JSON file with market parameters overriding the defaults."""
    database_pool_size: int = Field(default=10, ge=1)
    """Pooled database connections per server process (the API admits as many requests)."""
    database_pool_overflow: int = Field(default=10, ge=0)
    """Extra connections opened under load, beyond the pool size."""
    database_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    job_catch_up_days: int = Field(default=2, ge=0)
    """How many days back the scheduler still runs market closes and invoices it missed
    (e.g. while stopped); statements are always caught up."""
    job_stall_seconds: float = Field(default=60.0, ge=1.0)
    """A job worker silent this long (no heartbeat) is taken for dead, and the job it was
    running is put back in the queue. Workers send a heartbeat six times as often; keep it
    well above any pause of a live worker."""
    market: MarketParameters = MarketParameters()
    environment: Literal["development", "test", "production"] = "development"
    fixed_clock: datetime | None = None
    """Freeze the server's clock at this instant (timezone-aware, e.g.
    ``2020-07-14T15:00:00Z``): for demos, replays and benchmarks. Unset: the system clock."""

    def market_parameters(self) -> MarketParameters:
        """The effective market parameters: defaults, then env, then ``market_file``."""
        if self.market_file is None:
            return self.market
        overrides = json.loads(self.market_file.read_text())
        merged = _deep_merge(self.market.model_dump(mode="json"), overrides)
        return MarketParameters.model_validate(merged)

    def pool_options(self) -> dict[str, Any]:
        """Connection pool settings for the engine (none for an in-memory SQLite database)."""
        if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
            return {}
        return {"pool_size": self.database_pool_size,
                "max_overflow": self.database_pool_overflow,
                "pool_timeout": self.database_pool_timeout_seconds}

    @property
    def rts_gmlc_dir(self) -> Path:
        return self.data_dir / "rts-gmlc"

    @property
    def pglib_dir(self) -> Path:
        return self.data_dir / "pglib-opf"


def _deep_merge(base: dict, overrides: dict) -> dict:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear with ``get_settings.cache_clear()``)."""
    return Settings()
