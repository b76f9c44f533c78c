"""bench/timeline.py reads a server log's sends into seconds since the first send. Pure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import timeline


def line(ts: str, ms: float, event: str = "message:send") -> str:
    record = {"ts": ts, "logger": "circles.events", "msg": "event", "event": event, "ms": ms}
    return json.dumps(record) + "\n"


def test_sends_are_grouped_by_second_since_the_first(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server-1.log"
    log.parent.mkdir()
    log.write_text(
        '{"ts": "2026-12-05T01:00:00.000+00:00", "msg": "http", "ms": 900}\n'
        + line("2026-12-05T01:00:00.500+00:00", 4.0)
        + line("2026-12-05T01:00:00.900+00:00", 40.0)
        + line("2026-12-05T01:00:01.200+00:00", 99.0, event="history")
        + line("2026-12-05T01:00:02.499+00:00", 31.0)
        + "not json\n"
    )
    assert timeline.server_log(tmp_path) == log
    assert dict(timeline.seconds(log)) == {0: [4.0, 40.0], 1: [31.0]}


def test_a_run_without_sends_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "server-2.log"
    log.write_text(line("2026-12-05T01:00:00.000+00:00", 5.0, event="typing"))
    assert timeline.main([str(log)]) == 1
    assert "no message:send lines" in capsys.readouterr().err
