"""The next practice task for a performer, with its reason.

The policy's Q-values are the reason (the expected long-run gain of each task type as the
DQN learned it); the student model's facts (weakest skill, learning pace, forecast) are said
alongside so a teacher can see what the policy was looking at. A skill never measured (or measured
too long ago, student.py) is not guessed: the task that measures it comes first, and the policy is not
consulted. A teacher's override (store.set_override) wins over the policy for the next recommendation;
the policy's own choice is still said.

Confidence: the margin best − runner-up of the policy's scores (a DQN's Q-values, in reward units;
a PPO actor's action preferences). Below the policy's close-call margin (its manifest entry; else
CLOSE_CALL_MARGIN) the choice is "a close call": on validation students, taking the runner-up in every
such decision costs at most 1 % of the reward (reports/coach/close_call.json). The number
`confidence` = margin / (margin + that margin) is 0 for a tie, 0.5 at the threshold, → 1 for
a clear choice. Focus: the weakest sub-score behind the chosen task's skill in the latest assessment
that measured it, as words a performer acts on ("focus on pitch accuracy").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..models import ModelInfo
from .catalogue import Task, task_for
from .store import Override, StoredAssessment
from .observation import ACTION_NAMES, ACTION_SKILL, ACTIONS, SKILL_NAMES
from .policy import CoachPolicy
from .student import FLAT_LP, StudentState

# Which task measures a skill that has never been measured (or not for too long).
MEASURES = {
    "TP": ("TE", "technical proficiency is measured on a piece the performer has played before "
                 "(its technique and rhythm sub-scores)"),
    "ME": ("EP", "musical expressiveness comes from the expression sub-score"),
    "SR": ("SRP", "sight-reading is measured only on a first attempt at a new piece"),
    "IS": ("CIT", "interpretative skill is measured only against a reference performance"),
}

# Best − runner-up below a policy's close-call margin is a close call: the largest margin at which taking
# the runner-up costs at most 1 % of the reward on validation students, measured for each exported policy
# and kept in its manifest entry (training/coach/close_call.py, export/coach_policy.py). A policy file
# without one is read with this default: a tuned DQN's Q-value margin (reports/coach/close_call_dqn_seed0.json:
# below 0.05 the runner-up costs 0.7 %, below 0.1 2.0 %).
CLOSE_CALL_MARGIN = 0.05

# The sub-scores behind each skill, and what to focus on when one of them is the weakest.
SKILL_SUBSCORES = {"TP": ("technique", "rhythm", "sync"), "SR": ("technique", "rhythm", "sync"),
                   "ME": ("expression",), "IS": ("interpretation",)}
FOCUS = {
    "music": {"technique": "pitch accuracy (intonation)", "rhythm": "steady timing",
              "expression": "dynamics: louder and softer phrases", "interpretation": "the written notes and phrasing"},
    "dance": {"technique": "balance and steady lines", "rhythm": "a steady pulse", "sync": "landing on the beat",
              "expression": "dynamics in your movement", "interpretation": "the reference choreography"},
}


@dataclass(frozen=True)
class Focus:
    skill: str
    subscore: str
    value: float                 # the sub-score, rubric points
    text: str                    # "focus on pitch accuracy (intonation)"
    sentence: str | None         # the rubric's sentence for that sub-score, when known


@dataclass(frozen=True)
class Confidence:
    margin: float                # Q(best) − Q(runner-up)
    runner_up: str
    value: float                 # margin / (margin + CLOSE_CALL_MARGIN)
    close_call: bool
    stale: list[str]             # skills the policy saw as carried values only


@dataclass(frozen=True)
class Recommendation:
    performer: str
    discipline: str
    action: str
    action_name: str
    task: Task
    q_values: dict[str, float] | None
    reason: str
    state: dict
    model: ModelInfo | None                    # the policy that chose (None before all skills are measured)
    feedback: dict[str, str] | None = None    # the latest assessment's sub-scores: one sentence each
    focus: Focus | None = None                # what to focus on within the task
    confidence: Confidence | None = None      # None when the policy was not asked
    override: dict | None = None              # {action, note, ts, policy_action}: a teacher chose

    def to_dict(self) -> dict:
        """Everything a `recommendation` message carries: performer, task (code, name, title,
        instruction), reason, Q-values, feedback, the student-model summary and the policy model."""
        return asdict(self)


def describe_pace(lp: float | None) -> str:
    if lp is None:
        return "learning pace unknown until all four skills are measured"
    trend = "flat" if abs(lp) < FLAT_LP else ("rising" if lp > 0 else "falling")
    return f"learning pace is {trend} ({lp:+.1f} ASM points per assessment)"


def _facts(state: StudentState) -> str:
    averages = {s: v for s, v in state.moving_average.items() if v is not None}
    weakest = min(averages, key=averages.get)
    parts = [f"{SKILL_NAMES[weakest]} is the weakest skill ({weakest} {averages[weakest]:.0f}"
             + (f" vs ASM {state.asm:.0f})" if state.asm is not None else ")"),
             describe_pace(state.lp)]
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


def focus_of(action: str, discipline: str, history: list[StoredAssessment]) -> Focus | None:
    """The weakest sub-score behind the task's skill, in the latest assessment that measured it."""
    skill = ACTION_SKILL[action]
    for assessment in reversed(history):
        if assessment.skills.get(skill) is None:
            continue
        values = {n: assessment.scores[n] for n in SKILL_SUBSCORES[skill] if assessment.scores.get(n) is not None}
        if not values:
            return None
        name = min(values, key=values.get)
        return Focus(skill, name, float(values[name]), f"focus on {FOCUS[discipline][name]}",
                     (assessment.feedback or {}).get(name))
    return None


def confidence_of(q_values: dict[str, float], state: StudentState, threshold: float = CLOSE_CALL_MARGIN) -> Confidence:
    ranked = sorted(ACTIONS, key=q_values.get, reverse=True)
    margin = float(q_values[ranked[0]] - q_values[ranked[1]])
    return Confidence(margin, ranked[1], margin / (margin + threshold), margin < threshold, list(state.stale))


def recommend(state: StudentState, policy: CoachPolicy | None, feedback: dict[str, str] | None = None,
              history: list[StoredAssessment] | None = None, override: Override | None = None) -> Recommendation:
    """`policy` may be None only while a skill needs measuring (it is not consulted then).
    `feedback` (sub-score → sentence) is passed through as it is; `history` (the stored assessments)
    gives the focus; `override` (the teacher's choice) wins over the policy."""
    if state.discipline is None:
        raise ValueError(f"performer {state.performer} has no assessment yet")
    summary = {"assessments": state.assessments, "moving_average": state.moving_average, "asm": state.asm,
               "lp": state.lp, "forecast": state.forecast, "preferences": state.preferences,
               "recent_tasks": state.recent_tasks, "recent_sources": state.recent_sources, "age": state.age,
               "stale": state.stale, "expired": state.expired}
    history = history or []
    q_values, confidence, model, policy_action = None, None, None, None
    if state.needs_measuring:
        skill = state.needs_measuring[0]
        action, why = MEASURES[skill]
        when = ("has not been measured yet" if skill in state.unmeasured
                else f"was last measured {state.age[skill]} assessments ago, too long to go on")
        reason = (f"{SKILL_NAMES[skill]} ({skill}) {when}: {why}. "
                  "The policy needs all four skills, so this task comes first.")
    else:
        if policy is None:
            raise ValueError("a policy is needed once every skill has been measured")
        q = policy.q_values(state.observation())
        q_values = {a: float(v) for a, v in zip(ACTIONS, q)}
        action = policy_action = max(ACTIONS, key=q_values.get)
        threshold = policy.close_call_margin if policy.close_call_margin is not None else CLOSE_CALL_MARGIN
        confidence = confidence_of(q_values, state, threshold)
        model = policy.model_info
        reason = explain(q_values, state, threshold, policy.meaning)
    override_info = None
    if override is not None:
        override_info = {"action": override.action, "note": override.note, "ts": override.ts.isoformat(),
                         "policy_action": policy_action}
        said = f" ({override.note})" if override.note else ""
        if override.action != action:
            reason = (f"Teacher's choice: {ACTION_NAMES[override.action]}{said}. Without it: {reason[0].lower()}"
                      f"{reason[1:]}")
        else:
            reason = f"Teacher's choice, the same as the coach's{said}. {reason}"
        action = override.action
    return Recommendation(state.performer, state.discipline, action, ACTION_NAMES[action],
                          task_for(state.discipline, action), q_values, reason, summary, model, feedback,
                          focus_of(action, state.discipline, history), confidence, override_info)


def explain(q_values: dict[str, float], state: StudentState, threshold: float = CLOSE_CALL_MARGIN,
            meaning: str = "q_values") -> str:
    """The policy's scores in order, a note when the choice is close or a skill is stale, then the student's
    facts. `meaning`: "q_values" (a DQN: expected long-run gain) or "preferences" (a PPO actor's logits)."""
    ranked = sorted(ACTIONS, key=q_values.get, reverse=True)
    best, second = ranked[0], ranked[1]
    scores = ", ".join(f"{a} {q_values[a]:.2f}" for a in ranked)
    if meaning == "preferences":
        reason = (f"{ACTION_NAMES[best]} trains {SKILL_NAMES[ACTION_SKILL[best]]} and is the coach's strongest "
                  f"preference (learned from simulated students' long-run gains): {scores}.")
    else:
        reason = (f"{ACTION_NAMES[best]} trains {SKILL_NAMES[ACTION_SKILL[best]]} and has the highest Q-value "
                  f"(expected long-run gain): {scores}.")
    margin = q_values[best] - q_values[second]
    if margin < threshold:
        reason += (f" A close call: {ACTION_NAMES[second]} ({second}) is only {margin:.2f} behind, "
                   "so either is a sound next task.")
    for skill in state.stale:
        reason += (f" {SKILL_NAMES[skill][0].upper()}{SKILL_NAMES[skill][1:]} was last measured "
                   f"{state.age[skill]} assessments ago; the coach goes on its last value.")
    return f"{reason} {_facts(state)}"
