"""A resumable pass over corpus recipes, chunk by chunk: what round 2's reference and fine passes share.

Each chunk is written as `<stem>-<index>.npz` (arrays) and then `<stem>-<index>.json` (one row per
recipe, an `error` row for a recipe that failed): the .json appears last, so its presence means the
chunk is complete and a rerun skips it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from training.data.corpus_store import chunk_results


def compute_chunk(index: int, specs: list, out: str | Path, stem: str,
                  measure: Callable[[object], tuple[dict, dict[str, np.ndarray]]]) -> tuple[int, float]:
    """`measure(spec)` → (row fields, arrays) for every recipe of one chunk, written as chunk `index`; a
    recipe that fails is an `error` row with its reason, not the end of the pass. → (recipes, CPU s)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    start = time.process_time()
    rows, arrays = [], {}
    for spec in specs:
        clock = time.process_time()
        try:
            fields, values = measure(spec)
            arrays.update(values)
            rows.append({"id": spec.id, **fields, "cpu_s": round(time.process_time() - clock, 2)})
        except Exception as exc:
            rows.append({"id": spec.id, "error": f"{type(exc).__name__}: {exc}",
                         "cpu_s": round(time.process_time() - clock, 2)})
    write_chunk(out, stem, index, rows, arrays)
    return len(specs), time.process_time() - start


def write_chunk(out: str | Path, stem: str, index: int, rows: list[dict], arrays: dict[str, np.ndarray]) -> None:
    """The chunk's arrays, then its rows; each file replaced atomically."""
    path = Path(out) / f"{stem}-{index:05d}.json"
    npz = path.with_suffix(".npz")
    np.savez_compressed(npz.with_name("tmp-" + npz.name), **arrays)
    os.replace(npz.with_name("tmp-" + npz.name), npz)
    tmp = path.with_name("tmp-" + path.name)
    tmp.write_text(json.dumps(rows))
    os.replace(tmp, path)


def chunks_of(specs: list, chunk: int) -> list[list]:
    return [specs[i:i + chunk] for i in range(0, len(specs), chunk)]


def run_chunks(work: Callable, specs: list, out: str | Path, stem: str, jobs: int = 1, chunk: int = 16,
               progress=None) -> dict:
    """`work((index, specs, out))` → (recipes done, CPU s) on every chunk not yet complete in `out`."""
    out = Path(out)
    chunks = chunks_of(specs, chunk)
    todo = [(i, c, str(out)) for i, c in enumerate(chunks) if not (out / f"{stem}-{i:05d}.json").exists()]
    done = len(specs) - sum(len(c) for _, c, _ in todo)
    wall, cpu = time.perf_counter(), 0.0
    with chunk_results(work, todo, jobs) as results:
        for n, seconds in results:
            done += n
            cpu += seconds
            if progress:
                progress(done, len(specs))
    return {"clips": len(specs), "computed": sum(len(c) for _, c, _ in todo),
            "wall_time_s": round(time.perf_counter() - wall, 1), "worker_cpu_s": round(cpu, 1), "jobs": jobs}


def timing_history(out: str | Path, timing: dict, did_work: bool) -> list[dict]:
    """The passes' timings kept in `out/timing.json`: a resumed pass that did nothing adds none, so the
    figures stay those of the passes that did the work."""
    path = Path(out) / "timing.json"
    history = json.loads(path.read_text()) if path.exists() else []
    if did_work:
        history.append(timing)
        path.write_text(json.dumps(history, indent=1))
    return history
