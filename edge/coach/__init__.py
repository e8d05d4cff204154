"""The box's coach: the performer's student model and the next practice task.

assessment (sub-scores) ──► skills (TP, ME, SR, IS; calibrated to the simulator's skill scale)
    ──► store (SQLite, per performer: assessments, recommendations, practice, overrides)
    ──► student model (completed assessment matrix, stale skills) ──► progress (moving average,
    learning pace, forecast) ──► observation
    ──► policy (ONNX Q-network, onnxruntime) ──► recommendation (task + Q-values as reason)

service.py puts these together (assess, recommend and record, path, prefer, show) for the
command line and the daemon alike; vocabulary.py names skills, tasks and sub-scores without
importing anything, for the command line's help.

The observation layout and the progress formulas here are the ones the simulator in
training/coach/ uses to train the policy, so the box feeds the network what it learned on.
Nothing here imports torch, onnx, training or export.
"""
