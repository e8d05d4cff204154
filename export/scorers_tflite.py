"""TFLite conversion and quantisation, run with the Python of the litert-torch venv (scripts/litert_venv).

Run by `perfscore export scorers|coach` (export/tflite.py) as a subprocess: litert-torch 0.10.0 and its
ai-edge-quantizer live in their own venv (FACTS); this file imports nothing from the repository.

    PY export/scorers_tflite.py convert PROGRAM.pt2 OUT.tflite 1,60,72
    PY export/scorers_tflite.py quantize FLOAT.tflite CALIBRATION.npy OUT.tflite RECIPE
    PY export/scorers_tflite.py strip IN.tflite OUT.tflite

`convert`: a torch.export program (fixed batch of one) → fp32 .tflite; SHAPE may list several inputs
separated by ';' (a whole-take model: `128,60,72;128`, windows and mask).
`quantize`: ai-edge-quantizer with a recipe: weighted_wi8_ai8 / weighted_wi8_ai16 (static, only the ops
with weights: fully connected, convolutions, batch matmul), or one of its own — static_wi8_ai8 (full integer: int8 weights and
activations, ranges from the calibration inputs, one per row of the .npy; an .npz holds one array per
input of a multi-input model, matched to the inputs by rank), static_wi8_ai16 (int16
activations, where int8 cannot hold), dynamic_wi8_afp32 (int8 weights, activations quantised at run time).
"""

import sys


def convert(program: str, out: str, shape: str) -> int:
    import litert_torch
    import torch

    module = torch.export.load(program).module()
    # one input per ';'-separated shape (a whole-take model takes windows and a mask)
    examples = tuple(torch.zeros(*(int(d) for d in one.split(","))) for one in shape.split(";"))
    litert_torch.convert(module, examples).export(out)
    return 0


WEIGHTED = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "BATCH_MATMUL")


def weighted_static(bits: int):
    """Static int8 weights and `bits` activations for the ops that carry weights only: the feature
    arithmetic before them (standardisation, pitch lifted to sin/cos, speeds) stays float, as in the
    ONNX export (export/quantize.py); quantising all of it moved sub-scores by ~12 points."""
    from ai_edge_quantizer import qtyping, recipe_manager

    manager = recipe_manager.RecipeManager()
    for op in WEIGHTED:
        manager.add_static_config(regex=".*", operation_name=qtyping.TFLOperationName[op],
                                  activation_num_bits=bits, weight_num_bits=8)
    return manager.get_quantization_recipe()


def float16():
    """fp16 weights of the weighted ops (computed in float): where int8 cannot hold parity."""
    from ai_edge_quantizer import algorithm_manager, qtyping, recipe_manager

    manager = recipe_manager.RecipeManager()
    for op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"):     # what float casting supports
        manager.add_weight_only_config(regex=".*", operation_name=qtyping.TFLOperationName[op], num_bits=16,
                                       algorithm_key=algorithm_manager.AlgorithmName.FLOAT_CASTING)
    return manager.get_quantization_recipe()


def quantize(float_model: str, calibration: str, out: str, recipe_name: str) -> int:
    import numpy as np
    from ai_edge_quantizer import quantizer, recipe

    qt = quantizer.Quantizer(float_model)
    custom = {"weighted_wi8_ai8": lambda: weighted_static(8), "weighted_wi8_ai16": lambda: weighted_static(16),
              "float16": float16}
    qt.load_quantization_recipe(custom[recipe_name]() if recipe_name in custom else getattr(recipe, recipe_name)())
    data = None if calibration.endswith(".npz") else np.load(calibration).astype(np.float32)
    result = None
    if qt.need_calibration:   # a property
        from ai_edge_litert.interpreter import Interpreter

        signature = Interpreter(model_path=float_model).get_signature_list()
        key = next(iter(signature))
        name = signature[key]["inputs"][0]
        # The quantiser's default calibration keeps a moving average of each tensor's min/max (weight 0.95
        # on the past), which ends near a typical input's range: inputs beyond it saturated (the policy's
        # Q-values were cut at 9.9 of 17.8). The true min/max of the calibration set is used instead.
        from ai_edge_quantizer import calibrator
        from ai_edge_quantizer.utils import qsv_utils

        if calibration.endswith(".npz"):
            # several inputs (windows and mask of a whole-take model): one full input per row, matched by rank
            arrays = dict(np.load(calibration))
            details = Interpreter(model_path=float_model).get_signature_runner(key).get_input_details()
            by_rank = {a.ndim - 1: a.astype(np.float32) for a in arrays.values()}
            names = {n: by_rank[len(d["shape"])] for n, d in details.items()}
            samples = [{n: a[i] for n, a in names.items()} for i in range(len(next(iter(arrays.values()))))]
        else:
            samples = [{name: row[None]} for row in data]
        calib = calibrator.Calibrator(qt._float_model_buffer, num_threads=1, qsv_update_func=qsv_utils.min_max_update)
        calib.calibrate({key: samples}, qt._recipe_manager)
        result = calib.get_model_qsvs()
    qt.quantize(result).export_model(out, overwrite=True)
    return 0


def strip(model_path: str, out: str) -> int:
    """Every tensor but the graph's inputs and outputs renamed `t<index>`: litert-torch names each tensor by
    the module path of the op that made it, and in a graph written out step by step (a whole-take model's
    GRU over 128 windows) those names are a third of the file's bytes. The box finds its tensors by the
    inputs' and outputs' names and shapes, which stay."""
    from ai_edge_quantizer.utils import tfl_flatbuffer_utils

    model = tfl_flatbuffer_utils.read_model(model_path)
    for graph in model.subgraphs:
        keep = set(graph.inputs) | set(graph.outputs)
        for i, tensor in enumerate(graph.tensors):
            if i not in keep:
                tensor.name = f"t{i}".encode()
    tfl_flatbuffer_utils.write_model(model, out)
    return 0


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    sys.exit({"convert": convert, "quantize": quantize, "strip": strip}[command](*rest))
