"""Six ketamine doses over two weeks with extinction sessions, then follow-up (docs/experiments.md, section 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core
from experiments.figures.core import Check, Group
from experiments.io import yaml_text

NAME = "repeated_dosing"
TITLE = "Ketamine-assisted extinction: six doses over two weeks, then follow-up tests"
CITATION = ("docs/experiments.md, section 6; Feder et al. 2021 Am J Psychiatry (six infusions over two weeks; "
            "responders kept the benefit for a median 27.5 days)")
SUMMARY = ("Six ketamine doses (10 mg/kg i.p.), each 23 h before a brief extinction session, vs "
           "saline; recall tests 1, 7, 14 and 28 days after the last session show how long "
           "the benefit lasts.")

DESIGN = WITHIN  # the same virtual animals on saline and on ketamine

SALINE, DRUG = "saline x6", "ketamine x6"
EXPERIMENT = "repeated_ketamine_extinction"
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "experiment" / f"{EXPERIMENT}.yaml"
QUICK_TRIALS = {"habituation": 1, "conditioning": 3, "extinction": 2, "recall": 1,
                "renewal": 1}
QUICK = ["network.scale=0.1", "readout.weight_samples=50"]


def quick_sessions() -> str:
    """The experiment's sessions (same timing, so the doses stay aligned), fewer trials."""
    sessions = yaml_text.load(CONFIG.read_text())["protocol"]["sessions"]
    return core.sessions_override([dict(s, n_trials=QUICK_TRIALS[s["phase"]])
                                   for s in sessions])


def groups(quick: bool) -> list[Group]:
    q = [quick_sessions()] + QUICK if quick else []
    return [Group(SALINE, [f"experiment={EXPERIMENT}", "pharmacology.doses=[]"] + q),
            Group(DRUG, [f"experiment={EXPERIMENT}"] + q)]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


def _last_dose_h(ds: xr.Dataset) -> float:
    cfg = yaml_text.load(ds.attrs["config_yaml"])
    d = cfg["pharmacology"]["doses"][0]
    first = float(ds.session_time_h[d["session"]]) + float(d["offset_h"])
    return first + float(d["repeat_every_h"]) * int(d["repeat_count"])


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    fz = core.stack_trials(data)
    ref = data[DRUG][0]
    n_sess = ref.sizes["session"]
    sess = np.full((len(data), fz.sizes["subject"], n_sess), np.nan)
    for g, lab in enumerate(data):
        for s, ds in core.subjects(data[lab]):
            sess[g, s] = [
                metrics.session_value(ds, k) for k in range(n_sess)]
    out = xr.Dataset({"freezing": fz})
    out["session_freezing"] = (("group", "subject", "session"), sess, {"units": "%"})
    last_dose = _last_dose_h(ref)
    ext_sessions = [k for k in range(n_sess) if ref.session_phase.values[k] == "extinction"]
    out = out.assign_coords(
        session=np.arange(n_sess), session_phase=("session", ref.session_phase.values),
        session_context=("session", ref.session_context.values),
        session_time_h=("session", ref.session_time_h.values),
        days_after_last_dose=("session", (ref.session_time_h.values - last_dose) / 24.0),
        days_after_last_extinction=("session", (ref.session_time_h.values
                                                - ref.session_time_h.values[ext_sessions[-1]])
                                    / 24.0))
    out["seed"] = core.seeds_of(data)
    out.attrs["last_dose_h"] = last_dose
    return out


def _tests(data: xr.Dataset) -> list[int]:
    return [k for k in data.session.values.tolist()
            if data.session_phase.values[k] in ("recall", "renewal")]


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 2.7), gridspec_kw={"width_ratios": [2.4, 1.6]})
    ax = axes[0]
    core.shade_phases(ax, data.freezing.phase.values, sessions=data.freezing.session_of_trial.values)
    x = data.trial.values
    for g in data.group.values.tolist():
        y = data.freezing.sel(group=g).values
        n = np.isfinite(y).sum(0)
        m = np.nanmean(y, 0)
        s = np.nanstd(y, 0, ddof=1) / np.sqrt(np.maximum(n, 1)) if y.shape[0] > 1 else 0 * m
        ax.plot(x, m, "o-", ms=2, color=core.colour(g), label=f"{g} (n={int(n.max())})")
        ax.fill_between(x, m - s, m + s, color=core.colour(g), alpha=0.2, lw=0)
    ax.set_ylim(0, 100)
    ax.set_xlabel("trial (sessions shaded: hab, cond, 6 x ext, 4 recall tests, renewal)")
    ax.set_ylabel("freezing (% of CS)")
    ax.legend(loc="upper right")
    ax = axes[1]
    tests = _tests(data)
    days = data.days_after_last_dose.values[tests]
    for g in data.group.values.tolist():
        y = data.session_freezing.sel(group=g).values[:, tests]
        n = np.isfinite(y).sum(0)
        m = np.nanmean(y, 0)
        s = np.nanstd(y, 0, ddof=1) / np.sqrt(np.maximum(n, 1)) if y.shape[0] > 1 else 0 * m
        ax.errorbar(days, m, yerr=s, fmt="o-", color=core.colour(g), capsize=2, label=g)
    for k, t in zip(tests, days, strict=True):
        if data.session_phase.values[k] == "renewal":
            ax.annotate("renewal (A)", (t, 95), fontsize=6, ha="right")
    ax.set_xlabel("days after the last dose")
    ax.set_ylabel("freezing at test (%)")
    ax.set_ylim(0, 100)
    ax.set_title("follow-up tests (context B)", loc="left", pad=10)
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    recall = [k for k in _tests(data) if data.session_phase.values[k] == "recall"]
    sf = data.session_freezing
    comps = {k: stats.compare(core.values(sf.isel(session=k), DRUG),
                              core.values(sf.isel(session=k), SALINE), design) for k in recall}
    # the benefit lasts until the first test without it (unadjusted p: a description)
    dur = "none"
    for k in recall:
        if not (comps[k].diff < 0 and comps[k].p < stats.ALPHA):
            break
        dur = f"{data.days_after_last_dose.values[k]:.1f} d"
    cite = "docs/experiments.md, section 6; Feder et al. 2021"
    k1 = recall[0]
    d1 = data.days_after_last_dose.values[k1]
    out = [core.group_check(
        f"benefit after repeated dosing at the first follow-up ({d1:.1f} d after the last dose)",
        cite, core.values(sf.isel(session=k1), DRUG), core.values(sf.isel(session=k1), SALINE),
        ("ketamine x6", "saline x6"), "<", design, TARGETS["6.1"].describe())]
    k14 = min(recall, key=lambda k: abs(data.days_after_last_extinction.values[k] - 14))
    c = comps[k14]
    d14 = data.days_after_last_dose.values[k14]
    out.append(core.from_comparison(
        f"benefit lasts weeks after the last dose (test {d14:.1f} d after it)",
        f"{cite} (median 27.5 days to loss of response)",
        f"ketamine x6 {stats.fmt_ms(core.values(sf.isel(session=k14), DRUG))} vs "
        f"saline x6 {stats.fmt_ms(core.values(sf.isel(session=k14), SALINE))}; "
        f"benefit lasts through the test at {dur} after the last dose",
        TARGETS["6.2"].describe(), c.diff < 0, c))
    return out
