"""A monotone calibration of the box's rubric onto the labels, fitted on the training folds only.

The rubric's sub-scores and the labels share meanings (docs/scoring.md) but not scales: a clean solo
take can get rhythm 47 from the rubric and 100 from the labels. Per discipline and sub-score, an
isotonic regression (non-decreasing, 0–100) maps the rubric's value onto the label; the overall is
then the contract's weighted mean of the calibrated sub-scores and the grade is `grade_of` that
overall, exactly as for the learned models. A sub-score the rubric could not give on a clip (None)
is calibrated to the training clips' mean label of that sub-score.

`fit` refuses rows of the test split: what is evaluated on the test split never shaped the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression

from edge.scoring.result import SUBSCORES


@dataclass
class RubricCalibration:
    maps: dict[tuple[str, str], IsotonicRegression] = field(default_factory=dict)
    fallback: dict[tuple[str, str], float] = field(default_factory=dict)
    n_fit: dict[str, int] = field(default_factory=dict)

    @classmethod
    def fit(cls, rows: list[dict], targets: np.ndarray, disciplines: list[str], splits: list[str]) -> "RubricCalibration":
        """rows: rubric scores per clip ({sub-score: value or None}); targets (N, 5) labels (NaN: not judged)."""
        if any(s == "test" for s in splits):
            raise ValueError("rubric calibration: test-split clips were given to fit (fit on the training folds only)")
        cal = cls()
        for d in sorted(set(disciplines)):
            sel = [i for i, x in enumerate(disciplines) if x == d]
            cal.n_fit[d] = len(sel)
            for k, name in enumerate(SUBSCORES):
                y = targets[sel, k]
                x = np.array([np.nan if rows[i].get(name) is None else rows[i][name] for i in sel], float)
                ok = np.isfinite(x) & np.isfinite(y)
                if not np.isfinite(y).any():
                    continue              # a sub-score this discipline / task does not judge
                cal.fallback[(d, name)] = float(np.nanmean(y))
                if ok.sum() >= 2:
                    iso = IsotonicRegression(y_min=0.0, y_max=100.0, increasing=True, out_of_bounds="clip")
                    cal.maps[(d, name)] = iso.fit(x[ok], y[ok])
        return cal

    def apply(self, rows: list[dict], disciplines: list[str]) -> np.ndarray:
        """(N, 5) calibrated sub-scores; NaN where the discipline / task does not judge the sub-score."""
        out = np.full((len(rows), len(SUBSCORES)), np.nan, np.float32)
        for i, (row, d) in enumerate(zip(rows, disciplines)):
            for k, name in enumerate(SUBSCORES):
                if (d, name) not in self.fallback:
                    continue
                value = row.get(name)
                if value is None or (d, name) not in self.maps:
                    out[i, k] = self.fallback[(d, name)]
                else:
                    out[i, k] = float(self.maps[(d, name)].predict([float(value)])[0])
        return out

    def describe(self) -> dict:
        """The fitted maps as breakpoints (rubric value → calibrated value), for the report."""
        return {f"{d}/{n}": {"x": [round(float(v), 2) for v in iso.X_thresholds_],
                             "y": [round(float(v), 2) for v in iso.y_thresholds_]}
                for (d, n), iso in sorted(self.maps.items())} | {"fit_clips": self.n_fit}
