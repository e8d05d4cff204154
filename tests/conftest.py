"""Shared fixtures: real media from packages (FACTS.md lists what is available offline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


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
