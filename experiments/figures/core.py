"""Shared pieces of the figure modules: groups, checks, data helpers, style.

A figure module (``fig_*.py``) declares

* ``NAME``, ``TITLE``, ``CITATION``, ``SUMMARY`` (one sentence for the gallery);
* ``DESIGN``: its default design, ``within`` or ``between`` (see
  :mod:`experiments.analysis.design`; ``fearsim-figure --design`` overrides it);
* ``groups(quick) -> list[Group]``: each group a label and config overrides
  (optionally per subject), simulated for ``n_seeds(quick)`` subjects;
* ``analyse(data: dict[label, list[xr.Dataset]]) -> xr.Dataset``: the figure's data;
* ``plot(data) -> matplotlib Figure``;
* ``checks(data) -> list[Check]``: the expected patterns with their numbers
  (``data.attrs["design"]`` says which tests to use).

Statistics (:mod:`experiments.analysis.statistics`) follow how experimental
papers report them: n subjects per group, mean +/- SEM, a test with its p
value and an effect size. A comparison passes only when the difference goes
the claimed way *and* its p value, Holm-corrected over the figure's tests
(:func:`finalize`), is below ``ALPHA``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.statistics import ALPHA, fmt_ms, fmt_p
from experiments.io import yaml_text

ROOT = Path(__file__).resolve().parents[2]
STYLE = Path(__file__).with_name("style.mplstyle")

# one colour per condition, the same in every figure
COLOURS = {
    "control": "#404040",
    "saline": "#404040",
    "NMDAR block (systemic)": "#e08214",
    "NMDAR block (IL)": "#8073ac",
    "ketamine during extinction": "#d6604d",
    "CPP during extinction": "#b2182b",
    "ketamine 24 h before": "#2166ac",
    "ketamine": "#2166ac",
    "ketamine x6": "#2166ac",
    "saline x6": "#404040",
    "exposure + ketamine x6": "#4393c3",
    "exposure + saline x6": "#969696",
    "ketamine x12": "#053061",
    "ketamine x12, weekly visits": "#1b7837",
    "infusion during exposure": "#b2182b",
    "exposure 2 h after": "#f4a582",
    "exposure 1 d after": "#2166ac",
    "exposure 6 d after": "#92c5de",
    "IL stimulation with the tone": "#1b7837",
    "PL stimulation with the tone": "#c51b7d",
    "PL inactivated": "#de77ae",
    "IL inactivated": "#7fbc41",
    "NR2B block in LA": "#8c510a",
    "AAB (extinction in A, test in B)": "#35978f",
    "healthy": "#404040",
    "chronic stress": "#b35806",
    "Val66Met": "#542788",
    "healthy + ketamine": "#2166ac",
    "chronic stress + ketamine": "#f1a340",
    "Val66Met + ketamine": "#998ec3",
    "recall 7 days after extinction": "#762a83",
    "reinstatement shocks in A": "#b2182b",
    "no reinstatement shocks": "#969696",
    "ABC renewal (test in C)": "#e08214",
    "healthy, saline x6": "#404040",
    "healthy, ketamine x6": "#2166ac",
    "chronic stress, saline x6": "#b35806",
    "chronic stress, ketamine x6": "#f1a340",
    "Val66Met, saline x6": "#542788",
    "Val66Met, ketamine x6": "#998ec3",
}
PHASE_COLOURS = {
    "habituation": "#eeeeee", "conditioning": "#fde0d2", "extinction": "#deebf7",
    "recall": "#e5f5e0", "renewal": "#fee6ce", "reinstatement": "#fcbba1",
}


SHORT = {
    "ketamine during extinction": "ket. during ext.", "ketamine 24 h before": "ket. 24 h before",
    "CPP during extinction": "CPP during ext.",
    "NMDAR block (systemic)": "block, systemic", "NMDAR block (IL)": "block, IL",
    "IL stimulation with the tone": "IL stim.", "PL stimulation with the tone": "PL stim.",
    "PL inactivated": "PL off", "IL inactivated": "IL off", "NR2B block in LA": "LA NR2B",
    "AAB (extinction in A, test in B)": "AAB",
    "chronic stress": "stress", "healthy + ketamine": "healthy + ket.",
    "chronic stress + ketamine": "stress + ket.", "Val66Met + ketamine": "Met + ket.",
    "chronic stress + 0.1 mg/kg i.v.": "stress + 0.1 i.v.",
    "chronic stress + 0.5 mg/kg i.v.": "stress + 0.5 i.v.",
    "recall 7 days after extinction": "7-day recall", "reinstatement shocks in A": "shocks",
    "no reinstatement shocks": "no shocks", "ABC renewal (test in C)": "ABC",
    "infusion during exposure": "during", "exposure 2 h after": "2 h after",
    "exposure 1 d after": "1 d after", "exposure 6 d after": "6 d after",
    "ketamine x12, weekly visits": "x12, weekly visits",
}
PHASE_SHORT = {"habituation": "hab.", "conditioning": "cond.", "extinction": "extinction",
               "recall": "recall", "renewal": "renewal", "reinstatement": "rein."}


def colour(label: str) -> str:
    return COLOURS.get(label, "#1b7837")


@dataclass
class Group:
    """One experimental group: a label and its config overrides.

    ``per_subject(seed) -> list[str]`` adds overrides per subject (a virtual
    cohort's heterogeneous parameters).
    """

    label: str
    overrides: list[str]
    per_subject: Callable[[int], list[str]] | None = None

    def subject_overrides(self, seed: int) -> list[str]:
        extra = self.per_subject(seed) if self.per_subject else []
        return list(self.overrides) + list(extra) + [f"simulation.seed={seed}"]


def _json_number(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


@dataclass
class Check:
    """One expected pattern, measured.

    ``criterion``: the claimed direction or size holds (the part that is not
    a significance test). A check with a ``test`` also needs its p value
    below ``ALPHA`` after Holm's correction within the figure
    (``p_adjusted``, set by :func:`finalize`); ``requires_p=False`` reports a
    test without requiring it.
    """

    pattern: str
    citation: str
    measured: str
    target: str
    criterion: bool
    test: str = ""
    p: float = float("nan")
    effect: str = ""
    n: str = ""
    requires_p: bool | None = None
    p_adjusted: float = float("nan")

    @property
    def tested(self) -> bool:
        return bool(self.test) if self.requires_p is None else self.requires_p

    @property
    def passed(self) -> bool:
        if not self.criterion:
            return False
        if not self.tested:
            return True
        p = self.p_adjusted if np.isfinite(self.p_adjusted) else self.p
        return bool(np.isfinite(p) and p < ALPHA)

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def line(self) -> str:
        holm = (f"Holm {fmt_p(self.p_adjusted)}" if self.tested
                and np.isfinite(self.p_adjusted) else "")
        parts = [s for s in (self.test, fmt_p(self.p) if not math.isnan(self.p) else "",
                             holm, self.effect, self.n) if s]
        tail = f" [{', '.join(parts)}]" if parts else ""
        return f"{self.status}  {self.pattern}: {self.measured} (target {self.target}){tail}"

    def as_dict(self) -> dict:
        num = _json_number
        return {"status": self.status, "pattern": self.pattern, "citation": self.citation,
                "measured": self.measured, "target": self.target, "test": self.test,
                "p": num(self.p), "p_holm": num(self.p_adjusted), "effect": self.effect,
                "n": self.n}


def finalize(checks: list[Check]) -> list[Check]:
    """Holm-correct the p values of a figure's tested checks (one family)."""
    family = [c for c in checks if c.tested]
    adjusted = stats.holm([c.p for c in family])
    for c, p in zip(family, adjusted, strict=True):
        c.p_adjusted = float(p)
    return checks


@dataclass
class Prediction:
    """What the model says about something nobody has measured: a comparison
    with its test, and no target (it cannot pass or fail). A figure's
    predictions are one family for Holm's correction (:func:`finalize_predictions`).
    """

    comparison: str
    measured: str
    test: str = ""
    p: float = float("nan")
    effect: str = ""
    n: str = ""
    p_adjusted: float = float("nan")

    def line(self) -> str:
        parts = [s for s in (self.test, fmt_p(self.p) if np.isfinite(self.p) else "",
                             f"Holm {fmt_p(self.p_adjusted)}" if np.isfinite(self.p_adjusted)
                             else "", self.effect, self.n) if s]
        tail = f" [{', '.join(parts)}]" if parts else ""
        return f"PREDICTION  {self.comparison}: {self.measured}{tail}"

    def as_dict(self) -> dict:
        num = _json_number
        return {"comparison": self.comparison, "measured": self.measured, "test": self.test,
                "p": num(self.p), "p_holm": num(self.p_adjusted), "effect": self.effect,
                "n": self.n}

    @classmethod
    def of(cls, comparison: str, measured: str, c: stats.Comparison) -> Prediction:
        return cls(comparison, measured, c.test, c.p, c.effect, c.n)


def finalize_predictions(predictions: list[Prediction]) -> list[Prediction]:
    """Holm-correct the p values of a figure's predictions (one family)."""
    adjusted = stats.holm([q.p for q in predictions])
    for q, p in zip(predictions, adjusted, strict=True):
        q.p_adjusted = float(p)
    return predictions


def from_comparison(pattern: str, citation: str, measured: str, target: str,
                    criterion: bool, c: stats.Comparison) -> Check:
    return Check(pattern, citation, measured, target, bool(criterion), c.test, c.p,
                 c.effect, c.n)


def design_of(data: xr.Dataset) -> str:
    return str(data.attrs.get("design", stats.WITHIN))


def group_check(pattern: str, citation: str, a, b, names: tuple[str, str], direction: str,
                design: str, target: str | None = None, unit: str = "%") -> Check:
    """``a`` higher (direction '>') or lower ('<') than ``b``, tested by the design."""
    c = stats.compare(a, b, design)
    ma, mb = stats.mean(a), stats.mean(b)
    ok_dir = (ma > mb) if direction == ">" else (ma < mb)
    measured = f"{names[0]} {fmt_ms(a, unit)} vs {names[1]} {fmt_ms(b, unit)}"
    return from_comparison(pattern, citation, measured,
                           target or f"{names[0]} {direction} {names[1]}, p < {ALPHA}",
                           ok_dir, c)


def equivalence_check(pattern: str, citation: str, a, b, names: tuple[str, str],
                      margin: float, design: str, target: str, unit: str = "%") -> Check:
    """``a`` within ``margin`` of ``b``, shown by two one-sided tests."""
    c = stats.equivalence(a, b, margin, design)
    measured = (f"{names[0]} {fmt_ms(a, unit)} vs {names[1]} {fmt_ms(b, unit)} "
                f"(difference {c.diff:+.1f})")
    return from_comparison(pattern, citation, measured, target, True, c)


# ---------------------------------------------------------------------------
# data helpers


def subjects(runs: list[xr.Dataset]):
    """(subject index, dataset) of a group's runs: the position among the group's
    subjects (the same animal in every group of a within-subject figure)."""
    return [(int(ds.attrs.get("subject_index", k)), ds) for k, ds in enumerate(runs)]


def n_subjects(data: dict[str, list[xr.Dataset]]) -> int:
    """Subject slots of a figure: the largest subject index + 1."""
    return max((i + 1 for v in data.values() for i, _ in subjects(v)), default=0)


def _place(data: dict[str, list[xr.Dataset]]) -> tuple[list[str], int]:
    return list(data), n_subjects(data)


def stack_trials(data: dict[str, list[xr.Dataset]], var: str = "freezing") -> xr.DataArray:
    """var(group, subject, trial) over groups of the same protocol, NaN-padded."""
    labels, n_sub = _place(data)
    first = next(ds for v in data.values() for ds in v)
    n_trial = first.sizes["trial"]
    out = np.full((len(labels), n_sub, n_trial), np.nan)
    for g, lab in enumerate(labels):
        for i, ds in subjects(data[lab]):
            out[g, i] = ds[var].values
    return xr.DataArray(out, dims=("group", "subject", "trial"),
                        coords={"group": labels, "trial": first.trial.values,
                                "phase": ("trial", first.phase.values.astype(str)),
                                "session_of_trial": ("trial", first.session_of_trial.values),
                                "context": ("trial", first.context.values.astype(str))})


def per_subject(data: dict[str, list[xr.Dataset]], fn) -> xr.DataArray:
    """fn(ds) -> float for every subject: (group, subject), NaN where no run."""
    labels, n_sub = _place(data)
    out = np.full((len(labels), n_sub), np.nan)
    for g, lab in enumerate(labels):
        for i, ds in subjects(data[lab]):
            out[g, i] = fn(ds)
    return xr.DataArray(out, dims=("group", "subject"), coords={"group": labels})


def per_subject_vector(data: dict[str, list[xr.Dataset]], fn, dim: str,
                       coord) -> xr.DataArray:
    """fn(ds) -> 1-D array for every subject: (group, subject, dim), NaN where no run."""
    labels, n_sub = _place(data)
    out = np.full((len(labels), n_sub, len(coord)), np.nan)
    for g, lab in enumerate(labels):
        for i, ds in subjects(data[lab]):
            out[g, i] = fn(ds)
    return xr.DataArray(out, dims=("group", "subject", dim),
                        coords={"group": labels, dim: coord})


def seeds_of(data: dict[str, list[xr.Dataset]]) -> xr.DataArray:
    return per_subject(data, lambda ds: float(ds.attrs.get("seed", np.nan)))


def values(da: xr.DataArray, group: str) -> np.ndarray:
    """One group's values, one per subject slot (NaN where a run is missing).

    Kept aligned by subject, so that paired tests match the same animal.
    """
    return np.asarray(da.sel(group=group).values, dtype=float)


def protocol_sessions(protocol: str) -> list[dict]:
    """The sessions of ``configs/protocol/<protocol>.yaml`` as plain dicts."""
    path = ROOT / "configs" / "protocol" / f"{protocol}.yaml"
    return yaml_text.load(path.read_text())["sessions"]


@lru_cache(maxsize=None)
def experiment_config(experiment: str) -> dict:
    """``configs/experiment/<experiment>.yaml`` as a plain dict (read once)."""
    path = ROOT / "configs" / "experiment" / f"{experiment}.yaml"
    return yaml_text.load(path.read_text())


def sessions_override(sessions: list[dict]) -> str:
    """A ``protocol.sessions=[...]`` command-line override of these sessions."""
    def item(s: dict) -> str:
        return "{" + ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                               for k, v in s.items()) + "}"

    return "protocol.sessions=[" + ", ".join(item(s) for s in sessions) + "]"


# ---------------------------------------------------------------------------
# plotting helpers


def use_style():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE))
    return plt


def shade_phases(ax, phases, label: bool = True, sessions=None) -> None:
    """Shade consecutive trials of each phase (or session) and label them."""
    phases = list(phases)
    keys = list(sessions) if sessions is not None else phases
    start = 0
    for k in range(1, len(phases) + 1):
        if k == len(phases) or keys[k] != keys[start]:
            ax.axvspan(start - 0.5, k - 0.5, color=PHASE_COLOURS.get(phases[start], "#f4f4f4"),
                       lw=0, zorder=0)
            if label:
                ax.text((start + k - 1) / 2, 1.01, phases[start][:3] if sessions is not None
                        else PHASE_SHORT.get(phases[start], phases[start]),
                        transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", fontsize=6)
            start = k


def trial_panel(ax, stacked: xr.DataArray, groups=None, ylabel="freezing (% of CS)") -> None:
    """Mean +/- SEM freezing per trial of each group, phases shaded."""
    shade_phases(ax, stacked.phase.values)
    x = stacked.trial.values
    for g in groups or stacked.group.values.tolist():
        y = stacked.sel(group=g).values
        n = np.isfinite(y).sum(0)
        m = np.nanmean(y, 0)
        s = np.nanstd(y, 0, ddof=1) / np.sqrt(np.maximum(n, 1)) if y.shape[0] > 1 else 0 * m
        ax.plot(x, m, "o-", ms=2.5, color=colour(g), label=f"{g} (n={int(n.max())})")
        ax.fill_between(x, m - s, m + s, color=colour(g), alpha=0.2, lw=0)
    ax.set_xlabel("trial")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.set_xlim(x[0] - 0.5, x[-1] + 0.5)


def bars(ax, items, title: str | None = None, ylabel: str = "freezing (%)",
         ylim=(0, 100)) -> None:
    """Mean +/- SEM bars with individual subjects; items are (label, values, colour)."""
    rng = np.random.default_rng(0)
    for k, (_, v, col) in enumerate(items):
        v = stats.clean(v)
        m, s = stats.mean_sem(v)
        ax.bar(k, m, yerr=0 if not np.isfinite(s) else s, color=col, alpha=0.75,
               capsize=3, width=0.7)
        ax.scatter(k + rng.uniform(-0.15, 0.15, len(v)), v, s=6, color="k", zorder=3, lw=0)
    ax.set_xticks(range(len(items)))
    ax.set_xticklabels([lab for lab, _, _ in items], fontsize=6, rotation=35,
                       ha="right", rotation_mode="anchor")
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title, loc="left")


def bar_panel(ax, da: xr.DataArray, groups=None, ylabel="freezing (%)", title=None,
              ylim=(0, 100)) -> None:
    """Mean +/- SEM bars with individual subjects, one per group of ``da``."""
    groups = groups or da.group.values.tolist()
    bars(ax, [(SHORT.get(g, g), values(da, g), colour(g)) for g in groups], ylabel=ylabel,
         ylim=ylim)
    if title:
        ax.set_title(title)


def checks_attr(checks: list[Check] | list[Prediction]) -> str:
    return json.dumps([c.as_dict() for c in checks])
