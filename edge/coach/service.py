"""The coach as one service: assess a performer from a score result, recommend the next task and
record it, plan a curriculum path, set preferences, show the student model.

`perfscore coach …` and the daemon both call this, so a performer assessed by the box and one
assessed from the command line end up in the same store the same way.

    with Coach.from_config(settings.coach, state_dir=DIR) as coach:
        coach.assess("p-042", score_result, piece="minuet")      # ScoreResult, its dict, analyze --json …
        rec = coach.recommend("p-042")                            # recorded; rec.to_dict() for MQTT

A Coach holds one SQLite connection: use it from the thread that opened it. The policy is loaded
(and checked against models/manifest.json) the first time a recommendation needs it, then kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .. import MODELS_DIR
from ..models import MANIFEST
from .curriculum import THETA, Module, PathStep, build_path, load_modules
from .errors import CoachError
from .recommend import Recommendation, recommend
from .results import parse_time, scores_of
from .store import StoredAssessment, StudentStore, check_performer
from .student import StudentState, student_state

if TYPE_CHECKING:
    from ..config.coach import CoachConfig
    from .policy import CoachPolicy

STORE_FILE = "coach.sqlite"     # the store's name inside a daemon's state directory


@dataclass(frozen=True)
class Assessed:
    """What one assessment recorded, and the performer's student model after it."""
    stored: StoredAssessment
    state: StudentState


@dataclass(frozen=True)
class CurriculumPath:
    state: StudentState
    theta: float
    steps: list[PathStep]

    def to_dict(self) -> dict:
        return {"performer": self.state.performer, "theta": self.theta, "skills": self.state.moving_average,
                "path": [s.to_dict() for s in self.steps]}


class Coach:
    def __init__(self, store_path: str | Path, *, policy_path: str | Path | None = None, window: int = 3,
                 theta: float = THETA, manifest_path: Path = MANIFEST):
        self.policy_path = Path(policy_path) if policy_path is not None else MODELS_DIR / "coach_policy.onnx"
        self.window = window
        self.theta = theta
        self.manifest_path = manifest_path
        self._policy: CoachPolicy | None = None
        self.store = StudentStore(store_path)

    @classmethod
    def from_config(cls, config: CoachConfig, *, store_path: str | Path | None = None,
                    state_dir: str | Path | None = None, manifest_path: Path = MANIFEST) -> "Coach":
        """The configured coach; the store is `store_path`, else STORE_FILE in `state_dir`, else
        `coach.store_path`."""
        if store_path is None:
            store_path = Path(state_dir) / STORE_FILE if state_dir is not None else config.store_path
        return cls(store_path, policy_path=config.policy_path, window=config.window, theta=config.theta,
                   manifest_path=manifest_path)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Coach":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def policy(self) -> CoachPolicy:
        if self._policy is None:
            from .policy import CoachPolicy   # onnxruntime loads only when a policy is needed

            self._policy = CoachPolicy(self.policy_path, self.window, self.manifest_path)
        return self._policy

    # ---- the student model --------------------------------------------------------------------
    def state(self, performer: str) -> StudentState:
        """The performer's student model; an error if they were never assessed."""
        history = self.store.history(check_performer(performer))
        if not history:
            raise CoachError(f"performer {performer}: no assessments in {self.store.path}; "
                             "add one with `perfscore coach assess`")
        return self._state(performer, history)

    def _state(self, performer: str, history: list[StoredAssessment]) -> StudentState:
        return student_state(performer, history, self.store.preferences(performer),
                             self.store.recent_tasks(performer), self.window)

    show = state

    def assess(self, performer: str, result: Any, *, piece: str | None = None, discipline: str | None = None,
               at: datetime | str | None = None) -> Assessed:
        """Record one performance of `performer`: `result` is a ScoreResult, its `to_dict()`, a document
        holding one (`analyze --json`, a `screen` results line) or a mapping of sub-scores (results.py).
        `piece`, `discipline` and `at` override what the result says; `at` defaults to now (UTC)."""
        check_performer(performer)
        found = scores_of(result)
        discipline = discipline or found.discipline
        piece = piece if piece is not None else found.piece
        if discipline is None:
            raise CoachError("discipline: required (dance or music) unless the result says it")
        if piece is None:
            raise CoachError("piece: required unless the result says it")
        when = at if at is not None else found.ts
        if when is None:
            when = datetime.now(timezone.utc)
        elif isinstance(when, str):
            when = parse_time(when, "ts")
        stored = self.store.add_assessment(performer, discipline, str(piece), found.scores, when,
                                           found.feedback or None)
        return Assessed(stored, self._state(performer, self.store.history(performer)))

    def recommend(self, performer: str, at: datetime | None = None) -> Recommendation:
        """The next task after the performer's latest assessment, with its reason and that assessment's
        feedback; recorded, so the next observation sees it among the recent tasks."""
        check_performer(performer)
        state = self.state(performer)
        # The policy is not consulted (nor loaded) while a skill is unmeasured.
        policy = None if state.unmeasured else self.policy
        feedback = self.store.history(performer)[-1].feedback
        rec = recommend(state, policy, feedback)
        self.store.record_recommendation(performer, at or datetime.now(timezone.utc), rec.action, rec.q_values,
                                         rec.reason)
        return rec

    def path(self, performer: str, modules: list[Module] | str | Path) -> CurriculumPath:
        """A personalised path through curriculum modules (a list, or a YAML/JSON modules file)."""
        check_performer(performer)
        if isinstance(modules, (str, Path)):
            modules = load_modules(modules)
        state = self.state(performer)
        return CurriculumPath(state, self.theta, build_path(state.moving_average, modules, state.discipline,
                                                            self.theta))

    def prefer(self, performer: str, weights: Mapping[str, float]) -> dict[str, float]:
        """Store the performer's liked task types; returns them normalised to sum to 1."""
        return self.store.set_preferences(check_performer(performer), weights)
