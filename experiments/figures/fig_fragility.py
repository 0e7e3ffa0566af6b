"""The fragility of extinction memory, and disinhibition under ketamine (docs/experiments.md, section 8).

The same subjects (within-subject design) run the default protocol (the
control: 1-day recall in B, ABA renewal), the same protocol with the recall a
week after extinction (spontaneous recovery), extinction and test in A with
and without two unsignalled shocks between them (reinstatement), the renewal
test in a third context C (ABC renewal), and ketamine 10 mg/kg i.p. 10 min
before extinction, whose first extinction trials lie within the occupancy
peak (disinhibition of IL and PL).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_spines
from experiments.figures.core import Check, Group

NAME = "fragility"
TITLE = "Extinction is fragile: spontaneous recovery, reinstatement, renewal; ketamine disinhibits"
CITATION = ("docs/experiments.md, section 8; Quirk 2002 Learn Mem, Rescorla 2004 Learn Mem "
            "(spontaneous recovery); Rescorla & Heth 1975, Bouton & Bolles 1979 J Exp Psychol "
            "Anim Behav Process (reinstatement); Bouton 2004 Learn Mem (renewal); Homayoun & "
            "Moghaddam 2007 J Neurosci (disinhibition)")
SUMMARY = ("Freezing per trial (mean ± SEM) of the same subjects under the control protocol, "
           "a recall 7 days after extinction, extinction and test in A with or without two "
           "unsignalled shocks, and a renewal test in a third context; IL and PL rates before "
           "the tone near peak occupancy of ketamine 10 mg/kg against saline.")
DESIGN = WITHIN

# A small network on the full protocols: protocol=short (the control figure's
# quick mode) would replace each group's protocol, or be replaced by it, so
# the groups would no longer share a trial layout or have the sessions read.
QUICK = ["network.scale=0.1", "readout.weight_samples=50"]

CONTROL_LABEL = "control"
SPONTANEOUS = "recall 7 days after extinction"
SHOCKS = "reinstatement shocks in A"
NO_SHOCKS = "no reinstatement shocks"
ABC = "ABC renewal (test in C)"
KETAMINE = "ketamine during extinction"
REINSTATEMENT_GROUPS = (SHOCKS, NO_SHOCKS)
CITE = "docs/experiments.md, section 8"

# principal cells and their interneurons, per region of target 8.7
REGIONS = {"IL": ("IL_E", "IL_I"), "PL": ("PL_E", "PL_I")}
RATE_POPULATIONS = [p for pair in REGIONS.values() for p in pair]


def _session_index(protocol: str, phase: str) -> int:
    """Index of the first session of ``phase`` in ``configs/protocol/<protocol>.yaml``."""
    return next(k for k, s in enumerate(core.protocol_sessions(protocol))
                if s["phase"] == phase)


def groups(quick: bool) -> list[Group]:
    q = list(QUICK) if quick else []
    c = list(CONTROL)
    # the comparison group of reinstatement: the same session in A, without the shocks
    no_shocks = f"protocol.sessions.{_session_index('reinstatement', 'reinstatement')}.us=false"
    return [Group(CONTROL_LABEL, c + q),
            Group(SPONTANEOUS, c + ["protocol=spontaneous_recovery"] + q),
            Group(SHOCKS, c + ["protocol=reinstatement"] + q),
            Group(NO_SHOCKS, c + ["protocol=reinstatement", no_shocks] + q),
            Group(ABC, c + ["protocol=renewal_abc"] + q),
            Group(KETAMINE, ["experiment=ketamine_during_extinction"] + q)]


def n_seeds(quick: bool) -> int:
    return 2 if quick else 8


# ---------------------------------------------------------------------------
# analysis


def session_freezing(ds: xr.Dataset, phase: str) -> float:
    """Mean freezing of the run's (first) session of ``phase``; NaN without one."""
    return metrics.session_value(ds, metrics.first_session(ds, phase))


def session_context(runs: list[xr.Dataset], phase: str) -> str:
    """Context of a group's session of ``phase`` ('' without runs or session)."""
    for ds in runs:
        k = metrics.first_session(ds, phase)
        if k >= 0:
            return str(ds.session_context.values[k])
    return ""


def days_after_extinction(runs: list[xr.Dataset], phase: str) -> float:
    """Days from the start of a group's extinction session to its session of
    ``phase`` on the protocol clock (NaN without runs or either session)."""
    for ds in runs:
        ext, k = metrics.first_session(ds, "extinction"), metrics.first_session(ds, phase)
        if ext >= 0 and k >= 0:
            return float(ds.session_time_h.values[k] - ds.session_time_h.values[ext]) / 24.0
    return float("nan")


def minutes_after_dose(ds: xr.Dataset) -> np.ndarray:
    """Start of every trial on the protocol clock, in minutes after the run's
    first dose (NaN without a dose)."""
    return (ds.trial_time_h.values - fig_spines.dose_time_h(ds)) * 60.0


def peak_trials(ds: xr.Dataset) -> np.ndarray:
    """Trials (indices on ``trial``) of the extinction session that lie within the
    occupancy peak after the run's first dose: target 4.1's window of minutes
    after the dose. Empty without a dose or an extinction session."""
    ext = metrics.first_session(ds, "extinction")
    window = TARGETS["4.1"]
    minutes = minutes_after_dose(ds)
    inside = ((ds.session_of_trial.values == ext) & (minutes >= window.low)
              & (minutes <= window.high))
    return np.flatnonzero(inside)


TRIAL_NAMES = ("trial", "phase", "context", "session_of_trial")


def _stack(data: dict[str, list[xr.Dataset]], labels, group_dim: str,
           prefix: str = "") -> xr.DataArray | None:
    """Freezing per trial of groups that share a trial layout.

    Its group axis is ``group_dim`` (the dataset's ``group`` holds every group)
    and its trial names take ``prefix``, so that two layouts fit one dataset.
    """
    part = {g: data.get(g, []) for g in labels}
    if not any(part.values()):
        return None
    names = {"group": group_dim} | {n: f"{prefix}{n}" for n in TRIAL_NAMES if prefix}
    return core.stack_trials(part).rename(names)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    """Freezing per trial (two trial layouts), test values and peak-occupancy rates."""
    main = [g for g in data if g not in REINSTATEMENT_GROUPS]
    out = xr.Dataset()
    for name, labels, group_dim, prefix in (
            ("freezing", main, "trial_group", ""),
            ("freezing_reinstatement", REINSTATEMENT_GROUPS, "reinstatement_group",
             "reinstatement_")):
        da = _stack(data, labels, group_dim, prefix)
        if da is not None:
            out[name] = da
    out["seed"] = core.seeds_of(data)
    for phase in ("recall", "renewal"):
        out[phase] = core.per_subject(data, lambda d, ph=phase: session_freezing(d, ph))
        out[phase].attrs["units"] = "%"
        out[f"{phase}_context"] = ("group", [session_context(data[g], phase) for g in data])
    out["recall_days_after_extinction"] = ("group", [days_after_extinction(data[g], "recall")
                                                     for g in data])

    # the ketamine group's peak trials, read from its own dose and schedule: the
    # protocol is the same for every group that has the trials (saline included)
    ket = data.get(KETAMINE, [])
    trials = peak_trials(ket[0]) if ket else np.array([], dtype=int)
    ext = metrics.first_session(ket[0], "extinction") if ket else -1

    def rates(ds: xr.Dataset) -> np.ndarray:
        if len(trials) == 0 or ds.sizes["trial"] <= trials.max() or not np.all(
                ds.session_of_trial.values[trials] == ext):
            return np.full(len(RATE_POPULATIONS), np.nan)
        return ds.rate_pre.sel(population=RATE_POPULATIONS).values[:, trials].mean(1)

    out["peak_rate_pre"] = core.per_subject_vector(data, rates, "population",
                                                   RATE_POPULATIONS)
    out["peak_rate_pre"].attrs.update(
        units="Hz", long_name="rate before the tone in the extinction trials within "
                              "ketamine's occupancy peak")
    # what the check line says about those trials (occupancy: a check that the
    # window is the peak, from the run itself)
    occ = [float(ds.occupancy_trial.sel(channel="IL_E").values[trials].mean())
           for ds in ket if len(trials) and "occupancy_trial" in ds]
    out.attrs.update({
        # 1-based trials of the extinction session
        "peak_trials": " ".join(str(int(ket[0].trial_in_session.values[k]) + 1)
                                for k in trials),
        "peak_minutes_after_dose": " ".join(f"{minutes_after_dose(ket[0])[k]:.1f}"
                                            for k in trials),
        "peak_occupancy_IL_E": float(np.mean(occ)) if occ else float("nan"),
    })
    return out


# ---------------------------------------------------------------------------
# figure


def _plain(da: xr.DataArray, group_dim: str, prefix: str = "") -> xr.DataArray:
    """A trial stack of :func:`_stack` with the names trial_panel reads."""
    return da.rename({group_dim: "group"} | {f"{prefix}{n}": n for n in TRIAL_NAMES
                                             if prefix})


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig = plt.figure(figsize=(7.6, 5.0))
    grid = fig.add_gridspec(2, 8, height_ratios=[1.15, 1])
    # the two trial layouts side by side, each with its own phases
    for cols, var, group_dim, prefix, title in (
            (slice(0, 4), "freezing", "trial_group", "",
             "freezing per trial: 1-day and 7-day recall (B), renewal in A or C"),
            (slice(4, 8), "freezing_reinstatement", "reinstatement_group", "reinstatement_",
             "reinstatement: all sessions in A")):
        ax = fig.add_subplot(grid[0, cols])
        if var in data:
            core.trial_panel(ax, _plain(data[var], group_dim, prefix))
            ax.legend(loc="upper right")
        ax.set_title(title, loc="left", pad=10, fontsize=7)

    def v(var, g):
        return _values(data, var, g)

    core.bars(fig.add_subplot(grid[1, 0:2]),
          [("1 d", v("recall", CONTROL_LABEL), core.colour(CONTROL_LABEL)),
           ("7 d", v("recall", SPONTANEOUS), core.colour(SPONTANEOUS))],
          "recall in B (8.3)")
    core.bars(fig.add_subplot(grid[1, 2:4]),
          [("no shocks", v("recall", NO_SHOCKS), core.colour(NO_SHOCKS)),
           ("shocks", v("recall", SHOCKS), core.colour(SHOCKS))],
          "test in A (8.4)")
    core.bars(fig.add_subplot(grid[1, 4:6]),
          [("recall B", v("recall", CONTROL_LABEL), core.PHASE_COLOURS["recall"]),
           ("ABC", v("renewal", ABC), core.colour(ABC)),
           ("ABA", v("renewal", CONTROL_LABEL), core.PHASE_COLOURS["renewal"])],
          "renewal order (8.5)")
    ax = fig.add_subplot(grid[1, 6:8])
    items = []
    for pop in RATE_POPULATIONS:
        # each subject on ketamine against saline's mean (a ratio the target reads,
        # and one that holds for either design)
        ratio = _rates(data, pop, KETAMINE) / stats.mean(_rates(data, pop, CONTROL_LABEL))
        items.append((pop, ratio, core.colour(KETAMINE) if pop.endswith("_E") else "#4393c3"))
    core.bars(ax, items, "ketamine / saline (8.7)", ylabel="rate before tone, ratio", ylim=None)
    ax.axhline(1.0, color="k", lw=0.6)
    ax.axhline(TARGETS["8.7"].ratio, color="k", lw=0.6, ls="--")
    fig.suptitle(TITLE, fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# checks


def _context_note(data: xr.Dataset, var: str, group: str, want: str) -> tuple[bool, str]:
    """Whether a group's test ran in the context the target is about."""
    ctx = str(data[f"{var}_context"].sel(group=group).values) if group in data.group.values \
        else ""
    return ctx == want, (f"{var} in {ctx}" if ctx == want else
                         f"{var} in {ctx or 'no session'}, not {want}")


def _delay_note(data: xr.Dataset, group: str, low: float, high: float) -> tuple[bool, str]:
    """Whether a group's recall came ``low``-``high`` days after its extinction."""
    days = (float(data.recall_days_after_extinction.sel(group=group))
            if "recall_days_after_extinction" in data and group in data.group.values
            else float("nan"))
    ok = bool(low <= days <= high)
    return ok, (f"{group} recall {days:.1f} days after extinction" if ok else
                f"{group} recall {days:.1f} days after extinction, not {low:g}-{high:g}")


def _values(data: xr.Dataset, var: str, group: str) -> np.ndarray:
    """One group's values by subject; NaN for a group the data lack (a FAIL, not an error)."""
    if group in data.group.values:
        return core.values(data[var], group)
    return np.full(data.sizes.get("subject", 0), np.nan)


def _rates(data: xr.Dataset, population: str, group: str) -> np.ndarray:
    return _values(data.peak_rate_pre.sel(population=population, drop=True)
                   .to_dataset(name="rate"), "rate", group)


def _difference_check(pattern: str, target_id: str, a, b, names: tuple[str, str],
                      design: str, contexts: list[tuple[bool, str]],
                      at_least: float | None = None) -> Check:
    """``a`` above ``b`` (by at least ``at_least`` points), in the right contexts."""
    t = TARGETS[target_id]
    c = stats.compare(a, b, design)
    bad = [note for ok, note in contexts if not ok]
    above = c.diff > 0 if at_least is None else c.diff >= at_least
    ok = bool(np.isfinite(c.diff) and above and not bad)
    measured = (f"{names[0]} {stats.fmt_ms(a)} vs {names[1]} {stats.fmt_ms(b)} "
                f"({c.diff:+.1f} points)" + (f"; {'; '.join(bad)}" if bad else ""))
    return core.from_comparison(pattern, f"{CITE}, target {target_id}", measured,
                                t.describe(), ok, c)


def recovery_checks(data: xr.Dataset) -> list[Check]:
    """Targets 8.3 (spontaneous recovery), 8.4 (reinstatement), 8.5 (renewal order)."""
    design = core.design_of(data)
    recall = _values(data, "recall", CONTROL_LABEL)
    out = [_difference_check(
        "spontaneous recovery: recall 7 days vs 1 day after extinction", "8.3",
        _values(data, "recall", SPONTANEOUS), recall, ("7 days", "1 day"), design,
        [_context_note(data, "recall", SPONTANEOUS, "B"),
         _context_note(data, "recall", CONTROL_LABEL, "B"),
         # the target's week and day, within a few hours (sessions start hours apart)
         _delay_note(data, SPONTANEOUS, 6.5, 7.5), _delay_note(data, CONTROL_LABEL, 0.5, 1.5)],
        TARGETS["8.3"].difference)]
    out.append(_difference_check(
        "reinstatement: test after two unsignalled shocks vs none", "8.4",
        _values(data, "recall", SHOCKS), _values(data, "recall", NO_SHOCKS),
        ("shocks", "no shocks"), design,
        [_context_note(data, "recall", SHOCKS, "A"),
         _context_note(data, "recall", NO_SHOCKS, "A")], TARGETS["8.4"].difference))
    aba, abc = _values(data, "renewal", CONTROL_LABEL), _values(data, "renewal", ABC)
    out.append(_difference_check(
        "renewal order: ABA renewal above ABC renewal", "8.5", aba, abc, ("ABA", "ABC"),
        design, [_context_note(data, "renewal", CONTROL_LABEL, "A"),
                 _context_note(data, "renewal", ABC, "C")]))
    out.append(_difference_check(
        "renewal order: ABC renewal above recall in B", "8.5", abc, recall,
        ("ABC", "recall in B"), design,
        [_context_note(data, "renewal", ABC, "C"),
         _context_note(data, "recall", CONTROL_LABEL, "B")]))
    return out


def disinhibition_checks(data: xr.Dataset) -> list[Check]:
    """Target 8.7: near peak occupancy, principal cells up >= the ratio, interneurons down."""
    design = core.design_of(data)
    t = TARGETS["8.7"]
    trials = data.attrs.get("peak_trials", "") or "none"
    when = (f"extinction trials {trials} ({data.attrs.get('peak_minutes_after_dose', '')} min "
            f"after the dose")
    occ = float(data.attrs.get("peak_occupancy_IL_E", float("nan")))
    when += f", IL_E occupancy {occ:.2f})" if np.isfinite(occ) else ")"
    out = []
    for region, (principal, interneuron) in REGIONS.items():
        for pop in (principal, interneuron):
            ket, sal = (_rates(data, pop, g) for g in (KETAMINE, CONTROL_LABEL))
            c = stats.compare(ket, sal, design)
            mk, ms = stats.mean(ket), stats.mean(sal)
            ratio = mk / ms if ms > 0 else float("nan")
            if pop == principal:
                pattern = f"disinhibition: {region} principal cells (rate_pre) up near peak"
                ok = bool(np.isfinite(ratio) and ratio >= t.ratio and c.diff > 0)
            else:
                pattern = f"disinhibition: {region} interneurons (rate_pre) down near peak"
                ok = bool(np.isfinite(c.diff) and c.diff < 0)
            measured = (f"{pop} ketamine {stats.fmt_ms(ket, ' Hz')} vs saline "
                        f"{stats.fmt_ms(sal, ' Hz')} ({ratio:.2f}x), {when}")
            out.append(core.from_comparison(pattern, f"{CITE}, target 8.7", measured,
                                            t.describe(), ok, c))
    return out


def checks(data: xr.Dataset) -> list[Check]:
    return recovery_checks(data) + disinhibition_checks(data)
