"""Convert one exported scorer program (.pt2, batch of one window) to TFLite with litert-torch.

Run by `perfscore export scorers --tflite` with the Python of the litert-torch venv (FACTS: litert-torch
lives in its own venv); it imports nothing from this repository, only torch and litert_torch:

    .cache/litert-venv/bin/python export/scorers_tflite.py PROGRAM.pt2 OUT.tflite
"""

import sys

import torch


def main(program: str, out: str) -> int:
    import litert_torch

    module = torch.export.load(program).module()
    edge = litert_torch.convert(module, (torch.zeros(1, 60, 72),))
    edge.export(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
