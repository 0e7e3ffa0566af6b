"""Acquisition, extinction, recall and renewal in controls (docs/experiments.md, sections 1, 8)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.analysis.targets import FLOOR_PCT, MAX_FLOOR_TRIALS, RESTING_HZ, TARGETS
from experiments.figures import core
from experiments.figures.core import Check, Group

NAME = "control"
TITLE = "Fear acquisition, extinction, recall and renewal (control)"
CITATION = ("docs/experiments.md, sections 1 and 8; Milad & Quirk 2002 Nature; Bouton 2004 "
            "Learn Mem; Kim, Paré & Nair 2013 Learn Mem (compressed trials); Bush, "
            "Sotres-Bayon & LeDoux 2007 J Trauma Stress (individual differences)")
SUMMARY = ("Freezing per trial (mean ± SEM) of the control (the drug experiments' vehicle "
           "circuit) through habituation, conditioning (A), extinction and 24 h recall (B) "
           "and the renewal test back in A, with the per-phase levels, the shape of "
           "extinction, resting rates and the spread between subjects checked against their "
           "targets.")
DESIGN = WITHIN  # one group: its phases are compared within subjects either way

QUICK = ["protocol=short", "network.scale=0.1", "readout.weight_samples=50"]
GROUP = "control"
CITE = "docs/experiments.md, section 1"
# mid-extinction trials of target 8.1 (1-based, of the 20-trial session)
MID_TRIALS = (9, 12)
PHASE_VARS = ("habituation", "conditioning_last", "extinction_first", "extinction_last",
              "recall", "renewal")


def groups(quick: bool) -> list[Group]:
    return [Group(GROUP, list(CONTROL) + (list(QUICK) if quick else []))]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


def _extinction(ds: xr.Dataset) -> int:
    return metrics.first_session(ds, "extinction")


def trials_to_criterion(ds: xr.Dataset) -> float:
    """Extinction trials until freezing <= the target's fraction of the subject's
    own end-of-conditioning freezing (target 3.3)."""
    return metrics.trials_to_criterion(ds, _extinction(ds),
                                       metrics.phase_value(ds, "conditioning", "last"),
                                       TARGETS["3.3"].fraction)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    """Per-subject phase measures of every group (shared by the circuit figures)."""
    out = xr.Dataset({"freezing": core.stack_trials(data)})
    out["seed"] = core.seeds_of(data)
    measures = {
        "habituation": lambda d: metrics.phase_value(d, "habituation"),
        "conditioning_last": lambda d: metrics.phase_value(d, "conditioning", "last"),
        "extinction_first": lambda d: metrics.phase_value(d, "extinction", "first"),
        "extinction_last": lambda d: metrics.phase_value(d, "extinction", "last"),
        "extinction_mid": lambda d: metrics.trials_mean(d, _extinction(d), *MID_TRIALS),
        "extinction_floor_trials": lambda d: float(
            metrics.trials_below(d, _extinction(d), FLOOR_PCT)),
        "recall": lambda d: metrics.phase_value(d, "recall"),
        "renewal": lambda d: metrics.phase_value(d, "renewal"),
        "trials_to_criterion": trials_to_criterion,
    }
    for name, fn in measures.items():
        out[name] = core.per_subject(data, fn)
        out[name].attrs["units"] = "%" if name in PHASE_VARS + ("extinction_mid",) else "trials"
    first = next(ds for v in data.values() for ds in v)
    rest = core.per_subject_vector(data, lambda d: d.resting_rate.values, "population",
                                   first.population.values)
    out["resting_rate"] = rest.assign_coords(
        population_kind=("population", first.population_kind.values.astype(str)))
    out["resting_rate"].attrs["units"] = "Hz"
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.6), gridspec_kw={"width_ratios": [3, 1.4]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial", loc="left", pad=10)
    ax = axes[1]
    names = ["habituation", "conditioning_last", "extinction_last", "recall", "renewal"]
    labels = ["hab.", "cond.\n(last)", "ext.\n(last)", "recall", "renewal"]
    phases = ["habituation", "conditioning", "extinction", "recall", "renewal"]
    rng = np.random.default_rng(0)
    for k, (v, ph) in enumerate(zip(names, phases, strict=True)):
        x = stats.clean(core.values(data[v], GROUP))
        m, s = stats.mean_sem(x)
        ax.bar(k, m, yerr=s if np.isfinite(s) else 0, color=core.PHASE_COLOURS[ph],
               edgecolor="k", lw=0.6, capsize=2)
        ax.scatter(k + rng.uniform(-0.15, 0.15, len(x)), x, s=5, color="k", zorder=3, lw=0)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(labels, fontsize=6)
    ax.set_ylim(0, 100)
    ax.set_ylabel("freezing (%)")
    ax.set_title("per phase", loc="left", pad=10)
    fig.suptitle(TITLE, fontsize=8)
    return fig


def _range_check(pattern: str, target_id: str, x, cite: str = CITE) -> Check:
    t = TARGETS[target_id]
    n = f"n={len(stats.clean(x))}"
    return Check(pattern, cite, stats.fmt_ms(x), t.describe(), t.in_range(stats.mean(x)), n=n)


def decline_check(pattern: str, cite: str, first, last) -> Check:
    """Freezing falls from the first to the last extinction block, within subjects."""
    c = stats.paired(first, last)
    return core.from_comparison(pattern, cite, f"first {stats.fmt_ms(first)} -> last "
                                f"{stats.fmt_ms(last)}", f"last < first, p < {stats.ALPHA}",
                                c.diff > 0, c)


def resting_check(data: xr.Dataset, group: str) -> Check:
    rest = data.resting_rate.sel(group=group)
    means = rest.mean("subject", skipna=True)
    out_of_range = [f"{p} {float(m):.2f} Hz" for p, k, m in
                    zip(rest.population.values, rest.population_kind.values, means.values,
                        strict=True)
                    if not RESTING_HZ[str(k)][0] <= float(m) <= RESTING_HZ[str(k)][1]]
    measured = (f"{len(means) - len(out_of_range)}/{len(means)} populations in range"
                + (f"; out: {', '.join(out_of_range)}" if out_of_range else ""))
    return Check("resting rates", CITE, measured, TARGETS["1.7"].describe(), not out_of_range,
                 n=f"n={int(np.isfinite(rest.values).any(1).sum())}")


def spread_check(data: xr.Dataset, group: str) -> Check:
    t = TARGETS["8.6"]
    cond, rec = (core.values(data[v], group) for v in ("conditioning_last", "recall"))
    sds = [stats.sd(cond), stats.sd(rec)]
    return Check("between-subject spread of freezing", "docs/experiments.md, section 8; "
                 "Bush, Sotres-Bayon & LeDoux 2007",
                 f"SD end of conditioning {sds[0]:.1f}, recall {sds[1]:.1f} points",
                 t.describe(), all(t.in_range(s) for s in sds),
                 n=f"n={len(stats.clean(rec))}")


def checks(data: xr.Dataset) -> list[Check]:
    g = GROUP
    v = {name: core.values(data[name], g) for name in PHASE_VARS + (
        "extinction_mid", "extinction_floor_trials")}
    out = [_range_check("habituation freezing low", "1.1", v["habituation"]),
           _range_check("end-of-conditioning freezing", "1.2", v["conditioning_last"]),
           decline_check("freezing declines within extinction (first vs last block)", CITE,
                         v["extinction_first"], v["extinction_last"])]
    cond, last = stats.mean(v["conditioning_last"]), stats.mean(v["extinction_last"])
    ratio = last / cond if cond > 0 else float("nan")
    t = TARGETS["1.4"]
    out.append(Check("last extinction block vs end of conditioning", CITE,
                     f"{stats.fmt_ms(v['extinction_last'])} = {ratio:.2f} x end of "
                     "conditioning", t.describe(), bool(ratio <= t.ratio),
                     n=f"n={len(stats.clean(v['extinction_last']))}"))
    t = TARGETS["8.1"]
    floor = stats.mean(v["extinction_floor_trials"])
    mid = stats.mean(v["extinction_mid"])
    out.append(Check("extinction is gradual, not at the floor by mid-session",
                     "docs/experiments.md, section 8",
                     f"trials {MID_TRIALS[0]}-{MID_TRIALS[1]} {stats.fmt_ms(v['extinction_mid'])}; "
                     f"{floor:.1f} trials below {FLOOR_PCT:g}%", t.describe(),
                     bool(t.in_range(mid) and floor <= MAX_FLOOR_TRIALS),
                     n=f"n={len(stats.clean(v['extinction_mid']))}"))
    out.append(_range_check("extinction recall (24 h, context B)", "1.5", v["recall"]))
    c = stats.paired(v["renewal"], v["recall"])
    t = TARGETS["1.6"]
    out.append(core.from_comparison(
        "renewal in the conditioning context", CITE,
        f"renewal {stats.fmt_ms(v['renewal'])} vs recall {stats.fmt_ms(v['recall'])} "
        f"({c.diff:+.1f} points)", t.describe(), c.diff >= t.difference, c))
    out.append(resting_check(data, g))
    out.append(spread_check(data, g))
    return out
