"""How good a churn probability is, on a time window the model did not see.

- ``time_split``: train on snapshots whose label was known by the cut-off (as_of + horizon on or
  before it), test on the snapshots of the last ``test_days`` whose label is known now. No test
  outcome, and no day after the cut-off, reaches training.
- ``band_baseline``: what the hub knew before any model, the health band, read as the churn rate
  of each band on the training window.
- ``scores``: ROC-AUC, PR-AUC (average precision), Brier score, and the top decile's churn rate
  and lift ("of the 10 % we flag, how many churn", against the base rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scores:
    roc_auc: float
    pr_auc: float
    brier: float
    top_decile_churn_rate: float
    lift_top_decile: float

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": round(v, 4) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # boolean masks over the live snapshots
    test: np.ndarray
    train_from: pd.Timestamp
    train_until: pd.Timestamp
    test_from: pd.Timestamp
    test_until: pd.Timestamp


def time_split(as_of: pd.Series, horizon_days: int, test_days: int) -> Split:
    """Train and test windows over snapshot days (``as_of``: timestamps of the live snapshots)."""
    last_day = as_of.max()
    last_labelled = last_day - pd.Timedelta(days=horizon_days)
    cutoff = last_labelled - pd.Timedelta(days=test_days)
    train = (as_of + pd.Timedelta(days=horizon_days) <= cutoff).to_numpy()
    test = ((as_of > cutoff) & (as_of <= last_labelled)).to_numpy()
    return Split(train=train, test=test, train_from=as_of.min(), train_until=cutoff - pd.Timedelta(days=horizon_days),
                 test_from=cutoff + pd.Timedelta(days=1), test_until=last_labelled)


def band_baseline(train_bands: pd.Series, train_y: np.ndarray, bands: pd.Series) -> np.ndarray:
    """Each band's churn rate on the training window (the overall rate for a band it never saw)."""
    rates = pd.Series(train_y, index=train_bands.to_numpy()).groupby(level=0).mean()
    return bands.map(rates).fillna(float(np.mean(train_y))).to_numpy(dtype=float)


def scores(y: np.ndarray, p: np.ndarray) -> Scores:
    # Imported here: scikit-learn costs ~2 s to import, paid by every step process otherwise.
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    base = float(y.mean())
    top = _top_decile(p)
    top_rate = float(y[top].mean())
    return Scores(roc_auc=float(roc_auc_score(y, p)), pr_auc=float(average_precision_score(y, p)),
                  brier=float(brier_score_loss(y, p)), top_decile_churn_rate=top_rate,
                  lift_top_decile=top_rate / base if base > 0 else math.nan)


def _top_decile(p: np.ndarray) -> np.ndarray:
    """The 10 % highest probabilities; ties at the edge broken at random but reproducibly, so a
    score with few distinct values (a band) is not flattered or punished by row order."""
    k = max(1, int(math.ceil(0.1 * len(p))))
    jitter = np.random.default_rng(0).random(len(p))
    order = np.lexsort((jitter, -p))
    mask = np.zeros(len(p), dtype=bool)
    mask[order[:k]] = True
    return mask


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn in bins of equal count (fewer when values repeat)."""
    frame = pd.DataFrame({"p": np.asarray(p, float), "y": np.asarray(y, float)})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    out = frame.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), n=("y", "size"))
    return out.reset_index(drop=True).round(4)


def calibration_plot(curves: dict[str, pd.DataFrame], path: Path, title: str) -> Path:
    """Predicted against observed churn for each curve (``calibration_table``), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5), dpi=110)
    top = max(max(c["predicted"].max(), c["observed"].max()) for c in curves.values()) * 1.1 or 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfectly calibrated")
    for (name, curve), marker in zip(curves.items(), ("o", "s", "^", "d"), strict=False):
        ax.plot(curve["predicted"], curve["observed"], marker=marker, label=name)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("predicted churn probability (bin mean)")
    ax.set_ylabel("observed churn rate")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
