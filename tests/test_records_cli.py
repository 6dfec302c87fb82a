"""The call records from the command line: `ivr db upgrade`, `ivr voicemail`, `ivr purge` and `ivr report`.

Every test that touches the store runs on SQLite and on a real PostgreSQL server (the `database_url` fixture).
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Result, make_url

from ivr.cli import main
from ivr.simulator import DEFAULT_CALLER, CallSimulator, pressed_keys
from ivr.store.folder import outbox_folder
from ivr.store.outbox import Outbox
from ivr.web import ConfigError, create_app
from tests.conftest import BUNDLED_MENUS, CLOSED_EVENING, SECRET_KEY, TOKEN, make_app

MARRIAGE_LINE = "+864333623441"
MARRIAGE_OFFICE = "图们市民政局婚姻登记处"
RECORDING_URL_PREFIX = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/"

Ivr = Callable[..., Result]


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """The service's instance folder (outbox, default database), kept out of the source checkout."""
    return tmp_path / "instance"


@pytest.fixture
def ivr(database_url: str, instance: Path) -> Ivr:
    """Run the `ivr` command against the records at `database_url`, after bringing its schema up to date.

    `now` is IVR_FROZEN_TIME; `code` the exit code the command must end with. A recorded call must reach the
    database itself before the command ends, nothing left waiting in the outbox.
    """

    def run(*args: str, now: str = CLOSED_EVENING, code: int = 0) -> Result:
        env = {"IVR_DATABASE_URL": database_url, "IVR_FROZEN_TIME": now, "IVR_INSTANCE_DIR": str(instance),
               "IVR_MENUS_DIR": str(BUNDLED_MENUS), "IVR_CALLER_ID": None}
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exit_code == code, (args, result.output, result.exception)
        left = [Outbox(path).counts() for path in outbox_folder(instance, database_url).glob("*.sqlite3")]
        assert all(counts == (0, 0) for counts in left), f"events left waiting: {args}"
        return result

    upgraded = run("db", "upgrade")
    shown = make_url(database_url).render_as_string(hide_password=True)
    assert upgraded.stdout == f"{shown}: the schema is up to date.\n"
    return run


def record_call(ivr: Ivr, at: str, keys: str, outcome: str, *options: str) -> None:
    """Place a simulated call with `ivr call --record` and check it ended the way the test means it to."""
    result = ivr("call", "--at", at, "--press", keys, "--record", *options)
    assert result.stdout.splitlines()[-1] == f"Outcome: {outcome}"


# 1. One store for the web service and the command line --------------------------------------------------------


def test_a_message_left_through_the_webhooks_is_listed_by_the_cli(
        database_url: str, instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"IVR_DATABASE_URL": database_url, "IVR_FROZEN_TIME": CLOSED_EVENING, "IVR_INSTANCE_DIR": str(instance)}
    for name, value in {"TWILIO_AUTH_TOKEN": TOKEN, "IVR_SECRET_KEY": SECRET_KEY, **env}.items():
        monkeypatch.setenv(name, value)
    for name in ("IVR_MENUS_DIR", "IVR_PUBLIC_URL", "IVR_CALLER_ID", "IVR_DEVELOPMENT", "IVR_TRUST_PROXY",
                 "IVR_FALLBACK_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    # The service migrates only its embedded SQLite by itself; a PostgreSQL server is migrated by the operator,
    # and migrating again (every deployment does) changes nothing.
    for _ in range(2):
        upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
        assert upgraded.exit_code == 0, upgraded.output
        shown = make_url(database_url).render_as_string(hide_password=True)  # a password is never printed
        assert upgraded.stdout == f"{shown}: the schema is up to date.\n"

    app = create_app()  # from the environment, as the WSGI server creates it
    assert app.extensions["ivr.settings"].database_url == database_url
    call = CallSimulator(app).call(pressed_keys("122"))  # Mandarin, marriage registry (closed), leave a message
    assert call.outcome.kind == "voicemail" and call.outcome.unit == "marriage_registry"
    app.extensions["ivr.recorder"].flush()  # what the background writer does within a second
    assert app.extensions["ivr.recorder"].state().waiting == 0

    listed = runner.invoke(main, ["voicemail", "list", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    [message] = json.loads(listed.stdout)
    recording_sid = call.outcome.recording_url.rsplit("/", 1)[1]
    assert recording_sid.startswith("RE")
    assert isinstance(message["id"], int)
    assert message["caller"] == DEFAULT_CALLER == "+8613812345678"
    assert message["unit"] == "marriage_registry"
    assert message["recording_url"] == call.outcome.recording_url
    assert message["recording_url"].endswith("/" + recording_sid)
    assert message["recording_sid"] == recording_sid
    assert message["call_sid"] == call.call_sid
    assert message["duration"] == 15
    assert message["status"] == "new"
    assert message["received_at"] == "2026-11-26T19:00:00+08:00"


def test_a_failed_migration_says_which_database_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://ivr:s3cret-pass@127.0.0.1:1/records"  # nothing listens on port 1
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"IVR_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "Could not migrate postgresql+psycopg://ivr:***@127.0.0.1:1/records: OperationalError" in result.stderr
    assert "s3cret-pass" not in result.output


# 2. Voice messages: list, filter, mark as called back ---------------------------------------------------------


def test_voice_messages_are_filtered_by_unit_and_status_and_marked_called_back(ivr: Ivr) -> None:
    record_call(ivr, "2026-11-26T19:00+08:00", "122", "voice message left for marriage_registry")
    record_call(ivr, "2026-11-26T20:15+08:00", "182", "voice message left for funeral_office",
                "--caller", "+8613900001111")
    record_call(ivr, "2026-11-27T06:30+08:00", "222", "voice message left for marriage_registry",  # in Korean
                "--caller", "+8613700002222")

    def listed(*options: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = json.loads(ivr("voicemail", "list", "--format", "json", *options).stdout)
        return messages

    everything = listed()
    assert [(m["unit"], m["caller"], m["received_at"]) for m in everything] == [  # newest first
        ("marriage_registry", "+8613700002222", "2026-11-27T06:30:00+08:00"),
        ("funeral_office", "+8613900001111", "2026-11-26T20:15:00+08:00"),
        ("marriage_registry", "+8613812345678", "2026-11-26T19:00:00+08:00"),
    ]
    assert {m["status"] for m in everything} == {"new"}
    assert len({m["id"] for m in everything}) == 3
    by_caller = {m["caller"]: m["id"] for m in everything}

    assert [m["caller"] for m in listed("--unit", "marriage_registry")] == ["+8613700002222", "+8613812345678"]
    assert [m["caller"] for m in listed("--unit", "funeral_office")] == ["+8613900001111"]
    assert listed("--unit", "operator") == []
    # A unit may be named as staff know it, in either language.
    assert [m["caller"] for m in listed("--unit", "婚姻登记处")] == ["+8613700002222", "+8613812345678"]
    assert [m["caller"] for m in listed("--unit", "장례관리소")] == ["+8613900001111"]
    near = ivr("voicemail", "list", "--unit", "殡葬管理处")
    assert near.stdout == "No voice messages.\n"
    assert near.stderr == ("Note: '殡葬管理处' is not a unit; did you mean funeral_office (图们市殡葬管理所, "
                           "도문시 장례관리소)?\n")
    assert len(listed("--status", "new")) == 3
    assert listed("--status", "called back") == []

    funeral = by_caller["+8613900001111"]
    done = ivr("voicemail", "done", str(funeral), now="2026-11-27T08:05+08:00")
    assert done.stdout == f"Voice message {funeral} is marked as called back.\n"
    assert [m["caller"] for m in listed("--status", "new")] == ["+8613700002222", "+8613812345678"]
    [called_back] = listed("--status", "called back")
    assert (called_back["id"], called_back["status"]) == (funeral, "called back")
    assert listed("--unit", "funeral_office", "--status", "new") == []
    assert [m["status"] for m in listed("--unit", "marriage_registry")] == ["new", "new"]

    header, *text = ivr("voicemail", "list").stdout.splitlines()
    assert header.split() == ["id", "received", "status", "unit", "caller", "lang", "length", "recording"]
    assert len(text) == 3
    [funeral_line] = [line for line in text if "+8613900001111" in line]
    assert funeral_line.split()[:5] == [str(funeral), "2026-11-26", "20:15", "called", "back"]
    assert "funeral_office" in funeral_line and " zh " in funeral_line and "15 s" in funeral_line
    [korean_line] = [line for line in text if "+8613700002222" in line]
    assert " ko " in korean_line
    assert [m["language"] for m in everything] == ["ko", "zh", "zh"]
    assert funeral_line.endswith(RECORDING_URL_PREFIX + listed("--unit", "funeral_office")[0]["recording_sid"])
    assert sum(" new " in line for line in text) == 2

    for caller in ("+8613700002222", "+8613812345678"):
        ivr("voicemail", "done", str(by_caller[caller]))
    assert listed("--status", "new") == []
    assert ivr("voicemail", "list", "--status", "new").stdout == "No voice messages.\n"
    waiting = json.loads(ivr("report", "--format", "json", "--since", "2026-11-01").stdout)["messages_waiting"]
    assert waiting == {"total": 0, "per_unit": {}}


def test_marking_a_message_that_does_not_exist_fails_clearly(ivr: Ivr) -> None:
    record_call(ivr, "2026-11-26T19:00+08:00", "122", "voice message left for marriage_registry")
    result = ivr("voicemail", "done", "999", code=1)
    assert result.stdout == ""
    assert result.stderr == "Error: There is no voice message 999; `ivr voicemail list` shows them.\n"
    [message] = json.loads(ivr("voicemail", "list", "--format", "json").stdout)
    assert message["status"] == "new"  # the existing message is untouched
    assert ivr("voicemail", "done", "nine", code=2).stdout == ""  # not a number: a usage error


# 3. Purge ----------------------------------------------------------------------------------------------------


def test_purge_removes_only_the_calls_older_than_the_given_days(ivr: Ivr) -> None:
    # Old: an evening call that leaves a message. Its steps are one per webhook request of the call: the
    # greeting (start), the language key, the main-menu key, the key in the closed unit's menu, the recording.
    record_call(ivr, "2026-09-01T19:00+08:00", "122", "voice message left for marriage_registry")
    old_steps, old_messages = 5, 1
    # Exactly 30 days before the purge (lunch break, hung up in the main menu): not older, so kept.
    record_call(ivr, "2026-10-27T12:00+08:00", "1", "the caller hung up at menu:main")
    # Recent: put through to the marriage registry.
    record_call(ivr, "2026-11-26T09:00+08:00", "12", f"forwarded to {MARRIAGE_LINE} (marriage_registry), completed")

    year = ("report", "--format", "json", "--since", "2026-01-01", "--until", "2026-12-31")
    before = json.loads(ivr(*year, now="2026-11-26T12:00+08:00").stdout)
    assert before["calls"] == 3
    assert before["messages_waiting"]["total"] == 1

    dry = ivr("purge", "--older-than", "30", "--dry-run", now="2026-11-26T12:00+08:00")
    assert dry.stdout == (f"Would remove 1 calls, {old_steps} steps and 0 voice messages older than 30 days "
                          "(voice messages not yet called back are kept).\n")
    assert json.loads(ivr(*year, now="2026-11-26T12:00+08:00").stdout) == before  # a dry run removes nothing

    purged = ivr("purge", "--older-than", "30", now="2026-11-26T12:00+08:00")
    assert purged.stdout == (f"Removed 1 calls, {old_steps} steps and 0 voice messages older than 30 days "
                             "(voice messages not yet called back are kept).\n")

    after = json.loads(ivr(*year, now="2026-11-26T12:00+08:00").stdout)
    assert after["calls"] == 2
    assert after["calls_per_day"] == {"2026-10-27": 1, "2026-11-26": 1}
    # The steps of the calls that stay are all still there.
    assert after["menu_choices"] == {"menu:main": {"2": 1}}
    assert after["forwarding"] == {"marriage_registry": {"attempts": 1, "answered": 1}}
    assert after["hang_ups"] == {"menu:main": 1}
    assert after["out_of_hours"] == {"calls": 1, "share": 0.5}
    # The message of 1 September waits for a call back: it is owed to the caller, so it stays.
    assert after["messages_waiting"] == {"total": 1, "per_unit": {"marriage_registry": 1}}
    [kept] = json.loads(ivr("voicemail", "list", "--format", "json").stdout)
    assert (kept["received_at"], kept["status"]) == ("2026-09-01T19:00:00+08:00", "new")

    everything = ivr("purge", "--older-than", "30", "--include-new", now="2026-11-26T12:00+08:00")
    assert everything.stdout == f"Removed 0 calls, 0 steps and {old_messages} voice messages older than 30 days.\n"
    assert ivr("voicemail", "list").stdout == "No voice messages.\n"

    again = ivr("purge", "--older-than", "30", now="2026-11-26T12:00+08:00")
    assert again.stdout.startswith("Removed 0 calls, 0 steps and 0 voice messages older than 30 days")
    assert ivr("purge", "--older-than", "0", code=2).exit_code == 2  # at least one day


def test_purge_removes_a_message_called_back_and_keeps_one_still_new(ivr: Ivr) -> None:
    record_call(ivr, "2026-09-01T19:00+08:00", "122", "voice message left for marriage_registry")
    record_call(ivr, "2026-09-02T19:00+08:00", "182", "voice message left for funeral_office")
    funeral = json.loads(ivr("voicemail", "list", "--unit", "funeral_office", "--format", "json").stdout)[0]["id"]
    ivr("voicemail", "done", str(funeral))
    purged = ivr("purge", "--older-than", "30", now="2026-11-26T12:00+08:00")
    assert purged.stdout == ("Removed 2 calls, 10 steps and 1 voice messages older than 30 days "
                             "(voice messages not yet called back are kept).\n")
    assert [m["unit"] for m in json.loads(ivr("voicemail", "list", "--format", "json").stdout)] == [
        "marriage_registry"]


def run_on_a_terminal(args: list[str], env: dict[str, str], answer: str) -> str:
    """Run the `ivr` command with a pseudo-terminal as its stdin and stdout, typing the answer to its question."""
    main_fd, terminal_fd = pty.openpty()
    command = [sys.executable, "-c", "from ivr.cli import main; main()", *args]
    process = subprocess.Popen(command, stdin=terminal_fd, stdout=terminal_fd, stderr=terminal_fd,
                               env={**os.environ, **env}, close_fds=True)
    os.close(terminal_fd)
    output = b""
    while b"Remove them? [y/N]: " not in output:
        output += os.read(main_fd, 1024)
    os.write(main_fd, answer.encode() + b"\n")
    process.wait(timeout=30)
    while True:
        try:
            chunk = os.read(main_fd, 1024)
        except OSError:  # the terminal closes when the command ends
            break
        if not chunk:
            break
        output += chunk
    os.close(main_fd)
    return output.decode().replace("\r\n", "\n")


def test_purge_on_a_terminal_asks_before_deleting(ivr: Ivr, database_url: str, instance: Path) -> None:
    record_call(ivr, "2026-09-01T19:00+08:00", "1", "the caller hung up at menu:main")
    env = {"IVR_DATABASE_URL": database_url, "IVR_FROZEN_TIME": "2026-11-26T12:00+08:00",
           "IVR_INSTANCE_DIR": str(instance)}
    declined = run_on_a_terminal(["purge", "--older-than", "30"], env, "n")
    assert declined.splitlines()[0] == ("Would remove 1 calls, 2 steps and 0 voice messages older than 30 days "
                                        "(voice messages not yet called back are kept).")
    assert "Removed" not in declined
    assert json.loads(ivr("report", "--format", "json", "--since", "2026-09-01").stdout)["calls"] == 1
    accepted = run_on_a_terminal(["purge", "--older-than", "30"], env, "y")
    assert accepted.splitlines()[-1] == ("Removed 1 calls, 2 steps and 0 voice messages older than 30 days "
                                         "(voice messages not yet called back are kept).")
    assert json.loads(ivr("report", "--format", "json", "--since", "2026-09-01").stdout)["calls"] == 0
    # Piped or with --yes, nothing is asked (CliRunner's stdin is not a terminal).
    assert ivr("purge", "--older-than", "30", "--yes").stdout.startswith("Removed 0 calls")


# 4. The report ----------------------------------------------------------------------------------------------

THURSDAY = ("--since", "2026-11-26", "--until", "2026-11-26")


@pytest.fixture
def thursday(ivr: Ivr) -> Ivr:
    """Four calls on Thursday 2026-11-26: three in the morning, one in the evening."""
    answered = f"forwarded to {MARRIAGE_LINE} (marriage_registry), completed"
    record_call(ivr, "2026-11-26T09:00+08:00", "12", answered)
    record_call(ivr, "2026-11-26T09:20+08:00", "12", "the caller hung up at after:marriage_registry",
                "--dial-status", "busy")
    record_call(ivr, "2026-11-26T09:45+08:00", "1", "the caller hung up at menu:main")
    record_call(ivr, "2026-11-26T19:00+08:00", "122", "voice message left for marriage_registry")
    # A call on another day, outside the period reported on.
    record_call(ivr, "2026-11-25T10:00+08:00", "18", "forwarded to +864333624942 (funeral_office), completed")
    return ivr


def test_the_report_counts_calls_choices_hang_ups_forwards_and_messages(thursday: Ivr) -> None:
    report = json.loads(thursday("report", "--format", "json", *THURSDAY).stdout)
    assert report["period"] == {"since": "2026-11-26", "until": "2026-11-26"}
    assert report["calls"] == 4
    assert report["calls_per_day"] == {"2026-11-26": 4}
    assert report["calls_per_hour"] == {"09": 3, "19": 1}
    assert report["out_of_hours"] == {"calls": 1, "share": 0.25}
    assert report["menu_choices"] == {"menu:main": {"2": 3}}
    # Only calls that ended without being put through or leaving a message, where they ended.
    assert report["hang_ups"] == {"after:marriage_registry": 1, "menu:main": 1}
    assert report["forwarding"] == {"marriage_registry": {"attempts": 2, "answered": 1, "busy": 1}}
    assert report["messages_waiting"] == {"total": 1, "per_unit": {"marriage_registry": 1}}

    both_days = json.loads(thursday("report", "--format", "json", "--since", "2026-11-25",
                                    "--until", "2026-11-26").stdout)
    assert both_days["calls"] == 5
    assert both_days["calls_per_day"] == {"2026-11-25": 1, "2026-11-26": 4}
    assert both_days["calls_per_hour"] == {"09": 3, "10": 1, "19": 1}
    assert both_days["menu_choices"] == {"menu:main": {"2": 3, "8": 1}}
    assert both_days["forwarding"]["funeral_office"] == {"attempts": 1, "answered": 1}
    assert both_days["out_of_hours"] == {"calls": 1, "share": 0.2}

    # Without --since/--until: the 30 days up to "now".
    default = json.loads(thursday("report", "--format", "json", now="2026-11-26T23:00+08:00").stdout)
    assert default["period"] == {"since": "2026-10-27", "until": "2026-11-26"}
    assert default["calls"] == 5


def test_the_report_as_csv_and_as_text(thursday: Ivr) -> None:
    rows = list(csv.reader(io.StringIO(thursday("report", "--format", "csv", *THURSDAY).stdout)))
    assert rows[0] == ["section", "key", "detail", "value"]
    assert ["calls", "", "", "4"] in rows
    assert ["out_of_hours", "", "share", "0.25"] in rows
    assert ["out_of_hours", "", "calls", "1"] in rows
    assert ["messages_waiting", "", "total", "1"] in rows
    assert ["calls_per_hour", "09", "", "3"] in rows
    assert ["calls_per_hour", "19", "", "1"] in rows
    assert ["calls_per_day", "2026-11-26", "", "4"] in rows
    # Names, never internal ids: the menu's title, the option's label, the unit's name and what happened there.
    assert ["hang_ups", "主菜单", "", "1"] in rows
    assert ["hang_ups", f"{MARRIAGE_OFFICE}：转接没有接通之后", "", "1"] in rows
    assert ["menu_choices", "主菜单", "2 婚姻登记", "3"] in rows
    assert ["forwarding", MARRIAGE_OFFICE, "attempts", "2"] in rows
    assert ["forwarding", MARRIAGE_OFFICE, "busy", "1"] in rows
    assert ["offices", MARRIAGE_OFFICE, "asked", "3"] in rows  # two put through, one reached closed
    assert ["offices", MARRIAGE_OFFICE, "after_hours", "1"] in rows
    assert ["offices", MARRIAGE_OFFICE, "messages", "1"] in rows
    assert ["offices", MARRIAGE_OFFICE, "busy", "1"] in rows
    assert all(len(row) == 4 for row in rows)
    assert not any("menu:" in cell or "marriage_registry" in cell for row in rows for cell in row)

    text = thursday("report", *THURSDAY).stdout.splitlines()
    assert text[0] == "Calls 2026-11-26 to 2026-11-26: 4"
    assert "Out of hours: 1 (25%)" in text
    assert "Messages waiting for a call back: 1" in text
    assert "  09:00  3" in text
    assert "  主菜单: 2 婚姻登记 pressed 3×" in text
    assert f"  {MARRIAGE_OFFICE}  1/2 (busy 1)" in text
    assert f"  {MARRIAGE_OFFICE}：转接没有接通之后  1" in text
    korean = thursday("report", *THURSDAY, "--lang", "ko").stdout
    assert "주메뉴: 2 혼인등기 pressed 3×" in korean


# 5. The chart ------------------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (type, body) of each chunk of a PNG file, checking each chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in the {kind!r} chunk"
        yield kind, body
        offset += 12 + length
        if kind == b"IEND":
            return
    raise AssertionError("the PNG file has no IEND chunk")


def png_text(data: bytes) -> dict[str, str]:
    """The text metadata of a PNG file (tEXt, zTXt and iTXt chunks)."""
    texts: dict[str, str] = {}
    for kind, body in png_chunks(data):
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            texts[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            texts[key.decode("latin-1")] = (zlib.decompress(value) if compressed else value).decode("utf-8")
    return texts


def test_the_chart_is_a_png_carrying_the_same_figures_as_the_json_report(thursday: Ivr, tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "thursday.png"
    chart.parent.mkdir()
    drawn = thursday("report", "--format", "json", *THURSDAY, "--chart", str(chart))
    assert drawn.stderr == f"Chart written to {chart}.\n"

    data = chart.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    chunks = list(png_chunks(data))
    assert chunks[0][0] == b"IHDR"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == (1600, 900)  # 16 x 9 inches at 100 dpi

    import matplotlib.image

    pixels = matplotlib.image.imread(chart)
    assert pixels.shape[:2] == (900, 1600)
    assert pixels.min() < pixels.max()  # something is drawn on it

    printed = json.loads(thursday("report", "--format", "json", *THURSDAY).stdout)
    assert json.loads(drawn.stdout) == printed
    embedded = json.loads(png_text(data)["Description"])
    assert embedded == printed
    assert embedded["calls"] == 4 and embedded["forwarding"]["marriage_registry"]["busy"] == 1


# 6. Usage errors ---------------------------------------------------------------------------------------------


def test_since_after_until_is_a_usage_error_that_opens_no_database(tmp_path: Path) -> None:
    database = tmp_path / "never.sqlite3"
    result = CliRunner().invoke(main, ["report", "--since", "2026-12-01", "--until", "2026-11-01"],
                                env={"IVR_DATABASE_URL": f"sqlite:///{database}"})
    assert result.exit_code == 2
    assert "--since 2026-12-01 is after --until 2026-11-01" in result.stderr
    assert result.stdout == ""
    assert not database.exists()
    assert CliRunner().invoke(main, ["report", "--since", "26.11.2026"]).exit_code == 2
    assert CliRunner().invoke(main, ["report", "--format", "xml"]).exit_code == 2


def test_operator_mistakes_get_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    bogus = CliRunner().invoke(main, ["report"], env={"IVR_DATABASE_URL": "bogus://x"})
    assert bogus.exit_code == 1
    assert bogus.stderr == ("Error: DATABASE_URL: bogus://x names a 'bogus' database; the call records are kept in "
                            "SQLite or PostgreSQL only: write sqlite:////path/ivr.sqlite3 or "
                            "postgresql+psycopg://user:password@host/ivr.\n")
    assert "Traceback" not in bogus.output
    chart = CliRunner().invoke(main, ["report", "--chart", str(tmp_path / "no" / "such" / "x.png")],
                               env={"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}"})
    assert chart.exit_code == 1
    assert f"Error: Could not write the chart to {tmp_path}/no/such/x.png: No such file or directory." in chart.stderr
    with pytest.raises(ConfigError, match="DATABASE_URL: bogus://x names a 'bogus' database"):
        make_app(DATABASE_URL="bogus://x")
    with pytest.raises(ConfigError, match="DATABASE_URL: mysql://ivr:\\*\\*\\*@db/ivr names a 'mysql' database"):
        make_app(DATABASE_URL="mysql://ivr:secret@db/ivr")
    with pytest.raises(ConfigError, match="DATABASE_URL: 'x' \\(not a database URL\\) is not a database URL"):
        make_app(DATABASE_URL="x")
