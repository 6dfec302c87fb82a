"""The report for people: menus, keys, units and call places in words, on a chart whose labels never overlap."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from ivr.core.model import Hotline
from ivr.core.names import choice_name, node_name
from ivr.store.report import name_report, report_figure


def test_nodes_and_keys_are_named_in_both_languages(hotline: Hotline) -> None:
    assert node_name(hotline, "menu:main", "zh") == "主菜单"
    assert node_name(hotline, "menu:main", "ko") == "주메뉴"
    assert node_name(hotline, "after:social_insurance_section", "zh") == "社会保险科：转接没有接通之后"
    assert node_name(hotline, "closed:marriage_registry", "zh") == "图们市民政局婚姻登记处：听到不办公的提示"
    assert node_name(hotline, "language", "ko") == "언어 선택"
    assert node_name(hotline, "menu:gone", "zh") == "menu:gone"  # an old id the menus no longer know
    assert choice_name(hotline, "menu:main", "2", "zh") == "2 婚姻登记"
    assert choice_name(hotline, "menu:main", "0", "zh").startswith("0 ")


def busy_month() -> dict[str, Any]:
    """A report of 31 days with long names, the case in which labels and the legend used to collide."""
    first = date(2026, 10, 1)
    days = {(first + timedelta(days=n)).isoformat(): 5 + n % 7 for n in range(31)}
    return {
        "period": {"since": "2026-10-01", "until": "2026-10-31"}, "calls": sum(days.values()),
        "calls_per_day": days, "calls_per_hour": {f"{h:02d}": h for h in range(7, 20)},
        "menu_choices": {"menu:main": {str(k): k * 3 for k in range(1, 10)}, "menu:employment": {"1": 4, "2": 2}},
        "out_of_hours": {"calls": 40, "share": 0.2}, "hang_ups": {"menu:main": 9, "after:social_insurance_section": 4,
                                                                  "closed:marriage_registry": 3},
        "goodbyes_after_retries": 1,
        "forwarding": {unit: {"attempts": 10, "answered": 10 - n, "busy": n}
                       for n, unit in enumerate(["marriage_registry", "social_insurance_section", "funeral_office",
                                                 "employment_bureau", "veterans_center"])},
        "messages_waiting": {"total": 2, "per_unit": {"marriage_registry": 2}},
    }


def test_the_chart_labels_never_overlap_and_the_legend_covers_no_bar(hotline: Hotline) -> None:
    named = name_report(busy_month(), hotline, "zh")
    figure = report_figure(named)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axis in figure.axes:
        for labels in (axis.get_xticklabels(), axis.get_yticklabels()):
            boxes = [label.get_window_extent(renderer) for label in labels if label.get_visible() and label.get_text()]
            for one, other in itertools.combinations(boxes, 2):
                assert not one.overlaps(other), (axis.get_title(), one, other)
    per_day = figure.axes[0]
    assert sum(label.get_visible() for label in per_day.get_xticklabels()) >= 8  # thinned, not emptied
    forwarding = figure.axes[3]
    legend = forwarding.get_legend().get_window_extent(renderer)
    bars = [patch.get_window_extent(renderer) for patch in forwarding.patches]
    assert bars and not any(legend.overlaps(bar) for bar in bars)
    labels = [label.get_text() for label in forwarding.get_yticklabels()]
    assert "图们市民政局婚姻登记处" in labels and "marriage_registry" not in labels


def test_every_kind_of_unit_node_the_flow_has_is_named() -> None:
    from ivr.core.decision import UNIT_NODES
    from ivr.core.names import _UNIT_NODE_WORDS

    assert set(_UNIT_NODE_WORDS) == set(UNIT_NODES)
