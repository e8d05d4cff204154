"""Each performer's assessments, kept across restarts in one SQLite file.

Performers are pseudonymous ids (PERFORMER_ID: letters, digits, `_ . -`, up to 64 characters);
the store holds no names. Writes are transactions in WAL mode, so a box that loses power keeps
every assessment already acknowledged. Assessments of a performer must arrive in time order:
"first attempt at a piece" and the learning pace both depend on it.

Schema 2 adds each assessment's feedback (the sub-scores' one-sentence explanations, when the
assessment came from a score result); a schema-1 store gains the column when opened.
Schema 3 adds what was actually practised (`practised`, reported by the performer or a teacher)
and teacher overrides (`overrides`, honoured by the next recommendation); older stores gain the
tables when opened. Skills are recomputed from the stored sub-scores on every read, so an older
store reads with the current mapping and calibration (skills.py, calibration.py); the skill
columns keep what was derived when the assessment was written, for inspection only.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from .errors import CoachError
from .observation import ACTIONS, RECENT, SKILLS
from .skills import SUBSCORES, check_discipline, check_scores, skills_from_scores

PERFORMER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SCHEMA_VERSION = 3
NOTE_MAX_CHARS = 500      # a teacher's note on an override
FEEDBACK_MAX_CHARS = 1000   # one sentence per sub-score; anything longer is not feedback
_SKILL_COLUMNS = {"TP": "tp", "ME": "me", "SR": "sr", "IS": "is_"}   # IS is an SQL keyword

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS performers (
    id TEXT PRIMARY KEY,
    preferences TEXT,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assessments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    performer TEXT NOT NULL REFERENCES performers(id),
    discipline TEXT NOT NULL,
    piece TEXT NOT NULL,
    ts TEXT NOT NULL,
    first_attempt INTEGER NOT NULL,
    {", ".join(f"{name} REAL" for name in SUBSCORES)},
    {", ".join(f"{col} REAL" for col in _SKILL_COLUMNS.values())},
    feedback TEXT
);
CREATE INDEX IF NOT EXISTS assessments_by_performer ON assessments (performer, ts, seq);
CREATE TABLE IF NOT EXISTS recommendations (
    performer TEXT NOT NULL REFERENCES performers(id),
    after_assessment INTEGER NOT NULL,
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    q_values TEXT,
    reason TEXT,
    PRIMARY KEY (performer, after_assessment)
);
CREATE TABLE IF NOT EXISTS practised (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    performer TEXT NOT NULL REFERENCES performers(id),
    after_assessment INTEGER NOT NULL,      -- seq of the latest assessment when it was practised (0: none yet)
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    performer TEXT NOT NULL REFERENCES performers(id),
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT,
    used_after_assessment INTEGER           -- NULL while waiting for the next recommendation
);
"""


@dataclass(frozen=True)
class StoredAssessment:
    performer: str
    discipline: str
    piece: str
    ts: datetime
    first_attempt: bool
    scores: dict[str, float | None]
    skills: dict[str, float | None]
    feedback: dict[str, str] | None = None    # sub-score → its one-sentence explanation, when known
    seq: int | None = None                    # the assessment's number in the store


@dataclass(frozen=True)
class Practised:
    """One task the performer practised, after the assessment numbered `after_assessment`."""
    ts: datetime
    action: str
    source: str                               # who said so: cli, mqtt, …
    after_assessment: int


@dataclass(frozen=True)
class Override:
    ts: datetime
    action: str
    note: str | None
    used_after_assessment: int | None         # None while waiting for the next recommendation


@dataclass(frozen=True)
class StoredRecommendation:
    after_assessment: int
    ts: datetime
    action: str
    q_values: dict[str, float] | None
    reason: str | None


def check_performer(performer: str) -> str:
    if not isinstance(performer, str) or not PERFORMER_ID.match(performer):
        raise CoachError(f"performer id {performer!r}: use a pseudonymous token of letters, digits, '_', '.', '-' "
                         "(1–64 characters), never a name or e-mail")
    return performer


def check_piece(piece: str) -> str:
    if not isinstance(piece, str) or not piece.strip() or len(piece) > 128 or not piece.isprintable():
        raise CoachError(f"piece id {piece!r}: must be 1–128 printable characters")
    return piece.strip()


def check_feedback(feedback: Mapping[str, object] | None) -> dict[str, str] | None:
    if not feedback:
        return None
    clean = {}
    for name, sentence in feedback.items():
        if name not in SUBSCORES:
            raise CoachError(f"feedback {name!r}: unknown sub-score; expected some of {', '.join(SUBSCORES)}")
        if not isinstance(sentence, str) or len(sentence) > FEEDBACK_MAX_CHARS:
            raise CoachError(f"feedback {name}: must be text of at most {FEEDBACK_MAX_CHARS} characters")
        clean[name] = sentence
    return clean


def check_action(action: str) -> str:
    if action not in ACTIONS:
        raise CoachError(f"task type {action!r}: unknown; use {', '.join(ACTIONS)}")
    return action


def utc(ts: datetime) -> datetime:
    if not isinstance(ts, datetime):
        raise CoachError(f"timestamp {ts!r}: not a date and time")
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def _iso(ts: datetime) -> str:
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


class StudentStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path))
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CoachError(f"{self.path}: student store schema {version} is newer than this box's "
                                 f"({SCHEMA_VERSION}); update perfscore")
            with self.db:
                self.db.executescript(_SCHEMA)
                columns = {row[1] for row in self.db.execute("PRAGMA table_info(assessments)")}
                if "feedback" not in columns:     # a schema-1 store: keep its assessments, add the column
                    self.db.execute("ALTER TABLE assessments ADD COLUMN feedback TEXT")
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise CoachError(f"{self.path}: cannot open the student store ({exc})") from None
        except OSError as exc:
            raise CoachError(f"{self.path}: cannot create the student store ({exc.strerror or exc})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "StudentStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- performers -------------------------------------------------------------------------
    def _ensure_performer(self, performer: str, ts: datetime) -> None:
        self.db.execute("INSERT OR IGNORE INTO performers (id, created) VALUES (?, ?)", (performer, _iso(ts)))

    def set_preferences(self, performer: str, preferences: Mapping[str, float]) -> dict[str, float]:
        """Store a preference profile over task types; normalised to sum to 1."""
        check_performer(performer)
        unknown = sorted(set(preferences) - set(ACTIONS))
        if unknown:
            raise CoachError(f"preference {unknown[0]!r}: unknown task type; use {', '.join(ACTIONS)}")
        values = {a: float(preferences.get(a, 0.0)) for a in ACTIONS}
        if any(v < 0 or v != v for v in values.values()) or sum(values.values()) <= 0:
            raise CoachError(f"preferences {dict(preferences)}: need non-negative weights with a positive sum")
        total = sum(values.values())
        values = {a: v / total for a, v in values.items()}
        with self.db:
            self._ensure_performer(performer, datetime.now(timezone.utc))
            self.db.execute("UPDATE performers SET preferences = ? WHERE id = ?", (json.dumps(values), performer))
        return values

    def preferences(self, performer: str) -> dict[str, float]:
        """The stored profile, or uniform when the performer has not said (no preference assumed)."""
        row = self.db.execute("SELECT preferences FROM performers WHERE id = ?", (check_performer(performer),)).fetchone()
        if row is None or row[0] is None:
            return {a: 1.0 / len(ACTIONS) for a in ACTIONS}
        return json.loads(row[0])

    # ---- assessments ------------------------------------------------------------------------
    def add_assessment(self, performer: str, discipline: str, piece: str, scores: Mapping[str, object],
                       ts: datetime, feedback: Mapping[str, object] | None = None) -> StoredAssessment:
        check_performer(performer)
        check_discipline(discipline)
        piece = check_piece(piece)
        ts = utc(ts)
        clean = check_scores(scores, discipline)
        feedback = check_feedback(feedback)
        with self.db:
            last = self.db.execute("SELECT MAX(ts) FROM assessments WHERE performer = ?", (performer,)).fetchone()[0]
            if last is not None and _iso(ts) < last:
                raise CoachError(f"timestamp {_iso(ts)}: earlier than {performer}'s latest assessment ({last}); "
                                 "assessments must be added in time order")
            seen = self.db.execute("SELECT 1 FROM assessments WHERE performer = ? AND piece = ? LIMIT 1",
                                   (performer, piece)).fetchone()
            first_attempt = seen is None
            skills = skills_from_scores(clean, first_attempt)
            self._ensure_performer(performer, ts)
            cursor = self.db.execute(
                f"INSERT INTO assessments (performer, discipline, piece, ts, first_attempt, {', '.join(SUBSCORES)}, "
                f"{', '.join(_SKILL_COLUMNS.values())}, feedback) VALUES ({', '.join('?' * (5 + len(SUBSCORES) + 5))})",
                (performer, discipline, piece, _iso(ts), int(first_attempt), *(clean[n] for n in SUBSCORES),
                 *(skills[s] for s in SKILLS), None if feedback is None else json.dumps(feedback)))
        return StoredAssessment(performer, discipline, piece, ts, first_attempt, clean, skills, feedback,
                                cursor.lastrowid)

    def history(self, performer: str) -> list[StoredAssessment]:
        rows = self.db.execute(
            f"SELECT discipline, piece, ts, first_attempt, {', '.join(SUBSCORES)}, feedback, seq "
            "FROM assessments WHERE performer = ? ORDER BY ts, seq", (check_performer(performer),)).fetchall()
        out = []
        for row in rows:
            discipline, piece, ts, first = row[:4]
            scores = dict(zip(SUBSCORES, row[4:4 + len(SUBSCORES)]))
            feedback = None if row[-2] is None else json.loads(row[-2])
            # recomputed, not read back: the current mapping and calibration apply to old rows too
            skills = skills_from_scores(scores, bool(first))
            out.append(StoredAssessment(performer, discipline, piece, _parse_iso(ts), bool(first), scores, skills,
                                        feedback, row[-1]))
        return out

    # ---- recommendations --------------------------------------------------------------------
    def record_recommendation(self, performer: str, ts: datetime, action: str,
                              q_values: Mapping[str, float] | None, reason: str) -> None:
        """Keep the task recommended after the performer's latest assessment (asking twice replaces it),
        so the recent-task shares count one task per assessment, as in the simulator."""
        check_action(action)
        check_performer(performer)
        with self.db:
            latest = self.latest_assessment(performer)
            self._ensure_performer(performer, ts)
            self.db.execute("INSERT OR REPLACE INTO recommendations (performer, after_assessment, ts, action, q_values, "
                            "reason) VALUES (?, ?, ?, ?, ?, ?)",
                            (performer, latest, _iso(ts), action,
                             None if q_values is None else json.dumps(dict(q_values)), reason))

    def latest_assessment(self, performer: str) -> int:
        """The number of the performer's latest assessment, 0 before the first."""
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM assessments WHERE performer = ?",
                               (performer,)).fetchone()[0]

    def recommendations(self, performer: str) -> list[StoredRecommendation]:
        rows = self.db.execute("SELECT after_assessment, ts, action, q_values, reason FROM recommendations "
                               "WHERE performer = ? ORDER BY after_assessment", (check_performer(performer),))
        return [StoredRecommendation(a, _parse_iso(ts), action, None if q is None else json.loads(q), reason)
                for a, ts, action, q, reason in rows]

    # ---- what was practised -----------------------------------------------------------------
    def record_practised(self, performer: str, action: str, ts: datetime, source: str = "cli") -> Practised:
        """The performer practised `action` after their latest assessment (at or before `ts`).

        The next observation counts it among the recent tasks instead of the recommendation
        (which the box otherwise assumes was followed)."""
        check_performer(performer)
        check_action(action)
        ts = utc(ts)
        with self.db:
            after = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM assessments WHERE performer = ? AND ts <= ?",
                                    (performer, _iso(ts))).fetchone()[0]
            self._ensure_performer(performer, ts)
            self.db.execute("INSERT INTO practised (performer, after_assessment, ts, action, source) "
                            "VALUES (?, ?, ?, ?, ?)", (performer, after, _iso(ts), action, source))
        return Practised(ts, action, source, after)

    def practised(self, performer: str) -> list[Practised]:
        rows = self.db.execute("SELECT ts, action, source, after_assessment FROM practised WHERE performer = ? "
                               "ORDER BY ts, id", (check_performer(performer),))
        return [Practised(_parse_iso(ts), action, source, after) for ts, action, source, after in rows]

    def recent_practice(self, performer: str, n: int = RECENT) -> list[tuple[str, str]]:
        """The task practised after each of the `n` assessments before the latest, oldest first, as
        (task, how we know): `practised` when reported, else `recommended` (assumed followed). An
        interval with neither is left out.

        The simulator's observation holds the tasks between its last assessments the same way: one
        per interval. Several reports in one interval: the last one counts. The interval after the
        latest assessment is not among them, so asking again gives the same answer."""
        check_performer(performer)
        seqs = [r[0] for r in self.db.execute(
            "SELECT seq FROM assessments WHERE performer = ? ORDER BY ts DESC, seq DESC LIMIT ?",
            (performer, n + 1)).fetchall()][1:][::-1]
        out = []
        for seq in seqs:
            row = self.db.execute("SELECT action FROM practised WHERE performer = ? AND after_assessment = ? "
                                  "ORDER BY ts DESC, id DESC LIMIT 1", (performer, seq)).fetchone()
            if row is not None:
                out.append((row[0], "practised"))
                continue
            row = self.db.execute("SELECT action FROM recommendations WHERE performer = ? AND after_assessment = ?",
                                  (performer, seq)).fetchone()
            if row is not None:
                out.append((row[0], "recommended"))
        return out

    def recent_tasks(self, performer: str, n: int = RECENT) -> list[str]:
        """Tasks practised before the latest assessment, oldest first (see recent_practice)."""
        return [action for action, _ in self.recent_practice(performer, n)]

    # ---- teacher overrides ------------------------------------------------------------------
    def set_override(self, performer: str, action: str, ts: datetime, note: str | None = None) -> Override:
        """The teacher's choice for the next recommendation; replaces one still waiting."""
        check_performer(performer)
        check_action(action)
        if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX_CHARS or not note.isprintable()):
            raise CoachError(f"override note: must be printable text of at most {NOTE_MAX_CHARS} characters")
        ts = utc(ts)
        with self.db:
            self._ensure_performer(performer, ts)
            self.db.execute("DELETE FROM overrides WHERE performer = ? AND used_after_assessment IS NULL", (performer,))
            self.db.execute("INSERT INTO overrides (performer, ts, action, note) VALUES (?, ?, ?, ?)",
                            (performer, _iso(ts), action, note or None))
        return Override(ts, action, note or None, None)

    def clear_override(self, performer: str) -> bool:
        """Drop an override still waiting; True if there was one."""
        with self.db:
            return self.db.execute("DELETE FROM overrides WHERE performer = ? AND used_after_assessment IS NULL",
                                   (check_performer(performer),)).rowcount > 0

    def override_for_next(self, performer: str) -> Override | None:
        """The override the recommendation after the latest assessment honours: one waiting, or the one
        already honoured after this same assessment (asking twice gives the same answer)."""
        latest = self.latest_assessment(check_performer(performer))
        row = self.db.execute(
            "SELECT ts, action, note, used_after_assessment FROM overrides WHERE performer = ? AND "
            "(used_after_assessment IS NULL OR used_after_assessment = ?) ORDER BY id DESC LIMIT 1",
            (performer, latest)).fetchone()
        return None if row is None else Override(_parse_iso(row[0]), row[1], row[2], row[3])

    def mark_override_used(self, performer: str) -> None:
        latest = self.latest_assessment(performer)
        with self.db:
            self.db.execute("UPDATE overrides SET used_after_assessment = ? WHERE performer = ? AND "
                            "used_after_assessment IS NULL", (latest, performer))

    def overrides(self, performer: str) -> list[Override]:
        rows = self.db.execute("SELECT ts, action, note, used_after_assessment FROM overrides WHERE performer = ? "
                               "ORDER BY id", (check_performer(performer),))
        return [Override(_parse_iso(ts), a, note, used) for ts, a, note, used in rows]
