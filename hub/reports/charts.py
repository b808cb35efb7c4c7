"""The reports' charts as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ft2font import FT2Font


@lru_cache(maxsize=1)
def _pyplot() -> ModuleType:
    """pyplot on the Agg backend, imported when a chart is drawn (not by every step process)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

BAND_COLOURS = {"excellent": "#1b7a43", "good": "#2e9e5b", "green": "#2e9e5b", "yellow": "#e8b730",
                "at_risk": "#e8b730", "critical": "#d64545", "red": "#d64545", "churned": "#7a2e2e",
                "insufficient_data": "#9aa0a6", "unknown": "#9aa0a6", "info": "#2f6fba"}
SERIES_COLOURS = ["#2f6fba", "#e07b39", "#2e9e5b", "#8e5cc4", "#d64545"]
SIZE = (7.0, 3.4)


@lru_cache(maxsize=1)
def _font() -> FT2Font:
    _pyplot()
    from matplotlib import font_manager, ft2font

    return ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties()))


def printable(label: object) -> str:
    """A label as the chart's font can draw it: characters it has no glyph for (an emoji in a
    company's name) are left out rather than drawn as empty boxes."""
    font = _font()
    kept = "".join(c for c in str(label) if c.isspace() or (font.get_char_index(ord(c))
                                                             and not unicodedata.category(c).startswith("C")))
    return " ".join(kept.split()) or "?"


def printable_labels(labels: Iterable[object]) -> list[str]:
    """``printable`` for each label, kept distinct: two names that print alike stay two bars."""
    out: list[str] = []
    for label in labels:
        text, n = printable(label), 2
        while text in out:
            text, n = f"{printable(label)} ({n})", n + 1
        out.append(text)
    return out


def _finish(fig: Figure, ax: Axes, path: Path, title: str, empty: bool) -> Path:
    ax.set_title(printable(title), fontsize=11, loc="left")
    if empty:
        ax.text(0.5, 0.5, "no data in this period", ha="center", va="center", transform=ax.transAxes,
                color="#666666")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, facecolor="white")
    _pyplot().close(fig)
    return path


def trend(path: Path, title: str, series: Mapping[str, pd.Series], *, ylabel: str = "",
          highlight: tuple[pd.Timestamp, pd.Timestamp] | None = None, target: float | None = None) -> Path:
    """Lines over time (index: timestamps or period labels); the report's period shaded."""
    fig, ax = _pyplot().subplots(figsize=SIZE)
    empty = True
    for n, (label, values) in enumerate(series.items()):
        values = values.dropna()
        if len(values):
            empty = False
            x = printable_labels(values.index) if not isinstance(values.index, pd.DatetimeIndex) else values.index
            ax.plot(x, values.to_numpy(), marker="o" if len(values) <= 16 else None, markersize=4,
                    label=printable(label),
                    color=SERIES_COLOURS[n % len(SERIES_COLOURS)], linewidth=2)
    if highlight is not None and not empty:
        ax.axvspan(highlight[0].tz_localize(None) if highlight[0].tzinfo else highlight[0],
                   highlight[1].tz_localize(None) if highlight[1].tzinfo else highlight[1],
                   color="#2f6fba", alpha=0.08, label="this period")
    if target is not None and not empty:
        ax.axhline(target, color="#666666", linestyle="--", linewidth=1, label=f"target {target:g}")
    if not empty:
        ax.legend(fontsize=8, frameon=False)
        ax.tick_params(axis="x", labelsize=8, rotation=30)
    ax.set_ylabel(ylabel)
    return _finish(fig, ax, path, title, empty)


def bars(path: Path, title: str, values: Mapping[str, float], *, colours: Sequence[str] | None = None,
         horizontal: bool = False, xlabel: str = "") -> Path:
    """One bar per label (horizontal for long labels, largest on top)."""
    fig, ax = _pyplot().subplots(figsize=SIZE)
    labels, heights = printable_labels(values), [float(v) for v in values.values()]
    colour = list(colours) if colours else [SERIES_COLOURS[0]] * len(labels)
    if horizontal:
        ax.barh(labels[::-1], heights[::-1], color=colour[::-1])
        ax.set_xlabel(xlabel)
    else:
        ax.bar(labels, heights, color=colour)
        ax.set_ylabel(xlabel)
        ax.tick_params(axis="x", labelsize=8)
    for n, h in enumerate(heights[::-1] if horizontal else heights):
        if horizontal:
            ax.text(h, n, f" {h:,.0f}", va="center", fontsize=8)
        else:
            ax.text(n, h, f"{h:,.0f}", ha="center", va="bottom", fontsize=8)
    return _finish(fig, ax, path, title, not labels or not any(heights))


def bands(path: Path, title: str, counts: Mapping[str, int]) -> Path:
    """Customers per health band (or risk band), in the band's colour."""
    order = [b for b in BAND_COLOURS if b in counts] + [b for b in counts if b not in BAND_COLOURS]
    return bars(path, title, {b: counts[b] for b in order}, colours=[BAND_COLOURS.get(b, "#2f6fba") for b in order],
                xlabel="customers")


def funnel(path: Path, title: str, stages: Sequence[tuple[str, float]]) -> Path:
    """Stages as centred bars narrowing down, each with its count and share of the first."""
    fig, ax = _pyplot().subplots(figsize=SIZE)
    top = max((v for _, v in stages), default=0) or 1
    for n, (label, value) in enumerate(stages):
        y = len(stages) - 1 - n
        ax.barh(y, value, left=(top - value) / 2, color=SERIES_COLOURS[n % len(SERIES_COLOURS)], height=0.7)
        ax.text(top / 2, y, f"{printable(label)}: {value:,.0f} ({value / top:.0%})", ha="center", va="center", fontsize=9,
                color="black", bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
    ax.set_yticks([])
    ax.set_xticks([])
    ax.spines[["left", "bottom"]].set_visible(False)
    return _finish(fig, ax, path, title, not stages or not any(v for _, v in stages))


def forecast(path: Path, title: str, history: pd.Series, ahead: pd.DataFrame, *, ylabel: str = "") -> Path:
    """Actual values by label, then the forecast (``forecast_mrr``) continuing from its first row,
    with the ``low_mrr``–``high_mrr`` interval shaded; one x position per label."""
    fig, ax = _pyplot().subplots(figsize=SIZE)
    past = pd.to_numeric(history, errors="coerce")
    future = ahead.apply(pd.to_numeric, errors="coerce")
    labels = [str(i) for i in past.index] + [str(i) for i in future.index]
    x_past, x_future = list(range(len(past))), list(range(len(past), len(labels)))
    known = past.notna().to_numpy()
    if known.any():
        ax.plot([x for x, k in zip(x_past, known, strict=True) if k], past[known].to_numpy(), marker="o",
                markersize=4, color=SERIES_COLOURS[0], linewidth=2, label="actual (last snapshot of the month)")
    if len(future):
        ax.fill_between(x_future, future["low_mrr"].to_numpy(), future["high_mrr"].to_numpy(),
                        color=SERIES_COLOURS[1], alpha=0.2, label="80 % interval")
        ax.plot(x_future, future["forecast_mrr"].to_numpy(), marker="o", markersize=4, linestyle="--",
                color=SERIES_COLOURS[1], linewidth=2, label="forecast")
    empty = not known.any() and not (len(future) and future["forecast_mrr"].notna().any())
    if not empty:
        ax.set_xticks(range(len(labels)), labels)
        ax.tick_params(axis="x", labelsize=8, rotation=30)
        ax.legend(fontsize=8, frameon=False)
        ax.yaxis.set_major_formatter(_pyplot().FuncFormatter(lambda v, _: f"${v:,.0f}"))
    ax.set_ylabel(ylabel)
    return _finish(fig, ax, path, title, empty)
