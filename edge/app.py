"""The box at run time (`perfscore run`): capture → pipeline → live scores, take results → coach → MQTT.

    app = App(settings, "camera:", device="studio-1", broker="mqtt://…", state_dir=DIR)
    app.start()          # publisher, results (coach), source and its capture threads, pipeline, live, health
    app.wait()           # until SIGTERM (request_stop) or, with once=True, the source ended and all is delivered
    app.stop()           # the same services in reverse; a running take is finished, marked cut short

Threads (after Frigate's app.py: services come up in order and go down in reverse):
    capture:*   the source's own threads (LiveSource): bounded drop-oldest buffer, never waits for us
    pipeline    reads the source, feeds the running Take (pose at run.pose_fps), starts/ends takes
    live        every 1/run.live_rate_hz s measures the running take's latest window → `live`
    results     an ended take: whole-take measurement and score → `session` → coach → `recommendation`
                (owns the coach's SQLite connection; results go through the on-disk outbox)
    health      every publish.health_interval_s → `health`
Commands arrive on the MQTT client's thread and only queue work for the pipeline thread.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Settings
from .errors import MediaError, NotScorable
from .models import set_inference_threads
from .notify import Notifier, Watchdog
from .pipeline import FrameChooser, Take, source_cut_short
from .sources.base import AudioChunk, VideoFrame

log = logging.getLogger("perfscore.run")
STAGES = ("capture", "pose", "scoring")    # the watchdog pings only while each of these makes progress
# Measuring a whole take is one call that cannot beat: allowed this long before it counts as hung
# (x86: 3 minutes of polyphonic music measure in about 6 s; a Pi 4 is several times slower).
MEASURE_BASE_S, MEASURE_PER_MEDIA_S = 60.0, 1.0

REFERENCE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
REFERENCE_SUFFIXES = {".mid", ".midi", ".mp4", ".mov", ".mkv", ".webm", ".avi"}


@dataclass
class TakePlan:
    """Who and what a take is, and how it ended (the `take` object of a `session` message)."""
    id: str
    performer: str | None
    piece: str | None
    discipline: str | None
    reference: Path | None = None
    reference_name: str | None = None
    auto: bool = False                # started by itself: ends by itself when idle
    started_at: float = 0.0           # Unix time
    ended_at: float | None = None
    end_reason: str | None = None
    cut_short: bool = False
    whole: bool = False               # the take is the whole source (--once, source ended by itself)


class Activity:
    """Someone performing (a person in view, sound above a level), for automatic takes."""

    GAP_S = 1.0     # a person checked twice a second may be missed once without breaking the run

    def __init__(self, start_after_s: float):
        self.start_after_s = start_after_s
        self.since: float | None = None
        self.last: float | None = None

    def see(self, t: float, active: bool) -> None:
        if not active:
            return
        if self.since is None or self.last is None or t - self.last > self.GAP_S:
            self.since = t
        self.last = t

    def started(self, t: float) -> bool:
        return (self.since is not None and self.last is not None and t - self.last <= self.GAP_S
                and self.last - self.since >= self.start_after_s)

    def idle_for(self, t: float) -> float:
        return math.inf if self.last is None else t - self.last

    def reset(self, t: float | None = None) -> None:
        self.since, self.last = None, t


def _models_of(result) -> list[dict]:
    """The distinct models behind a ScoreResult's sub-scores."""
    found = {s.model for s in result.subscores.values() if s.model is not None}
    return [m.to_dict() for m in sorted(found, key=lambda m: m.name)]


def _level_dbfs(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    return 20 * math.log10(rms) if rms > 1e-10 else -200.0


def _percentile_ms(values, q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values) * 1000.0, q)), 1) if len(values) else None


def _rss_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _temperature_c() -> float | None:
    try:
        return round(int(Path("/sys/class/thermal/thermal_zone0/temp").read_text().strip()) / 1000.0, 1)
    except (OSError, ValueError):
        return None


class App:
    def __init__(self, settings: Settings, source: str, *, device: str | None = None, broker: str | None = None,
                 state_dir: str | Path | None = None, once: bool = False, speed: float = 1.0,
                 performer: str | None = None, piece: str | None = None, discipline: str | None = None,
                 reference: str | None = None):
        self.settings = settings
        self.spec = source
        self.device = device or settings.device.id
        self.broker = broker
        self.state_dir = Path(state_dir) if state_dir is not None else Path(settings.publish.state_dir)
        self.once = once
        self.speed = speed
        self.run_cfg = settings.run
        set_inference_threads(self.run_cfg.inference_threads)   # the device profile's; before any model loads
        self._once_args = {"performer": performer, "piece": piece, "discipline": discipline,
                           "reference": reference}
        self.publisher = None
        self.source = None
        self.exit_code = 0
        self._stop = threading.Event()             # shutdown asked (SIGTERM, stop())
        self._pipeline_done = threading.Event()
        self._results_done = threading.Event()
        self._control: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.Queue = queue.Queue(maxsize=self.run_cfg.results_queue)
        self._cmd_lock = threading.Lock()
        self._active_id: str | None = None         # the take running or about to start (commands see it)
        self._take: Take | None = None
        self._plan: TakePlan | None = None
        self._threads: dict[str, threading.Thread] = {}
        self._stopped = False
        # systemd (Type=notify, WatchdogSec=): READY once capture runs; pings only while every stage moves.
        self.notifier = Notifier.from_env()
        self.watchdog = Watchdog(self.notifier, stages=STAGES)
        self._idle_beat_s = min(1.0, (self.notifier.watchdog_interval() or 2.0) / 2)   # idle stages beat this often
        # figures for `health`, the benchmark and tests
        self.frames_in = 0
        self.audio_in = 0
        self.posed_done = 0                         # frames posed by takes that ended, and by the watcher
        self.skipped_done = 0
        self.live_latency_s: deque = deque(maxlen=600)
        self.live_sent = 0
        self.session_delay_s: list[float] = []
        self._watch = None
        self._model_list: list[dict] | None = None
        self._policy_model = None                   # the coach's policy's ModelInfo, once the results thread loaded it
        self.metrics = None                         # run.metrics: the Prometheus exporter (edge/publish/metrics.py)
        self._watch_chooser = FrameChooser(fps=self.run_cfg.takes.watch_pose_fps)
        self._activity = Activity(self.run_cfg.takes.start_after_s)
        self.auto = self.run_cfg.takes.auto           # `mode`: takes start by themselves (auto) or by command
        self.performer: str | None = performer        # `performer`: who the next take is for
        self._source_t = 0.0                          # media time of the newest item (logs, `mode` answers)

    # ---- bringing the box up and down ----------------------------------------------------------
    def start(self) -> None:
        from .malloc import limit_arenas
        from .publish import PERFORMER, Arg, Publisher
        from .sources import open_source

        limit_arenas()                              # before the threads: memory stays flat take after take
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.publisher = Publisher(self.settings.publish, self.device, state_dir=self.state_dir, broker=self.broker)
        self.publisher.commands.register("session/start", self._cmd_start, {
            "performer": Arg(str, required=False, pattern=PERFORMER.pattern),
            "piece": Arg(str, required=False, max_length=128),
            "discipline": Arg(str, required=False, choices=("dance", "music")),
            "reference": Arg(str, required=False, pattern=REFERENCE_NAME, max_length=128)})
        self.publisher.commands.register("session/stop", self._cmd_stop, {})
        self.publisher.commands.register("performer", self._cmd_performer, {"performer": PERFORMER})
        self.publisher.commands.register("mode", self._cmd_mode, {"mode": Arg(str, choices=("manual", "auto"))})
        tasks = Arg(str, choices=("TE", "EP", "SRP", "CIT"))     # the coach's task types (edge/coach/vocabulary.py)
        self.publisher.commands.register("practised", self._cmd_practised, {"performer": PERFORMER, "task": tasks})
        self.publisher.commands.register("override", self._cmd_override, {
            "performer": PERFORMER, "task": tasks, "note": Arg(str, required=False, max_length=500)})
        once_plan = self._once_plan() if self.once else None   # a bad --reference fails before anything runs
        if self.run_cfg.metrics.enabled:           # before anything runs: a busy port fails the start
            from .publish.metrics import start_metrics

            self.metrics = start_metrics(self, self.run_cfg.metrics)
        self.publisher.start()
        if self.settings.publish.homeassistant.enabled:
            from .publish.homeassistant import publish_discovery

            publish_discovery(self.publisher, self.settings.publish.homeassistant.prefix)  # queued until connected
        self._spawn("results", self._results_loop)
        try:
            self.source = open_source(self.spec, self.settings, speed=self.speed)
        except BaseException:
            self._results.put(None)
            self._stop.set()
            self._stopped = True
            self._shutdown_services()
            raise
        log.info("source %s: video %s, audio %s", self.source.info.name, self.source.info.has_video,
                 self.source.info.has_audio)
        if hasattr(self.source, "start"):
            self.source.start()                     # capture runs from now on, whatever the pipeline does
        self._spawn("pipeline", self._pipeline_loop, once_plan)
        self._spawn("live", self._live_loop)
        self._spawn("health", self._health_loop)
        self._watchdog_thread = self.watchdog.start(self._stop)
        self.notifier.ready(status=f"capturing {self.spec}; broker {self.broker or self.settings.publish.broker}")
        log.info("box %s up: broker %s, state in %s%s", self.device, self.broker or self.settings.publish.broker,
                 self.state_dir, " (one take: --once)" if self.once else "")

    def _spawn(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads[name] = thread
        thread.start()

    def request_stop(self) -> None:
        """From a signal handler: end the running take (cut short), publish, exit."""
        if not self._stop.is_set() and self._take is not None:
            log.info("stopping: the running take is finished and published as cut short")
        self._stop.set()
        source = self.source
        if source is not None and hasattr(source, "start"):
            source.close()                          # a live source's iteration ends at once

    def wait(self) -> int:
        """Until stop is asked, or (once, or a source that ended) everything is measured and delivered."""
        while not self._stop.is_set():
            if self._pipeline_done.is_set():     # nothing left to capture or pose: not a hang
                self.watchdog.beat("capture")
                self.watchdog.beat("pose")
            if self._results_done.is_set():
                self.watchdog.beat("scoring")
                if self.publisher.wait_delivered(0.5):
                    log.info("everything delivered")
                    break
                continue    # the broker is away: keep waiting (SIGTERM leaves the results in the outbox)
            self._stop.wait(0.2)
        return self.exit_code

    def stop(self, timeout: float = 60.0) -> None:
        """Reverse order: capture and pipeline (the running take ends), results, live and health, publisher."""
        if self._stopped:
            return
        self._stopped = True
        self.notifier.stopping()
        self.request_stop()
        self._shutdown_services(timeout)

    def _shutdown_services(self, timeout: float = 60.0) -> None:
        for name in ("pipeline", "results", "live", "health"):
            thread = self._threads.get(name)
            if thread is not None:
                thread.join(timeout)
                if thread.is_alive():
                    log.error("%s thread did not stop within %.0f s", name, timeout)
        if self.publisher is not None:
            depth = self.publisher.outbox.stats().depth
            if depth:
                log.warning("%d result(s) wait in the outbox for the broker; delivered at the next start", depth)
            self.publisher.stop()
        if self.metrics is not None:
            self.metrics.stop()
        log.info("box %s stopped", self.device)

    # ---- commands (MQTT thread: quick, only queue work) ------------------------------------------
    def _cmd_start(self, args: dict[str, Any]) -> dict[str, Any]:
        from .publish import CommandError

        with self._cmd_lock:
            if self._stop.is_set() or self._pipeline_done.is_set():
                raise CommandError("the box is stopping or its source has ended")
            if self.once:
                raise CommandError("this box runs the whole source as one take (--once)")
            if self._active_id is not None:
                raise CommandError(f"take {self._active_id} is running; stop it first (cmd/session/stop)")
            if not self.publisher.accepting_takes():
                raise CommandError("the outbox is full (results wait for the broker) or the state directory's "
                                   "disk is: no new take until there is room")
            performer = args.get("performer") or self.performer
            if performer is None:
                raise CommandError("args.performer: required while no performer is set (cmd/performer)",
                                   "bad_request")
            plan = TakePlan(id=str(uuid.uuid4()), performer=performer, piece=args.get("piece"),
                            discipline=args.get("discipline"))
            if args.get("reference"):
                plan.reference, plan.reference_name = self._reference(args["reference"]), args["reference"]
            self._active_id = plan.id
            self._control.put(("start", plan))
        return {"take_id": plan.id}

    def _cmd_stop(self, args: dict[str, Any]) -> dict[str, Any]:
        from .publish import CommandError

        with self._cmd_lock:
            if self._active_id is None:
                raise CommandError("no take is running")
            take_id, self._active_id = self._active_id, None
            self._control.put(("stop", take_id))
        return {"take_id": take_id}

    def _cmd_performer(self, args: dict[str, Any]) -> dict[str, Any]:
        """Who the next takes are for (automatic ones, and a session/start that names nobody). A running
        take keeps the performer it started with."""
        with self._cmd_lock:
            previous, self.performer = self.performer, args["performer"]
        log.info("performer %s (was %s)", self.performer, previous)
        return {"performer": self.performer, "previous": previous}

    def _cmd_practised(self, args: dict[str, Any]) -> dict[str, Any]:
        """What the performer actually practised since their latest assessment (the coach otherwise assumes
        the recommended task). One short SQLite write on its own connection (edge/coach/service.py)."""
        from .coach.errors import CoachError
        from .coach.service import record_practised
        from .publish import CommandError

        try:
            done = record_practised(self.settings.coach, self.state_dir, args["performer"], args["task"])
        except CoachError as exc:
            raise CommandError(str(exc), "bad_request") from None
        return {"performer": args["performer"], "task": done.action, "after_assessment": done.after_assessment}

    def _cmd_override(self, args: dict[str, Any]) -> dict[str, Any]:
        """A teacher's task for the performer's next recommendation (edge/coach/service.py)."""
        from .coach.errors import CoachError
        from .coach.service import record_override
        from .publish import CommandError

        try:
            record_override(self.settings.coach, self.state_dir, args["performer"], args["task"], args.get("note"))
        except CoachError as exc:
            raise CommandError(str(exc), "bad_request") from None
        return {"performer": args["performer"], "task": args["task"]}

    def _cmd_mode(self, args: dict[str, Any]) -> dict[str, Any]:
        """`auto`: takes also start and end by themselves (run.takes); `manual`: only by command. A running
        take is not touched: one that started by itself still ends by itself."""
        from .publish import CommandError

        if self.once:
            raise CommandError("this box runs the whole source as one take (--once)")
        with self._cmd_lock:
            previous = "auto" if self.auto else "manual"
            self.auto = args["mode"] == "auto"
            if not self.auto:
                self._activity.reset()
        log.info("mode %s (was %s) at source time %.1f s", args["mode"], previous, self._source_t)
        return {"mode": args["mode"], "previous": previous}

    def _reference(self, name: str) -> Path:
        from .publish import CommandError

        folder = self.run_cfg.references_dir
        if folder is None:
            raise CommandError("this box holds no references (run.references_dir is not set)")
        path = Path(folder) / name
        if not REFERENCE_NAME.match(name) or path.suffix.lower() not in REFERENCE_SUFFIXES or not path.is_file():
            raise CommandError(f"reference {name!r}: not among the references this box holds")
        return path

    def _once_plan(self) -> TakePlan:
        a = self._once_args
        plan = TakePlan(id=str(uuid.uuid4()), performer=a["performer"] or self.run_cfg.default_performer,
                        piece=a["piece"], discipline=a["discipline"])
        if a["reference"]:
            path = Path(a["reference"])
            if not path.is_file():
                raise MediaError(path, "reference not found")
            plan.reference, plan.reference_name = path, path.name
        return plan

    # ---- the pipeline thread ---------------------------------------------------------------------
    def _pipeline_loop(self, once_plan: TakePlan | None) -> None:
        source = self.source
        natural = False
        try:
            if once_plan is not None:
                self._begin(once_plan)
            for item in source:
                self.watchdog.beat("capture")
                self._source_t = item.t
                if isinstance(item, VideoFrame):
                    self.frames_in += 1
                else:
                    self.audio_in += 1
                self._apply_commands()
                if self._take is not None:
                    self._take.add(item)
                    self._check_end(item)
                elif self.auto:
                    self._look_for_performer(item)
                self.watchdog.beat("pose")           # the item was measured (posed, or skipped by plan)
                if self._stop.is_set():
                    break
            else:
                natural = not self._stop.is_set()
        except MediaError as exc:
            log.error("source failed: %s", exc)
            self.exit_code = 1
        except Exception:
            log.exception("pipeline failed")
            self.exit_code = 1
        finally:
            try:
                self._apply_commands()
                if self._take is not None:
                    cut = not natural or source_cut_short(source)
                    self._end("source_ended" if natural else "shutdown", cut_short=cut,
                              whole=natural and self.once)
            finally:
                source.close()
                if self._watch is not None:
                    self._watch.close()
                self._pipeline_done.set()
                self._results.put(None)
                if natural:
                    log.info("source ended")

    def _apply_commands(self) -> None:
        while True:
            try:
                what, value = self._control.get_nowait()
            except queue.Empty:
                return
            if what == "start" and self._take is None:
                self._begin(value)
            elif what == "stop" and self._plan is not None and self._plan.id == value:
                self._end("stopped", cut_short=False)

    def _begin(self, plan: TakePlan) -> None:
        if self._watch is not None:
            # The take poses with a landmarker of its own: the watcher's would sit idle through the take and
            # hold its memory (0.1–0.2 GB) while the take's and the measuring of the last take need theirs.
            self._watch.close()
            self._watch = None
        plan.started_at = time.time()
        self._take = Take(self.source.info, self.settings, name=f"take {plan.id}", pose_fps=self.run_cfg.pose_fps,
                          rebase=not self.once)
        self._plan = plan
        with self._cmd_lock:
            self._active_id = plan.id
        self._activity.reset()
        log.info("take %s started%s at source time %.1f s (performer %s, piece %s)", plan.id,
                 " by itself" if plan.auto else "", self._source_t, plan.performer, plan.piece)
        self.notifier.status(f"take {plan.id} running (performer {plan.performer})")

    def _end(self, reason: str, *, cut_short: bool, whole: bool = False) -> None:
        take, plan = self._take, self._plan
        self._take = self._plan = None
        with self._cmd_lock:
            if self._active_id == plan.id:
                self._active_id = None
        plan.ended_at, plan.end_reason, plan.cut_short, plan.whole = time.time(), reason, cut_short, whole
        self.posed_done += take.counters.posed
        self.skipped_done += take.counters.skipped
        log.info("take %s ended (%s%s) at source time %.1f s after %.1f s of media", plan.id, reason,
                 ", cut short" if cut_short else "", self._source_t, take.media_s)
        self.notifier.status(f"idle; take {plan.id} ended ({reason})")
        if self.metrics is not None:
            self.metrics.take_ended(reason)
        self._results.put((take, plan))   # waits when results pile up; capture keeps running (and drops, counted)

    def _check_end(self, item) -> None:
        take, plan, cfg = self._take, self._plan, self.run_cfg.takes
        if take.media_s >= cfg.max_length_s:
            self._end("max_length", cut_short=False)
            return
        if not plan.auto:
            return
        self._activity.see(item.t, self._performing(item, take.last_present))
        if self._activity.idle_for(item.t) >= cfg.stop_after_s:
            self._end("idle", cut_short=False)

    def _performing(self, item, person: bool | None) -> bool:
        cfg = self.run_cfg.takes
        if isinstance(item, AudioChunk):
            return cfg.start_level_dbfs is not None and _level_dbfs(item.samples) >= cfg.start_level_dbfs
        return bool(cfg.start_on_person and person)

    def _look_for_performer(self, item) -> None:
        """No take runs: a person (pose at takes.watch_pose_fps) or sound for start_after_s starts one."""
        cfg = self.run_cfg.takes
        person = None
        if isinstance(item, VideoFrame) and cfg.start_on_person:
            if not self._watch_chooser.wants(item):
                return
            if self._watch is None:
                from .features.pose import PoseEstimator

                self._watch = PoseEstimator(self.settings.pose.model_copy(update={"frame_stride": 1}),
                                            fps=cfg.watch_pose_fps)
            person = self._watch.add(item)
            self.posed_done += 1
        self._activity.see(item.t, self._performing(item, person))
        if self._activity.started(item.t) and self.publisher.accepting_takes():
            with self._cmd_lock:
                busy = self._active_id is not None
            if not busy:
                plan = TakePlan(id=str(uuid.uuid4()), performer=self.performer or self.run_cfg.default_performer,
                                piece=None, discipline=None, auto=True)
                self._begin(plan)
                self._activity.see(item.t, True)

    # ---- live ------------------------------------------------------------------------------------
    def _live_loop(self) -> None:
        period = 1.0 / self.run_cfg.live_rate_hz
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            due = max(due + period, time.monotonic())    # a steady cadence; a slow window skips, never queues
            if self._pipeline_done.is_set():
                return
            take, plan = self._take, self._plan
            if take is None or plan is None or take.media_s < 1.0:
                continue
            try:
                window = take.live(self.run_cfg.live_window_s, plan.discipline)
                if window is None:
                    continue
                self.publisher.live(take_id=plan.id, performer=plan.performer, discipline=window.discipline,
                                    t_s=window.t_s, captured_at=window.captured_at, subscores=window.subscores,
                                    overall=window.overall, beat_alignment=window.beat_alignment,
                                    tempo_bpm=window.tempo_bpm, person_present=window.person_present)
                self.live_latency_s.append(time.time() - window.captured_at)
                self.live_sent += 1
                if self.metrics is not None:
                    self.metrics.live_latency.observe(self.live_latency_s[-1])
            except Exception:
                log.exception("live window of take %s failed", plan.id)

    # ---- results -----------------------------------------------------------------------------------
    def _results_loop(self) -> None:
        from .malloc import release_free_memory

        coach = None
        try:
            from .coach.service import Coach

            coach = Coach.from_config(self.settings.coach, state_dir=self.state_dir)
            self._policy_model = coach.policy.model_info     # loaded now: a bad policy shows at start
        except Exception:
            log.exception("the coach is not available: sessions are published without recommendations")
            if coach is not None:
                coach.close()
                coach = None
        try:
            while True:
                self.watchdog.beat("scoring")        # waiting for a take's end is progress; a hung take is not
                try:
                    job = self._results.get(timeout=self._idle_beat_s)
                except queue.Empty:
                    continue
                if job is None:
                    return
                try:
                    with self.watchdog.busy("scoring", MEASURE_BASE_S + MEASURE_PER_MEDIA_S * job[0].media_s):
                        self._publish_take(*job, coach)
                except Exception:
                    log.exception("take %s could not be measured or published", job[1].id)
                finally:
                    del job                          # the take's arrays go before the trim
                    release_free_memory()
        finally:
            if coach is not None:
                coach.close()
            self._results_done.set()

    def _publish_take(self, take: Take, plan: TakePlan, coach) -> None:
        from .publish.room import deliver_when_room
        from .scoring import detect_discipline, score
        from .model_chain import profile_model   # the profile's fallback chain
        from .scoring.rubric import RUBRIC_MODEL

        scoring_beat = lambda: self.watchdog.beat("scoring")   # noqa: E731  (waiting for room is not a hang)
        analysis = take.finish(reference=plan.reference, cut_short=plan.cut_short, whole=plan.whole)
        warnings = list(analysis.warnings)
        models = [m for m in (take.pose_model,) if m]
        scored, scores, learned, discipline = None, None, None, plan.discipline
        try:
            scored = score(analysis, self.settings, discipline=plan.discipline, model=profile_model(self.run_cfg.scorer, "learned scorer"))
            scores, discipline = scored.rubric.to_dict(), scored.rubric.discipline
            models.append(RUBRIC_MODEL.to_dict())
            if scored.learned is not None:
                learned = scored.learned.to_dict()
                models += _models_of(scored.learned)
        except NotScorable as exc:
            warnings.append(f"not scored: {exc.reason}")
            discipline = discipline or detect_discipline(analysis)
        # No room (quota, or a full disk): the result waits in memory until there is (edge/publish/room.py).
        payload = deliver_when_room(lambda: self.publisher.session(
            take_id=plan.id, performer=plan.performer, discipline=discipline, piece=plan.piece,
            started_at=plan.started_at, ended_at=plan.ended_at, end_reason=plan.end_reason,
            cut_short=analysis.cut_short, scores=scores, learned=learned, models=models,
            reference=plan.reference_name,
            warnings=warnings), what=f"take {plan.id}: session", stop=self._stop, beat=scoring_beat)
        if payload is None:
            return
        self.session_delay_s.append(time.time() - plan.ended_at)
        log.info("take %s: session %s published%s", plan.id, payload["id"],
                 f" (overall {scores['overall']})" if scores else " (not scored)")
        if scored is None or coach is None or plan.performer is None:
            return
        if analysis.cut_short:
            # A partial performance says little about the performer's skill: not assessed.
            log.info("take %s was cut short: the coach does not assess it", plan.id)
            return
        coach.assess(plan.performer, scored.rubric, piece=plan.piece or self.run_cfg.default_piece,
                     discipline=discipline)
        rec = coach.recommend(plan.performer)
        sent = deliver_when_room(
            lambda: self.publisher.recommendation(recommendation=rec.to_dict(), take_id=plan.id, scores=scores),
            what=f"take {plan.id}: recommendation", stop=self._stop, beat=scoring_beat)
        if sent is None:
            return
        log.info("take %s: recommendation %s published: %s for %s", plan.id, sent["id"], rec.action_name,
                 plan.performer)

    # ---- health ----------------------------------------------------------------------------------------
    def health_figures(self, state: dict) -> dict[str, Any]:
        """The measured part of a `health` message since the previous call (`state` carries the counters)."""
        now, cpu = time.monotonic(), time.process_time()
        take = self._take
        posed = self.posed_done + (take.counters.posed if take is not None else 0)
        skipped = self.skipped_done + (take.counters.skipped if take is not None else 0)
        dt = max(1e-6, now - state.get("t", now - 1e-6))
        fps = lambda n, key: round((n - state.get(key, 0)) / dt, 2) if "t" in state else None  # noqa: E731
        source = self.source
        depth = source.queue_depth() if source is not None and hasattr(source, "queue_depth") else (0, 0)
        figures = {
            "capture": {"fps": fps(self.frames_in, "frames"), "frames": self.frames_in, "audio_chunks": self.audio_in,
                        "frames_dropped": int(getattr(source, "dropped_video", 0) or 0),
                        "audio_chunks_dropped": int(getattr(source, "dropped_audio", 0) or 0),
                        "devices": source.devices() if hasattr(source, "devices") else []},
            "pose": {"fps": fps(posed, "posed"), "target_fps": self.run_cfg.pose_fps, "frames": posed,
                     "frames_skipped": skipped},
            "queues": {"capture_video": int(depth[0]), "capture_audio": int(depth[1]),
                       "results": self._results.qsize()},
            "live_latency_ms": {"p50": _percentile_ms(self.live_latency_s, 50),
                                "p95": _percentile_ms(self.live_latency_s, 95), "n": len(self.live_latency_s)},
            "cpu_percent": round(100.0 * (cpu - state["cpu"]) / dt, 1) if "cpu" in state else None,
            "temperature_c": _temperature_c(),
            "rss_bytes": _rss_bytes(),
            "models": self._models(),
        }
        state.update(t=now, cpu=cpu, frames=self.frames_in, posed=posed)
        return figures

    def _models(self) -> list[dict]:
        """Every model the box loads (pose, rubric, note transcription, a learned scorer, the coach's
        policy), each a ModelInfo with its sha256; hashed once, complete once the policy is loaded."""
        if self._model_list is not None:
            return self._model_list
        from .features.transcription import MODEL_PATH as TRANSCRIPTION_MODEL
        from .models import ModelInfo, verify_model
        from .scoring.rubric import RUBRIC_MODEL

        infos: list[ModelInfo] = []
        for path, backend in ((Path(self.settings.pose.model_path), "mediapipe-tasks"),
                              (TRANSCRIPTION_MODEL, "onnxruntime")):
            try:
                infos.append(ModelInfo.of_file(path, verify_model(path), backend))
            except Exception:   # reported where it is loaded; health must still go out
                pass
        infos.append(RUBRIC_MODEL)
        if self.run_cfg.scorer is not None:
            try:
                from .scoring import _loaded_scorer
                from .model_chain import profile_model

                path = Path(profile_model(self.run_cfg.scorer, "learned scorer")).resolve()
                infos.append(_loaded_scorer(path, path.stat().st_mtime_ns).info)
            except Exception:
                log.exception("learned scorer %s", self.run_cfg.scorer)
        policy = self._policy_model
        if policy is not None:
            infos.append(policy)
        models = [m.to_dict() for m in infos]
        if policy is not None or self._results_done.is_set():
            self._model_list = models
        return models

    def _health_loop(self) -> None:
        state: dict = {}
        self.health_figures(state)
        while not self._stop.wait(self.settings.publish.health_interval_s):
            try:
                self.publisher.health(**self.health_figures(state))
            except Exception:
                log.exception("health message failed")

