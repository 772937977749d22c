"""Frame schemas of the settlement engine and their exact-decimal coercion.

Every quantity and price enters as ``Decimal(38, 6)`` (strings and Decimals are
accepted; binary floats are refused: money never goes through a float), every
instant as a UTC ``Datetime``.

Example::

    >>> import polars as pl
    >>> frame = coerce(pl.DataFrame({"mw": ["1.5"]}), {"mw": QTY}, "da")
    >>> frame.schema["mw"]
    Decimal(precision=38, scale=6)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from gridmarket.errors import InvalidInput

QTY = pl.Decimal(38, 6)
"""Quantities (MW, MWh) and prices ($/MWh), exact to 1e-6."""
UTC_TS = pl.Datetime("us", "UTC")
TEXT = pl.String()
DAY = pl.Date()
COUNT = pl.Int64()

INTERVALS = {"trade_date": DAY, "interval_start_utc": UTC_TS, "hour_start_utc": UTC_TS,
             "fmm_start_utc": UTC_TS}
RESOURCES = {"trade_date": DAY, "resource_id": TEXT, "scid": TEXT, "node": TEXT}
DA_AWARDS = {"resource_id": TEXT, "interval_start_utc": UTC_TS, "energy_mw": QTY}
FMM_SCHEDULES = {"resource_id": TEXT, "interval_start_utc": UTC_TS, "dispatch_mw": QTY}
RTD_DISPATCH = {"resource_id": TEXT, "interval_start_utc": UTC_TS, "dispatch_mw": QTY,
                "expected_energy_mwh": QTY}
PRICES = {"market": TEXT, "node": TEXT, "interval_start_utc": UTC_TS, "lmp": QTY,
          "energy": QTY, "congestion": QTY, "loss": QTY}
VIRTUALS = {"scid": TEXT, "location": TEXT, "interval_start_utc": UTC_TS, "mw": QTY}
METER = {"resource_id": TEXT, "scid": TEXT, "interval_start_utc": UTC_TS, "measurement": TEXT,
         "mwh": QTY, "estimated": pl.Boolean()}
TRADES = {"seller_scid": TEXT, "buyer_scid": TEXT, "location": TEXT,
          "interval_start_utc": UTC_TS, "mw": QTY}
SEGMENT_FEES = {"trade_date": DAY, "scid": TEXT, "market": TEXT, "segment_count": COUNT}
SCID_CHARGES = {"trade_date": DAY, "scid": TEXT}
LOSS_ELIGIBLE = {"trade_date": DAY, "scid": TEXT, "resource_id": TEXT}


def empty(schema: Mapping[str, Any]) -> pl.DataFrame:
    """An empty frame of ``schema``.

    Example::

        >>> empty(SCID_CHARGES).columns
        ['trade_date', 'scid']
    """
    return pl.DataFrame(schema=dict(schema))


def coerce(frame: pl.DataFrame, schema: Mapping[str, Any], name: str) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, cast exactly; floats refused.

    Example::

        >>> coerce(pl.DataFrame({"mw": [1.5]}), {"mw": QTY}, "da")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gridmarket.errors.InvalidInput: da.mw: binary floats are refused ...
    """
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise InvalidInput(f"missing column(s) {', '.join(missing)}", field=name)
    casts = []
    for column, dtype in schema.items():
        current = frame.schema[column]
        if dtype == QTY:
            if current.is_float():
                raise InvalidInput("binary floats are refused for quantities and prices; "
                                   "pass Decimal or str", field=f"{name}.{column}")
            expr = (pl.col(column).str.to_decimal(scale=6) if current == pl.String
                    else pl.col(column)).cast(QTY)
        elif dtype == UTC_TS:
            if isinstance(current, pl.Datetime) and current.time_zone is None:
                raise InvalidInput("naive instants are refused; use UTC", field=f"{name}.{column}")
            expr = pl.col(column).cast(UTC_TS)
        else:
            expr = pl.col(column).cast(dtype)
        casts.append(expr.alias(column))
    return frame.select(casts)
