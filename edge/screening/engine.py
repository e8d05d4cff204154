"""What runs the scoring tasks of a screening run: one interface, two engines.

`pool.Pool` runs them in processes on this machine; `ray_engine.RayEngine` runs them as Ray tasks on a
cluster of machines. Both hand every task's outcome to `on_done` exactly once: the entry's record (a
dict, already saved in the output folder) or a `Crash` when no record could be made.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterable

from .entries import InputError
from .worker import Task


@dataclass
class Crash:
    """What the runner records for an entry whose worker died or ran out of time."""
    kind: str
    reason: str


class EngineUnusable(InputError):
    """The engine cannot run this screening at all (Ray missing, no cluster, a node with other code).
    Records already saved stay; the command exits 2 with the reason."""


class Engine(ABC):
    @abstractmethod
    def run(self, tasks: Iterable[Task], on_start: Callable[[Task], None],
            on_done: Callable[[Task, dict | Crash], None]) -> None:
        """Run every task; stop all work on the way out, whether the tasks are finished or the caller
        is interrupted (KeyboardInterrupt propagates after that)."""
