"""ONNX int8: static QDQ with calibration on real inputs, dynamic int8 where static breaks.

Static (`quantize_static`, QDQ format): weights int8 per channel, activations uint8 per tensor with
ranges from calibration inputs (real corpus windows for scorers, observations of simulated students
for the coach), only the ops that carry weights (Conv, MatMul, Gemm): the feature arithmetic around
them (standardisation, pitch lifted to sin/cos, gates, softmax) stays fp32, where int8 would cost
accuracy and save no bytes. Dynamic (`quantize_dynamic`) needs no calibration and is the fallback
when static fails or drifts past its bound; the reason is kept for the manifest.

Files are written without the exporter's per-node metadata and doc strings (stack traces, source
lines): the box never reads them, and in a 100-kB model they are a third of the bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

OPS = ["Conv", "MatMul", "Gemm"]


def strip(path: Path) -> None:
    """Drop doc strings and metadata properties of every node (not the graph's inputs or outputs)."""
    import onnx

    model = onnx.load(str(path))
    model.doc_string = ""
    del model.metadata_props[:]
    for graph in [model.graph] + [a.g for n in model.graph.node for a in n.attribute if a.g.node]:
        graph.doc_string = ""
        for node in graph.node:
            node.doc_string = ""
            del node.metadata_props[:]
        for value in list(graph.value_info):
            graph.value_info.remove(value)
    onnx.save(model, str(path))


class _Reader:
    """onnxruntime's CalibrationDataReader over an array of inputs, in batches."""

    def __init__(self, name: str, data: np.ndarray, batch: int = 32):
        self.items = iter([{name: data[i:i + batch].astype(np.float32)} for i in range(0, len(data), batch)])

    def get_next(self):
        return next(self.items, None)

    def rewind(self):   # noqa: D102 (the API's name)
        raise NotImplementedError


def sensitive_nodes(path: Path, first_inputs: set[int], outputs: set[int]) -> list[str]:
    """Weighted nodes to keep in fp32: those reading the raw feature channels (an input width in
    `first_inputs`: standardised features with long tails, which one uint8 range per tensor cannot
    resolve) and the output heads (an output width in `outputs`: the score head is multiplied by 50)."""
    import onnx

    model = onnx.load(str(path))
    shapes = {i.name: tuple(i.dims) for i in model.graph.initializer}
    names = []
    for node in model.graph.node:
        if node.op_type not in OPS or len(node.input) < 2 or node.input[1] not in shapes:
            continue
        w = shapes[node.input[1]]
        if node.op_type == "Conv":
            c_out, c_in = w[0], w[1]
        elif node.op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute):
            c_out, c_in = w[0], w[1]
        else:
            c_in, c_out = w[0], w[-1]
        if c_in in first_inputs or c_out in outputs:
            names.append(node.name)
    return names


def quantize_static_qdq(fp32: Path, out: Path, input_name: str, calibration: np.ndarray,
                        method: str = "minmax", exclude: list[str] | None = None) -> Path:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(prefix="perfscore-quant-") as scratch:
        pre = Path(scratch) / "pre.onnx"
        # skip_symbolic_shape: the symbolic pass fails on the dynamo-exported attention graphs (FACTS)
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out), _Reader(input_name, calibration), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        op_types_to_quantize=OPS, nodes_to_exclude=exclude or [],
                        calibrate_method={"minmax": CalibrationMethod.MinMax,
                                          "percentile": CalibrationMethod.Percentile}[method],
                        extra_options={"CalibMovingAverage": False, "CalibPercentile": 99.99})
    strip(out)
    return out


def quantize_dynamic_int8(fp32: Path, out: Path, exclude: list[str] | None = None, per_channel: bool = False,
                          reduce_range: bool = False) -> Path:
    """`per_channel`: one int8 scale per output column of each weight (a column with small weights keeps
    its resolution); `reduce_range`: 7-bit weights (no saturation in the u8×s8 products on CPUs without
    VNNI). The quantiser first splits each Gemm `G` into MatMul `G_MatMul` + Add and matches
    `exclude` against those names: both are given, or an excluded Gemm would be quantised all the same."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    exclude = [n for name in exclude or [] for n in (name, f"{name}_MatMul")]
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=OPS + ["LSTM"],
                     nodes_to_exclude=exclude, per_channel=per_channel, reduce_range=reduce_range)
    strip(out)
    return out


def recurrent_nodes(path: Path) -> list[str]:
    """The graph's GRU / LSTM ops (kept fp32 by the ladder's "recurrent layer fp32" rung)."""
    import onnx

    return [n.name for n in onnx.load(str(path)).graph.node if n.op_type in ("GRU", "LSTM")]


def op_types(path: Path) -> dict[str, int]:
    """How many nodes of each op type the graph has (which ops stayed fp32 is read from this)."""
    import onnx

    counts: dict[str, int] = {}
    for node in onnx.load(str(path)).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def dedupe_initializers(path: Path) -> int:
    """Make identical initializers one (the quantiser writes a recurrent weight once per unrolled step);
    returns how many copies were dropped."""
    import hashlib

    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    first: dict[tuple, str] = {}
    rename: dict[str, str] = {}
    keep = []
    for init in graph.initializer:
        key = (init.data_type, tuple(init.dims), hashlib.sha256(init.SerializeToString(deterministic=True)
                                                                   .replace(init.name.encode(), b"")).hexdigest())
        if key in first:
            rename[init.name] = first[key]
        else:
            first[key] = init.name
            keep.append(init)
    if not rename:
        return 0
    del graph.initializer[:]
    graph.initializer.extend(keep)
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    onnx.save(model, str(path))
    return len(rename)
