"""What callers say is kept: the sentence (runs of digits masked), the offices offered, where the call ended; and
`ivr report` lists the sentences that reached no office or that the caller corrected, newest first, at most 50,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from ivr.clock import TIMEZONE
from ivr.events import CallEvent, StepEvent, sentence
from ivr.store.database import Store, upgrade_schema
from ivr.store.report import missed_sentences
from ivr.store.tables import calls, steps
from tests import test_records_cli
from tests.test_records_cli import Ivr

# The fixtures that run `ivr` on the records of each backend.
instance, ivr = test_records_cli.instance, test_records_cli.ivr

THURSDAY = ("--since", "2026-11-26", "--until", "2026-11-26")
MARRIAGE_LINE = "+864333623441"


def test_a_sentence_is_kept_printable_bounded_and_with_runs_of_digits_masked() -> None:
    assert sentence("我的身份证号是220102199001011234，电话138 1234-5678") == (
        "我的身份证号是******************，电话*************")
    assert sentence("我今年65岁，住3楼") == "我今年65岁，住3楼"  # one or two digits are no one's number
    assert sentence("转\x00婚姻\u2028登记\x1b处") == "转婚姻登记处"
    assert sentence("离婚" * 500) == "离婚" * 100
    assert sentence("   ") is None and sentence(None) is None
    event = StepEvent.make(call_sid="CA1", at=datetime(2026, 11, 26, 9, tzinfo=TIMEZONE), seq=2, node="menu:main",
                           outcome="confirm", speech="电话13812345678", offered=("a", "b\x00", "c", "d"))
    assert (event.speech, event.offered) == ("电话***********", "a+b+c")
    assert CallEvent.from_json(event.to_json()) == event  # through the outbox and back
    none = StepEvent.make(call_sid="CA1", at=event.at, seq=3, node="menu:main", outcome="not_understood",
                          speech="你好", offered=())
    assert none.offered == "" and CallEvent.from_json(none.to_json()).offered == ""


def test_calls_said_through_ivr_call_are_kept_and_the_report_lists_the_missed_and_corrected(ivr: Ivr) -> None:
    def said(at: str, sentence: str, keys: str = "") -> None:
        result = ivr("call", "--at", at, "--say", sentence, "--press", keys, "--record")
        assert result.stdout.splitlines()[-1].startswith("Outcome:"), result.stdout

    said("2026-11-26T09:00+08:00", "我想办离婚")  # forwarded at once: fine, not listed
    said("2026-11-26T09:05+08:00", "今天天气怎么样，我的电话13812345678")  # named no office
    said("2026-11-26T09:10+08:00", "我想办离婚", "*")  # forwarded... the dial completes: * never comes
    said("2026-11-26T09:15+08:00", "로임을 못 받았습니다", "*")  # offered two, pressed *
    said("2026-11-26T09:20+08:00", "我想办离婚", "")  # fine
    said("2026-11-26T09:25+08:00", "离婚", "")  # fine
    said("2026-11-26T09:30+08:00", "로임을 못 받았습니다", "0")  # offered two, went to the operator instead
    said("2026-11-26T09:35+08:00", "我想办低保，还有殡葬", "2")  # offered two, picked the second: fine

    report = json.loads(ivr("report", "--format", "json", *THURSDAY).stdout)
    missed = report["sentences_missed"]
    assert [(m["at"][11:16], m["sentence"], m["reason"], m["offered"]) for m in missed] == [
        ("09:30", "로임을 못 받았습니다", "other_office", ["labour_relations_section", "personnel_section"]),
        ("09:15", "로임을 못 받았습니다", "back", ["labour_relations_section", "personnel_section"]),
        ("09:05", "今天天气怎么样，我的电话***********", "no_office", []),
    ]
    assert missed[0]["ended_at"] == "dialed:bureau" and missed[2]["ended_at"] == "menu:main"
    assert missed[1]["node"] == "menu:main" and missed[1]["language"] == "ko"
    text = ivr("report", *THURSDAY).stdout
    assert "Sentences that reached no office or were corrected (newest first, at most 50):" in text
    assert "“今天天气怎么样，我的电话***********”  named no office; offered: -; ended at: 主菜单" in text
    assert "the caller pressed *; offered: 劳动关系和监察仲裁科（信访办公室）, " in text


def _step(call_sid: str, seq: int, at: datetime, **fields: object) -> StepEvent:
    values: dict[str, object] = {"node": "menu:main", "outcome": "menu", **fields}
    return StepEvent.make(call_sid=call_sid, at=at + timedelta(seconds=seq), seq=seq, **values)  # type: ignore[arg-type]


def test_corrections_are_found_per_sentence_and_at_most_50_are_listed_newest_first(database_url: str) -> None:
    store = Store.from_url(database_url)
    upgrade_schema(store.engine)
    morning = datetime(2026, 11, 26, 9, tzinfo=TIMEZONE)
    events: list[StepEvent] = []
    # 60 sentences that named nothing, one a minute.
    for n in range(60):
        events.append(_step(f"CAnone{n}", 1, morning + timedelta(minutes=n), speech=f"你好{n}", offered=(),
                            outcome="not_understood"))
    noon = datetime(2026, 11, 26, 12, tzinfo=TIMEZONE)
    # Declined, then the second sentence went right: only the first is listed.
    events += [_step("CAdecl", 1, noon, speech="我想办离婚", offered=("marriage_registry",), outcome="confirm"),
               _step("CAdecl", 2, noon, node="confirm:marriage_registry", speech="不是", outcome="declined"),
               _step("CAdecl", 3, noon, speech="我要办低保", offered=("social_assistance_center",),
                     outcome="forwarded", unit_id="social_assistance_center")]
    # Forwarded to a unit whose id holds '_': another unit with the same letters elsewhere must not pass for it.
    events += [_step("CAlike", 1, noon + timedelta(minutes=1), speech="婚姻", offered=("marriage_registry",),
                     outcome="forwarded", unit_id="marriage_registry"),
               _step("CAlike", 2, noon + timedelta(minutes=1), node="after:marriage_registry", digits="1",
                     outcome="forwarded", unit_id="marriageXregistry")]
    # Forwarded and answered: fine, not listed.
    events += [_step("CAfine", 1, noon + timedelta(minutes=2), speech="殡葬", offered=("funeral_office",),
                     outcome="forwarded", unit_id="funeral_office"),
               _step("CAfine", 2, noon + timedelta(minutes=2), node="dialed:funeral_office", outcome="connected",
                     unit_id="funeral_office", dial_status="completed")]
    # A call on another day is outside the period.
    events.append(_step("CAother", 1, morning - timedelta(days=1), speech="你好", offered=(), outcome="not_understood"))
    store.apply(events)

    listed = missed_sentences(store, date(2026, 11, 26), date(2026, 11, 26))
    assert len(listed) == 50
    assert [(m["call_sid"], m["reason"]) for m in listed[:2]] == [("CAlike", "other_office"), ("CAdecl", "declined")]
    assert [m["sentence"] for m in listed[2:5]] == ["你好59", "你好58", "你好57"]
    assert listed[-1]["sentence"] == "你好12"
    assert "CAfine" not in {m["call_sid"] for m in listed}
    assert missed_sentences(store, date(2026, 11, 25), date(2026, 11, 25))[0]["call_sid"] == "CAother"

    engine = create_engine(database_url)
    with engine.connect() as connection:
        kept = connection.execute(select(steps.c.speech, steps.c.offered).where(steps.c.call_sid == "CAdecl")
                                  .order_by(steps.c.seq)).all()
        assert [tuple(row) for row in kept] == [("我想办离婚", "marriage_registry"), ("不是", None),
                                                ("我要办低保", "social_assistance_center")]
        assert connection.execute(select(calls.c.last_node).where(calls.c.call_sid == "CAdecl")).scalar_one() \
            == "menu:main"
    engine.dispose()


def test_the_migration_adds_the_columns_to_a_database_of_the_earlier_schema(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from ivr.store.database import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(steps)")}
        assert "speech" not in columns
        command.upgrade(config, "0005")
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(steps)")}
        assert {"speech", "offered"} <= columns
        command.downgrade(config, "0003")
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(steps)")}
        assert "speech" not in columns
    engine.dispose()
