"""``SLD_FCST`` and ``PRC_INTVL_AS`` from ``GET /oasisapi/SingleZip`` (rulebook §10).

The load forecast is read from the stored area forecasts the markets run on;
real-time ancillary service prices from the published FMM run. Header order,
names, GMT times, the ZIP and the XML headers are compared with the real OASIS
layouts (``docs/oasis.md``). Each test uses its own trade dates (the session's
databases are shared).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from tests.test_oasis import (
    CAL,
    GMT,
    NOW,
    NS,
    PRICE,
    _csv,
    _error,
    _gmt,
    _publish,
    _single_file,
)

from gridmarket.api.app import create_app
from gridmarket.clock import FixedClock
from gridmarket.config import Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.markets.models import ForecastHorizon, ForecastKind, ForecastValue
from gridmarket.markets.run_models import MarketKind
from gridmarket.network.models import NetworkModel

SLD_FCST_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,LOAD_TYPE,OPR_DT,OPR_HR,OPR_INTERVAL,"
    "MARKET_RUN_ID,TAC_AREA_NAME,LABEL,XML_DATA_ITEM,POS,MW,EXECUTION_TYPE,GROUP"
)
PRC_INTVL_AS_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_TYPE,ANC_TYPE,XML_DATA_ITEM,"
    "MARKET_RUN_ID,MW,ANC_REGION,OPR_INTERVAL,GROUP"
)
AREAS = {"1": Decimal("1000.125"), "2": Decimal("2000.5"), "3": Decimal("3000")}
TOTAL_AREA = "CA ISO-TAC"


def _forecast(area: str, horizon: ForecastHorizon, index: int) -> float:
    """A recognisable MW per area and interval (real time rises by 0.5 MW a step)."""
    step = Decimal("0.5") if horizon is ForecastHorizon.REAL_TIME else Decimal("10")
    return float(AREAS[area] + step * index)


def _store_forecasts(engine: Engine, day: date) -> None:
    """Area load forecasts of ``day``: hourly day-ahead and 5-minute real-time, as loaded."""
    with unit_of_work(make_session_factory(engine)) as session:
        model_id = session.scalar(select(NetworkModel.id).order_by(NetworkModel.id))
        assert model_id is not None
        rows = []
        for horizon, market, minutes in ((ForecastHorizon.DAY_AHEAD, "DAM", 60),
                                         (ForecastHorizon.REAL_TIME, "RTD", 5)):
            for interval in CAL.intervals(day, market):
                for area in AREAS:
                    rows.append({"network_model_id": model_id, "horizon": horizon,
                                 "kind": ForecastKind.AREA_LOAD, "object_id": area,
                                 "interval_start_utc": interval.start_utc,
                                 "interval_minutes": minutes,
                                 "value_mw": _forecast(area, horizon, interval.index)})
        session.execute(insert(ForecastValue), rows)


def _load_params(day: date, market_run_id: str = "DAM", hours: int | None = None,
                 **extra: str) -> dict[str, str]:
    start = CAL.trade_day_start_utc(day)
    end = (start + timedelta(hours=hours) if hours is not None
           else CAL.trade_day_start_utc(day + timedelta(days=1)))
    return {"queryname": "SLD_FCST", "market_run_id": market_run_id, "version": "1",
            "startdatetime": _gmt(start), "enddatetime": _gmt(end), "resultformat": "6",
            **extra}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url))
    app.state.clock = FixedClock(NOW)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def forecast_engine(rts_loaded: Engine) -> Engine:
    """The shared database with a network model, whose forecasts the tests add."""
    return rts_loaded


def test_day_ahead_load_forecast_has_the_oasis_layout(
    client: TestClient, forecast_engine: Engine
) -> None:
    day = date(2019, 2, 4)
    _store_forecasts(forecast_engine, day)
    name, content = _single_file(client, _load_params(day))
    assert name == "20190204_20190205_SLD_FCST_DAM_v1.csv"
    header, rows = _csv(content)
    assert header == SLD_FCST_HEADER
    assert len(rows) == (len(AREAS) + 1) * 24
    assert content.decode().splitlines()[1] == (
        "2019-02-04T08:00:00-00:00,2019-02-04T09:00:00-00:00,1,2019-02-04,1,0,DAM,AREA1-TAC,"
        "Demand Forecast Day Ahead,SYS_FCST_DA_MW,0,1000.12,DAM,1")
    assert {r["TAC_AREA_NAME"] for r in rows} == {"AREA1-TAC", "AREA2-TAC", "AREA3-TAC",
                                                  TOTAL_AREA}
    for row in rows:
        assert GMT.match(row["INTERVALSTARTTIME_GMT"]) and GMT.match(row["INTERVALENDTIME_GMT"])
        assert (row["MARKET_RUN_ID"], row["EXECUTION_TYPE"], row["OPR_INTERVAL"]) == (
            "DAM", "DAM", "0")
    noon = {r["TAC_AREA_NAME"]: r["MW"] for r in rows if r["OPR_HR"] == "13"}
    assert noon == {"AREA1-TAC": "1120.12", "AREA2-TAC": "2120.5", "AREA3-TAC": "3120",
                    TOTAL_AREA: "6360.62"}
    # One GROUP per area and trade date, as OASIS repeats it over a block.
    assert [r["GROUP"] for r in rows if r["OPR_HR"] == "1"] == ["1", "2", "3", "4"]
    assert {r["GROUP"] for r in rows if r["TAC_AREA_NAME"] == TOTAL_AREA} == {"4"}


def test_real_time_forecast_comes_as_5_and_15_minute_executions(
    client: TestClient, forecast_engine: Engine
) -> None:
    day = date(2019, 2, 5)
    _store_forecasts(forecast_engine, day)
    name, content = _single_file(client, _load_params(
        day, "RTM", hours=1, execution_type="RTD", tac_area_name="AREA2-TAC"))
    assert name == "20190205_20190205_SLD_FCST_RTM_v1.csv"
    rows = _csv(content)[1]
    assert [int(r["OPR_INTERVAL"]) for r in rows] == list(range(1, 13))
    assert {(r["XML_DATA_ITEM"], r["LABEL"], r["EXECUTION_TYPE"], r["TAC_AREA_NAME"])
            for r in rows} == {("SYS_FCST_5MIN_MW", "RTM 5Min Load Forecast", "RTD",
                                "AREA2-TAC")}
    assert rows[1]["INTERVALSTARTTIME_GMT"] == "2019-02-05T08:05:00-00:00"
    assert rows[1]["MW"] == "2001"
    _, content = _single_file(client, _load_params(day, "RTM", hours=1,
                                                   tac_area_name="AREA2-TAC"))
    rows = _csv(content)[1]
    quarter = [r for r in rows if r["XML_DATA_ITEM"] == "SYS_FCST_15MIN_MW"]
    assert len(quarter) == 4 and len(rows) == 4 + 12
    assert {r["EXECUTION_TYPE"] for r in quarter} == {"RTPD"}
    # The 15-minute forecast averages its three 5-minute values (2000.5, 2001, 2001.5).
    assert (quarter[0]["MW"], quarter[0]["INTERVALENDTIME_GMT"]) == (
        "2001", "2019-02-05T08:15:00-00:00")
    assert [r["OPR_INTERVAL"] for r in quarter] == ["1", "2", "3", "4"]


def test_the_xml_variant_names_each_execution_and_its_interval_length(
    client: TestClient, forecast_engine: Engine
) -> None:
    day = date(2019, 2, 6)
    _store_forecasts(forecast_engine, day)
    params = _load_params(day, "RTM", hours=1, tac_area_name=TOTAL_AREA)
    del params["resultformat"]
    name, content = _single_file(client, params)
    assert name == "20190206_20190206_SLD_FCST_RTM_v1.xml"
    rto = ET.fromstring(content).find(f"{NS}MessagePayload/{NS}RTO")
    assert rto is not None
    headers = {item.findtext(f"{NS}REPORT_DATA/{NS}DATA_ITEM"): item.find(f"{NS}REPORT_HEADER")
               for item in rto.findall(f"{NS}REPORT_ITEM")}
    assert set(headers) == {"SYS_FCST_15MIN_MW", "SYS_FCST_5MIN_MW"}
    five = headers["SYS_FCST_5MIN_MW"]
    assert five is not None
    assert [child.tag.removeprefix(NS) for child in five] == [
        "SYSTEM", "TZ", "REPORT", "MKT_TYPE", "EXECUTION_TYPE", "UOM", "INTERVAL",
        "SEC_PER_INTERVAL"]
    assert (five.findtext(f"{NS}REPORT"), five.findtext(f"{NS}UOM"),
            five.findtext(f"{NS}SEC_PER_INTERVAL")) == ("SLD_FCST", "MW", "300")
    quarter = headers["SYS_FCST_15MIN_MW"]
    assert quarter is not None
    assert (quarter.findtext(f"{NS}EXECUTION_TYPE"),
            quarter.findtext(f"{NS}SEC_PER_INTERVAL")) == ("RTPD", "900")
    first = rto.find(f"{NS}REPORT_ITEM/{NS}REPORT_DATA")
    assert first is not None and first.findtext(f"{NS}RESOURCE_NAME") == TOTAL_AREA


def test_the_fall_day_forecast_has_25_operating_hours(
    client: TestClient, forecast_engine: Engine
) -> None:
    day = date(2019, 11, 3)
    _store_forecasts(forecast_engine, day)
    _, content = _single_file(client, _load_params(day, tac_area_name=TOTAL_AREA))
    rows = _csv(content)[1]
    assert [int(r["OPR_HR"]) for r in rows] == list(range(1, 26))
    assert {r["OPR_DT"] for r in rows} == {"2019-11-03"}


def test_load_forecast_errors_are_oasis_error_zips(
    client: TestClient, forecast_engine: Engine
) -> None:
    day = date(2019, 2, 7)  # nothing stored
    assert _error(client, _load_params(day)) == (
        "20190207_20190208_SLD_FCST_DAM_v1.xml", "1000",
        "No data returned for the specified selection")
    assert _error(client, _load_params(day, version="12"))[:2] == ("INVALID_REQUEST.xml", "1020")
    assert _error(client, _load_params(day, "RTM", execution_type="HASP"))[:2] == (
        "INVALID_REQUEST.xml", "1000")
    _store_forecasts(forecast_engine, day)
    assert _error(client, _load_params(day, tac_area_name="NOWHERE-TAC"))[1] == "1000"


def test_interval_ancillary_service_prices_are_the_fmm_prices(
    client: TestClient, engine: Engine
) -> None:
    day = date(2019, 3, 20)
    _publish(engine, MarketKind.FMM, day, nodes=(), reserves=True)
    start = CAL.trade_day_start_utc(day) + timedelta(hours=5)
    params = {"queryname": "PRC_INTVL_AS", "market_run_id": "RTM", "version": "1",
              "startdatetime": _gmt(start), "enddatetime": _gmt(start + timedelta(hours=1)),
              "resultformat": "6", "anc_type": "RU"}
    name, content = _single_file(client, params)
    assert name == "20190320_20190320_PRC_INTVL_AS_RTM_v1.csv"
    header, rows = _csv(content)
    assert header == PRC_INTVL_AS_HEADER
    assert content.decode().splitlines()[1] == (
        "2019-03-20T12:00:00-00:00,2019-03-20T12:15:00-00:00,2019-03-20,6,PRC,RU,RU_CLR_PRC,"
        "RTM,7.50000,AS_SYSTEM,1,1")
    assert [r["OPR_INTERVAL"] for r in rows] == ["1", "2", "3", "4"]
    assert all(PRICE.match(r["MW"]) for r in rows)
    assert [datetime.fromisoformat(r["INTERVALSTARTTIME_GMT"]) for r in rows] == [
        start + timedelta(minutes=15 * k) for k in range(4)]
    params["version"] = "12"
    assert _error(client, params)[:2] == ("INVALID_REQUEST.xml", "1020")
