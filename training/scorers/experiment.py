"""Cross-validation of every architecture × fusion, evaluation on the held-out test split.

For each model key and each fold k of 5: train on the other four folds, stop early on fold k,
then evaluate the best epoch on fold k (validation) and on the test split. Jobs run in worker
processes (one torch thread each, niced by the caller). Every finished job writes
`<run>/jobs/<key>/fold<k>.json` and its checkpoint `<run>/jobs/<key>/fold<k>.pt`, so a rerun skips
what is done. `aggregate` turns the jobs into mean ± std tables; the fold model with the highest
validation score (mean ρ + macro F1) becomes the committed checkpoint `models/checkpoints/<key>.pt`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .models import ENCODERS, FUSIONS, model_key, parse_key

ALL_KEYS = tuple(model_key(a, f) for f in FUSIONS for a in ENCODERS)
N_FOLDS = 5
_CACHE: dict = {}


def _corpus(folders: tuple[str, ...]):
    if folders not in _CACHE:
        from training.data.corpus_store import Corpus, load_corpus

        _CACHE.clear()
        _CACHE[folders] = Corpus.concat([load_corpus(f) for f in folders])
    return _CACHE[folders]


def split(corpus, fold: int):
    from .data import clips_from

    val = f"fold{fold}"
    train = corpus.select(lambda e: e["split"] not in ("test", val))
    return clips_from(train), clips_from(corpus.select(lambda e: e["split"] == val)), \
        clips_from(corpus.select(lambda e: e["split"] == "test"))


def run_job(args: tuple) -> dict:
    key, fold, folders, out, overrides = args
    import torch

    torch.set_num_threads(1)
    from .checkpoint import save_checkpoint
    from .metrics import evaluate
    from .models import n_parameters
    from .train import TrainConfig, predict, train_model

    arch, fusion = parse_key(key)
    overrides = dict(overrides)
    init_from, init = overrides.pop("init", None), None
    if init_from:
        from .checkpoint import load_checkpoint

        path = Path(init_from)
        init, _ = load_checkpoint(path / f"{key}.pt" if path.is_dir() else path)
        overrides.setdefault("width", init.width)
    cfg = TrainConfig.for_arch(arch, fusion, seed=fold, **overrides)
    train, val, test = split(_corpus(tuple(folders)), fold)
    cpu0 = time.process_time()
    model, history = train_model(cfg, train, val, init=init)
    result = {"key": key, "fold": fold, "config": cfg.to_dict(), "init": init_from, "parameters": n_parameters(model),
              "train_clips": len(train), "val_clips": len(val), "test_clips": len(test),
              "training": {k: v for k, v in history.items()}, "cpu_s": time.process_time() - cpu0}
    for name, clips in (("val", val), ("test", test)):
        if len(clips):
            scores, logits = predict(model, clips)
            result[name] = evaluate(clips.entries, clips.targets, clips.grades, scores, logits)
    folder = Path(out) / "jobs" / key
    folder.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, folder / f"fold{fold}.pt",
                    trained={"fold": fold, "corpus": [str(f) for f in folders], "config": cfg.to_dict(),
                             "best_epoch": history["best_epoch"], "epochs": history["epochs"],
                             "best_val_score": history["best_val_score"], "train_clips": len(train)},
                    metrics={"val": _headline(result.get("val")), "test": _headline(result.get("test"))})
    (folder / f"fold{fold}.json").write_text(json.dumps(result, indent=1))
    return result


def _headline(m: dict | None) -> dict:
    if not m:
        return {}
    return {k: m[k] for k in ("accuracy", "precision", "recall", "f1")} | {
        "subscores": {n: {"mae": v["mae"], "spearman": v["spearman"]} for n, v in m["subscores"].items()}}


def run_all(folders: list[str], out: str | Path, keys=ALL_KEYS, folds=range(N_FOLDS), jobs: int = 1,
            overrides: dict | None = None, progress: Callable[[dict], None] | None = None,
            planned: Callable[[int], None] | None = None) -> dict:
    out = Path(out)
    # fold-major order: an interrupted run still has every model on the first folds
    todo = [(k, f, tuple(str(x) for x in folders), str(out), overrides or {}) for f in folds for k in keys
            if not (out / "jobs" / k / f"fold{f}.json").exists()]
    if planned:
        planned(len(todo))          # a resumed run only trains what is missing
    start = time.perf_counter()
    if jobs <= 1:
        results = map(run_job, todo)
        pool = None
    else:
        import multiprocessing as mp

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        pool = mp.get_context("fork").Pool(jobs, maxtasksperchild=4)
        results = pool.imap_unordered(run_job, todo)
    try:
        for r in results:
            if progress:
                progress(r)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return {"jobs_run": len(todo), "wall_time_s": time.perf_counter() - start}


def _mean_std(values: list[float | None]) -> tuple[float | None, float | None]:
    v = [x for x in values if x is not None]
    return (float(np.mean(v)), float(np.std(v))) if v else (None, None)


def summarize_split(per_fold: list[dict]) -> dict:
    """mean ± std over folds of the headline metrics (fractions) and per-sub-score MAE and ρ."""
    out: dict = {}
    for k in ("accuracy", "precision", "recall", "f1", "overall_mae"):
        out[k], out[f"{k}_std"] = _mean_std([m[k] for m in per_fold])
    for k in ("accuracy", "f1"):
        out[f"grade_from_overall_{k}"], _ = _mean_std([m["grade_from_overall"][k] for m in per_fold])
    out["pair_agreement"], out["pair_agreement_std"] = _mean_std([m["pairs"]["agreement"] for m in per_fold])
    out["pairs"] = per_fold[0]["pairs"]["pairs"]
    out["subscores"] = {}
    for name in per_fold[0]["subscores"]:
        mae, mae_sd = _mean_std([m["subscores"][name]["mae"] for m in per_fold])
        rho, rho_sd = _mean_std([m["subscores"][name]["spearman"] for m in per_fold])
        out["subscores"][name] = {"mae": mae, "mae_std": mae_sd, "spearman": rho, "spearman_std": rho_sd}
    out["per_discipline"] = {}
    for d in per_fold[0].get("per_discipline", {}):
        acc, acc_sd = _mean_std([m["per_discipline"][d]["accuracy"] for m in per_fold])
        f1, f1_sd = _mean_std([m["per_discipline"][d]["f1"] for m in per_fold])
        subs = {n: {"mae": _mean_std([m["per_discipline"][d]["subscores"][n]["mae"] for m in per_fold])[0],
                    "spearman": _mean_std([m["per_discipline"][d]["subscores"][n]["spearman"] for m in per_fold])[0]}
                for n in per_fold[0]["per_discipline"][d]["subscores"]}
        out["per_discipline"][d] = {"accuracy": acc, "accuracy_std": acc_sd, "f1": f1, "f1_std": f1_sd,
                                    "subscores": subs}
    return out


def aggregate(out: str | Path, keys=ALL_KEYS, checkpoints: str | Path | None = None) -> dict:
    """results per model key: test-split mean ± std over the fold models (headline), CV on the
    validation folds, and the committed checkpoint (best validation score) alone on the test split."""
    out = Path(out)
    results = {}
    for key in keys:
        jobs = sorted((out / "jobs" / key).glob("fold*.json"))
        if not jobs:
            continue
        per_fold = [json.loads(p.read_text()) for p in jobs]
        test = summarize_split([j["test"] for j in per_fold])
        cv = summarize_split([j["val"] for j in per_fold])
        best = max(per_fold, key=lambda j: j["training"]["best_val_score"])
        arch, fusion = parse_key(key)
        entry = {
            "arch": arch, "fusion": fusion, "parameters": per_fold[0]["parameters"], "folds": len(per_fold),
            "accuracy": test["accuracy"], "precision": test["precision"], "recall": test["recall"], "f1": test["f1"],
            "subscores": {n: {"mae": v["mae"], "spearman": v["spearman"]} for n, v in test["subscores"].items()},
            "test": test, "cv": cv,
            "checkpoint": {"fold": best["fold"], "test": _headline(best["test"]) | {
                "pairs": best["test"]["pairs"], "confusion": best["test"]["confusion"]}},
            "training": {"epochs": [j["training"]["epochs"] for j in per_fold],
                         "best_epoch": [j["training"]["best_epoch"] for j in per_fold],
                         "wall_time_s": [round(j["training"]["wall_time_s"], 1) for j in per_fold],
                         "cpu_s": [round(j["cpu_s"], 1) for j in per_fold]},
        }
        results[key] = entry
        if checkpoints is not None:
            Path(checkpoints).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / "jobs" / key / f"fold{best['fold']}.pt", Path(checkpoints) / f"{key}.pt")
    return results
