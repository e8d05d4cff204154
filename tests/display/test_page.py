"""The classroom page in real headless Chromium, against a real broker and a real daemon (conftest.py):
it must show what the box published — the performer, live bars that move, the beat, the session's overall,
grade and sentences, the next task — and say when a box goes offline or a new one comes online."""

from __future__ import annotations

from tests.app.conftest import MUSIC, Box

from .browser import page_state, wait_page
from .conftest import PERFORMER, PIECE

SUBSCORES = ("rhythm", "sync", "technique", "expression", "interpretation")
ON_BEAT = 0.4     # display.js: beat alignment at or above this is shown as on the beat


def shown(value) -> str:
    """A number as the page prints it (one decimal; a dash for none)."""
    return "—" if value is None else f"{round(value * 10) / 10:.1f}"


def beat_kind(alignment) -> str:
    return "unknown" if alignment is None else ("on" if alignment >= ON_BEAT else "off")


def test_during_the_take_the_bars_move_and_the_beat_is_shown(take_run):
    s = take_run
    lives = s.sub.on("perfscore/demo/live")
    assert len(lives) >= 5, "the daemon published too few live windows to judge the page"
    during = [snap["boxes"]["demo"] for snap in s.snapshots if snap["boxes"].get("demo", {}).get("live")]
    assert len(during) >= 8, f"the live panel was shown in only {len(during)} of {len(s.snapshots)} snapshots"
    assert all(d["performer"] == PERFORMER and d["status"] == "Online" for d in during)
    published_values = {name: {shown(m["subscores"][name]) for m in lives if name in m["subscores"]}
                        for name in SUBSCORES}
    for d in during:
        for name, bar in d["bars"].items():
            assert bar["value"] in published_values[name], (name, bar, published_values[name])
    # The bars move: a sub-score's width changed while the take ran, as the published values did.
    widths = {name: {d["bars"][name]["width"] for d in during if name in d["bars"]} for name in SUBSCORES}
    moving = [name for name, w in widths.items() if len(w) > 1]
    assert moving, widths
    assert any(len(published_values[name]) > 1 for name in moving)
    # The beat: the kinds the page showed are those the published beat alignments call for, each with its
    # own words and symbol (never colour alone).
    kinds_published = {beat_kind(m["beat_alignment"]) for m in lives}
    kinds_shown = {d["beat"] for d in during}
    assert kinds_shown <= kinds_published | {"unknown"} and kinds_shown - {"unknown"}, (kinds_shown, kinds_published)
    words = {"on": ("On the beat", "✔"), "off": ("Off the beat", "✖")}
    for d in during:
        if d["beat"] in words:
            assert (d["beat_text"], d["beat_symbol"]) == words[d["beat"]]
    assert not s.console_errors()


def test_after_the_take_the_page_shows_the_published_result_and_next_task(take_run):
    s = take_run
    session = s.sub.on("perfscore/demo/session")[-1]
    rec = s.sub.on("perfscore/demo/recommendation")[-1]
    scores = session["scores"]
    assert session["take"]["performer"] == PERFORMER and rec["take_id"] == session["take"]["id"]
    state = wait_page(s.driver, lambda st: st["boxes"].get("demo", {}).get("next")
                      and st["boxes"]["demo"]["status"] == "Stopped", what="the result, the task and 'Stopped'")
    demo = state["boxes"]["demo"]
    assert demo["performer"] == PERFORMER and demo["piece"] == PIECE
    assert demo["result"] and not demo["live"]                       # the take is over
    assert demo["overall"] == shown(scores["overall"]) and demo["grade"] == scores["grade"]
    assert set(demo["subs"]) == {n for n in SUBSCORES if n in scores["subscores"]}
    for name, sub in demo["subs"].items():
        assert sub["value"] == shown(scores["subscores"][name]["value"])
        assert sub["explanation"] == scores["subscores"][name]["explanation"]
    assert demo["task"] == rec["task"]["title"] and demo["instruction"] == rec["task"]["instruction"]
    assert demo["next_for"] == f"for {rec['performer']}"
    assert demo["why"] and "Q-value" not in demo["why"]               # the student's words, not the policy's
    # A box that stopped cleanly says so, in words and a shape, and its card is greyed as old news.
    assert demo["status_symbol"] == "■" and demo["stale"] is True
    assert not s.console_errors()


def test_a_second_box_appears_online_and_sigkill_turns_it_offline(take_run):
    s = take_run
    second = Box(s.tmp / "studio-2", s.broker.url, f"replay:{MUSIC}", "--speed", "0.5", "--device", "studio-2")
    try:
        state = wait_page(s.driver, lambda st: st["boxes"].get("studio-2", {}).get("status") == "Online",
                          timeout=40, what="studio-2 online")
        assert "demo" in state["boxes"] and state["boxes"]["studio-2"]["status_symbol"] == "●"
        assert state["boxes"]["studio-2"]["stale"] is False
        assert list(state["boxes"]) == ["demo", "studio-2"]           # in order of device id
        second.kill()                                                  # SIGKILL: only the Last Will speaks
        state = wait_page(s.driver, lambda st: st["boxes"]["studio-2"]["state"] == "offline", timeout=20,
                          what="studio-2 offline (Last Will)")
    finally:
        second.kill()
    s.sub.wait_for(lambda r: r.on("perfscore/studio-2/status")[-1]["state"] == "offline", what="the will")
    box = state["boxes"]["studio-2"]
    assert box["status"] == "Offline — connection lost" and box["status_symbol"] == "✕"
    assert box["stale"] is True and box["heard"].startswith("last heard ")
    assert state["boxes"]["demo"]["status"] == "Stopped"             # the other box is unaffected
    assert not s.console_errors()


def test_one_box_only_large_type_on_a_tv_and_no_overflow_on_a_tablet(take_run):
    s = take_run
    s.driver.get(s.page(device="demo"))
    state = wait_page(s.driver, lambda st: st["boxes"].get("demo", {}).get("next"), what="demo's result")
    assert list(state["boxes"]) == ["demo"]                           # studio-2 is retained but not asked for
    px = lambda sel: s.driver.execute_script(  # noqa: E731
        "return parseFloat(getComputedStyle(document.querySelector(arguments[0])).fontSize)", sel)
    # 1920 px wide (a 1080p TV): the overall and the grade are ~90 px, body text ~32 px.
    assert px(".result .overall") >= 80 and px(".result .grade") >= 80
    assert px(".next .task-title") >= 40 and px(".sub .name") >= 26
    s.driver.set_window_size(800, 1280)                               # a tablet held upright
    state = wait_page(s.driver, lambda st: st["boxes"].get("demo", {}).get("next"), what="demo on a tablet")
    overflow = s.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than the tablet"
    assert px(".result .overall") >= 36 and px(".sub .name") >= 14
    s.driver.set_window_size(1920, 1080)
    assert page_state(s.driver)["boxes"]["demo"]["overall"] == state["boxes"]["demo"]["overall"]
    assert not s.console_errors()
