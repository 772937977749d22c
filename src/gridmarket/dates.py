"""Dates as requests and files write them: ``YYYY-MM-DD``.

Left to itself, pydantic also reads a number (or a string of digits) as a Unix
timestamp, so ``trade_date=20200715`` would silently mean 1970-08-23 and
``{"day": 0}`` 1970-01-01. :data:`IsoDate` refuses both with a message saying
how to write a date. Use it for every date a participant or a program sends.

Example::

    class RunRequest(BaseModel):
        trade_date: IsoDate
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_iso_date(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError(f"{value!r} is not a date: write it YYYY-MM-DD, e.g. 2020-07-15")


IsoDate = Annotated[date, BeforeValidator(_written_as_iso_date)]
