"""What each task type means to a performer, per discipline."""

from __future__ import annotations

from dataclasses import dataclass

from .observation import ACTIONS


@dataclass(frozen=True)
class Task:
    action: str
    title: str
    instruction: str


CATALOGUE: dict[str, dict[str, Task]] = {
    "music": {
        "TE": Task("TE", "Scales and arpeggios",
                   "Play scales and arpeggios in the piece's keys, slowly with a metronome, then up to tempo."),
        "EP": Task("EP", "A piece with varying dynamics",
                   "Play a piece you know, shaping each phrase: clear crescendos, diminuendos and accents."),
        "SRP": Task("SRP", "Sight-read a new piece",
                    "Read a short piece you have never played, once through at a steady tempo without stopping."),
        "CIT": Task("CIT", "A personal interpretation",
                    "Choose a piece and decide your own tempo, phrasing and character; play it as you mean it."),
    },
    "dance": {
        "TE": Task("TE", "Technique drills",
                   "Drill the basic steps, turns and placements slowly, then to the music's tempo."),
        "EP": Task("EP", "An expressive run-through",
                   "Dance a routine you know, making the dynamics of the music visible in your movement."),
        "SRP": Task("SRP", "Learn a new combination",
                    "Learn a combination you have not seen before and dance it after a short look, on the beat."),
        "CIT": Task("CIT", "An improvisation",
                    "Improvise to a piece of music, building your own phrases around its structure and mood."),
    },
}
assert all(tuple(tasks) == ACTIONS for tasks in CATALOGUE.values())


def task_for(discipline: str, action: str) -> Task:
    return CATALOGUE[discipline][action]
