"""Heavy console work (try a call, the figures) runs one at a time per staff member and two per worker."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

import ivr.web.admin.figures as figures_view
from ivr.web.admin.heavy import HEAVY_PER_WORKER, RETRY_AFTER
from tests.console import console_app, log_in


def test_a_third_heavy_page_or_a_second_of_one_staff_member_gets_429_and_callers_keep_answering(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = console_app()
    release = threading.Event()
    inside: list[str] = []
    real_report = figures_view.build_report

    def slow_report(*args: Any, **kwargs: Any) -> Any:
        inside.append(threading.current_thread().name)
        assert release.wait(10)
        return real_report(*args, **kwargs)

    monkeypatch.setattr(figures_view, "build_report", slow_report)
    clients: dict[str, FlaskClient] = {}
    for role in ("admin", "editor", "viewer"):
        clients[role] = app.test_client()
        log_in(clients[role], role)

    answers: dict[str, int] = {}

    def open_figures(role: str) -> None:
        answers[role] = clients[role].get("/admin/figures?since=2026-11-01&until=2026-11-26").status_code

    running = [threading.Thread(target=open_figures, args=(role,), name=role) for role in ("admin", "editor")]
    for thread in running:
        thread.start()
    deadline = time.monotonic() + 10
    while len(inside) < HEAVY_PER_WORKER and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(inside) == ["admin", "editor"]

    # The worker's two slots are taken: a third staff member is told to try again, in the console's words.
    third = clients["viewer"].get("/admin/try?lang=ko")
    assert third.status_code == 429
    assert third.headers["Retry-After"] == str(RETRY_AFTER)
    page = third.get_data(as_text=True)
    assert "다른 시험 전화가 진행 중입니다. 잠시 후 다시 해 보십시오." in page
    assert '<html lang="ko">' in page and "<nav" in page  # the console's layout, with its navigation
    # The same staff member opening the CSV while the page is computed: one at a time each.
    second = clients["admin"].get("/admin/figures.csv")
    assert second.status_code == 429
    assert "另一个统计正在计算，请稍后再试。" in second.get_data(as_text=True)
    # Callers are not staff work: a webhook answers while both slots are taken.
    assert app.test_client().get("/health").status_code == 200

    release.set()
    for thread in running:
        thread.join(10)
    assert answers == {"admin": 200, "editor": 200}
    # The slots are given back: everyone's next try runs.
    assert clients["viewer"].get("/admin/try").status_code == 200
    assert clients["admin"].get("/admin/figures.csv").status_code == 200


def test_a_heavy_view_that_fails_gives_its_slot_back(monkeypatch: pytest.MonkeyPatch) -> None:
    app = console_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    log_in(client, "viewer")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the records are unreadable")

    monkeypatch.setattr(figures_view, "build_report", broken)
    for _ in range(HEAVY_PER_WORKER + 1):
        assert client.get("/admin/figures").status_code == 500
    monkeypatch.undo()
    assert client.get("/admin/figures").status_code == 200
