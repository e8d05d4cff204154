"""A personalised path through curriculum modules.

Each module lists the skill levels it requires. The match of a student with a module is the
share of the requirement the student already covers,

    match = Σ_k min(s_k, r_k) / Σ_k r_k      over the skills the module requires,

1 when every requirement is met. Modules are taken in the file's order. A module is taken when
match ≥ θ (0.75); otherwise remedial modules are inserted first, one per skill short of its
requirement, largest gap first, each bringing that skill up to the requirement, until the match
reaches θ. Finishing a module is taken to bring each required skill up to at least its
requirement (the projected skills the rest of the path is matched against).

A skill never assessed counts as 0 here, so the path never assumes a skill nobody has seen;
the step says so.

Modules file (YAML or JSON):

    modules:
      - id: grade3-sonatina
        title: Grade 3 sonatina
        requires: {TP: 55, ME: 45, SR: 40}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from ..config.base import StrictModel
from ..config.coach import CoachConfig
from .catalogue import task_for
from .errors import CoachError
from .observation import ACTIONS, SKILL_NAMES, SKILLS

Skill = Literal["TP", "ME", "SR", "IS"]
THETA = CoachConfig.model_fields["theta"].default     # coach.theta unless a caller passes the configured one


class Module(StrictModel):
    id: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=200)
    requires: dict[Skill, float]

    @field_validator("requires")
    @classmethod
    def _requirements(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("needs at least one skill requirement")
        for skill, level in value.items():
            if not 0 < level <= 100:
                raise ValueError(f"{skill}: requirement {level:g} is outside (0, 100]")
        return value


class ModulesFile(StrictModel):
    modules: list[Module] = Field(min_length=1)

    @field_validator("modules")
    @classmethod
    def _unique(cls, value: list[Module]) -> list[Module]:
        ids = [m.id for m in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"module id {dupes[0]!r} appears more than once")
        return value


def load_modules(path: str | Path) -> list[Module]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CoachError(f"{path}: cannot read modules file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CoachError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'} ({exc})") from None
    if not isinstance(data, dict):
        raise CoachError(f"{path}: expected a mapping with a 'modules' list")
    try:
        return ModulesFile.model_validate(data).modules
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{where}: {'unknown key' if err['type'] == 'extra_forbidden' else err['msg']}")
        raise CoachError(f"{path}: " + "; ".join(problems)) from None


def match(skills: dict[str, float], requires: dict[str, float]) -> float:
    return sum(min(skills[k], r) for k, r in requires.items()) / sum(requires.values())


@dataclass(frozen=True)
class PathStep:
    kind: Literal["module", "remedial"]
    module: str                 # the module taken, or the module the remedial prepares for
    title: str
    match: float                # match with the projected skills when the step is reached
    skill: str | None = None    # remedial: the skill it trains
    target: float | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def build_path(skills: dict[str, float | None], modules: list[Module], discipline: str,
               theta: float = THETA) -> list[PathStep]:
    projected = {s: (0.0 if skills.get(s) is None else float(skills[s])) for s in SKILLS}
    unassessed = {s for s in SKILLS if skills.get(s) is None}
    path: list[PathStep] = []
    for module in modules:
        requires = dict(module.requires)
        gaps = sorted((k for k in requires if projected[k] < requires[k]),
                      key=lambda k: requires[k] - projected[k], reverse=True)
        for skill in gaps:
            m = match(projected, requires)
            if m >= theta:
                break
            task = task_for(discipline, ACTIONS[SKILLS.index(skill)])
            note = f"{skill} not assessed yet, counted as 0" if skill in unassessed else None
            path.append(PathStep("remedial", module.id,
                                 f"Remedial {SKILL_NAMES[skill]} for {module.title}: {task.title.lower()} "
                                 f"until {skill} reaches {requires[skill]:.0f}",
                                 m, skill, requires[skill], note))
            projected[skill] = requires[skill]
            unassessed.discard(skill)
        path.append(PathStep("module", module.id, module.title, match(projected, requires)))
        for k, r in requires.items():
            projected[k] = max(projected[k], r)
    return path
