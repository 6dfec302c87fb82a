"""`ivr call`: the simulator staff use to "call" the hotline at any date and time."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ivr.cli import main


def test_a_call_on_the_make_up_saturday_reaches_the_marriage_office() -> None:
    result = CliRunner().invoke(main, ["call", "--at", "2026-10-10T09:00+08:00", "--lang", "zh", "--press", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Call at 2026-10-10T09:00:00+08:00 from +8613812345678:"
    assert "  hotline [zh]: 正在为您转接图们市民政局婚姻登记处，请稍候。" in lines
    assert "  (forwarded to +864333623441)" in lines
    assert lines[-1] == "Outcome: forwarded to +864333623441 (marriage_registry), completed"


def test_the_same_keys_on_national_day_hear_it_is_closed_and_when_it_opens() -> None:
    result = CliRunner().invoke(main, ["call", "--at", "2026-10-01T09:00+08:00", "--lang", "zh", "--press", "2"])
    lines = result.stdout.splitlines()
    assert "  hotline [zh]: 图们市民政局婚姻登记处现在不办公：国庆节放假。" in lines
    assert "  hotline [zh]: 下次办公时间是10月8日星期四上午8点30分。" in lines
    assert not any("forwarded" in line for line in lines)


def test_json_prints_the_transcript_and_the_outcome() -> None:
    result = CliRunner().invoke(main, ["call", "--at", "2026-10-10T09:00+08:00", "--press", "22",
                                       "--dial-status", "busy", "--json"])
    data = json.loads(result.stdout)
    assert data["at"] == "2026-10-10T09:00:00+08:00"
    assert data["outcome"] == {"kind": "caller_hung_up", "node": "after:marriage_registry"}
    kinds = [line["kind"] for line in data["transcript"]]
    assert kinds.count("pressed") == 2 and "forwarded" in kinds
    heard = [line["text"] for line in data["transcript"] if line["kind"] == "heard"]
    assert "상대방이 통화 중입니다." in heard


def test_interactive_mode_reads_keys_typed_by_a_person() -> None:
    result = CliRunner().invoke(main, ["call", "--at", "2026-10-01T09:00+08:00"], input="1\n2\n2\n")
    assert result.exit_code == 0, result.output
    assert "请在提示音后留言" in result.stdout
    assert result.stdout.splitlines()[-1] == "Outcome: voice message left for marriage_registry"


def test_a_bad_moment_or_status_is_a_usage_error() -> None:
    assert CliRunner().invoke(main, ["call", "--at", "soon", "--press", "1"]).exit_code == 2
    assert CliRunner().invoke(main, ["call", "--dial-status", "maybe", "--press", "1"]).exit_code == 2
