"""`perfscore coach ...` end to end with the shipped policy; one-line errors; no torch on the box."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge import MODELS_DIR, PROJECT_ROOT
from edge.cli.main import main
from tests.coach.shipped import shipped_reason_words

SHIPPED = MODELS_DIR / "coach_policy.onnx"


def perfscore(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def store(tmp_path: Path) -> str:
    return str(tmp_path / "coach.sqlite")


def feed(capsys, store: str) -> None:
    # two first attempts (sight-reading), then two rehearsed ones (technique): the last two rows are equal
    for i, (piece, tech, interp) in enumerate([("sonatina", 70, 40), ("minuet", 71, 41), ("minuet", 70, 40),
                                               ("minuet", 70, 40)]):
        code, out, _ = perfscore(capsys, "coach", "assess", "p-042", "--store", store, "--discipline", "music",
                                 "--piece", piece, "--at", f"2026-03-0{i + 1}T17:00:00Z", "--scores",
                                 f"rhythm={tech},technique={tech},expression=62,interpretation={interp},overall=60")
        assert code == 0 and "recorded p-042" in out


@pytest.mark.skipif(not SHIPPED.exists(), reason="models/coach_policy.onnx not exported yet")
def test_assess_then_recommend_with_the_shipped_policy(capsys, store):
    feed(capsys, store)
    code, out, err = perfscore(capsys, "coach", "recommend", "p-042", "--store", store, "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert set(rec["q_values"]) == {"TE", "EP", "SRP", "CIT"}
    assert rec["action"] == max(rec["q_values"], key=rec["q_values"].get)
    assert shipped_reason_words() in rec["reason"] and "learning pace is flat" in rec["reason"]
    assert "Interpretative skill is the weakest skill (IS 20" in rec["reason"]
    assert rec["model"]["name"] == "coach_policy.onnx"
    code, out, _ = perfscore(capsys, "coach", "recommend", "p-042", "--store", store)
    assert code == 0 and out.startswith("Next task for p-042 (music):") and "Why:" in out
    code, again, _ = perfscore(capsys, "coach", "recommend", "p-042", "--store", store, "--json")
    assert json.loads(again)["q_values"] == rec["q_values"]          # asking twice gives the same answer


def test_assess_from_a_result_json_and_show(capsys, store, tmp_path):
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"discipline": "dance", "piece": "combo-1", "ts": "2026-03-01T10:00:00Z",
                                  "scores": {"rhythm": {"score": 72, "measurements": {"offset_ms": 21}},
                                             "sync": 68, "technique": 70, "expression": 55,
                                             "interpretation": None, "overall": 66}}))
    code, out, err = perfscore(capsys, "coach", "assess", "d-7", "--store", store, "--result", str(result))
    assert code == 0, err
    # accuracy = mean(72, 68, 70) = 70 points → SR 44.5 on the skill scale; expression 55 → 32.25
    assert "first attempt" in out and "SR 44" in out and "ME 32" in out and "TP" not in out
    code, out, _ = perfscore(capsys, "coach", "show", "d-7", "--store", store, "--json")
    state = json.loads(out)
    assert state["latest"] == {"TP": None, "ME": 32.25, "SR": 44.5, "IS": None}
    code, out, _ = perfscore(capsys, "coach", "recommend", "d-7", "--store", store)
    assert code == 0 and "Technique drills" in out and "not been measured" in out


def test_path_from_a_modules_file(capsys, store, tmp_path):
    feed(capsys, store)
    modules = tmp_path / "modules.yaml"
    modules.write_text("modules:\n"
                       "  - {id: m1, title: Minuet in G, requires: {TP: 60, ME: 55}}\n"
                       "  - {id: m2, title: Romantic character piece, requires: {ME: 80, IS: 95, TP: 70}}\n")
    code, out, err = perfscore(capsys, "coach", "path", "p-042", "--store", store, "--modules", str(modules), "--json")
    assert code == 0, err
    path = json.loads(out)["path"]
    # skills (skill scale): TP 44.5 (70 points), ME 37.97 (62), SR 46.13 (71), IS 20 (40).
    # m1: (44.5 + 37.97) / 115 = 0.72 < 0.75 → remedial ME first (gap 17.0 > TP's 15.5): (44.5 + 55) / 115 = 0.87.
    # m2 (projected TP 60, ME 55): (55 + 20 + 60) / 245 = 0.55 → remedial IS (gap 75): (55 + 95 + 60) / 245 = 0.86.
    assert [(s["kind"], s["module"], s["skill"]) for s in path] == [
        ("remedial", "m1", "ME"), ("module", "m1", None), ("remedial", "m2", "IS"), ("module", "m2", None)]


def test_prefer_changes_the_stored_profile(capsys, store):
    code, out, _ = perfscore(capsys, "coach", "prefer", "p-1", "--store", store, "EP=3,CIT=1")
    assert code == 0 and "EP 0.75" in out and "CIT 0.25" in out


@pytest.mark.parametrize("argv, message", [
    (["assess", "p-1", "--discipline", "music", "--piece", "x", "--scores", "rhythm=abc"], "rhythm='abc' is not a number"),
    (["assess", "p-1", "--discipline", "music", "--piece", "x", "--scores", "rhythm70"], "is not NAME=VALUE"),
    (["assess", "Jane Doe", "--discipline", "music", "--piece", "x", "--scores", "rhythm=70"], "pseudonymous"),
    (["assess", "p-1", "--piece", "x", "--scores", "rhythm=70"], "--discipline: required"),
    (["assess", "p-1", "--discipline", "music", "--piece", "x", "--scores", "rhythm=70", "--at", "yesterday"],
     "not an ISO 8601"),
    (["recommend", "nobody"], "no assessments"),
    (["path", "nobody", "--modules", "/nonexistent/modules.yaml"], "cannot read modules file"),
    (["prefer", "p-1", "XX=1"], "unknown task type"),
])
def test_bad_input_gives_one_line_and_exit_code_1(capsys, store, argv, message):
    code, out, err = perfscore(capsys, "coach", *argv[:2], "--store", store, *argv[2:])
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def _modules_after(code: str) -> set[str]:
    probe = code + "; import sys; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split())


HEAVY = {"torch", "onnx", "gymnasium", "stable_baselines3", "matplotlib"}


def test_the_box_side_never_imports_torch_training_or_export():
    loaded = _modules_after("import edge.cli.coach, edge.coach.policy, edge.coach.recommend, edge.coach.curriculum")
    assert not {m.split(".")[0] for m in loaded} & (HEAVY | {"training", "export"})


def test_the_cli_with_its_train_and_export_plugins_loads_no_torch():
    loaded = _modules_after("from edge.cli.main import build_parser; build_parser()")
    assert "training.coach.cli" in loaded and "export.coach_policy" in loaded     # the plugins registered
    assert not {m.split(".")[0] for m in loaded} & HEAVY


def test_assess_reads_what_the_box_writes(tmp_path):
    """`analyze --json` output and a `screen` results.jsonl line carry the scoring contract; both feed the coach."""
    from edge.coach.results import read_result

    contract = {"discipline": "dance", "overall": 71.0, "grade": "B",
                "subscores": {"rhythm": {"value": 80.0, "explanation": "…"}, "sync": {"value": 70.0},
                              "technique": {"value": 60.0}, "expression": {"value": None},
                              "interpretation": {"value": None}}}
    analyze_doc = tmp_path / "analyze.json"
    analyze_doc.write_text(json.dumps({"schema": "perfscore.analysis/1", "scores": contract}))
    screen_line = tmp_path / "results.jsonl"
    screen_line.write_text(json.dumps({"entry": "a.mp4", "rubric": contract, "discipline": "dance"}) + "\n")
    for path in (analyze_doc, screen_line):
        found = read_result(path)
        assert found["discipline"] == "dance"
        assert found["scores"]["rhythm"] == 80.0 and found["scores"]["overall"] == 71.0
        assert found["scores"]["expression"] is None
