"""The sub-scores of one performance, from whatever carries them, for the coach to assess.

Accepted, in this order:
- a score result (edge/scoring/result.py: ScoreResult, or its `to_dict()`): `subscores` of
  `{value, explanation, ...}`, `overall`, `discipline`;
- a document holding one: `perfscore analyze --json` (under `scores`), a line of `perfscore screen`'s
  results.jsonl (under `rubric`), or anything with `scores` / `sub_scores` / `subscores` as a mapping;
- a plain mapping of sub-scores by name (numbers, null, or objects with a `value` or `score`),
  optionally beside `discipline`, `piece` (or `piece_id`) and `ts`; any other name is refused.

Nothing heavy is imported here: the command line reads result files with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from .errors import CoachError
from .vocabulary import ASSESSED

_CONTAINERS = ("scores", "sub_scores", "subscores", "rubric")
_METADATA = ("discipline", "piece", "piece_id", "ts")


@dataclass(frozen=True)
class ResultScores:
    scores: dict[str, Any]                  # sub-score → value as given (checked when stored)
    discipline: str | None = None
    piece: str | None = None
    ts: str | None = None
    feedback: dict[str, str] = field(default_factory=dict)   # sub-score → its one-sentence explanation

    def to_dict(self) -> dict:
        return {"scores": self.scores, "discipline": self.discipline, "piece": self.piece, "ts": self.ts,
                "feedback": self.feedback}


def _score_result(doc: Mapping) -> Mapping | None:
    """The scoring contract inside `doc`: the result itself, or under `scores` / `rubric`."""
    for candidate in (doc, doc.get("scores"), doc.get("rubric")):
        if isinstance(candidate, Mapping) and isinstance(candidate.get("subscores"), Mapping):
            return candidate
    return None


def _value_and_sentence(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, Mapping):
        sentence = value.get("explanation")
        return value.get("value", value.get("score")), sentence if isinstance(sentence, str) and sentence else None
    return value, None


def scores_of(result: Any, where: str | None = None) -> ResultScores:
    """The sub-scores (and discipline, piece, ts, feedback where given) of a performance result.

    `where` names the input (a file) at the start of errors."""
    prefix = f"{where}: " if where else ""
    if isinstance(result, ResultScores):
        return result
    if hasattr(result, "subscores") and hasattr(result, "to_dict"):      # a ScoreResult
        result = result.to_dict()
    if not isinstance(result, Mapping):
        raise CoachError(f"{prefix}expected a score result or a mapping of sub-scores, "
                         f"got {type(result).__name__}")
    contract = _score_result(result)
    if contract is not None:
        container: Mapping = {**contract["subscores"], "overall": contract.get("overall")}
    elif any(key in result for key in _CONTAINERS):
        found = next((result[k] for k in _CONTAINERS if isinstance(result.get(k), Mapping)), None)
        if found is None:
            raise CoachError(f"{prefix}no sub-scores found ({', '.join(k for k in _CONTAINERS if k in result)} "
                             "is empty or null: the performance was not scored)")
        container = found
    else:
        container = result
        unknown = sorted(set(result) - set(ASSESSED) - set(_METADATA))
        if unknown:
            raise CoachError(f"{prefix}sub-score {unknown[0]!r}: unknown; expected some of {', '.join(ASSESSED)}")
    scores: dict[str, Any] = {}
    feedback: dict[str, str] = {}
    for name in ASSESSED:
        if name not in container:
            continue
        value, sentence = _value_and_sentence(container[name])
        scores[name] = value
        if sentence is not None and value is not None:
            feedback[name] = sentence
    if not scores:
        raise CoachError(f"{prefix}no sub-scores found (expected some of {', '.join(ASSESSED)})")
    discipline = (contract or {}).get("discipline") or result.get("discipline")
    piece = result.get("piece", result.get("piece_id"))
    return ResultScores(scores, discipline, None if piece is None else str(piece), result.get("ts"), feedback)


def load_result(path: str | Path) -> ResultScores:
    """The sub-scores (and discipline, piece, ts, feedback where given) in a performance result JSON file:
    a score result, `perfscore analyze --json` output, one line of `perfscore screen`'s results.jsonl
    (the first), or a plain object of sub-scores."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text.splitlines()[0] if path.suffix == ".jsonl" else text)
    except OSError as exc:
        raise CoachError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, IndexError) as exc:
        raise CoachError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise CoachError(f"{path}: expected a JSON object with sub-scores")
    return scores_of(doc, str(path))


def read_result(path: str | Path) -> dict:
    """load_result as a plain dict: scores, discipline, piece, ts, feedback."""
    return load_result(path).to_dict()


def parse_time(text: str, what: str = "time") -> datetime:
    """An ISO 8601 date and time (a trailing Z is UTC); `what` names the input in the error."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError, TypeError):
        raise CoachError(f"{what} {text!r}: not an ISO 8601 date and time (e.g. 2026-03-01T17:30:00Z)") from None
