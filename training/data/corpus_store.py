"""The scorer corpus on disk, generated in parallel shards, resumable, and read back into memory.

Layout of a corpus folder (under the git-ignored `.cache/`, never committed):

    plan.json            seed, size, number of clips, rubric version, generator version
    shard-00000.npz      per record: `<i>/pose` (T, 52) and `<i>/audio` (T, 20), float16
    shard-00000.json     per record: id, discipline, group, family, variant, split, labels, sizes, meta

The same format holds a venue's judged recordings (`judges.py`), so one trainer reads both.
A shard is written to a temporary name and renamed when complete; rerunning `generate` skips
complete shards, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .labels import RUBRIC_VERSION

FORMAT = "perfscore.scorer-corpus/1"
SHARD_SIZE = 48


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def record_entry(record, split: str, source: str = "synthetic") -> dict:
    labels = record.labels
    return _clean({
        "id": record.id, "source": source, "discipline": record.discipline, "group": record.group, "family": record.family,
        "variant": record.variant, "split": split, "frames": len(record.sequence),
        "labels": {"subscores": labels.subscores, "overall": labels.overall, "grade": labels.grade,
                   "severities": labels.severities},
        "sizes": record.sizes, "meta": record.meta,
    })


def write_shard(path: Path, records: list, splits: list[str], source: str = "synthetic") -> None:
    """`source`: "synthetic" (labels follow the rubric from the fault sizes) or "judges" (marks)."""
    arrays = {}
    for i, r in enumerate(records):
        arrays[f"{i}/pose"] = r.sequence.pose.astype(np.float16)
        arrays[f"{i}/audio"] = r.sequence.audio.astype(np.float16)
    tmp = path.with_name("tmp-" + path.name)
    np.savez_compressed(tmp, **arrays)
    json_tmp = path.with_name("tmp-" + path.with_suffix(".json").name)
    json_tmp.write_text(json.dumps([record_entry(r, s, source) for r, s in zip(records, splits)]))
    os.replace(json_tmp, path.with_suffix(".json"))
    os.replace(tmp, path)          # the .npz appears last: its presence means the shard is complete


def _render_chunk(args) -> tuple[int, float]:
    index, specs, out, seed = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from .corpus_render import render
    from .corpus_spec import split_of

    start = time.process_time()
    records = [render(s) for s in specs]
    write_shard(Path(out) / f"shard-{index:05d}.npz", records, [split_of(s.group, s.discipline, seed) for s in specs])
    return len(specs), time.process_time() - start


def generate(plan, out: str | Path, jobs: int = 1, progress: Callable[[int, int], None] | None = None) -> dict:
    """Render every recipe of `plan` into `out` with `jobs` worker processes; returns timing numbers."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chunks = [plan.specs[i:i + SHARD_SIZE] for i in range(0, len(plan.specs), SHARD_SIZE)]
    todo = [(i, c, str(out), plan.seed) for i, c in enumerate(chunks) if not (out / f"shard-{i:05d}.npz").exists()]
    (out / "plan.json").write_text(json.dumps({"format": FORMAT, "rubric": RUBRIC_VERSION, **plan.to_dict(),
                                               "shards": len(chunks)}, indent=1))
    done = len(plan.specs) - sum(len(c) for _, c, _, _ in todo)
    cpu = 0.0
    wall = time.perf_counter()
    if progress:
        progress(done, len(plan.specs))
    with chunk_results(_render_chunk, todo, jobs) as results:
        for n, seconds in results:
            done += n
            cpu += seconds
            if progress:
                progress(done, len(plan.specs))
    return {"clips": len(plan.specs), "rendered": sum(len(c) for _, c, _, _ in todo),
            "wall_time_s": time.perf_counter() - wall, "worker_cpu_s": cpu, "jobs": jobs}



@contextmanager
def chunk_results(work: Callable, todo: list, jobs: int) -> Iterator[Iterable]:
    """`work` over `todo`: in this process with one job, else in forked workers, results in the order they
    finish. A worker is replaced after 8 chunks (rendering's native libraries grow over a long run)."""
    if jobs <= 1:
        yield map(work, todo)
        return
    import multiprocessing as mp

    pool = mp.get_context("fork").Pool(jobs, maxtasksperchild=8)
    try:
        yield pool.imap_unordered(work, todo)
    finally:
        pool.close()
        pool.join()

@dataclass
class Corpus:
    """All records of one or more corpus folders, in memory."""
    entries: list[dict]
    pose: list[np.ndarray]      # float16 (T, 52)
    audio: list[np.ndarray]     # float16 (T, 20)

    def __len__(self) -> int:
        return len(self.entries)

    def select(self, keep) -> "Corpus":
        idx = [i for i, e in enumerate(self.entries) if keep(e)]
        return Corpus([self.entries[i] for i in idx], [self.pose[i] for i in idx], [self.audio[i] for i in idx])

    @staticmethod
    def concat(parts: list["Corpus"]) -> "Corpus":
        return Corpus([e for p in parts for e in p.entries], [x for p in parts for x in p.pose],
                      [x for p in parts for x in p.audio])


def load_corpus(folder: str | Path) -> Corpus:
    folder = Path(folder)
    shards = sorted(folder.glob("shard-*.npz"))
    if not shards:
        from edge.errors import PerfscoreError

        raise PerfscoreError(f"{folder}: no corpus shards (generate one with `perfscore train scorers corpus`)")
    entries, pose, audio = [], [], []
    for shard in shards:
        meta = json.loads(shard.with_suffix(".json").read_text())
        with np.load(shard) as data:
            for i, entry in enumerate(meta):
                entries.append(entry)
                pose.append(data[f"{i}/pose"])
                audio.append(data[f"{i}/audio"])
    return Corpus(entries, pose, audio)
