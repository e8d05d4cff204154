#!/usr/bin/env bash
# Rebuild models/pose_landmarker_full.task from the mediapipe 0.10.21 wheel and record it in the manifest.
# Needs only the package registry (PyPI); takes about a minute. Usage: export/build_pose_task.sh [PYTHON]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-$here/.venv/bin/python}
venv=${PERFSCORE_MP010_VENV:-$here/.cache/mediapipe-0.10.21}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q mediapipe==0.10.21
fi
out=$here/models/pose_landmarker_full.task
"$venv/bin/python" "$here/export/pose_task.py" "$out"
"$py" - "$out" <<'PY'
import sys
from export.manifest import record_artifact
record_artifact(
    sys.argv[1], kind="mediapipe-task",
    description="MediaPipe PoseLandmarker bundle (BlazePose GHUM full): 33 landmarks, image and world coordinates",
    inputs={"image": "RGB frame, any size (resized by MediaPipe to 224x224 detector / 256x256 landmarks)"},
    outputs={"pose_landmarks": "33 x (x, y, z, visibility, presence), normalised image coordinates",
             "pose_world_landmarks": "33 x (x, y, z) metres, origin between the hips"},
    provenance={"source": "mediapipe==0.10.21 wheel from PyPI: mediapipe/modules/pose_detection/pose_detection.tflite, "
                          "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                "built_by": "export/build_pose_task.sh (metadata via mediapipe.tasks metadata_writers)",
                "model_card": "https://storage.googleapis.com/mediapipe-assets/Model%20Card%20BlazePose%20GHUM%203D.pdf"},
    licence="Apache-2.0",
)
print("recorded in models/manifest.json")
PY
