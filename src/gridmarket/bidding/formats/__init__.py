"""Bid set files an SC may upload instead of JSON: CSV and XML.

Each format parses into exactly :class:`~gridmarket.bidding.schema.BidSet`, so
every structural check stays in the schema; a file that cannot become a bid
set raises :class:`BidFileError`, whose ``problems`` say where (CSV: line and
column; XML: element path and line) and what is wrong. ``render_*`` writes a
bid set back in the same layout (downloads), and ``parse(render(x)) == x``.
The layouts are described for SCs in ``docs/bid-formats.md``.

Example::

    >>> from gridmarket.bidding.formats import parse_csv, render_xml, parse_xml
    >>> bid_set = parse_csv(
    ...     b"scid,market,trade_date,kind,location,side,hour,segment,mw,price\\n"
    ...     b"DTGA,DAM,2020-07-15,VIRTUAL,TH_NP15,SUPPLY,1,1,10,31\\n")
    >>> parse_xml(render_xml(bid_set)) == bid_set
    True
"""

from gridmarket.bidding.formats.csv_format import parse_csv, render_csv
from gridmarket.bidding.formats.errors import BidFileError, BidProblem
from gridmarket.bidding.formats.xml_format import parse_xml, render_xml

__all__ = ["BidFileError", "BidProblem", "parse_csv", "parse_xml", "render_csv", "render_xml"]
