"""Shared pieces of the figure modules: groups, checks, statistics, style.

A figure module (``fig_*.py``) declares

* ``NAME``, ``TITLE``, ``CITATION``, ``SUMMARY`` (one sentence for the gallery);
* ``groups(quick) -> list[Group]``: each group a label and config overrides
  (optionally per subject), simulated for ``n_seeds(quick)`` seeds;
* ``analyse(data: dict[label, list[xr.Dataset]]) -> xr.Dataset``: the figure's data;
* ``plot(data) -> matplotlib Figure``;
* ``checks(data) -> list[Check]``: the expected patterns with their numbers.

Statistics follow how experimental papers report them: n subjects (seeds)
per group, mean +/- SEM, a test with its p value (Welch's t-test between
groups, a paired t-test within subjects, Fisher's exact test for
proportions, Spearman's rank correlation for dose trends) and an effect size
(Hedges' g, Cohen's d_z, Cohen's h). A group comparison that a pattern claims
passes only when the difference goes the claimed way *and* p < ``ALPHA``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

ALPHA = 0.05
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
}
PHASE_COLOURS = {
    "habituation": "#eeeeee", "conditioning": "#fde0d2", "extinction": "#deebf7",
    "recall": "#e5f5e0", "renewal": "#fee6ce",
}


SHORT = {
    "ketamine during extinction": "ket. during ext.", "ketamine 24 h before": "ket. 24 h before",
    "CPP during extinction": "CPP during ext.",
    "NMDAR block (systemic)": "block, systemic", "NMDAR block (IL)": "block, IL",
}
PHASE_SHORT = {"habituation": "hab.", "conditioning": "cond.", "extinction": "extinction",
               "recall": "recall", "renewal": "renewal"}


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


@dataclass
class Check:
    """One expected pattern, measured."""

    pattern: str
    citation: str
    measured: str
    target: str
    passed: bool
    test: str = ""
    p: float = float("nan")
    effect: str = ""
    n: str = ""

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def line(self) -> str:
        stats = [s for s in (self.test, fmt_p(self.p) if not math.isnan(self.p) else "",
                             self.effect, self.n) if s]
        tail = f" [{', '.join(stats)}]" if stats else ""
        return f"{self.status}  {self.pattern}: {self.measured} (target {self.target}){tail}"

    def as_dict(self) -> dict:
        return {"status": self.status, "pattern": self.pattern, "citation": self.citation,
                "measured": self.measured, "target": self.target, "test": self.test,
                "p": None if math.isnan(self.p) else float(self.p), "effect": self.effect,
                "n": self.n}


# ---------------------------------------------------------------------------
# statistics


def clean(x) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def mean_sem(x) -> tuple[float, float]:
    a = clean(x)
    if len(a) == 0:
        return float("nan"), float("nan")
    sem = float(a.std(ddof=1) / np.sqrt(len(a))) if len(a) > 1 else float("nan")
    return float(a.mean()), sem


def fmt_ms(x, unit: str = "%") -> str:
    m, s = mean_sem(x)
    return f"{m:.1f} ± {s:.1f}{unit}"


def fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def hedges_g(a, b) -> float:
    """Standardised mean difference (a - b) with the small-sample correction."""
    a, b = clean(a), clean(b)
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return float("nan")
    sp = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    if sp == 0:
        return float("nan") if a.mean() == b.mean() else math.copysign(float("inf"),
                                                                        a.mean() - b.mean())
    return float((a.mean() - b.mean()) / sp * (1 - 3 / (4 * (na + nb) - 9)))


@dataclass
class Comparison:
    test: str
    p: float
    effect: str
    n: str
    diff: float = float("nan")
    extra: dict = field(default_factory=dict)


def welch(a, b, names=("a", "b")) -> Comparison:
    """Welch's t-test (two-sided) and Hedges' g of a - b."""
    from scipy import stats

    a, b = clean(a), clean(b)
    n = f"n={len(a)}/{len(b)}"
    if len(a) < 2 or len(b) < 2:
        return Comparison("Welch t", float("nan"), "g=n/a", n,
                          float(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan"))
    if np.ptp(np.concatenate([a, b])) == 0:
        p = 1.0
        t = 0.0
    else:
        t, p = stats.ttest_ind(a, b, equal_var=False)
    g = hedges_g(a, b)
    return Comparison(f"Welch t={t:.2f}", float(p), f"g={g:.2f}", n, float(a.mean() - b.mean()))


def paired(a, b) -> Comparison:
    """Paired t-test (two-sided) and Cohen's d_z of a - b within subjects."""
    from scipy import stats

    a = np.asarray(a, float).ravel()
    b = np.asarray(b, float).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    n = f"n={len(d)}"
    if len(d) < 2:
        return Comparison("paired t", float("nan"), "d_z=n/a", n,
                          float(d.mean()) if len(d) else float("nan"))
    sd = d.std(ddof=1)
    if sd == 0:
        return Comparison("paired t", 1.0 if d.mean() == 0 else 0.0, "d_z=n/a", n,
                          float(d.mean()))
    t, p = stats.ttest_rel(a[ok], b[ok])
    return Comparison(f"paired t={t:.2f}", float(p), f"d_z={d.mean() / sd:.2f}", n,
                      float(d.mean()))


def fisher(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Fisher's exact test (two-sided) of two proportions and Cohen's h."""
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return Comparison("Fisher exact", float("nan"), "h=n/a", f"n={n1}/{n2}")
    _, p = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    p1, p2 = k1 / n1, k2 / n2
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    return Comparison("Fisher exact", float(p), f"h={h:.2f}", f"n={n1}/{n2}", p1 - p2)


def spearman(x, y) -> Comparison:
    from scipy import stats

    x = np.asarray(x, float).ravel()
    y = np.asarray(y, float).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return Comparison("Spearman", float("nan"), "rho=n/a", f"n={int(ok.sum())}")
    r, p = stats.spearmanr(x[ok], y[ok])
    return Comparison("Spearman", float(p), f"rho={r:.2f}", f"n={int(ok.sum())}", float(r))


def group_check(pattern: str, citation: str, a, b, names: tuple[str, str], direction: str,
                target: str | None = None, unit: str = "%") -> Check:
    """``a`` higher (direction '>') or lower ('<') than ``b``, Welch-tested."""
    c = welch(a, b)
    ma, mb = float(np.mean(clean(a))) if len(clean(a)) else float("nan"), \
        float(np.mean(clean(b))) if len(clean(b)) else float("nan")
    ok_dir = (ma > mb) if direction == ">" else (ma < mb)
    passed = bool(ok_dir and np.isfinite(c.p) and c.p < ALPHA)
    measured = f"{names[0]} {fmt_ms(a, unit)} vs {names[1]} {fmt_ms(b, unit)}"
    return Check(pattern, citation, measured,
                 target or f"{names[0]} {direction} {names[1]}, p < {ALPHA}", passed,
                 c.test, c.p, c.effect, c.n)


# ---------------------------------------------------------------------------
# data helpers


def phase_value(ds: xr.Dataset, phase: str, which: str = "mean") -> float:
    var = {"mean": "phase_freezing", "first": "phase_freezing_first",
           "last": "phase_freezing_last"}[which]
    if phase not in ds.phase_name.values:
        return float("nan")
    return float(ds[var].sel(phase_name=phase))


def session_freezing(ds: xr.Dataset, session: int, part: str = "all") -> float:
    """Mean CS freezing of one session (``part``: all, first_half, second_half)."""
    f = ds.freezing.values[ds.session_of_trial.values == session]
    if len(f) == 0:
        return float("nan")
    h = len(f) // 2
    if part == "first_half":
        f = f[:max(h, 1)]
    elif part == "second_half":
        f = f[h:]
    return float(f.mean())


def extinction_half(ds: xr.Dataset, half: str) -> float:
    f = ds.freezing.values[ds.phase.values == "extinction"]
    h = len(f) // 2
    return float((f[:max(h, 1)] if half == "first" else f[h:]).mean())


def stack_trials(data: dict[str, list[xr.Dataset]], var: str = "freezing") -> xr.DataArray:
    """var(group, subject, trial) over groups of the same protocol, NaN-padded."""
    labels = list(data)
    n_sub = max(len(v) for v in data.values()) if data else 0
    first = next(ds for v in data.values() for ds in v)
    n_trial = first.sizes["trial"]
    out = np.full((len(labels), n_sub, n_trial), np.nan)
    for g, lab in enumerate(labels):
        for s, ds in enumerate(data[lab]):
            out[g, s] = ds[var].values
    return xr.DataArray(out, dims=("group", "subject", "trial"),
                        coords={"group": labels, "trial": first.trial.values,
                                "phase": ("trial", first.phase.values.astype(str)),
                                "session_of_trial": ("trial", first.session_of_trial.values),
                                "context": ("trial", first.context.values.astype(str))})


def per_subject(data: dict[str, list[xr.Dataset]], fn) -> xr.DataArray:
    """fn(ds) -> float for every subject: (group, subject), NaN-padded."""
    labels = list(data)
    n_sub = max(len(v) for v in data.values()) if data else 0
    out = np.full((len(labels), n_sub), np.nan)
    for g, lab in enumerate(labels):
        for s, ds in enumerate(data[lab]):
            out[g, s] = fn(ds)
    return xr.DataArray(out, dims=("group", "subject"), coords={"group": labels})


def seeds_of(data: dict[str, list[xr.Dataset]]) -> xr.DataArray:
    return per_subject(data, lambda ds: float(ds.attrs.get("seed", np.nan)))


def values(da: xr.DataArray, group: str) -> np.ndarray:
    return clean(da.sel(group=group).values)


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


def bar_panel(ax, da: xr.DataArray, groups=None, ylabel="freezing (%)", title=None,
              ylim=(0, 100)) -> None:
    """Mean +/- SEM bars with individual subjects."""
    groups = groups or da.group.values.tolist()
    rng = np.random.default_rng(0)
    for k, g in enumerate(groups):
        v = values(da, g)
        m, s = mean_sem(v)
        ax.bar(k, m, yerr=0 if not np.isfinite(s) else s, color=colour(g), alpha=0.75,
               capsize=3, width=0.7)
        ax.scatter(k + rng.uniform(-0.15, 0.15, len(v)), v, s=6, color="k", zorder=3, lw=0)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([SHORT.get(g, g) for g in groups], fontsize=6, rotation=35,
                       ha="right", rotation_mode="anchor")
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)


def checks_attr(checks: list[Check]) -> str:
    import json

    return json.dumps([c.as_dict() for c in checks])
