"""Takes that start and end by themselves (run.takes), and the `performer` and `mode` commands, on a
generated recording: a quiet room, music, quiet again, other music. Replayed at twice real time."""

from __future__ import annotations

import re

from .conftest import ask

AUTO = """run:
  takes:
    auto: false
    start_on_person: false
    start_level_dbfs: -40
    start_after_s: 1
    stop_after_s: 2
    max_length_s: 8
"""


def _source_times(box, what: str) -> list[tuple[str, float]]:
    rx = re.compile(rf"take (\S+) {what}.* at source time ([0-9.]+) s")
    return [(m.group(1), float(m.group(2))) for m in map(rx.search, box.lines) if m]


def test_auto_takes_follow_the_music_and_stop_at_max_length(broker, recorders, boxes, tmp_path, silence_then_music):
    # silence_then_music: 0-6 s quiet, 6-18 s flute, 18-28 s quiet, 28-34 s clarinet, 34-38 s quiet.
    sub = recorders(broker.port)
    box = boxes(tmp_path, broker.url, f"replay:{silence_then_music}", "--speed", "2", config=AUTO)
    box.wait_line("box demo up")

    # Names never become performers; the current performer is who automatic takes are for.
    named = ask(sub, "performer", {"performer": "Jane Doe"}, "p-bad")
    assert named["ok"] is False and named["error"]["code"] == "bad_request"
    chosen = ask(sub, "performer", {"performer": "p-77"}, "p-ok")
    assert chosen["ok"] and chosen["result"] == {"performer": "p-77", "previous": None}
    assert ask(sub, "mode", {"mode": "sometimes"}, "m-bad")["error"]["code"] == "bad_request"
    auto = ask(sub, "mode", {"mode": "auto"}, "m-auto")
    assert auto["ok"] and auto["result"] == {"mode": "auto", "previous": "manual"}
    switched = float(box.wait_line(r"mode auto \(was manual\) at source time ([0-9.]+) s").group(1))
    assert switched < 5.0, "the box was too slow to take the command before the music"

    sub.wait_for(lambda r: len(r.on("/session")) >= 2 and len(r.on("/recommendation")) >= 2, timeout=40,
                 what="two sessions")
    manual = ask(sub, "mode", {"mode": "manual"}, "m-manual")
    assert manual["ok"] and manual["result"] == {"mode": "manual", "previous": "auto"}
    assert box.wait(40) == 0, "\n".join(box.lines[-20:])

    first, second = (s["take"] for s in sub.on("/session"))
    started = dict(_source_times(box, "started by itself"))
    ended = dict(_source_times(box, "ended"))
    # The music starts at 6 s; one second of it starts a take. The take is cut at 8 s of media ...
    assert first["end_reason"] == "max_length" and first["performer"] == "p-77" and first["cut_short"] is False
    assert abs(started[first["id"]] - 7.0) <= 0.5, started
    first_scores = sub.on("/session")[0]["scores"]
    assert abs(first_scores["end_s"] - 8.0) <= 0.3 and first_scores["discipline"] == "music"
    # ... and the music goes on, so the next take starts at once and ends 2 s after the flute stops (18 s).
    assert second["end_reason"] == "idle" and second["performer"] == "p-77"
    assert abs(started[second["id"]] - 15.0) <= 0.5 and abs(ended[second["id"]] - 20.0) <= 0.6, (started, ended)
    # Switched to manual before the clarinet (28 s): it starts no take.
    manual_at = float(box.wait_line(r"mode manual \(was auto\) at source time ([0-9.]+) s").group(1))
    assert manual_at < 27.0, "the second session came too late to test manual mode"
    assert len(sub.on("/session")) == 2 and len(started) == 2
    assert {r["take_id"] for r in sub.on("/recommendation")} == {first["id"], second["id"]}
