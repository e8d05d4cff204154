"""Workstation side: turn trained checkpoints into ONNX / TFLite files for the box, and record them."""
