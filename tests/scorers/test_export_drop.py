"""An int8 file that holds no parity bound is deleted and recorded under not_shipped, with why."""

from __future__ import annotations

import json

from export.manifest import drop_int8


def test_an_int8_file_over_its_bounds_is_removed_and_recorded(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"artifacts": {"scorer_x.int8.onnx": {"sha256": "0"}}}))
    (tmp_path / "scorer_x.int8.onnx").write_bytes(b"int8")
    attempts = [{"method": "static QDQ", "verdict": "grade agreement 95.1 % < 98 %"},
                {"method": "dynamic", "failed": "GRU not quantised"}]
    row = drop_int8("scorer_x.int8.onnx", {"attempts": attempts}, tmp_path, manifest)
    assert not (tmp_path / "scorer_x.int8.onnx").exists()
    data = json.loads(manifest.read_text())
    assert "scorer_x.int8.onnx" not in data["artifacts"]
    reason = data["not_shipped"]["scorer_x.int8.onnx"]["reason"]
    assert reason == row["dropped"] == ("no int8 variant within the parity bounds: static QDQ: grade agreement "
                                        "95.1 % < 98 %; dynamic: GRU not quantised")
    assert data["not_shipped"]["scorer_x.int8.onnx"]["attempts"] == attempts


def test_a_failed_conversion_is_the_reason(tmp_path):
    manifest = tmp_path / "manifest.json"
    row = drop_int8("scorer_y.int8.tflite", {"failed": "litert-torch: unsupported op"}, tmp_path, manifest)
    assert row == {"file": "scorer_y.int8.tflite", "dropped": "litert-torch: unsupported op"}
    assert json.loads(manifest.read_text())["not_shipped"]["scorer_y.int8.tflite"]["attempts"] == []
