"""The coach's names: skills, task types, disciplines, what an assessment may carry.

Plain tuples and dicts, nothing imported: the command line builds its help from them without
loading numpy or the scoring package (`perfscore --help` must answer at once on a Pi).
observation.py and skills.py re-export them; tests/coach/test_coach_service.py checks that the
sub-score names here are the scoring contract's (edge/scoring/result.py).
"""

SKILLS = ("TP", "ME", "SR", "IS")
SKILL_NAMES = {
    "TP": "technical proficiency",
    "ME": "musical expressiveness",
    "SR": "sight-reading",
    "IS": "interpretative skill",
}
ACTIONS = ("TE", "EP", "SRP", "CIT")
ACTION_NAMES = {
    "TE": "technical exercise",
    "EP": "expressive practice",
    "SRP": "sight-reading practice",
    "CIT": "creative interpretation task",
}
# Action i trains skill i: TE→TP, EP→ME, SRP→SR, CIT→IS.
ACTION_SKILL = dict(zip(ACTIONS, SKILLS))

DISCIPLINES = ("dance", "music")
# The scoring contract's sub-scores plus the overall: what one assessment may carry.
ASSESSED = ("rhythm", "sync", "technique", "expression", "interpretation", "overall")
