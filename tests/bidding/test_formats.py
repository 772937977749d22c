"""CSV and XML bid files: each reads into exactly the schema's BidSet, and back.

Covers the round trip over generated bid sets, the layouts' rules, every
error path (each naming where in the file), XML attacks (entities, DTDs),
the example in docs/bid-formats.md, and speed on a full-size bid set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmarket.bidding.formats import (
    BidFileError,
    BidProblem,
    parse_csv,
    parse_xml,
    render_csv,
    render_xml,
)
from gridmarket.bidding.receipt import parse_bid_file
from gridmarket.bidding.schema import (
    AncillaryProduct,
    BidSet,
    CostBasis,
    EnergyBid,
    SelfScheduleType,
    TradeDirection,
    TradeProduct,
    VirtualSide,
)
from gridmarket.errors import InvalidInput

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bid-formats.md"

CSV_HEADER = (
    "scid,market,trade_date,kind,resource,location,cost_basis,side,counterparty,product,"
    "direction,hour,self_schedule_mw,self_schedule_type,segment,mw,price"
)
SET = "DTGA,DAM,2020-07-15"
XML_OPEN = '<BidSet scid="DTGA" market="DAM" tradeDate="2020-07-15">'


def csv_file(*rows: str, header: str = CSV_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def energy_row(hour: int | str = 1, segment: str = "1", mw: str = "40", price: str = "25") -> str:
    return f"{SET},ENERGY,R1,,,,,,,{hour},,,{segment},{mw},{price}"


def xml_file(*bids: str) -> bytes:
    return (XML_OPEN + "\n" + "\n".join(bids) + "\n</BidSet>\n").encode()


def problems_of(parse: Callable[[bytes], BidSet], data: bytes) -> list[BidProblem]:
    with pytest.raises(BidFileError) as caught:
        parse(data)
    return caught.value.problems


def only_problem(parse: Callable[[bytes], BidSet], data: bytes) -> BidProblem:
    problems = problems_of(parse, data)
    assert len(problems) == 1, problems
    return problems[0]


# --- generated bid sets ----------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r,\"'&<>"
    ),
    min_size=1,
    max_size=8,
)
_RESOURCE = st.one_of(st.sampled_from(["R1", "R2"]), _TEXT)
_QUANTITY = st.decimals(
    min_value=Decimal("-99999999"), max_value=Decimal("99999999"), places=6
).map(lambda value: value.normalize() if value.is_finite() else value)
_HOURS = st.lists(st.integers(1, 25), min_size=1, max_size=3, unique=True)


def _segments(min_size: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.fixed_dictionaries({"mw": _QUANTITY, "price": _QUANTITY}),
        min_size=min_size,
        max_size=3,
    )


@st.composite
def _energy_hour(draw: st.DrawFn, hour: int) -> dict[str, Any]:
    segments = draw(_segments(0))
    scheduled = not segments or draw(st.booleans())
    drafted: dict[str, Any] = {"hour": hour, "segments": segments}
    if scheduled:
        drafted["self_schedule_mw"] = draw(_QUANTITY)
        drafted["self_schedule_type"] = draw(st.sampled_from(SelfScheduleType))
    return drafted


@st.composite
def _energy_bid(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": "ENERGY",
        "resource": draw(_RESOURCE),
        "cost_basis": draw(st.sampled_from(CostBasis)),
        "hours": [draw(_energy_hour(hour)) for hour in draw(_HOURS)],
    }


@st.composite
def _ancillary_bid(draw: st.DrawFn) -> dict[str, Any]:
    def offers() -> list[dict[str, Any]]:
        products = draw(st.lists(st.sampled_from(AncillaryProduct), min_size=1, unique=True))
        return [
            {"product": product, "mw": draw(_QUANTITY), "price": draw(_QUANTITY)}
            for product in products
        ]

    return {
        "kind": "ANCILLARY",
        "resource": draw(_RESOURCE),
        "hours": [{"hour": hour, "offers": offers()} for hour in draw(_HOURS)],
    }


@st.composite
def _virtual_bid(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": "VIRTUAL",
        "location": draw(_RESOURCE),
        "side": draw(st.sampled_from(VirtualSide)),
        "hours": [{"hour": hour, "segments": draw(_segments(1))} for hour in draw(_HOURS)],
    }


@st.composite
def _trade_bid(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": "TRADE",
        "counterparty": draw(st.sampled_from(["BRKR", 'A,B"C'])),
        "location": draw(_RESOURCE),
        "product": draw(st.sampled_from(TradeProduct)),
        "direction": draw(st.sampled_from(TradeDirection)),
        "hours": [{"hour": hour, "mw": draw(_QUANTITY)} for hour in draw(_HOURS)],
    }


@st.composite
def bid_sets(draw: st.DrawFn) -> BidSet:
    bids = draw(
        st.lists(
            st.one_of(_energy_bid(), _ancillary_bid(), _virtual_bid(), _trade_bid()),
            min_size=1,
            max_size=5,
        )
    )
    return BidSet.model_validate(
        {
            "scid": draw(_TEXT),
            "market": draw(st.sampled_from(["DAM", "RTM"])),
            "trade_date": draw(st.dates()),
            "bids": bids,
        }
    )


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(bid_sets())
def test_csv_round_trip(bid_set: BidSet) -> None:
    assert parse_csv(render_csv(bid_set)) == bid_set


@ROUND_TRIP
@given(bid_sets())
def test_xml_round_trip(bid_set: BidSet) -> None:
    assert parse_xml(render_xml(bid_set)) == bid_set


@ROUND_TRIP
@given(bid_sets())
def test_csv_and_xml_carry_the_same_bid_set(bid_set: BidSet) -> None:
    assert parse_csv(render_csv(parse_xml(render_xml(bid_set)))) == bid_set


# --- the documented example ------------------------------------------------------------


def _doc_block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1, f"docs/bid-formats.md should have one {language} example"
    return str(blocks[0])


def test_the_documented_example_is_the_same_bid_set_in_json_csv_and_xml() -> None:
    from_json = BidSet.model_validate_json(_doc_block("json"))
    assert parse_csv(_doc_block("csv").encode()) == from_json
    assert parse_xml(_doc_block("xml").encode()) == from_json


def test_the_documented_csv_and_xml_are_what_render_writes() -> None:
    from_json = BidSet.model_validate_json(_doc_block("json"))
    assert render_csv(from_json).decode().replace("\r\n", "\n") == _doc_block("csv")
    assert render_xml(from_json).decode() == _doc_block("xml")


# --- CSV layout ------------------------------------------------------------------------


def test_csv_header_is_matched_without_case_or_spaces_in_any_order() -> None:
    data = csv_file(
        "ENERGY,R1,1,1,40,25,DTGA,DAM,2020-07-15",
        header=" Kind ,RESOURCE,hour,segment,mw,price,scid,market,trade_date",
    )
    bid = parse_csv(data).bids[0]
    assert isinstance(bid, EnergyBid)
    assert bid.cost_basis is CostBasis.REGISTERED
    assert bid.hours[0].segments[0].price == Decimal(25)


def test_csv_reads_a_byte_order_mark_blank_lines_and_crlf() -> None:
    data = b"\xef\xbb\xbf" + csv_file(energy_row(), "", energy_row(2)).replace(b"\n", b"\r\n")
    assert [hour.hour for hour in parse_csv(data).bids[0].hours] == [1, 2]


def test_csv_groups_rows_of_a_bid_wherever_they_are_and_orders_by_segment() -> None:
    data = csv_file(
        energy_row(2, segment="2", mw="80", price="30"),
        f"{SET},VIRTUAL,,N1,,SUPPLY,,,,1,,,1,5,20",
        energy_row(2, segment="1", mw="40", price="25"),
        energy_row(1, segment="7", mw="1e2", price=" 9.5 "),
    )
    bid_set = parse_csv(data)
    assert [bid.kind for bid in bid_set.bids] == ["ENERGY", "VIRTUAL"]
    energy = bid_set.bids[0]
    assert isinstance(energy, EnergyBid)
    assert [hour.hour for hour in energy.hours] == [1, 2]
    assert [segment.mw for segment in energy.hours[1].segments] == [40, 80]
    assert energy.hours[0].segments[0].mw == Decimal(100)
    assert energy.hours[0].segments[0].price == Decimal("9.5")


def test_csv_self_schedule_may_stand_alone_or_repeat_on_every_segment_row() -> None:
    data = csv_file(
        f"{SET},ENERGY,R1,,PROXY,,,,,1,20,PT,1,40,25",
        f"{SET},ENERGY,R1,,,,,,,1,20,PT,2,60,30",
        f"{SET},ENERGY,R1,,,,,,,2,15,LPT,,,",
    )
    bid = parse_csv(data).bids[0]
    assert isinstance(bid, EnergyBid)
    assert bid.cost_basis is CostBasis.PROXY
    first, second = bid.hours
    assert (first.self_schedule_mw, first.self_schedule_type) == (Decimal(20), SelfScheduleType.PT)
    assert len(first.segments) == 2
    assert second.self_schedule_mw == Decimal(15)
    assert second.segments == []


def test_csv_bid_label_keeps_two_bids_on_one_resource_apart() -> None:
    header = "bid," + CSV_HEADER
    data = csv_file(f"a,{energy_row(1)}", f"b,{energy_row(1)}", f"a,{energy_row(2)}", header=header)
    bids = parse_csv(data).bids
    assert [[hour.hour for hour in bid.hours] for bid in bids] == [[1, 2], [1]]
    assert render_csv(parse_csv(data)).startswith(b"bid,scid,")


def test_render_csv_leaves_out_the_bid_label_when_keys_differ() -> None:
    assert render_csv(parse_csv(csv_file(energy_row()))).startswith(b"scid,")


# --- CSV errors ------------------------------------------------------------------------

CSV_ERRORS: list[tuple[str, bytes, str, str]] = [
    ("not utf-8", csv_file(energy_row()) + b"\xff\n", "line 3", "must be UTF-8"),
    ("empty", b"", "line 1", "the file is empty"),
    ("only spaces", b" \n\n", "line 1", "the file is empty"),
    ("no header", (energy_row() + "\n").encode(), "line 1", "must be a header"),
    ("unknown column", csv_file(header=CSV_HEADER + ",colour"), "line 1, column colour", "unknown"),
    ("column twice", csv_file(header=CSV_HEADER + ",mw"), "line 1, column mw", "named twice"),
    ("unnamed column", csv_file(header=CSV_HEADER + ", "), "line 1, column #18", "without a name"),
    (
        "missing column",
        csv_file(header="scid,market,trade_date,kind"),
        "line 1, column hour",
        "required",
    ),
    ("no rows", csv_file(), "line 1", "no bid rows"),
    ("bad quoting", csv_file(energy_row(), '"DTGA,DAM'), "line 3", "not readable as CSV"),
    ("too many cells", csv_file(energy_row() + ",x"), "line 2, column #18", "18 cells"),
    ("word for mw", csv_file(energy_row(mw="ten")), "line 2, column mw", "'ten' is not a number"),
    ("nan price", csv_file(energy_row(price="NaN")), "line 2, column price", "not a number"),
    ("underscored", csv_file(energy_row(mw="1_000")), "line 2, column mw", "not a number"),
    ("half hour", csv_file(energy_row(hour="1.5")), "line 2, column hour", "not a whole number"),
    ("no hour", csv_file(energy_row(hour="")), "line 2, column hour", "needs the hour"),
    (
        "two scids",
        csv_file(energy_row(1), energy_row(2).replace("DTGA", "XXXX")),
        "line 3, column scid",
        "must be the same on every row",
    ),
    (
        "two dates",
        csv_file(energy_row(1), energy_row(2).replace("2020-07-15", "2020-07-16")),
        "line 3, column trade_date",
        "must be the same on every row",
    ),
    (
        "unknown kind",
        csv_file(energy_row().replace("ENERGY", "ENERGIE")),
        "line 2, column kind",
        "ENERGIE is not a kind of bid",
    ),
    (
        "unused column",
        csv_file(f"{SET},ENERGY,R1,,,SUPPLY,,,,1,,,1,40,25"),
        "line 2, column side",
        "ENERGY bids do not use this column",
    ),
    (
        "segment on a trade",
        csv_file(f"{SET},TRADE,,N1,,,BRKR,ENERGY,SELL,1,,,1,25,"),
        "line 2, column segment",
        "TRADE bids do not use this column",
    ),
    (
        "cost bases differ",
        csv_file(
            f"{SET},ENERGY,R1,,PROXY,,,,,1,,,1,40,25",
            f"{SET},ENERGY,R1,,REGISTERED,,,,,2,,,1,40,25",
        ),
        "line 3, column cost_basis",
        "differs from line 2 (PROXY) of the same bid",
    ),
    (
        "self-schedules differ",
        csv_file(
            f"{SET},ENERGY,R1,,,,,,,1,20,PT,1,40,25", f"{SET},ENERGY,R1,,,,,,,1,25,PT,2,60,25"
        ),
        "line 3, column self_schedule_mw",
        "differs from line 2 (20) of the same hour",
    ),
    (
        "segment unnumbered",
        csv_file(energy_row(segment="")),
        "line 2, column segment",
        "needs its number",
    ),
    ("segment zero", csv_file(energy_row(segment="0")), "line 2, column segment", "start at 1"),
    (
        "segment twice",
        csv_file(energy_row(), energy_row(mw="50")),
        "line 3, column segment",
        "segment 1 of this hour is already on line 2",
    ),
    (
        "trade hour twice",
        csv_file(
            f"{SET},TRADE,,N1,,,BRKR,ENERGY,SELL,1,,,,25,",
            f"{SET},TRADE,,N1,,,BRKR,ENERGY,SELL,1,,,,30,",
        ),
        "line 3, column hour",
        "HE1 of this bid is already on line 2",
    ),
]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [case[1:] for case in CSV_ERRORS],
    ids=[case[0] for case in CSV_ERRORS],
)
def test_csv_error_names_where(data: bytes, where: str, message: str) -> None:
    problem = only_problem(parse_csv, data)
    assert problem.where == where
    assert message in problem.message
    assert problem.line == int(where.split(",")[0].removeprefix("line "))


SCHEMA_ERRORS_IN_CSV: list[tuple[str, bytes, str, str]] = [
    (
        "bad market",
        csv_file(energy_row().replace("DAM", "DAX")),
        "line 2, column market",
        "'DAM' or 'RTM'",
    ),
    (
        "bad date",
        csv_file(energy_row().replace("2020-07-15", "2020-13-01")),
        "line 2, column trade_date",
        "date",
    ),
    ("hour 26", csv_file(energy_row(hour=26)), "line 2, column hour", "less than or equal to 25"),
    (
        "price missing",
        csv_file(energy_row(price="")),
        "line 2, column price",
        "a value is required",
    ),
    (
        "too many decimals",
        csv_file(energy_row(2), energy_row(mw="1.0000001")),
        "line 3, column mw",
        "decimal places",
    ),
    (
        "nothing offered",
        csv_file(f"{SET},ENERGY,R1,,,,,,,1,,,,,"),
        "line 2, column hour",
        "an hour needs segments, a self-schedule, or both",
    ),
    (
        "self-schedule without type",
        csv_file(energy_row(2), f"{SET},ENERGY,R1,,,,,,,1,20,,,,"),
        "line 3, column hour",
        "go together",
    ),
    (
        "product twice",
        csv_file(
            f"{SET},ANCILLARY,R1,,,,,SPIN,,1,,,,10,5",
            f"{SET},ANCILLARY,R1,,,,,SPIN,,1,,,,10,6",
        ),
        "line 2, column product",
        "each product at most once per hour",
    ),
    (
        "bad product",
        csv_file(f"{SET},ANCILLARY,R1,,,,,SPUN,,1,,,,10,5"),
        "line 2, column product",
        "'REG_UP'",
    ),
    (
        "virtual without segments",
        csv_file(f"{SET},VIRTUAL,,N1,,DEMAND,,,,1,,,,,"),
        "line 2, column segment",
        "at least 1 item",
    ),
    (
        "no resource",
        csv_file(energy_row().replace(",R1,", ",,")),
        "line 2, column resource",
        "required",
    ),
    (
        "bad direction",
        csv_file(f"{SET},TRADE,,N1,,,BRKR,ENERGY,SWAP,1,,,,25,"),
        "line 2, column direction",
        "'SELL' or 'BUY'",
    ),
    (
        "long counterparty",
        csv_file(f"{SET},TRADE,,N1,,,ABCDEFGHI,ENERGY,SELL,1,,,,25,"),
        "line 2, column counterparty",
        "at most 8 characters",
    ),
]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [case[1:] for case in SCHEMA_ERRORS_IN_CSV],
    ids=[case[0] for case in SCHEMA_ERRORS_IN_CSV],
)
def test_csv_schema_error_is_placed_at_its_row_and_column(
    data: bytes, where: str, message: str
) -> None:
    problem = only_problem(parse_csv, data)
    assert (problem.where, problem.line) == (where, int(where.split(",")[0][5:]))
    assert message in problem.message


def test_csv_schema_errors_in_a_later_bid_point_at_that_bid_rows() -> None:
    data = csv_file(
        energy_row(1),
        f"{SET},VIRTUAL,,N1,,SUPPLY,,,,1,,,1,5,20",
        f"{SET},VIRTUAL,,N1,,SUPPLY,,,,2,,,1,5,",
    )
    assert [str(problem) for problem in problems_of(parse_csv, data)] == [
        "line 4, column price: a value is required"
    ]


def test_csv_reports_every_problem_of_a_step_at_once() -> None:
    data = csv_file(energy_row(mw="x"), energy_row(2, price="y"))
    assert [problem.where for problem in problems_of(parse_csv, data)] == [
        "line 2, column mw",
        "line 3, column price",
    ]


def test_csv_line_numbers_count_quoted_line_breaks() -> None:
    data = csv_file(f'{SET},ENERGY,"R\n1",,,,,,,1,,,1,40,25', energy_row(mw="x"))
    assert only_problem(parse_csv, data).where == "line 4, column mw"


# --- XML layout ------------------------------------------------------------------------


def test_xml_without_namespace_and_with_it_read_the_same() -> None:
    bid = '<EnergyBid resource="R1"><Hour he="1"><Segment mw="40" price="25"/></Hour></EnergyBid>'
    plain = xml_file(bid)
    spaced = plain.replace(b"<BidSet ", b'<BidSet xmlns="urn:gridmarket:bidset:1" ')
    assert parse_xml(plain) == parse_xml(spaced)


def test_xml_keeps_document_order_of_bids_segments_and_offers() -> None:
    data = xml_file(
        '<Trade counterparty="BRKR" location="N1" product="SPIN" direction="BUY">'
        '<Hour he="3" mw="5"/></Trade>',
        '<AncillaryBid resource="R1"><Hour he="1"><Offer product="SPIN" mw="1" price="2"/>'
        '<Offer product="REG_UP" mw="3" price="4"/></Hour></AncillaryBid>',
        "<!-- a comment --><?pi ignored?>",
    )
    bid_set = parse_xml(data)
    assert [bid.kind for bid in bid_set.bids] == ["TRADE", "ANCILLARY"]
    offers = bid_set.bids[1].hours[0].offers  # type: ignore[union-attr]
    assert [offer.product for offer in offers] == ["SPIN", "REG_UP"]


def test_xml_encodes_awkward_identifiers() -> None:
    bid_set = parse_xml(
        xml_file(
            '<EnergyBid resource="A&amp;B &lt;&quot;&#10;"><Hour he="1" selfScheduleMW="5"'
            ' selfScheduleType="RMR"/></EnergyBid>'
        )
    )
    assert bid_set.bids[0].resource == 'A&B <"\n'  # type: ignore[union-attr]
    assert parse_xml(render_xml(bid_set)) == bid_set


def test_render_xml_refuses_characters_xml_cannot_carry() -> None:
    bid_set = parse_csv(csv_file(energy_row().replace(",R1,", ",R\x01,")))
    with pytest.raises(ValueError, match="XML cannot carry"):
        render_xml(bid_set)


# --- XML errors ------------------------------------------------------------------------

_ENERGY = '<EnergyBid resource="R1"><Hour he="1"><Segment mw="40" price="25"/></Hour></EnergyBid>'

XML_ERRORS: list[tuple[str, bytes, str, str]] = [
    ("not utf-8", xml_file(_ENERGY) + b"<!-- \xff -->", "line 4", "must be UTF-8"),
    ("empty", b"", "line 1", "the file is empty"),
    ("not well-formed", xml_file("<EnergyBid>"), "line 3", "not well-formed XML"),
    ("not xml", b"scid,market\n", "line 1", "not well-formed XML"),
    ("undefined entity", xml_file('<EnergyBid resource="&x;"/>'), "line 2", "undefined entity"),
    ("wrong root", b'<Bids scid="DTGA"/>', "/Bids (line 1)", "must be <BidSet>"),
    (
        "unknown element",
        xml_file(_ENERGY, "<Sneaky/>"),
        "/BidSet/Sneaky[1] (line 3)",
        "<Sneaky> is not expected inside <BidSet>",
    ),
    (
        "element in the wrong place",
        xml_file(
            '<Trade counterparty="B" location="N" product="SPIN" direction="BUY">'
            '<Hour he="1" mw="5"><Segment mw="1" price="1"/></Hour></Trade>'
        ),
        "/BidSet/Trade[1]/Hour[1]/Segment[1] (line 2)",
        "it holds nothing",
    ),
    (
        "unknown attribute",
        xml_file(_ENERGY.replace('he="1"', 'he="1" colour="red"')),
        "/BidSet/EnergyBid[1]/Hour[1]/@colour (line 2)",
        "<Hour> has no attribute 'colour'",
    ),
    (
        "namespaced attribute",
        xml_file(_ENERGY.replace("<EnergyBid ", '<EnergyBid xmlns:x="urn:x" x:note="1" ')),
        "/BidSet/EnergyBid[1]/@note (line 2)",
        "no namespace",
    ),
    (
        "foreign namespace",
        xml_file(_ENERGY.replace("<EnergyBid ", '<EnergyBid xmlns="urn:other" ')),
        "/BidSet/EnergyBid[1] (line 2)",
        "namespace 'urn:other'",
    ),
    (
        "text inside",
        xml_file(_ENERGY.replace("</Hour>", "40 MW</Hour>")),
        "/BidSet/EnergyBid[1]/Hour[1] (line 2)",
        "text is not allowed inside <Hour>",
    ),
    (
        "word for mw",
        xml_file(_ENERGY, _ENERGY.replace('mw="40"', 'mw="forty"')),
        "/BidSet/EnergyBid[2]/Hour[1]/Segment[1]/@mw (line 3)",
        "'forty' is not a number",
    ),
    (
        "half hour",
        xml_file(_ENERGY.replace('he="1"', 'he="1.5"')),
        "/BidSet/EnergyBid[1]/Hour[1]/@he (line 2)",
        "not a whole number",
    ),
]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [case[1:] for case in XML_ERRORS],
    ids=[case[0] for case in XML_ERRORS],
)
def test_xml_error_names_where(data: bytes, where: str, message: str) -> None:
    problem = only_problem(parse_xml, data)
    assert problem.where == where
    assert message in problem.message
    assert problem.line == int(re.findall(r"line (\d+)", where)[0])


def _multi_line_energy(price: str) -> str:
    return (
        '<EnergyBid resource="R2">\n'
        '  <Hour he="1"><Segment mw="10" price="1"/></Hour>\n'
        '  <Hour he="2"><Segment mw="10" price="1"/></Hour>\n'
        f'  <Hour he="3">\n    <Segment mw="10" price="1"/>\n    <Segment mw="20" {price}/>\n'
        "  </Hour>\n</EnergyBid>"
    )


SCHEMA_ERRORS_IN_XML: list[tuple[str, bytes, str, str]] = [
    (
        "missing price",
        xml_file(_ENERGY, _multi_line_energy("")),
        "/BidSet/EnergyBid[2]/Hour[3]/Segment[2]/@price (line 8)",
        "a value is required",
    ),
    (
        "price with too many digits",
        xml_file(_ENERGY, _multi_line_energy('price="123456789.123456"')),
        "/BidSet/EnergyBid[2]/Hour[3]/Segment[2]/@price (line 8)",
        "digits",
    ),
    ("bad market", xml_file(_ENERGY).replace(b"DAM", b"DAX"), "/BidSet/@market (line 1)", "'DAM'"),
    (
        "no scid",
        xml_file(_ENERGY).replace(b'scid="DTGA" ', b""),
        "/BidSet/@scid (line 1)",
        "required",
    ),
    ("no bids", xml_file(), "/BidSet (line 1)", "at least 1 item"),
    (
        "hour twice",
        xml_file(
            _ENERGY.replace(
                "</EnergyBid>",
                '<Hour he="1" selfScheduleMW="1" selfScheduleType="PT"/></EnergyBid>',
            )
        ),
        "/BidSet/EnergyBid[1] (line 2)",
        "HE1 listed twice",
    ),
    (
        "hour 0",
        xml_file(_ENERGY.replace('he="1"', 'he="0"')),
        "/BidSet/EnergyBid[1]/Hour[1]/@he (line 2)",
        "greater than or equal to 1",
    ),
    (
        "virtual without segments",
        xml_file('<VirtualBid location="N1" side="SUPPLY"><Hour he="1"/></VirtualBid>'),
        "/BidSet/VirtualBid[1]/Hour[1] (line 2)",
        "at least 1 item",
    ),
    (
        "product twice",
        xml_file(
            '<AncillaryBid resource="R1"><Hour he="1"><Offer product="SPIN" mw="1" '
            'price="1"/><Offer product="SPIN" mw="2" price="1"/></Hour></AncillaryBid>'
        ),
        "/BidSet/AncillaryBid[1]/Hour[1] (line 2)",
        "each product at most once per hour",
    ),
    (
        "bad side",
        xml_file(
            '<VirtualBid location="N1" side="BOTH"><Hour he="1"><Segment mw="1" '
            'price="1"/></Hour></VirtualBid>'
        ),
        "/BidSet/VirtualBid[1]/@side (line 2)",
        "'SUPPLY' or 'DEMAND'",
    ),
    (
        "trade without mw",
        xml_file(
            '<Trade counterparty="B" location="N" product="SPIN" direction="BUY">'
            '<Hour he="1"/></Trade>'
        ),
        "/BidSet/Trade[1]/Hour[1]/@mw (line 2)",
        "required",
    ),
]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [case[1:] for case in SCHEMA_ERRORS_IN_XML],
    ids=[case[0] for case in SCHEMA_ERRORS_IN_XML],
)
def test_xml_schema_error_is_placed_at_its_element(data: bytes, where: str, message: str) -> None:
    problem = only_problem(parse_xml, data)
    assert problem.where == where
    assert message in problem.message


# --- XML attacks -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<BidSet scid="&lol9;" market="DAM" tradeDate="2020-07-15"/>
"""

ATTACKS = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": b'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'\n<BidSet scid="&x;" market="DAM" tradeDate="2020-07-15"/>',
    "external dtd": b'<?xml version="1.0"?>\n<!DOCTYPE BidSet SYSTEM "http://example.com/b.dtd">'
    b'\n<BidSet scid="DTGA" market="DAM" tradeDate="2020-07-15"/>',
    "parameter entity": b'<?xml version="1.0"?>\n<!DOCTYPE b [<!ENTITY % p SYSTEM "http://x/">%p;]>'
    b"\n<BidSet/>",
    "plain doctype": b"<!DOCTYPE BidSet>\n" + xml_file(_ENERGY),
}


@pytest.mark.parametrize("data", ATTACKS.values(), ids=ATTACKS.keys())
def test_xml_refuses_any_document_type_declaration(data: bytes) -> None:
    problem = only_problem(parse_xml, data)
    assert "document type declaration (DTD) is not allowed" in problem.message
    assert problem.where == f"line {problem.line}"
    assert problem.line in (1, 2)


# --- the error itself ------------------------------------------------------------------


def test_bid_file_error_is_invalid_input_listing_the_problems() -> None:
    with pytest.raises(BidFileError) as caught:
        parse_csv(csv_file(energy_row(mw="x")))
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.http_status == 422
    assert error.file_format == "CSV"
    assert error.message == "the CSV bid file has 1 problem: line 2, column mw: 'x' is not a number"


def test_bid_file_error_message_spells_out_twenty_problems_and_counts_the_rest() -> None:
    rows = [energy_row(hour, mw="x") for hour in range(1, 26)]
    with pytest.raises(BidFileError) as caught:
        parse_csv(csv_file(*rows))
    assert len(caught.value.problems) == 25
    assert caught.value.message.startswith("the CSV bid file has 25 problems: line 2, column mw")
    assert caught.value.message.endswith("; and 5 more")


def test_bid_file_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        BidFileError([], file_format="CSV")


# --- speed -----------------------------------------------------------------------------


def _full_day_energy_bid_set(resources: int = 150) -> BidSet:
    return BidSet.model_validate(
        {
            "scid": "DTGA",
            "market": "DAM",
            "trade_date": "2020-07-15",
            "bids": [
                {
                    "kind": "ENERGY",
                    "resource": f"UNIT_{number:03d}",
                    "hours": [
                        {
                            "hour": hour,
                            "segments": [
                                {"mw": 10 * (segment + 1), "price": f"{20 + segment}.25"}
                                for segment in range(10)
                            ],
                        }
                        for hour in range(1, 25)
                    ],
                }
                for number in range(resources)
            ],
        }
    )


@pytest.mark.parametrize(
    ("render", "parse"), [(render_csv, parse_csv), (render_xml, parse_xml)], ids=["csv", "xml"]
)
def test_a_full_day_of_ten_segment_bids_for_150_resources_round_trips(
    render: Callable[[BidSet], bytes], parse: Callable[[bytes], BidSet]
) -> None:
    bid_set = _full_day_energy_bid_set()
    data = render(bid_set)
    assert parse(data) == bid_set


@pytest.mark.parametrize("written", ["20200715", "0", "15/07/2020"])
def test_a_trade_date_not_written_yyyy_mm_dd_is_a_problem_not_a_timestamp(written: str) -> None:
    # As a JSON number or a string of digits, pydantic alone reads a Unix timestamp.
    for value in (written, int(written)) if written.isdigit() else (written,):
        body = json.dumps({"scid": "DTGA", "market": "DAM", "trade_date": value, "bids": [
            {"kind": "ENERGY", "resource": "GEN 1",
             "hours": [{"hour": 1, "segments": [{"mw": 10, "price": 20}]}]}]})
        with pytest.raises(BidFileError) as refused:
            parse_bid_file(body.encode(), "json")
        assert [p.where for p in refused.value.problems] == ["trade_date"]
        assert "write it YYYY-MM-DD" in refused.value.problems[0].message
