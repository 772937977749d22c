"""The SVG geometry behind the cost-curve chart and the network map."""

from __future__ import annotations

import pytest

from gridmarket.web.charts import (
    BusPoint,
    Link,
    cost_curve_chart,
    network_map,
    nice_step,
    utilisation_gauge,
)


@pytest.mark.parametrize(
    ("span", "step"), [(430.0, 100.0), (9.0, 2.0), (1.0, 0.2), (76.0, 20.0), (0.0, 1.0)]
)
def test_tick_steps_are_round_numbers(span: float, step: float) -> None:
    assert nice_step(span) == pytest.approx(step)


def test_the_cost_curve_axes_cover_every_segment() -> None:
    chart = cost_curve_chart([(30.0, 45.6, 14.2), (45.6, 60.8, 14.9), (60.8, 76.0, 15.7)])
    assert chart is not None
    # The last tick is at or beyond the largest value on each axis.
    assert float(chart.x_ticks[-1].label) >= 76.0
    assert float(chart.y_ticks[-1].label) >= 15.7
    xs = [float(part.split(",")[0][1:]) for part in chart.path.split()]
    ys = [float(part.split(",")[1]) for part in chart.path.split()]
    assert all(chart.left <= x <= chart.right for x in xs)
    assert all(chart.top <= y <= chart.bottom for y in ys)
    # A step curve: two points per segment, the price flat within each.
    assert len(xs) == 6 and ys[0] == ys[1] and ys[2] == ys[3]
    assert ys[4] < ys[2] < ys[0], "a higher price is drawn higher"
    assert chart.points[0][2] == "30.0–45.6 MW at $14.20/MWh"


def test_a_resource_without_segments_has_no_chart() -> None:
    assert cost_curve_chart([]) is None


def test_the_map_puts_north_up_and_keeps_distances_in_proportion() -> None:
    buses = [
        BusPoint(1, "south-west", 1, 34.0, -118.0),
        BusPoint(2, "north-east", 2, 35.0, -117.0),
        BusPoint(3, "no line", 2, 34.5, -117.5),
    ]
    drawn = network_map(
        buses, [Link("L1", 1, 2, "ac"), Link("DC1", 2, 1, "hvdc"), Link("X", 1, 99, "ac")]
    )
    placed = {b.bus.number: b for b in drawn.buses}
    assert placed[2].y < placed[1].y and placed[2].x > placed[1].x
    width = placed[2].x - placed[1].x
    height = placed[1].y - placed[2].y
    # A degree of longitude at 34.5°N is cos(34.5°) ≈ 0.82 of a degree of latitude.
    assert width / height == pytest.approx(0.824, abs=0.01)
    # A line to a bus not on the map is left out; HVDC is drawn last, on top.
    assert [p.link.label for p in drawn.links] == ["L1", "DC1"]


@pytest.mark.parametrize(
    ("share", "over", "filled", "level"),
    [(0.5, False, 100.0, "ok"), (0.9, False, 180.0, "warning"), (1.1, True, 220.0, "over"),
     (3.0, True, 250.0, "over"), (None, True, 250.0, "over"), (None, False, 0.0, "ok")],
)
def test_the_utilisation_gauge_marks_the_threshold_and_the_limit(
    share: float | None, over: bool, filled: float, level: str
) -> None:
    gauge = utilisation_gauge(share, over_limit=over, warning_ratio=0.9, width=250)
    # 0 to 125% of the limit across 250 px: the limit at 200, the 90% threshold at 180.
    assert (gauge.warning_x, gauge.limit_x) == (180.0, 200.0)
    assert (gauge.filled, gauge.level) == (filled, level)
