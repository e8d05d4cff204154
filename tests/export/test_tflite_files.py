"""Every shipped .tflite (scorers and coach policy, fp32 and int8 alike) has its inner tensor names shortened
(export/scorers_tflite.py strip) and says so in the manifest; its inputs and outputs keep the names the box
looks them up by, and each int8 file is at most 0.75 of its fp32 file's bytes — the bound the export applies."""

from __future__ import annotations

import re

import pytest

from edge import MODELS_DIR
from edge.models import load_manifest, verify_model

pytest.importorskip("ai_edge_litert")
ARTIFACTS = load_manifest()["artifacts"]
TFLITE = sorted(n for n in ARTIFACTS if n.endswith(".tflite"))


@pytest.mark.parametrize("name", TFLITE)
def test_inner_tensor_names_are_stripped_and_the_manifest_says_so(name):
    from ai_edge_litert.interpreter import Interpreter

    entry = verify_model(MODELS_DIR / name)                 # sha256 and bytes as recorded
    assert "t<index>" in entry["tensor_names"]
    interp = Interpreter(model_path=str(MODELS_DIR / name))
    ends = {d["index"] for d in interp.get_input_details() + interp.get_output_details()}
    inner = [d["name"] for d in interp.get_tensor_details() if d["index"] not in ends]
    assert inner and all(re.fullmatch(r"t\d+", n) for n in inner), [n for n in inner if not re.fullmatch(r"t\d+", n)][:3]
    for d in interp.get_input_details() + interp.get_output_details():
        assert not re.fullmatch(r"t\d+", d["name"])          # the graph's own ends keep their names
    if entry.get("tflite_outputs") or (entry.get("scorer") or {}).get("tflite_outputs"):
        names = (entry.get("scorer") or {}).get("tflite_outputs")
        assert set(names) <= {d["name"] for d in interp.get_output_details()}


@pytest.mark.parametrize("name", [n for n in TFLITE if ".int8." in n])
def test_an_int8_file_is_at_most_three_quarters_of_its_fp32_file(name):
    fp32 = name.replace(".int8.tflite", ".tflite")
    assert ARTIFACTS[name]["bytes"] <= 0.75 * ARTIFACTS[fp32]["bytes"]
    assert ARTIFACTS[name]["quantisation"]["bytes_fp32"] == ARTIFACTS[fp32]["bytes"]
