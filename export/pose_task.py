"""Build models/pose_landmarker_full.task offline from the pose models inside the mediapipe 0.10.x wheel.

mediapipe 1.2.2 (the box's runtime) carries no pose model and its Tasks API needs a `.task` bundle,
normally downloaded at run time. The 0.10.x wheels still ship BlazePose GHUM's `pose_detection.tflite`
and `pose_landmark_full.tflite` (Apache-2.0). A `.task` is a zip of the two with TFLite metadata that
tells the Tasks graph how to normalise input pixels; this script adds that metadata with 0.10.x's own
`metadata_writers` and zips them as MediaPipe does.

Run through export/build_pose_task.sh, which makes the separate venv this needs (0.10.21 pins
numpy<2 and protobuf<5, which the main environment cannot have).
"""

import argparse
import os
from pathlib import Path

import mediapipe
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils

# Input ranges of the legacy graphs (pose_detection_cpu.pbtxt, pose_landmark_by_roi_cpu.pbtxt):
# the detector takes RGB in [-1, 1], the landmark model RGB in [0, 1]. value = (pixel - mean) / std.
DETECTOR = ("modules/pose_detection/pose_detection.tflite", "pose_detector.tflite", 127.5, 127.5, 2)
LANDMARKS = ("modules/pose_landmark/pose_landmark_full.tflite", "pose_landmarks_detector.tflite", 0.0, 255.0, 5)


def with_metadata(model: bytes, name: str, mean: float, std: float, n_outputs: int) -> bytes:
    # Three channel values, not one: the Tasks graph derives the channel count from their number.
    writer = (metadata_writer.MetadataWriter.create(bytearray(model))
              .add_general_info(name, f"BlazePose GHUM {name} from mediapipe {mediapipe.__version__}")
              .add_image_input(norm_mean=[mean] * 3, norm_std=[std] * 3))
    for _ in range(n_outputs):
        writer = writer.add_feature_output()
    content, _ = writer.populate()
    return bytes(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    root = Path(os.path.dirname(mediapipe.__file__))
    bundle = {}
    for source, name, mean, std, n_out in (DETECTOR, LANDMARKS):
        bundle[name] = with_metadata((root / source).read_bytes(), name.removesuffix(".tflite"), mean, std, n_out)
    model_asset_bundle_utils.create_model_asset_bundle(bundle, str(args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) from mediapipe {mediapipe.__version__}")


if __name__ == "__main__":
    main()
