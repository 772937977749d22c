"""Public prices in the ISO's public format: ``GET /oasisapi/SingleZip`` (rulebook §10).

Byte layout (header order, GMT times, five-decimal prices, one file in the
ZIP with the OASIS name), five price parts per node and interval with MGHG
zero and LMP = MCE + MCC + MCL, DST days, the XML variant, the error ZIPs
(OASIS codes) and a client written the way public CAISO clients read OASIS.

Every test publishes its own runs on its own trade dates (the session's
databases are shared).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from xml.etree import ElementTree as ET

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar, MarketName
from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters, Settings
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.markets.parameters import record_parameters
from gridmarket.markets.run_models import (
    MarketKind,
    MarketPrice,
    MarketReservePrice,
    MarketRun,
    RunStatus,
)
from gridmarket.publication.oasis_reports import NodePrice, lmp_parts

URL = "/oasisapi/SingleZip"
NOW = datetime(2018, 12, 1, 12, tzinfo=UTC)
NS = "{http://www.caiso.com/soa/OASISReport_v1.xsd}"
PNODE = "ABEL_1_N101"
DLAP = "DLAP_AREA1-APND"
PRC_LMP_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,NODE_ID_XML,NODE_ID,"
    "NODE,MARKET_RUN_ID,LMP_TYPE,XML_DATA_ITEM,PNODE_RESMRID,GRP_TYPE,POS,MW,GROUP"
)
RTD_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,NODE_ID_XML,NODE_ID,NODE,"
    "MARKET_RUN_ID,LMP_TYPE,XML_DATA_ITEM,PNODE_RESMRID,GRP_TYPE,POS,VALUE,OPR_INTERVAL,GROUP"
)
FMM_HEADER = RTD_HEADER.replace(",VALUE,", ",PRC,")
GMT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00-00:00$")
PRICE = re.compile(r"^-?\d+\.\d{5}$")
PARTS = {"LMP": "LMP_PRC", "MCE": "LMP_ENE_PRC", "MCC": "LMP_CONG_PRC",
         "MCL": "LMP_LOSS_PRC", "MGHG": "LMP_GHG_PRC"}
MARKET_NAMES: dict[MarketKind, MarketName] = {
    MarketKind.DAM: "DAM", MarketKind.FMM: "FMM", MarketKind.RTD: "RTD"}
CAL = MarketCalendar()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url))
    app.state.clock = FixedClock(NOW)
    with TestClient(app) as test_client:
        yield test_client


def _energy(node: str, index: int) -> Decimal:
    return Decimal("20.123456") + index + (10 if node.endswith("-APND") else 0)


def _publish(engine: Engine, market: MarketKind, trade_date: date,
             nodes: Sequence[str] = (PNODE, DLAP), *, reserves: bool = False) -> None:
    """A completed run of ``market`` for ``trade_date`` with prices at ``nodes``."""
    with unit_of_work(make_session_factory(engine)) as session:
        run = MarketRun(market=market, trade_date=trade_date, status=RunStatus.COMPLETED,
                        started_at=NOW, finished_at=NOW,
                        parameter_set_id=record_parameters(session, MarketParameters()).id)
        session.add(run)
        session.flush()
        for interval in CAL.intervals(trade_date, MARKET_NAMES[market]):
            for node in nodes:
                energy = _energy(node, interval.index)
                congestion, loss = Decimal("1.000004"), Decimal("-0.250001")
                session.add(MarketPrice(
                    run_id=run.id, node=node, interval_start_utc=interval.start_utc,
                    lmp_usd_per_mwh=energy + congestion + loss, energy_usd_per_mwh=energy,
                    congestion_usd_per_mwh=congestion, loss_usd_per_mwh=loss))
            if reserves:
                for product, price in (("REG_UP", "7.5"), ("SPIN", "3.25")):
                    session.add(MarketReservePrice(
                        run_id=run.id, zone="AS_SYSTEM", product=product,
                        interval_start_utc=interval.start_utc, price_usd_per_mw=Decimal(price)))


def _gmt(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H:%M-0000")


def _day_params(trade_date: date, days: int = 1, **extra: str) -> dict[str, str]:
    """A ``PRC_LMP`` DAM CSV request for ``days`` trade days from ``trade_date``."""
    params = {"queryname": "PRC_LMP", "market_run_id": "DAM", "version": "12",
              "startdatetime": _gmt(CAL.trade_day_start_utc(trade_date)),
              "enddatetime": _gmt(CAL.trade_day_start_utc(trade_date + timedelta(days=days))),
              "resultformat": "6"}
    return {**params, **extra}


def _single_file(client: TestClient, params: dict[str, str]) -> tuple[str, bytes]:
    response = client.get(URL, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-zip-compressed"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [name] = archive.namelist()
    assert response.headers["content-disposition"] == f"inline; filename={name}.zip;"
    return name, archive.read(name)


def _csv(content: bytes) -> tuple[str, list[dict[str, str]]]:
    header, *lines = content.decode("utf-8").splitlines()
    columns = header.split(",")
    return header, [dict(zip(columns, line.split(","), strict=True)) for line in lines]


def _error(client: TestClient, params: dict[str, str]) -> tuple[str, str, str]:
    name, content = _single_file(client, params)
    root = ET.fromstring(content)
    assert root.tag == f"{NS}OASISReport"
    error = root.find(f"{NS}MessagePayload/{NS}RTO/{NS}ERROR")
    assert error is not None
    return (name, error.findtext(f"{NS}ERR_CODE") or "", error.findtext(f"{NS}ERR_DESC") or "")


def test_prc_lmp_csv_has_the_oasis_layout_byte_for_byte(
    client: TestClient, engine: Engine
) -> None:
    day = date(2018, 7, 15)
    _publish(engine, MarketKind.DAM, day)
    name, content = _single_file(client, _day_params(day))
    assert name == "20180715_20180716_PRC_LMP_DAM_LMP_v12.csv"
    header, rows = _csv(content)
    assert header == PRC_LMP_HEADER
    assert len(rows) == 2 * 24 * 5  # nodes × hours × price parts
    assert content.decode().splitlines()[1] == (
        "2018-07-15T07:00:00-00:00,2018-07-15T08:00:00-00:00,2018-07-15,1,0,"
        "ABEL_1_N101,ABEL_1_N101,ABEL_1_N101,DAM,LMP,LMP_PRC,ABEL_1_N101,ALL,0,20.87346,1")
    for row in rows:
        assert GMT.match(row["INTERVALSTARTTIME_GMT"]) and GMT.match(row["INTERVALENDTIME_GMT"])
        assert PRICE.match(row["MW"]) and PARTS[row["LMP_TYPE"]] == row["XML_DATA_ITEM"]
        assert row["OPR_INTERVAL"] == "0" and row["MARKET_RUN_ID"] == "DAM"
        assert row["NODE"] == row["NODE_ID"] == row["NODE_ID_XML"] == row["PNODE_RESMRID"]
    assert [r["GROUP"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert {r["MW"] for r in rows if r["LMP_TYPE"] == "MGHG"} == {"0.00000"}
    by_key: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in rows:
        key = (row["NODE"], row["INTERVALSTARTTIME_GMT"])
        by_key.setdefault(key, {})[row["LMP_TYPE"]] = Decimal(row["MW"])
    assert len(by_key) == 48 and all(set(parts) == set(PARTS) for parts in by_key.values())
    for parts in by_key.values():
        assert parts["LMP"] == parts["MCE"] + parts["MCC"] + parts["MCL"] + parts["MGHG"]
    hours = sorted({int(r["OPR_HR"]) for r in rows})
    assert hours == list(range(1, 25)) and {r["OPR_DT"] for r in rows} == {"2018-07-15"}


def test_nodes_are_selected_by_name_or_by_aggregated_node_group(
    client: TestClient, engine: Engine
) -> None:
    day = date(2018, 7, 16)
    _publish(engine, MarketKind.DAM, day)
    _, content = _single_file(client, _day_params(day, node=PNODE))
    assert {r["NODE"] for r in _csv(content)[1]} == {PNODE}
    _, content = _single_file(client, _day_params(day, grp_type="ALL_APNODES"))
    rows = _csv(content)[1]
    assert {r["NODE"] for r in rows} == {DLAP} and {r["GRP_TYPE"] for r in rows} == {
        "ALL_APNODES"}
    name, code, _ = _error(client, _day_params(day, node="NOT_A_NODE"))
    assert (name, code) == ("20180716_20180717_PRC_LMP_DAM_LMP_v12.xml", "1000")


def test_the_xml_variant_has_the_oasis_report_elements(
    client: TestClient, engine: Engine
) -> None:
    day = date(2018, 7, 17)
    _publish(engine, MarketKind.DAM, day)
    params = _day_params(day)
    del params["resultformat"]
    name, content = _single_file(client, params)
    assert name == "20180717_20180718_PRC_LMP_DAM_LMP_v12.xml"
    root = ET.fromstring(content)
    assert root.tag == f"{NS}OASISReport"
    assert root.findtext(f"{NS}MessageHeader/{NS}Source") == "OASIS"
    assert root.findtext(f"{NS}MessageHeader/{NS}TimeDate") == "2018-12-01T12:00:00-00:00"
    rto = root.find(f"{NS}MessagePayload/{NS}RTO")
    assert rto is not None and rto.findtext(f"{NS}name") == "CAISO"
    items = rto.findall(f"{NS}REPORT_ITEM")
    assert len(items) == 2 * 5  # one item per node and data item
    header = items[0].find(f"{NS}REPORT_HEADER")
    assert header is not None
    assert [child.tag.removeprefix(NS) for child in header] == [
        "SYSTEM", "TZ", "REPORT", "MKT_TYPE", "UOM", "INTERVAL", "SEC_PER_INTERVAL"]
    assert header.findtext(f"{NS}REPORT") == "PRC_LMP"
    assert header.findtext(f"{NS}SEC_PER_INTERVAL") == "3600"
    data = rto.findall(f"{NS}REPORT_ITEM/{NS}REPORT_DATA")
    assert len(data) == 2 * 24 * 5
    first = data[0]
    assert [child.tag.removeprefix(NS) for child in first] == [
        "DATA_ITEM", "RESOURCE_NAME", "OPR_DATE", "INTERVAL_NUM", "INTERVAL_START_GMT",
        "INTERVAL_END_GMT", "VALUE"]
    assert (first.findtext(f"{NS}DATA_ITEM"), first.findtext(f"{NS}RESOURCE_NAME"),
            first.findtext(f"{NS}INTERVAL_NUM"), first.findtext(f"{NS}VALUE")) == (
        "LMP_PRC", PNODE, "1", "20.87346")


@pytest.mark.parametrize(("market", "queryname", "run_id", "header", "column", "per_hour"), [
    (MarketKind.RTD, "PRC_INTVL_LMP", "RTM", RTD_HEADER, "VALUE", 12),
    (MarketKind.FMM, "PRC_RTPD_LMP", "RTPD", FMM_HEADER, "PRC", 4),
])
def test_real_time_reports_carry_their_own_value_column_and_intervals(
    client: TestClient, engine: Engine, market: MarketKind, queryname: str, run_id: str,
    header: str, column: str, per_hour: int,
) -> None:
    day = date(2018, 8, 1) if market is MarketKind.RTD else date(2018, 8, 2)
    _publish(engine, market, day, nodes=(DLAP,))
    start = CAL.trade_day_start_utc(day) + timedelta(hours=2)
    params = {"queryname": queryname, "market_run_id": run_id, "version": "3",
              "startdatetime": _gmt(start), "enddatetime": _gmt(start + timedelta(hours=1)),
              "resultformat": "6"}
    name, content = _single_file(client, params)
    assert name == f"{day:%Y%m%d}_{day:%Y%m%d}_{queryname}_{run_id}_LMP_v3.csv"
    got_header, rows = _csv(content)
    assert got_header == header and len(rows) == per_hour * 5
    assert {r["OPR_HR"] for r in rows} == {"3"} and {r["MARKET_RUN_ID"] for r in rows} == {run_id}
    assert sorted({int(r["OPR_INTERVAL"]) for r in rows}) == list(range(1, per_hour + 1))
    assert all(PRICE.match(r[column]) for r in rows)
    first = rows[0]
    assert first["INTERVALSTARTTIME_GMT"] == f"{day:%Y-%m-%d}T09:00:00-00:00"
    minutes = 60 // per_hour
    assert first["INTERVALENDTIME_GMT"] == f"{day:%Y-%m-%d}T09:{minutes:02d}:00-00:00"


@pytest.mark.parametrize(("day", "hours"), [(date(2018, 3, 11), 23), (date(2018, 11, 4), 25)])
def test_dst_days_have_23_or_25_operating_hours(
    client: TestClient, engine: Engine, day: date, hours: int
) -> None:
    _publish(engine, MarketKind.DAM, day, nodes=(DLAP,))
    _, content = _single_file(client, _day_params(day))
    rows = [r for r in _csv(content)[1] if r["LMP_TYPE"] == "LMP"]
    assert [int(r["OPR_HR"]) for r in rows] == list(range(1, hours + 1))
    assert {r["OPR_DT"] for r in rows} == {day.isoformat()}
    starts = [datetime.fromisoformat(r["INTERVALSTARTTIME_GMT"]) for r in rows]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(starts))


def test_a_request_over_31_days_is_refused_with_the_oasis_error(
    client: TestClient, engine: Engine
) -> None:
    day = date(2018, 9, 1)
    name, code, description = _error(client, _day_params(day, days=32))
    assert (name, code) == ("INVALID_REQUEST.xml", "1004")
    assert description == "Data can be requested for period of 31 days only"
    name, code, _ = _error(client, _day_params(day, days=31))  # allowed; nothing published
    assert (name, code) == ("20180901_20181002_PRC_LMP_DAM_LMP_v12.xml", "1000")


@pytest.mark.parametrize(("change", "code"), [
    ({"queryname": "PRC_NOPE"}, "1005"),
    ({"startdatetime": "2018-09-01 07:00"}, "1002"),
    ({"enddatetime": "20180931T07:00-0000"}, "1002"),
    ({"version": "1"}, "1020"),
    ({"queryname": ""}, "1011"),
    ({"market_run_id": "HASP"}, "1000"),
    ({"node": ",".join(f"N{n}" for n in range(11))}, "1017"),
])
def test_bad_parameters_come_back_as_an_invalid_request_zip(
    client: TestClient, change: dict[str, str], code: str
) -> None:
    name, got, description = _error(client, {**_day_params(date(2018, 9, 2)), **change})
    assert (name, got) == ("INVALID_REQUEST.xml", code) and description


def test_no_published_data_comes_back_as_error_1000(client: TestClient) -> None:
    name, code, description = _error(client, _day_params(date(2018, 9, 3)))
    assert (name, code) == ("20180903_20180904_PRC_LMP_DAM_LMP_v12.xml", "1000")
    assert description == "No data returned for the specified selection"


def test_a_request_spans_the_published_run_of_every_trade_date(
    client: TestClient, engine: Engine
) -> None:
    first = date(2018, 10, 1)
    for day in (first, first + timedelta(days=1)):
        _publish(engine, MarketKind.DAM, day, nodes=(DLAP,))
    name, content = _single_file(client, _day_params(first, days=2, node=DLAP))
    assert name == "20181001_20181003_PRC_LMP_DAM_LMP_v12.csv"
    rows = _csv(content)[1]
    assert len(rows) == 48 * 5 and {r["OPR_DT"] for r in rows} == {"2018-10-01", "2018-10-02"}


def test_a_client_reading_oasis_like_public_clients_gets_the_prices(
    client: TestClient, engine: Engine
) -> None:
    """Read as gridstatus does: the ZIP's first file as CSV, pivot on LMP_TYPE."""
    day = date(2018, 10, 10)
    _publish(engine, MarketKind.DAM, day)
    response = client.get(URL, params=_day_params(day, node=f"{PNODE},{DLAP}"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    frame = pl.read_csv(archive.open(archive.namelist()[0]),
                        columns=["INTERVALSTARTTIME_GMT", "NODE", "LMP_TYPE", "MW"])
    prices = frame.pivot(on="LMP_TYPE", index=["INTERVALSTARTTIME_GMT", "NODE"], values="MW")
    prices = prices.with_columns(
        pl.col("INTERVALSTARTTIME_GMT").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z"))
    assert prices.height == 48 and set(prices.columns) >= {"LMP", "MCE", "MCC", "MCL", "MGHG"}
    noon = prices.filter((pl.col("NODE") == DLAP)
                         & (pl.col("INTERVALSTARTTIME_GMT") == datetime(2018, 10, 10, 19,
                                                                         tzinfo=UTC)))
    row = noon.row(0, named=True)
    assert row["MCE"] == pytest.approx(float(_energy(DLAP, 12)), abs=1e-5)
    assert (row["MCC"], row["MCL"], row["MGHG"]) == (1.0, -0.25, 0.0)
    assert row["LMP"] == pytest.approx(row["MCE"] + row["MCC"] + row["MCL"], abs=1e-9)


def test_ancillary_service_prices_are_served_as_prc_as(
    client: TestClient, engine: Engine
) -> None:
    day = date(2018, 10, 20)
    _publish(engine, MarketKind.DAM, day, nodes=(DLAP,), reserves=True)
    name, content = _single_file(client, _day_params(day, queryname="PRC_AS", anc_type="SR"))
    assert name == "20181020_20181021_PRC_AS_DAM_v12.csv"
    header, rows = _csv(content)
    assert header == ("INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,"
                      "OPR_TYPE,ANC_TYPE,ANC_REGION,MARKET_RUN_ID,XML_DATA_ITEM,MW,GROUP")
    assert len(rows) == 24
    assert {(r["ANC_TYPE"], r["XML_DATA_ITEM"], r["ANC_REGION"], r["MW"]) for r in rows} == {
        ("SR", "SP_CLR_PRC", "AS_SYSTEM", "3.25000")}


def test_published_parts_add_up_after_rounding_to_five_decimals() -> None:
    price = NodePrice(DLAP, NOW, Decimal("30.000005"), Decimal("0.000005"), Decimal("-0.000015"))
    lmp, energy, congestion, loss, ghg = lmp_parts(price)
    assert (energy, congestion, loss, ghg) == (
        Decimal("30.00000"), Decimal("0.00000"), Decimal("-0.00002"), Decimal("0.00000"))
    assert lmp == energy + congestion + loss + ghg == Decimal("29.99998")
