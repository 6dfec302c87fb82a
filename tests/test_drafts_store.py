"""Menu drafts in the database (table menu_drafts, migration 0007): kept per author until dropped, read back as
written on SQLite and PostgreSQL, and the migration goes up and down keeping the other tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ivr.clock import TIMEZONE
from ivr.store.database import MIGRATIONS, Store, upgrade_schema
from ivr.store.drafts import Drafts

AT = TIMEZONE.localize(datetime(2026, 12, 4, 10, 30))


def test_drafts_are_kept_per_author_and_read_back_as_written(database_url: str) -> None:
    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    drafts = Drafts(store)
    calendar = "closures:\n  - {date: 2026-12-24, name: {zh: 业务培训, ko: 업무 연수}}\n"
    first = drafts.keep("wang.fang", AT, "婚姻登记处：12月24日停办（业务培训）\n" + "长" * 400,
                        {"calendar.yaml": calendar}, {"calendar.yaml": "ab" * 32}, 7)
    second = drafts.keep("wang.fang", AT, "另一个", {"units.yaml": "units: {}\n"}, {"units.yaml": "cd" * 32}, None)
    other = drafts.keep("li.wei", AT, "이수정", {"menu.yaml": "menus: {}\n"}, {}, 7)
    found = drafts.get(first)
    assert found is not None
    assert (found.author, found.base, dict(found.texts), dict(found.based_on)) == (
        "wang.fang", 7, {"calendar.yaml": calendar}, {"calendar.yaml": "ab" * 32})
    assert found.summary.startswith("婚姻登记处：12月24日停办（业务培训） 长") and len(found.summary) == 300
    assert found.created_at == AT
    assert [d.id for d in drafts.of("wang.fang")] == [second, first]
    assert [d.summary for d in drafts.of("li.wei")] == ["이수정"] and drafts.get(other) is not None
    assert drafts.drop(first) is True and drafts.drop(first) is False
    assert drafts.get(first) is None and [d.id for d in drafts.of("wang.fang")] == [second]
    with pytest.raises(ValueError, match="passwd is not a menus file"):
        drafts.keep("wang.fang", AT, "x", {"passwd": "root"}, {}, None)


def test_the_drafts_migration_goes_up_and_down(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    store = Store.from_url(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    assert "menu_drafts" not in inspect(store.engine).get_table_names()
    upgrade_schema(store.engine)
    assert {c["name"] for c in inspect(store.engine).get_columns("menu_drafts")} == {
        "id", "author", "created_at", "summary", "body"}
    Drafts(store).keep("wang.fang", AT, "x", {"units.yaml": "units: {}\n"}, {}, None)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    tables = inspect(store.engine).get_table_names()
    assert "menu_drafts" not in tables and "menu_versions" in tables
