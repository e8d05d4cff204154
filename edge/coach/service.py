"""The coach as one service: assess a performer from a score result, recommend the next task and
record it, plan a curriculum path, set preferences, show the student model.

`perfscore coach …` and the daemon both call this, so a performer assessed by the box and one
assessed from the command line end up in the same store the same way.

    with Coach.from_config(settings.coach, state_dir=DIR) as coach:
        coach.assess("p-042", score_result, piece="minuet")      # ScoreResult, its dict, analyze --json …
        rec = coach.recommend("p-042")                            # recorded; rec.to_dict() for MQTT

A Coach holds one SQLite connection: use it from the thread that opened it. The policy is loaded
(and checked against models/manifest.json) the first time a recommendation needs it, then kept.
Another thread (the daemon's command handler) opens its own short-lived Coach on the same file:
SQLite in WAL mode serialises the writes.

    coach.practised("p-042", "EP")            # what was actually practised (else the recommendation is assumed)
    coach.override("p-042", "CIT", note=…)    # the teacher's choice for the next recommendation
    coach.history("p-042").to_dict()          # assessments, skills, recommendations, practice, overrides
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
from .store import (Override, Practised, StoredAssessment, StoredRecommendation, StudentStore, check_action,
                    check_performer)
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


@dataclass(frozen=True)
class History:
    """Everything the store knows about one performer, in time order, for a teacher."""
    state: StudentState
    assessments: list[StoredAssessment]
    recommendations: list[StoredRecommendation]
    practised: list[Practised]
    overrides: list[Override]

    def to_dict(self) -> dict:
        recs = {r.after_assessment: r for r in self.recommendations}
        done: dict[int, list[Practised]] = {}
        for p in self.practised:
            done.setdefault(p.after_assessment, []).append(p)
        used = {o.used_after_assessment: o for o in self.overrides if o.used_after_assessment is not None}
        rows = []
        for a in self.assessments:
            rec, o = recs.get(a.seq), used.get(a.seq)
            rows.append({
                "seq": a.seq, "ts": _iso(a.ts), "discipline": a.discipline, "piece": a.piece,
                "first_attempt": a.first_attempt, "scores": a.scores, "skills": a.skills,
                "recommended": None if rec is None else {"action": rec.action, "ts": _iso(rec.ts),
                                                         "q_values": rec.q_values, "reason": rec.reason},
                "override": None if o is None else {"action": o.action, "note": o.note, "ts": _iso(o.ts)},
                "practised": [{"action": p.action, "ts": _iso(p.ts), "source": p.source}
                              for p in done.get(a.seq, [])]})
        pending = [o for o in self.overrides if o.used_after_assessment is None]
        return {"performer": self.state.performer, "discipline": self.state.discipline,
                "state": self.state.to_dict(), "assessments": rows,
                "practised_before_first_assessment": [{"action": p.action, "ts": _iso(p.ts), "source": p.source}
                                                      for p in done.get(0, [])],
                "pending_override": None if not pending else {"action": pending[-1].action, "note": pending[-1].note,
                                                              "ts": _iso(pending[-1].ts)}}


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _when(at: datetime | str | None, what: str = "at") -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    return parse_time(at, what) if isinstance(at, str) else at


class Coach:
    def __init__(self, store_path: str | Path, *, policy_path: str | Path | list | None = None, window: int = 3,
                 theta: float = THETA, manifest_path: Path = MANIFEST):
        # one file (followed by its fallback chain, edge/model_chain.py) or a list of files to try in order
        self.policy_path = ([Path(p) for p in policy_path] if isinstance(policy_path, (list, tuple))
                            else Path(policy_path) if policy_path is not None else MODELS_DIR / "coach_policy.onnx")
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
            from .policy import load_policy   # a runtime loads only when a policy is needed

            self._policy = load_policy(self.policy_path, self.window, self.manifest_path)
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
        recent = self.store.recent_practice(performer)
        return student_state(performer, history, self.store.preferences(performer),
                             [a for a, _ in recent], self.window, [src for _, src in recent])

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
        when = _when(at if at is not None else found.ts, "ts")
        stored = self.store.add_assessment(performer, discipline, str(piece), found.scores, when,
                                           found.feedback or None)
        return Assessed(stored, self._state(performer, self.store.history(performer)))

    def recommend(self, performer: str, at: datetime | None = None) -> Recommendation:
        """The next task after the performer's latest assessment, with its reason and that assessment's
        feedback; recorded, so the next observation sees it among the recent tasks."""
        check_performer(performer)
        history = self.store.history(performer)
        state = self.state(performer)
        # The policy is not consulted (nor loaded) while a skill needs measuring.
        policy = None if state.needs_measuring else self.policy
        override = self.store.override_for_next(performer)
        rec = recommend(state, policy, history[-1].feedback, history, override)
        self.store.record_recommendation(performer, at or datetime.now(timezone.utc), rec.action, rec.q_values,
                                         rec.reason)
        if override is not None:
            self.store.mark_override_used(performer)
        return rec

    def practised(self, performer: str, action: str, *, at: datetime | str | None = None,
                  source: str = "cli") -> Practised:
        """Record that the performer practised `action` (TE, EP, SRP, CIT) since their latest assessment;
        the next observation counts it instead of the recommendation."""
        return self.store.record_practised(check_performer(performer), check_action(action), _when(at), source)

    def override(self, performer: str, action: str, *, note: str | None = None,
                 at: datetime | str | None = None) -> Override:
        """The teacher's task for the next recommendation (replaces one still waiting)."""
        return self.store.set_override(check_performer(performer), check_action(action), _when(at), note)

    def clear_override(self, performer: str) -> bool:
        return self.store.clear_override(check_performer(performer))

    def history(self, performer: str) -> History:
        """Assessments, skills, recommendations, what was practised and overrides, in time order."""
        state = self.state(performer)
        return History(state, self.store.history(performer), self.store.recommendations(performer),
                       self.store.practised(performer), self.store.overrides(performer))

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


def record_practised(config: CoachConfig, state_dir: str | Path, performer: str, action: str,
                     source: str = "mqtt") -> Practised:
    """For the daemon's `cmd/practised`: its own connection to the store in `state_dir`, opened and closed
    here (the results thread keeps the other one)."""
    with Coach.from_config(config, state_dir=state_dir) as coach:
        return coach.practised(performer, action, source=source)


def record_override(config: CoachConfig, state_dir: str | Path, performer: str, action: str,
                    note: str | None = None) -> Override:
    """For the daemon's `cmd/override`, like record_practised."""
    with Coach.from_config(config, state_dir=state_dir) as coach:
        return coach.override(performer, action, note=note)
