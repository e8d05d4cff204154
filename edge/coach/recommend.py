"""The next practice task for a performer, with its reason.

The policy's Q-values are the reason (the expected long-run gain of each task type as the
DQN learned it); the student model's facts (weakest skill, learning pace, forecast) are said
alongside so a teacher can see what the policy was looking at. A skill never measured is not
guessed: the task that measures it comes first, and the policy is not consulted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..models import ModelInfo
from .catalogue import Task, task_for
from .observation import ACTION_NAMES, ACTION_SKILL, ACTIONS, SKILL_NAMES
from .policy import CoachPolicy
from .student import FLAT_LP, StudentState

# Which task measures a skill that has never been measured.
MEASURES = {
    "TP": ("TE", "technical proficiency comes from technique and rhythm sub-scores"),
    "ME": ("EP", "musical expressiveness comes from the expression sub-score"),
    "SR": ("SRP", "sight-reading is measured only on a first attempt at a new piece"),
    "IS": ("CIT", "interpretative skill is measured only against a reference performance"),
}


# The policy's top two within 2 % of each other: say the choice is close rather than feign certainty.
CLOSE_CALL = 0.02


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


def recommend(state: StudentState, policy: CoachPolicy | None,
              feedback: dict[str, str] | None = None) -> Recommendation:
    """`policy` may be None only while a skill is unmeasured (it is not consulted then).
    `feedback` (sub-score → sentence) is passed through to the recommendation as it is."""
    if state.discipline is None:
        raise ValueError(f"performer {state.performer} has no assessment yet")
    summary = {"assessments": state.assessments, "moving_average": state.moving_average, "asm": state.asm,
               "lp": state.lp, "forecast": state.forecast, "preferences": state.preferences,
               "recent_tasks": state.recent_tasks}
    if state.unmeasured:
        skill = state.unmeasured[0]
        action, why = MEASURES[skill]
        reason = (f"{SKILL_NAMES[skill]} ({skill}) has not been measured yet: {why}. "
                  "The policy needs all four skills, so this task comes first.")
        return Recommendation(state.performer, state.discipline, action, ACTION_NAMES[action],
                              task_for(state.discipline, action), None, reason, summary, None, feedback)

    if policy is None:
        raise ValueError("a policy is needed once every skill has been measured")
    q = policy.q_values(state.observation())
    q_values = {a: float(v) for a, v in zip(ACTIONS, q)}
    action = max(ACTIONS, key=q_values.get)
    return Recommendation(state.performer, state.discipline, action, ACTION_NAMES[action],
                          task_for(state.discipline, action), q_values, explain(q_values, state), summary,
                          policy.model_info, feedback)


def explain(q_values: dict[str, float], state: StudentState) -> str:
    """The Q-values in order, a note when the choice is close, then the student's facts."""
    ranked = sorted(ACTIONS, key=q_values.get, reverse=True)
    best, second = ranked[0], ranked[1]
    reason = (f"{ACTION_NAMES[best]} trains {SKILL_NAMES[ACTION_SKILL[best]]} and has the highest Q-value "
              f"(expected long-run gain): " + ", ".join(f"{a} {q_values[a]:.2f}" for a in ranked) + ".")
    margin = q_values[best] - q_values[second]
    if margin < CLOSE_CALL * abs(q_values[best]):
        reason += (f" A close call: {ACTION_NAMES[second]} ({second}) is only {margin:.2f} behind, "
                   "so either is a sound next task.")
    return f"{reason} {_facts(state)}"
