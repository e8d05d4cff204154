"""The humanoid as a person: clothes-and-skin geometry for pybullet's DeepMimic humanoid, and the
33 BlazePose landmarks as points fixed in its links.

pybullet's humanoid.urdf draws its collision shapes: thin capsules and balls that MediaPipe
takes for a person in only 70-85 % of frames. We keep its joint tree (same joints, offsets and
order, scaled to metres as DeepMimic does with globalScaling=0.25) and dress each link with
solid shapes: a torso, thicker limbs, hands, shoes, and a head with hair, eyes, nose, mouth and
ears. The same numbers place the landmarks, so a landmark sits where the rendered feature is.

Frames: y up, the humanoid faces +x, its left is -z. Lengths in metres.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from edge.errors import PerfscoreError

URDF_SCALE = 0.25          # DeepMimic loads humanoid.urdf with globalScaling=0.25
HALF_PI = 1.5707963


@dataclass(frozen=True)
class Outfit:
    skin: tuple[float, float, float] = (0.87, 0.69, 0.56)
    shirt: tuple[float, float, float] = (0.75, 0.20, 0.20)
    trousers: tuple[float, float, float] = (0.15, 0.17, 0.30)
    shoes: tuple[float, float, float] = (0.10, 0.10, 0.10)
    hair: tuple[float, float, float] = (0.20, 0.12, 0.07)


# Per link: (shape, size, xyz, rpy, material). box size = full extents; capsule/cylinder size = (radius, length).
def _dress(o: Outfit) -> dict[str, list]:
    eye, lip = (0.05, 0.05, 0.05), (0.60, 0.25, 0.25)
    thigh = [("capsule", (0.065, 0.30), (0, -0.21, 0), (HALF_PI, 0, 0), o.trousers)]
    shin = [("capsule", (0.0525, 0.31), (0, -0.20, 0), (HALF_PI, 0, 0), o.trousers)]
    foot = [("box", (0.177, 0.055, 0.09), (0.045, -0.0225, 0), (0, 0, 0), o.shoes)]
    upper_arm = [("capsule", (0.0475, 0.18), (0, -0.14, 0), (HALF_PI, 0, 0), o.shirt)]
    forearm = [("capsule", (0.04, 0.15), (0, -0.125, 0), (HALF_PI, 0, 0), o.skin)]
    hand = [("box", (0.03, 0.10, 0.065), (0, -0.04, 0), (0, 0, 0), o.skin)]
    return {
        "root": [("box", (0.15, 0.15, 0.2375), (0, 0.045, 0), (0, 0, 0), o.trousers)],
        "chest": [("box", (0.15, 0.355, 0.2625), (0, 0.0475, 0), (0, 0, 0), o.shirt),
                  ("sphere", 0.0675, (-0.005, 0.2375, 0.125), (0, 0, 0), o.shirt),
                  ("sphere", 0.0675, (-0.005, 0.2375, -0.125), (0, 0, 0), o.shirt),
                  ("cylinder", (0.04, 0.075), (0, 0.2375, 0), (HALF_PI, 0, 0), o.skin)],
        "neck": [("sphere", 0.1025, (0, 0.175, 0), (0, 0, 0), o.skin),
                 ("sphere", 0.10, (-0.0225, 0.20, 0), (0, 0, 0), o.hair),
                 ("sphere", 0.019, (0.09, 0.195, 0.035), (0, 0, 0), eye),
                 ("sphere", 0.019, (0.09, 0.195, -0.035), (0, 0, 0), eye),
                 ("sphere", 0.02, (0.105, 0.16, 0), (0, 0, 0), o.skin),
                 ("box", (0.0125, 0.0125, 0.05), (0.0925, 0.125, 0), (0, 0, 0), lip),
                 ("sphere", 0.0225, (0, 0.175, 0.10), (0, 0, 0), o.skin),
                 ("sphere", 0.0225, (0, 0.175, -0.10), (0, 0, 0), o.skin)],
        "right_hip": thigh, "left_hip": thigh, "right_knee": shin, "left_knee": shin,
        "right_ankle": foot, "left_ankle": foot,
        "right_shoulder": upper_arm, "left_shoulder": upper_arm,
        "right_elbow": forearm, "left_elbow": forearm, "right_wrist": hand, "left_wrist": hand,
    }


# The 33 BlazePose landmarks in MediaPipe's order: (name, link, point in the link frame).
# "left" is the person's left (-z here). Face points sit on the drawn features; joints at joint centres.
# These anatomical points decide visibility (what is in front of what); CALIBRATED_POINTS below are
# where MediaPipe reports them, and give the retargeted coordinates.
def _landmark_table() -> list[tuple[str, str, tuple[float, float, float]]]:
    table = [("nose", "neck", (0.124, 0.16, 0.0))]
    for side, s in (("left", -1), ("right", 1)):
        table += [(f"{side}_eye_inner", "neck", (0.100, 0.195, s * 0.020)),
                  (f"{side}_eye", "neck", (0.100, 0.195, s * 0.035)),
                  (f"{side}_eye_outer", "neck", (0.090, 0.195, s * 0.052))]
    table += [("left_ear", "neck", (0.0, 0.175, -0.10)), ("right_ear", "neck", (0.0, 0.175, 0.10)),
              ("mouth_left", "neck", (0.093, 0.125, -0.022)), ("mouth_right", "neck", (0.093, 0.125, 0.022))]
    for part, link, point in (("shoulder", "chest", None), ("elbow", "elbow", (0, 0, 0)), ("wrist", "wrist", (0, 0, 0))):
        for side, s in (("left", -1), ("right", 1)):
            if point is None:
                table.append((f"{side}_{part}", link, (-0.024, 0.2435, s * 0.183)))
            else:
                table.append((f"{side}_{part}", f"{side}_{link}", point))
    # Hands: palm faces forward when the arm hangs (box thin in x), thumb on the outer side.
    for finger, point in (("pinky", (0.0, -0.075, -0.025)), ("index", (0.0, -0.085, 0.02)), ("thumb", (0.012, -0.05, 0.035))):
        for side, s in (("left", -1), ("right", 1)):
            table.append((f"{side}_{finger}", f"{side}_wrist", (point[0], point[1], s * point[2])))
    for part, link, point in (("hip", "hip", (0, 0, 0)), ("knee", "knee", (0, 0, 0)), ("ankle", "ankle", (0, 0, 0)),
                              ("heel", "ankle", (-0.04, -0.045, 0.0)), ("foot_index", "ankle", (0.13, -0.04, 0.0))):
        for side in ("left", "right"):
            table.append((f"{side}_{part}", f"{side}_{link}", point))
    return table


LANDMARKS = _landmark_table()
LANDMARK_NAMES = [name for name, _, _ in LANDMARKS]
assert len(LANDMARKS) == 33

# Where MediaPipe puts each landmark on this body, in the same link frames: LANDMARKS' points refitted
# (soft-L1 least squares on image positions, then left/right averaged) to PoseLandmarker's detections
# on measure.CALIBRATION_SET. Regenerate with `python -m training.data.measure calibrate`.
# MediaPipe sees the box hand as a stub: it puts wrists ~7 cm up the forearm and the finger points
# near the wrist, ankles ~4 cm higher, shoulders ~3 cm further in and the face flatter than drawn.
CALIBRATED_POINTS = {
    "nose": (0.0859, 0.1742, 0.0),
    "left_eye_inner": (0.063, 0.2006, -0.0161),
    "left_eye": (0.0581, 0.2002, -0.0275),
    "left_eye_outer": (0.0526, 0.1996, -0.0386),
    "right_eye_inner": (0.063, 0.2006, 0.0161),
    "right_eye": (0.0581, 0.2002, 0.0275),
    "right_eye_outer": (0.0526, 0.1996, 0.0386),
    "left_ear": (0.0168, 0.1832, -0.0561),
    "right_ear": (0.0168, 0.1832, 0.0561),
    "mouth_left": (0.0806, 0.1426, -0.0203),
    "mouth_right": (0.0806, 0.1426, 0.0203),
    "left_shoulder": (-0.0209, 0.248, -0.1505),
    "right_shoulder": (-0.0209, 0.248, 0.1505),
    "left_elbow": (0.0202, 0.0349, -0.0129),
    "right_elbow": (0.0202, 0.0349, 0.0129),
    "left_wrist": (0.008, 0.0718, -0.0117),
    "right_wrist": (0.008, 0.0718, 0.0117),
    "left_pinky": (-0.0033, -0.0002, -0.0155),
    "right_pinky": (-0.0033, -0.0002, 0.0155),
    "left_index": (0.0089, -0.0037, -0.01),
    "right_index": (0.0089, -0.0037, 0.01),
    "left_thumb": (0.0132, 0.0222, -0.0027),
    "right_thumb": (0.0132, 0.0222, 0.0027),
    "left_hip": (0.0033, -0.0167, 0.0023),
    "right_hip": (0.0033, -0.0167, -0.0023),
    "left_knee": (-0.0335, 0.0198, 0.0036),
    "right_knee": (-0.0335, 0.0198, -0.0036),
    "left_ankle": (-0.0075, 0.0414, 0.0076),
    "right_ankle": (-0.0075, 0.0414, -0.0076),
    "left_heel": (-0.0421, -0.0157, 0.0067),
    "right_heel": (-0.0421, -0.0157, -0.0067),
    "left_foot_index": (0.1233, -0.019, 0.009),
    "right_foot_index": (0.1233, -0.019, -0.009),
}

# Body parts for reporting errors, by landmark index.
BODY_PARTS = {
    "face": list(range(0, 11)), "shoulders": [11, 12], "elbows": [13, 14], "wrists": [15, 16],
    "hands": list(range(17, 23)), "hips": [23, 24], "knees": [25, 26], "ankles": [27, 28], "feet": list(range(29, 33)),
}


def _source_urdf() -> Path:
    import pybullet_data

    path = Path(pybullet_data.getDataPath()) / "humanoid" / "humanoid.urdf"
    if not path.is_file():
        raise PerfscoreError(f"{path} not found: the pybullet wheel's data is incomplete (pip install pybullet==3.2.7)")
    return path


def _numbers(text: str, scale: float = 1.0) -> str:
    return " ".join(f"{float(v) * scale:.6f}" for v in text.split())


def dressed_urdf(outfit: Outfit = Outfit()) -> str:
    """URDF text: humanoid.urdf's joint tree in metres, its links dressed with visual shapes only."""
    source = ET.fromstring(_source_urdf().read_bytes().rstrip(b"\0"))   # the shipped file ends in a NUL
    dress = _dress(outfit)
    robot = ET.Element("robot", name="perfscore_dancer")
    for link in source.findall("link"):
        name = link.get("name")
        out = ET.SubElement(robot, "link", name=name)
        inertial = ET.SubElement(out, "inertial")
        ET.SubElement(inertial, "mass", value="1.0")
        ET.SubElement(inertial, "inertia", ixx="0.01", ixy="0", ixz="0", iyy="0.01", iyz="0", izz="0.01")
        for k, (shape, size, xyz, rpy, rgb) in enumerate(dress.get(name, [])):
            visual = ET.SubElement(out, "visual")
            ET.SubElement(visual, "origin", xyz=" ".join(map(str, xyz)), rpy=" ".join(map(str, rpy)))
            geometry = ET.SubElement(ET.SubElement(visual, "geometry"), shape)
            if shape == "box":
                geometry.set("size", " ".join(map(str, size)))
            elif shape == "sphere":
                geometry.set("radius", str(size))
            else:
                geometry.set("radius", str(size[0]))
                geometry.set("length", str(size[1]))
            material = ET.SubElement(visual, "material", name=f"{name}_{k}")
            ET.SubElement(material, "color", rgba=" ".join(map(str, (*rgb, 1.0))))
    for joint in source.findall("joint"):
        out = ET.SubElement(robot, "joint", name=joint.get("name"), type=joint.get("type"))
        ET.SubElement(out, "parent", link=joint.find("parent").get("link"))
        ET.SubElement(out, "child", link=joint.find("child").get("link"))
        origin = joint.find("origin")
        ET.SubElement(out, "origin", xyz=_numbers(origin.get("xyz"), URDF_SCALE), rpy=_numbers(origin.get("rpy")))
        axis = joint.find("axis")
        if axis is not None:
            ET.SubElement(out, "axis", xyz=_numbers(axis.get("xyz")))
        if joint.get("type") == "revolute":
            ET.SubElement(out, "limit", lower="-3.14", upper="3.14", effort="0", velocity="0")
    return ET.tostring(robot, encoding="unicode")


def primitives(outfit: Outfit = Outfit()) -> list[tuple[str, str, tuple, tuple, tuple]]:
    """(link, shape, size, xyz, rpy) of every drawn shape, for occlusion tests without rendering."""
    return [(link, shape, size, xyz, rpy) for link, items in _dress(outfit).items()
            for shape, size, xyz, rpy, _ in items]
