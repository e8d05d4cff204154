"""Shared fixtures: real media from packages (FACTS.md lists what is available offline)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
ALSA_RATE = 44100
SYSTEM_ALSA_CONF = "/usr/share/alsa/alsa.conf"


def use_alsa_test_microphone(folder: Path, raw: Path, rate: int = ALSA_RATE) -> None:
    """ALSA's `file` plugin serving `raw` (S16_LE mono PCM) as the capture device `testmic`, also the
    default input. Before anything loads ALSA: it reads its configuration once per process."""
    (folder / "asound.conf").write_text(f"""
pcm.!default {{
    type plug
    slave {{ pcm "testmic"; format S16_LE; rate {rate}; channels 1 }}
}}
pcm.testmic {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{raw}"
    format "raw"
}}
""")
    os.environ["ALSA_CONFIG_PATH"] = f"{SYSTEM_ALSA_CONF}:{folder / 'asound.conf'}"


def pytest_configure(config):
    """A test microphone for the whole session, before anything loads ALSA (importing mediapipe does,
    and ALSA reads its configuration once per process): ALSA's `file` plugin serves a raw PCM file as
    the capture device `testmic`, also the default input. Tests write the samples it delivers through
    the `alsa_microphone` fixture (tests/sources/conftest.py)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="perfscore-alsa-"))
    raw = folder / "mic.raw"
    raw.write_bytes(b"")
    use_alsa_test_microphone(folder, raw)
    os.environ["PERFSCORE_TEST_MIC_RAW"] = str(raw)


def _rgb(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)  # grayscale files come back as 3 channels too
    if image is None:
        pytest.fail(f"{path} is missing: scripts/bootstrap installs opencv-doc")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="session")
def photo_full_body() -> np.ndarray:
    """A basketball player, whole body in view (Debian's opencv-doc)."""
    return _rgb(OPENCV_DATA / "basketball1.png")


@pytest.fixture(scope="session")
def photo_upper_body() -> np.ndarray:
    """NASA's astronaut portrait (public domain, shipped in scikit-image's wheel)."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def photo_no_person() -> np.ndarray:
    """A cup of coffee (scikit-image): no person anywhere."""
    from skimage import data

    return data.coffee()
