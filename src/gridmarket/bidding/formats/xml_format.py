"""Bid sets as XML: an ISO-style bid set document (our own schema, after CAISO SIBR's idea).

The layout (documented for SCs in ``docs/bid-formats.md``)::

    <BidSet xmlns="urn:gridmarket:bidset:1" scid="DTGA" market="DAM" tradeDate="2020-07-15">
      <EnergyBid resource="101_STEAM_3" costBasis="REGISTERED">
        <Hour he="1" selfScheduleMW="20" selfScheduleType="PT">
          <Segment mw="40" price="25.5"/>
        </Hour>
      </EnergyBid>
      <AncillaryBid resource="101_STEAM_3">
        <Hour he="1"><Offer product="REG_UP" mw="10" price="5"/></Hour>
      </AncillaryBid>
      <VirtualBid location="TH_NP15" side="SUPPLY">
        <Hour he="1"><Segment mw="10" price="31"/></Hour>
      </VirtualBid>
      <Trade counterparty="BRKR" location="TH_NP15" product="ENERGY" direction="SELL">
        <Hour he="1" mw="25"/>
      </Trade>
    </BidSet>

Every value is an attribute; elements hold only elements. Bids are numbered in
document order, as are segments (which are breakpoints, so in rising order)
and offers. The default namespace ``urn:gridmarket:bidset:1`` is optional:
elements are in it or in no namespace (:func:`render_xml` writes it).
Attributes are unqualified. The encoding
is UTF-8. A document type declaration (DTD) is refused outright, so no entity
can be declared, expanded or fetched (no billion laughs, no external entities).

Example::

    >>> bid_set = parse_xml(
    ...     b'<BidSet scid="DTGA" market="DAM" tradeDate="2020-07-15">'
    ...     b'<EnergyBid resource="101_STEAM_3"><Hour he="1">'
    ...     b'<Segment mw="40" price="25.5"/></Hour></EnergyBid></BidSet>')
    >>> bid_set.bids[0].hours[0].segments[0].price
    Decimal('25.5')
    >>> parse_xml(render_xml(bid_set)) == bid_set
    True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any
from xml.parsers import expat

from pydantic import BaseModel

from gridmarket.bidding.formats.errors import (
    BidFileError,
    BidProblem,
    Loc,
    Origins,
    Place,
    format_decimal,
    not_a_number,
    read_decimal,
    read_integer,
    validate_draft,
)
from gridmarket.bidding.schema import BidKind, BidSet

FORMAT = "XML"
NAMESPACE = "urn:gridmarket:bidset:1"
"""The optional default namespace of a bid set document."""

DECIMAL_FIELDS = frozenset({"mw", "price", "self_schedule_mw"})
INTEGER_FIELDS = frozenset({"hour"})
_NOT_XML_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


@dataclass(frozen=True)
class _Shape:
    """What an element may hold: attributes (and the draft fields they fill), child elements."""

    attributes: dict[str, str]
    """Attribute name → draft field."""
    children: dict[str, tuple[str, _Shape]] = field(default_factory=dict)
    """Child element name → (the draft list it adds to, its shape)."""
    fixed: dict[str, str] = field(default_factory=dict)
    """Draft fields the element name itself gives (a bid's ``kind``)."""

    @functools.cached_property
    def lists(self) -> list[str]:
        """The draft lists the children fill, each once, in order."""
        return list(dict.fromkeys(list_field for list_field, _ in self.children.values()))


_SEGMENT = _Shape({"mw": "mw", "price": "price"})
_OFFER = _Shape({"product": "product", "mw": "mw", "price": "price"})
_ENERGY_HOUR = _Shape(
    {"he": "hour", "selfScheduleMW": "self_schedule_mw", "selfScheduleType": "self_schedule_type"},
    {"Segment": ("segments", _SEGMENT)},
)
_ANCILLARY_HOUR = _Shape({"he": "hour"}, {"Offer": ("offers", _OFFER)})
_VIRTUAL_HOUR = _Shape({"he": "hour"}, {"Segment": ("segments", _SEGMENT)})
_TRADE_HOUR = _Shape({"he": "hour", "mw": "mw"})
_BIDS = {
    "EnergyBid": _Shape(
        {"resource": "resource", "costBasis": "cost_basis"},
        {"Hour": ("hours", _ENERGY_HOUR)},
        fixed={"kind": BidKind.ENERGY.value},
    ),
    "AncillaryBid": _Shape(
        {"resource": "resource"},
        {"Hour": ("hours", _ANCILLARY_HOUR)},
        fixed={"kind": BidKind.ANCILLARY.value},
    ),
    "VirtualBid": _Shape(
        {"location": "location", "side": "side"},
        {"Hour": ("hours", _VIRTUAL_HOUR)},
        fixed={"kind": BidKind.VIRTUAL.value},
    ),
    "Trade": _Shape(
        {
            "counterparty": "counterparty",
            "location": "location",
            "product": "product",
            "direction": "direction",
        },
        {"Hour": ("hours", _TRADE_HOUR)},
        fixed={"kind": BidKind.TRADE.value},
    ),
}
_BID_SET = _Shape(
    {"scid": "scid", "market": "market", "tradeDate": "trade_date"},
    {name: ("bids", shape) for name, shape in _BIDS.items()},
)
ROOT = "BidSet"


def _attribute_names(shape: _Shape) -> dict[str, str]:
    names = {draft_field: attribute for attribute, draft_field in shape.attributes.items()}
    for _, child in shape.children.values():
        names.update(_attribute_names(child))
    return names


_ATTRIBUTE_OF = _attribute_names(_BID_SET)
"""Draft field → the attribute that gives it (the same name wherever it appears)."""


@dataclass(frozen=True)
class XmlPlace:
    """An element (or attribute) of an XML document by its path, and its line when known.

    Example::

        >>> place = XmlPlace("/BidSet/EnergyBid[2]/Hour[3]/Segment[1]", 14)
        >>> place.refined("price").where
        '/BidSet/EnergyBid[2]/Hour[3]/Segment[1]/@price (line 14)'
    """

    path: str | None
    line: int | None

    @property
    def where(self) -> str:
        line = None if self.line is None else f"line {self.line}"
        if self.path is None:
            return line or "the document"
        return f"{self.path} ({line})" if line else self.path

    def place(self, detail: str | None = None) -> Place:
        """This place, or its attribute ``detail`` (so a place is also a :class:`Source`)."""
        if detail is None or self.path is None:
            return self
        return XmlPlace(f"{self.path}/@{detail}", self.line)

    def refined(self, field: str) -> Place:
        attribute = _ATTRIBUTE_OF.get(field)
        if self.path is None or "/@" in self.path or attribute is None:
            return self
        return XmlPlace(f"{self.path}/@{attribute}", self.line)


@dataclass
class _Element:
    name: str
    attributes: dict[str, str]
    path: str
    line: int
    children: list[_Element] = field(default_factory=list)
    child_counts: dict[str, int] = field(default_factory=dict)

    def place(self, detail: str | None = None) -> XmlPlace:
        """The element's path and line, or the path of its attribute ``detail``."""
        return XmlPlace(f"{self.path}/@{detail}" if detail else self.path, self.line)


class _Problems(list[BidProblem]):
    def add(self, place: XmlPlace, message: str) -> None:
        self.append(BidProblem(place.where, message, line=place.line))

    def raise_any(self) -> None:
        if self:
            raise BidFileError(self, file_format=FORMAT)


class _Refused(Exception):
    """A document type declaration: stop reading at once."""


class _TreeBuilder:
    """Builds the element tree from expat's events, noting each element's path and line."""

    def __init__(self, parser: expat.XMLParserType, problems: _Problems) -> None:
        self._parser = parser
        self._problems = problems
        self._open: list[_Element] = []
        self._texted: set[str] = set()
        self._foreign: set[str] = set()
        self.root: _Element | None = None

    def start(self, qualified_name: str, attributes: dict[str, str]) -> None:
        line = self._parser.CurrentLineNumber
        namespace, _, name = qualified_name.rpartition(" ")
        path = self._path_of(name)
        if namespace and namespace != NAMESPACE and namespace not in self._foreign:
            self._foreign.add(namespace)
            self._problems.add(
                XmlPlace(path, line),
                f"namespace {namespace!r} is not a bid set's; use {NAMESPACE!r} or none",
            )
        element = _Element(name, self._plain_attributes(attributes, path, line), path, line)
        if self._open:
            self._open[-1].children.append(element)
        else:
            self.root = element
        self._open.append(element)

    def end(self, _name: str) -> None:
        self._open.pop()

    def text(self, data: str) -> None:
        if data.strip() and self._open and self._open[-1].path not in self._texted:
            element = self._open[-1]
            self._texted.add(element.path)
            self._problems.add(
                element.place(), f"text is not allowed inside <{element.name}>: use attributes"
            )

    def refuse_doctype(self, *_args: object) -> None:
        raise _Refused

    def _path_of(self, name: str) -> str:
        if not self._open:
            return f"/{name}"
        parent = self._open[-1]
        parent.child_counts[name] = parent.child_counts.get(name, 0) + 1
        return f"{parent.path}/{name}[{parent.child_counts[name]}]"

    def _plain_attributes(self, attributes: dict[str, str], path: str, line: int) -> dict[str, str]:
        plain: dict[str, str] = {}
        for qualified_name, value in attributes.items():
            namespace, _, name = qualified_name.rpartition(" ")
            if namespace:
                self._problems.add(
                    XmlPlace(f"{path}/@{name}", line), "attributes of a bid set have no namespace"
                )
            else:
                plain[name] = value
        return plain


def parse_xml(data: bytes) -> BidSet:
    """The bid set an XML document describes, or a :class:`BidFileError` listing what is wrong.

    Example::

        >>> parse_xml(b'<BidSet scid="DTGA" market="DAM" tradeDate="2020-07-15">'
        ...           b'<Trade counterparty="BRKR" location="TH_NP15" product="ENERGY"'
        ...           b' direction="SELL"><Hour he="1" mw="many"/></Trade></BidSet>')
        Traceback (most recent call last):
        ...
        gridmarket.bidding.formats.errors.BidFileError: the XML bid file has 1 problem: \
/BidSet/Trade[1]/Hour[1]/@mw (line 1): 'many' is not a number
    """
    return _parse_xml(data)


def _parse_xml(data: bytes) -> BidSet:
    """:func:`parse_xml`, with the collector paused by the caller."""
    problems = _Problems()
    root = _tree(data, problems)
    if root is None:
        problems.raise_any()
        raise AssertionError("a document without a tree has a problem")
    draft = _root_draft(root, Origins.unrecorded(root), problems)
    problems.raise_any()
    return validate_draft(draft, lambda: _origins(root), file_format=FORMAT)


def _origins(root: _Element) -> Origins:
    """Where each part of the draft of the document ``root`` came from."""
    origins = Origins(root)
    _root_draft(root, origins, _Problems())
    return origins


def _tree(data: bytes, problems: _Problems) -> _Element | None:
    """The document's element tree, or None if it is not well-formed XML.

    Problems with the bytes or the XML itself go to ``problems``.
    """
    if not _is_utf8(data, problems):
        return None
    if not data.strip():
        problems.add(XmlPlace(None, 1), "the file is empty: it needs a <BidSet> document")
        return None
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    builder = _TreeBuilder(parser, problems)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    parser.StartDoctypeDeclHandler = builder.refuse_doctype
    parser.EntityDeclHandler = builder.refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _Refused:
        problems.add(
            XmlPlace(None, parser.CurrentLineNumber),
            "a document type declaration (DTD) is not allowed: no entities, no external references",
        )
        return None
    except expat.ExpatError as error:
        problems.add(
            XmlPlace(None, error.lineno),
            f"not well-formed XML: {expat.errors.messages[error.code]}",
        )
        return None
    return builder.root


def _is_utf8(data: bytes, problems: _Problems) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(
            XmlPlace(None, line),
            f"the file must be UTF-8 text; byte {error.start + 1} is not ({error.reason})",
        )
        return False
    return True


def _root_draft(root: _Element, origins: Origins, problems: _Problems) -> dict[str, Any]:
    if root.name != ROOT:
        problems.add(root.place(), f"the document element must be <{ROOT}>, not <{root.name}>")
        return {}
    return _draft(root, _BID_SET, (), origins, problems)


def _draft(
    element: _Element, shape: _Shape, loc: Loc, origins: Origins, problems: _Problems
) -> dict[str, Any]:
    """The draft of one element and everything inside it, noting where each part came from."""
    origins.note(loc, element)
    draft: dict[str, Any] = dict(shape.fixed)
    for attribute, text in element.attributes.items():
        draft_field = shape.attributes.get(attribute)
        if draft_field is None:
            expected = ", ".join(shape.attributes)
            problems.add(
                element.place(attribute),
                f"<{element.name}> has no attribute {attribute!r}; it has {expected}",
            )
            continue
        origins.note((*loc, draft_field), element, attribute)
        value = _value(draft_field, text, element, attribute, problems)
        if value is not None:
            draft[draft_field] = value
    for list_field in shape.lists:
        draft[list_field] = []
    for child in element.children:
        entry = shape.children.get(child.name)
        if entry is None:
            expected = ", ".join(f"<{name}>" for name in shape.children) or "nothing"
            problems.add(
                child.place(),
                f"<{child.name}> is not expected inside <{element.name}>; it holds {expected}",
            )
            continue
        list_field, child_shape = entry
        items: list[dict[str, Any]] = draft[list_field]
        items.append(_draft(child, child_shape, (*loc, list_field, len(items)), origins, problems))
    return draft


def _value(
    draft_field: str, text: str, element: _Element, attribute: str, problems: _Problems
) -> Any:
    """The value of an attribute: a number for number fields, else the text as written."""
    if draft_field not in DECIMAL_FIELDS and draft_field not in INTEGER_FIELDS:
        return text
    whole = draft_field in INTEGER_FIELDS
    number = read_integer(text) if whole else read_decimal(text)
    if number is None:
        problems.add(element.place(attribute), not_a_number(text, whole=whole))
    return number


def render_xml(bid_set: BidSet) -> bytes:
    """The bid set as an XML document in the layout :func:`parse_xml` reads.

    Raises ValueError if an identifier holds a character XML 1.0 cannot carry
    (a control character).

    Example::

        >>> bid_set = BidSet.model_validate({
        ...     "scid": "DTGA", "market": "DAM", "trade_date": "2020-07-15",
        ...     "bids": [{"kind": "TRADE", "counterparty": "BRKR", "location": "TH_NP15",
        ...               "product": "ENERGY", "direction": "SELL",
        ...               "hours": [{"hour": 1, "mw": 25}]}]})
        >>> print(render_xml(bid_set).decode())
        <?xml version="1.0" encoding="UTF-8"?>
        <BidSet xmlns="urn:gridmarket:bidset:1" scid="DTGA" market="DAM" tradeDate="2020-07-15">
          <Trade counterparty="BRKR" location="TH_NP15" product="ENERGY" direction="SELL">
            <Hour he="1" mw="25"/>
          </Trade>
        </BidSet>
        <BLANKLINE>
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.extend(_element_lines(ROOT, _BID_SET, bid_set, 0, f' xmlns="{NAMESPACE}"'))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _element_lines(
    name: str, shape: _Shape, model: BaseModel, depth: int, namespace: str = ""
) -> list[str]:
    indent = "  " * depth
    attributes = "".join(
        f' {attribute}="{_attribute_text(getattr(model, draft_field))}"'
        for attribute, draft_field in shape.attributes.items()
        if getattr(model, draft_field) is not None
    )
    children: list[str] = []
    for list_field in shape.lists:
        for item in getattr(model, list_field):
            child_name, child_shape = _child_for(shape, list_field, item)
            children.extend(_element_lines(child_name, child_shape, item, depth + 1))
    if not children:
        return [f"{indent}<{name}{namespace}{attributes}/>"]
    return [f"{indent}<{name}{namespace}{attributes}>", *children, f"{indent}</{name}>"]


def _child_for(shape: _Shape, list_field: str, item: BaseModel) -> tuple[str, _Shape]:
    """The element that writes ``item`` of the list ``list_field`` (for a bid: by its kind)."""
    kind = getattr(item, "kind", None)
    for name, (child_list, child_shape) in shape.children.items():
        if child_list == list_field and child_shape.fixed.get("kind", kind) == kind:
            return name, child_shape
    raise AssertionError(f"no element writes {list_field}")


def _attribute_text(value: object) -> str:
    if isinstance(value, Enum):
        text = str(value.value)
    elif isinstance(value, Decimal):
        text = format_decimal(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    bad = _NOT_XML_CHARACTERS.search(text)
    if bad:
        raise ValueError(f"{text!r} holds {bad.group()!r}, which XML cannot carry")
    return text.translate(_ATTRIBUTE_ESCAPES)
