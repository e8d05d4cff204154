"""The int8 ladder's dynamic rungs (export/scorers.py dynamic_rungs, export/quantize.py): per-channel
weights keep a column of small weights; the part a rung keeps fp32 (heads, the recurrent op) stays fp32;
the ladder ships the first rung within bounds and records every attempt before it."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from export.quantize import op_types, quantize_dynamic_int8, recurrent_nodes  # noqa: E402
from export.scorers import _kept_fp32, int8_ladder  # noqa: E402

rng = np.random.default_rng(7)


def _init(name, shape, scale=0.5):
    return numpy_helper.from_array((rng.normal(0, scale, shape)).astype(np.float32), name)


def _save(path, nodes, inits, inputs, outputs):
    model = helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _run(path, x, name="x"):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """x[N, 64] → Gemm (W [128, 64], transB) → Relu → Gemm head (W [128, 5]) → y[N, 5]: a scorer's hidden
    layer and output head as the exporter writes them. Hidden unit 3's weights are 1000× smaller than
    the others': one int8 scale for the whole tensor rounds them to zero."""
    path = tmp_path_factory.mktemp("mlp") / "mlp.onnx"
    w1 = rng.normal(0, 0.5, (128, 64)).astype(np.float32)
    w1[3] *= 1e-3
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="hidden", transB=1),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], name="head")]
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(np.zeros(128, np.float32), "b1"),
             _init("w2", (128, 5)), _init("b2", (5,))]
    return _save(path, nodes, inits, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])])


X = np.random.default_rng(1).normal(0, 1, (64, 64)).astype(np.float32)


def _hidden_unit_3(path, tmp_path):
    """The graph cut after the hidden layer (its output h), unit 3 over X."""
    model = onnx.load(str(path))
    model.graph.output.append(helper.make_tensor_value_info("h", TensorProto.FLOAT, None))
    cut = tmp_path / f"cut-{path.name}"
    onnx.save(model, str(cut))
    import onnxruntime as ort

    return ort.InferenceSession(str(cut), providers=["CPUExecutionProvider"]).run(["h"], {"x": X})[0][:, 3]


def test_per_channel_weights_keep_a_column_of_small_weights(mlp, tmp_path):
    truth = _hidden_unit_3(mlp, tmp_path)
    tensor = quantize_dynamic_int8(mlp, tmp_path / "tensor.onnx")
    column = quantize_dynamic_int8(mlp, tmp_path / "column.onnx", per_channel=True)
    assert "Gemm" not in op_types(tensor) and "Gemm" not in op_types(column)     # both quantised
    err_tensor = np.abs(_hidden_unit_3(tensor, tmp_path) - truth).max()
    err_column = np.abs(_hidden_unit_3(column, tmp_path) - truth).max()
    assert err_tensor > 0.5 * np.abs(truth).max()          # per tensor: unit 3 is lost
    assert err_column < 0.05 * np.abs(truth).max()         # per column: it keeps its resolution


def test_a_rung_that_keeps_the_heads_fp32_quantises_only_the_rest(mlp, tmp_path):
    assert _kept_fp32(mlp, "heads") == ["head"]             # the weight of width N_OUT = 5
    assert _kept_fp32(mlp, None) == []
    out = quantize_dynamic_int8(mlp, tmp_path / "heads.onnx", exclude=_kept_fp32(mlp, "heads"))
    # the quantiser splits Gemm into MatMul + Add before matching names: the head must stay a float MatMul
    ops = op_types(out)
    assert ops.get("MatMulInteger") == 1 and ops.get("MatMul") == 1
    np.testing.assert_allclose(_run(out, X), _run(mlp, X), atol=0.05 * np.abs(_run(mlp, X)).max())
    with pytest.raises(ValueError, match="unknown part"):
        _kept_fp32(mlp, "everything")


@pytest.fixture(scope="module")
def lstm(tmp_path_factory):
    """x[T, N, 8] → LSTM (hidden 16) → last state → Gemm head → y[N, 5]."""
    path = tmp_path_factory.mktemp("lstm") / "lstm.onnx"
    nodes = [helper.make_node("LSTM", ["x", "W", "R", "B"], ["", "yh"], name="rnn", hidden_size=16),
             helper.make_node("Squeeze", ["yh", "axis0"], ["h"], name="squeeze"),
             helper.make_node("Gemm", ["h", "w2", "b2"], ["y"], name="head")]
    inits = [_init("W", (1, 64, 8)), _init("R", (1, 64, 16)), _init("B", (1, 128), 0.1), _init("w2", (16, 5)),
             _init("b2", (5,)), numpy_helper.from_array(np.array([0], np.int64), "axis0")]
    return _save(path, nodes, inits, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [10, "N", 8])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])])


def test_the_recurrent_layer_fp32_rung_leaves_the_lstm_op_and_quantises_the_head(lstm, tmp_path):
    assert recurrent_nodes(lstm) == ["rnn"] == _kept_fp32(lstm, "recurrent layer")
    everything = quantize_dynamic_int8(lstm, tmp_path / "all.onnx")
    assert "DynamicQuantizeLSTM" in op_types(everything)
    kept = quantize_dynamic_int8(lstm, tmp_path / "kept.onnx", exclude=recurrent_nodes(lstm))
    ops = op_types(kept)
    assert ops.get("LSTM") == 1 and "DynamicQuantizeLSTM" not in ops and "Gemm" not in ops
    x = np.random.default_rng(2).normal(0, 1, (10, 4, 8)).astype(np.float32)
    assert np.abs(_run(kept, x) - _run(lstm, x)).max() < 0.05


def test_the_ladder_ships_the_first_rung_within_bounds_with_every_attempt(mlp, tmp_path):
    def scales(candidate):
        model = onnx.load(str(candidate))
        return {"scales": max(int(np.prod(i.dims)) for i in model.graph.initializer if i.name.endswith("scale"))}

    ladder = [("dynamic int8", "int8-dynamic", mlp, None),
              ("dynamic int8, per-channel weights", "int8-dynamic", mlp, None, {"per_channel": True}),
              ("never reached", "int8-dynamic", mlp, None)]
    out = tmp_path / "shipped.onnx"
    result = int8_ladder(ladder, mlp, out, tmp_path, None, scales,
                         lambda p: None if p["scales"] > 1 else "one scale per tensor")
    assert result["ship"] == "dynamic int8, per-channel weights" and result["precision"] == "int8-dynamic"
    assert [a["method"] for a in result["attempts"]] == ["dynamic int8", "dynamic int8, per-channel weights"]
    assert result["attempts"][0]["verdict"] == "one scale per tensor"
    assert result["attempts"][1]["parity"] == {"scales": 128}
    assert out.exists() and out.stat().st_size < 0.75 * mlp.stat().st_size
