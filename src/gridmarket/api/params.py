"""Types of path, query and form parameters shared by the routes.

A date is written ``YYYY-MM-DD``. Left to itself, pydantic also reads a
number as a Unix timestamp, so ``trade_date=20200715`` would silently mean
1970-08-23; :data:`IsoDate` refuses it with a message saying how to write it.

Example::

    @router.get("/calendar/{trade_date}")
    def trade_day(trade_date: IsoDate) -> TradeDayOut: ...
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_iso_date(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date: write it YYYY-MM-DD, e.g. 2020-07-15")
    return value


IsoDate = Annotated[date, BeforeValidator(_written_as_iso_date)]
