"""Inline SVG drawn on the server: a resource's cost curve and the network map.

Pure geometry: data in, coordinates and labels out, for the templates to
draw. No script is needed to see them, and they print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``target_ticks`` ticks.

    Example::

        >>> nice_step(430.0)
        100.0
    """
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return float(multiple * power)
    return float(10 * power)


def _ticks(low: float, high: float) -> list[float]:
    """Round ticks from at or below ``low`` to at or above ``high``."""
    step = nice_step(high - low)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(n * step, 10) for n in range(first, last + 1)]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class StepChart:
    """A step curve in a ``width`` × ``height`` box, with its axes' ticks."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    path: str
    points: list[tuple[float, float, str]]
    """A marker per segment: x and y of its middle, and its description."""
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def _label(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.1f}"


def cost_curve_chart(
    segments: Sequence[tuple[float, float, float]], *, width: int = 640, height: int = 300
) -> StepChart | None:
    """The incremental cost curve ($/MWh against MW) of ``(mw_from, mw_to, price)`` segments.

    Example::

        >>> chart = cost_curve_chart([(0, 50, 20.0), (50, 100, 25.0)])
        >>> chart.path.startswith("M")
        True
    """
    if not segments:
        return None
    left, right, top, bottom = 64.0, width - 16.0, 16.0, height - 44.0
    mw_low = min(0.0, min(s[0] for s in segments))
    mw_high = max(s[1] for s in segments)
    price_low = min(0.0, min(s[2] for s in segments))
    price_high = max(s[2] for s in segments)
    x_ticks_values = _ticks(mw_low, mw_high if mw_high > mw_low else mw_low + 1)
    y_ticks_values = _ticks(price_low, price_high if price_high > price_low else price_low + 1)
    x_min, x_max = x_ticks_values[0], x_ticks_values[-1]
    y_min, y_max = y_ticks_values[0], y_ticks_values[-1]

    def x(mw: float) -> float:
        return round(left + (mw - x_min) / (x_max - x_min) * (right - left), 1)

    def y(price: float) -> float:
        return round(bottom - (price - y_min) / (y_max - y_min) * (bottom - top), 1)

    commands = []
    points = []
    for index, (mw_from, mw_to, price) in enumerate(segments):
        commands.append(f"{'M' if index == 0 else 'L'}{x(mw_from)},{y(price)}")
        commands.append(f"L{x(mw_to)},{y(price)}")
        points.append(
            (
                round((x(mw_from) + x(mw_to)) / 2, 1),
                y(price),
                f"{mw_from:,.1f}–{mw_to:,.1f} MW at ${price:,.2f}/MWh",
            )
        )
    return StepChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        path=" ".join(commands),
        points=points,
        x_ticks=[Tick(x(v), _label(v)) for v in x_ticks_values],
        y_ticks=[Tick(y(v), _label(v)) for v in y_ticks_values],
    )


@dataclass(frozen=True)
class BusPoint:
    """A bus to place: its number, label, area and position in degrees."""

    number: int
    label: str
    area: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Link:
    """A line between two buses: an AC branch, a transformer or an HVDC link."""

    label: str
    from_bus: int
    to_bus: int
    kind: str
    """``ac``, ``transformer`` or ``hvdc``."""


@dataclass(frozen=True)
class PlacedBus:
    x: float
    y: float
    bus: BusPoint


@dataclass(frozen=True)
class PlacedLink:
    x1: float
    y1: float
    x2: float
    y2: float
    link: Link


@dataclass(frozen=True)
class NetworkMap:
    width: int
    height: int
    buses: list[PlacedBus]
    links: list[PlacedLink]
    unplaced_buses: int
    """Buses without coordinates, left off the map."""


def network_map(
    buses: Sequence[BusPoint],
    links: Sequence[Link],
    *,
    unplaced_buses: int = 0,
    width: int = 880,
    margin: float = 24,
) -> NetworkMap:
    """Place buses by latitude and longitude (equirectangular, north up) and join them.

    ``unplaced_buses`` counts the buses left out for want of coordinates, to say so.

    The height follows the area's shape, so distances are not stretched.

    Example::

        >>> m = network_map([BusPoint(1, "A", 1, 34.0, -118.0), BusPoint(2, "B", 1, 35.0, -117.0)],
        ...                 [Link("L1", 1, 2, "ac")])
        >>> len(m.links)
        1
    """
    placed_input = list(buses)
    if not placed_input:
        return NetworkMap(width, 200, [], [], unplaced_buses)
    latitudes = [b.latitude for b in placed_input]
    longitudes = [b.longitude for b in placed_input]
    # Degrees of longitude shrink with the cosine of latitude.
    shrink = math.cos(math.radians((min(latitudes) + max(latitudes)) / 2))
    span_x = max((max(longitudes) - min(longitudes)) * shrink, 1e-6)
    span_y = max(max(latitudes) - min(latitudes), 1e-6)
    scale = (width - 2 * margin) / span_x
    height = round(span_y * scale + 2 * margin)

    def place(bus: BusPoint) -> PlacedBus:
        return PlacedBus(
            x=round(margin + (bus.longitude - min(longitudes)) * shrink * scale, 1),
            y=round(margin + (max(latitudes) - bus.latitude) * scale, 1),
            bus=bus,
        )

    placed = {b.number: place(b) for b in placed_input}
    placed_links = [
        PlacedLink(
            placed[link.from_bus].x,
            placed[link.from_bus].y,
            placed[link.to_bus].x,
            placed[link.to_bus].y,
            link,
        )
        for link in links
        if link.from_bus in placed and link.to_bus in placed
    ]
    # HVDC last, so it is drawn on top.
    placed_links.sort(key=lambda p: p.link.kind == "hvdc")
    return NetworkMap(
        width=width,
        height=height,
        buses=list(placed.values()),
        links=placed_links,
        unplaced_buses=unplaced_buses,
    )


@dataclass(frozen=True)
class Series:
    name: str
    path: str
    css_class: str


@dataclass(frozen=True)
class LineChart:
    """Lines of values over intervals in a ``width`` × ``height`` box, with their ticks."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def line_chart(
    series: Sequence[tuple[str, Sequence[float]]],
    x_labels: Sequence[str],
    *,
    width: int = 720,
    height: int = 300,
    every: int = 1,
) -> LineChart | None:
    """Lines of ``(name, values)`` over the intervals named ``x_labels`` (a tick each ``every``).

    Example::

        >>> chart = line_chart([("A", [20.0, 25.0, 30.0])], ["HE1", "HE2", "HE3"])
        >>> chart.series[0].path
        'M64.0,96.0 L384.0,56.0 L704.0,16.0'
    """
    values = [v for _, line in series for v in line]
    if not values or len(x_labels) < 2:
        return None
    left, right, top, bottom = 64.0, width - 16.0, 16.0, height - 44.0
    low, high = min(0.0, min(values)), max(values)
    y_values = _ticks(low, high if high > low else low + 1)
    y_min, y_max = y_values[0], y_values[-1]
    last = len(x_labels) - 1

    def x(index: int) -> float:
        return round(left + index / last * (right - left), 1)

    def y(value: float) -> float:
        return round(bottom - (value - y_min) / (y_max - y_min) * (bottom - top), 1)

    lines = [
        Series(name, " ".join(f"{'M' if i == 0 else 'L'}{x(i)},{y(v)}" for i, v in enumerate(line)),
               f"series-{index % 4}")
        for index, (name, line) in enumerate(series)
    ]
    return LineChart(
        width=width, height=height, left=left, top=top, right=right, bottom=bottom,
        series=lines,
        x_ticks=[Tick(x(i), label) for i, label in enumerate(x_labels) if i % every == 0],
        y_ticks=[Tick(y(v), _label(v)) for v in y_values],
    )


GAUGE_SCALE = 1.25
"""A utilisation gauge runs from 0 to 125% of the limit, so an excess shows beyond the limit."""


@dataclass(frozen=True)
class Gauge:
    """A horizontal bar of credit utilisation with the warning threshold and the limit marked."""

    width: int
    height: int
    filled: float
    """Width of the bar drawn for the utilisation (the whole width beyond the scale)."""
    warning_x: float
    limit_x: float
    level: str
    """``ok``, ``warning`` (at or above the threshold) or ``over`` (above the limit)."""


def utilisation_gauge(
    utilisation: float | None, *, over_limit: bool, warning_ratio: float, width: int = 320,
    height: int = 24,
) -> Gauge:
    """The gauge of an EAL ÷ ACL share; ``None`` (no positive ACL) is full when over the limit.

    Example::

        >>> g = utilisation_gauge(0.5, over_limit=False, warning_ratio=0.9, width=250)
        >>> g.filled, g.warning_x, g.limit_x, g.level
        (100.0, 180.0, 200.0, 'ok')
    """
    share = utilisation if utilisation is not None else (GAUGE_SCALE if over_limit else 0.0)

    def x(value: float) -> float:
        return round(min(max(value, 0.0), GAUGE_SCALE) / GAUGE_SCALE * width, 1)

    if over_limit:
        level = "over"
    elif share >= warning_ratio:
        level = "warning"
    else:
        level = "ok"
    return Gauge(width, height, x(share), x(warning_ratio), x(1.0), level)
