"""`perfscore models list|verify` on real model files, and the device profiles' fallback chain.

Known answers: a copy of a shipped model with one byte changed fails `verify`, which names it; a profile
whose first choice is missing (or tampered with) loads the next file of its chain, and says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge import MODELS_DIR
from edge.model_chain import DEFAULT_CHAIN, expand_chain, load_chain, resolve

from .conftest import run_cli

KEY = "scorer_cnn_hybrid"
FILES = [f"{KEY}.onnx", f"{KEY}.int8.onnx", "coach_policy.onnx"]


@pytest.fixture()
def models_dir(tmp_path) -> Path:
    """A models folder with a few real files and a manifest listing only them."""
    folder = tmp_path / "models"
    folder.mkdir()
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    manifest["artifacts"] = {k: v for k, v in manifest["artifacts"].items() if k in FILES}
    assert set(manifest["artifacts"]) == set(FILES), "the shipped manifest lists these files"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for name in FILES:
        shutil.copyfile(MODELS_DIR / name, folder / name)
    return folder


def profile(folder: Path, name: str, scorer, policy: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    value = json.dumps(scorer) if isinstance(scorer, list) else scorer
    coach = f"coach:\n  policy_path: {policy}\n" if policy else ""
    path.write_text(f"device:\n  kind: x86-dev\nrun:\n  scorer: {value}\n{coach}")
    return path


def tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verify_passes_on_the_shipped_models_and_names_a_tampered_copy(models_dir):
    ok = run_cli("models", "--models", str(models_dir), "verify", "--json", check_json=True)
    assert ok.doc["ok"] is True and {r["file"]: r["status"] for r in ok.doc["files"]} == dict.fromkeys(FILES, "ok")

    tamper(models_dir / f"{KEY}.int8.onnx")
    bad = run_cli("models", "--models", str(models_dir), "verify")
    assert bad.returncode == 1
    assert f"{KEY}.int8.onnx" in bad.stderr and "does not match" in bad.stderr
    assert f"{KEY}.onnx" not in bad.stderr.replace(f"{KEY}.int8.onnx", "")     # only the tampered file is named
    assert f"ok        {KEY}.onnx" in bad.stdout


def test_list_shows_each_artefact_and_what_each_profile_loads(models_dir, tmp_path):
    profiles = tmp_path / "profiles"
    profile(profiles, "wants-tflite", f"../models/{KEY}.int8.tflite",       # neither is installed here
            policy="../models/coach_policy.fp16.tflite")
    profile(profiles, "wants-fp32", f"../models/{KEY}.onnx")
    out = run_cli("models", "--models", str(models_dir), "list", "--profiles", str(profiles), "--json",
                  check_json=True).doc
    rows = {r["file"]: r for r in out["artifacts"]}
    assert rows[f"{KEY}.int8.onnx"]["backend"] == "onnxruntime" and rows[f"{KEY}.int8.onnx"]["status"] == "ok"
    assert rows[f"{KEY}.int8.onnx"]["bytes"] == (models_dir / f"{KEY}.int8.onnx").stat().st_size
    assert rows[f"{KEY}.int8.onnx"]["precision"].startswith("int8")
    loads = {p["profile"]: p for p in out["profiles"]}
    # int8 (and fp16) TFLite missing -> int8 ONNX, the next in the chain
    assert loads["wants-tflite"]["loads"] == f"{KEY}.int8.onnx"
    assert loads["wants-tflite"]["skipped"] == [{"file": f"{KEY}.int8.tflite", "reason": "not installed"},
                                                {"file": f"{KEY}.fp16.tflite", "reason": "not installed"}]
    assert loads["wants-fp32"]["loads"] == f"{KEY}.onnx" and not loads["wants-fp32"]["skipped"]
    # the coach's policy falls back along its own chain: fp16 TFLite missing -> fp32 ONNX
    policy = loads["wants-tflite"]["coach_policy"]
    assert policy["loads"] == "coach_policy.onnx"
    assert [s["file"] for s in policy["skipped"]] == ["coach_policy.fp16.tflite", "coach_policy.int8.tflite",
                                                       "coach_policy.int8.onnx"]
    default = loads["wants-fp32"]["coach_policy"]                      # no coach key: the fp32 ONNX file first
    assert default["chain"][0] == "coach_policy.onnx" and default["loads"] == "coach_policy.onnx"
    assert not default["skipped"]
    text = run_cli("models", "--models", str(models_dir), "list", "--profiles", str(profiles)).stdout
    assert f"wants-tflite       {KEY}.int8.onnx, coach_policy.onnx" in text and "skipped" in text


def test_the_chain_skips_a_tampered_file_and_a_missing_one(models_dir, tmp_path):
    manifest = models_dir / "manifest.json"
    chain = expand_chain(models_dir / f"{KEY}.int8.tflite")
    assert [p.name for p in chain] == [KEY + s for s in DEFAULT_CHAIN]
    tamper(models_dir / f"{KEY}.int8.onnx")
    choice = resolve(chain, manifest)
    assert choice.path == models_dir / f"{KEY}.onnx"
    reasons = dict((p.name, r) for p, r in choice.skipped)
    assert list(reasons) == [f"{KEY}.int8.tflite", f"{KEY}.fp16.tflite", f"{KEY}.int8.onnx"]
    assert reasons[f"{KEY}.int8.tflite"] == "not installed" and "does not match" in reasons[f"{KEY}.int8.onnx"]
    (models_dir / f"{KEY}.onnx").unlink()
    assert resolve(chain, manifest).path is None


def test_a_profile_may_name_its_own_chain(tmp_path):
    from edge.config import load_settings

    named = [f"../models/{KEY}.int8.onnx", f"../models/{KEY}.onnx"]
    s = load_settings([profile(tmp_path / "p", "own", named)])
    assert [p.name for p in expand_chain(s.run.scorer)] == [f"{KEY}.int8.onnx", f"{KEY}.onnx"]


def test_the_box_loads_the_next_file_when_the_first_is_missing(tmp_path):
    from edge.errors import ModelError
    from edge.scoring.learned import load_scorer

    missing = tmp_path / f"{KEY}.int8.tflite"
    scorer, choice = load_chain([missing, MODELS_DIR / f"{KEY}.onnx"], load_scorer, "learned scorer")
    assert type(scorer).__name__ == "OnnxScorer" and scorer.info.precision == "fp32"
    assert choice.path == MODELS_DIR / f"{KEY}.onnx" and choice.skipped == [(missing, "not installed")]
    with pytest.raises(ModelError, match=f"{KEY}.int8.tflite: not installed"):
        load_chain([missing], load_scorer, "learned scorer")


def test_the_daemon_scores_with_the_first_usable_file_and_logs_the_fallback(models_dir, caplog):
    from edge.model_chain import profile_model

    manifest = models_dir / "manifest.json"
    with caplog.at_level("WARNING"):
        assert profile_model(models_dir / f"{KEY}.int8.tflite", "learned scorer", manifest) == models_dir / f"{KEY}.int8.onnx"
    assert f"{KEY}.int8.tflite: not installed" in caplog.text
    assert profile_model(models_dir / f"{KEY}.onnx", "learned scorer", manifest) == models_dir / f"{KEY}.onnx"
    nothing = models_dir / "scorer_none.onnx"
    assert profile_model(nothing, "learned scorer", manifest) == nothing          # loading it then names the missing file
    assert profile_model(None, "learned scorer", manifest) is None
