"""Ketamine timing: present during extinction vs 24 h before it (docs/experiments.md, section 3)."""

from __future__ import annotations

import xarray as xr

from experiments.analysis import statistics as stats
from experiments.analysis.design import CONTROL, WITHIN
from experiments.analysis.targets import TARGETS
from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "ketamine_timing"
TITLE = "Ketamine timing: an NMDA antagonist during extinction vs ketamine 24 h before it"
CITATION = ("docs/experiments.md, section 3; Girgenti et al. 2017 Neurobiol Dis (24 h before); "
            "Santini et al. 2001 J Neurosci, Burgos-Robles et al. 2007 Neuron (antagonist "
            "during extinction)")
SUMMARY = ("Saline vs ketamine 10 mg/kg i.p. 10 min before extinction vs 23 h before it, and "
           "CPP 10 mg/kg i.p. 30 min before extinction (a long-acting antagonist): the speed "
           "of extinction (first block, trials to criterion), 24 h recall and renewal.")
DESIGN = WITHIN

SALINE, DURING, BEFORE = "saline", "ketamine during extinction", "ketamine 24 h before"
CPP = "CPP during extinction"
EXPERIMENTS = {DURING: "ketamine_during_extinction", BEFORE: "ketamine_24h_before_extinction",
               CPP: "cpp_during_extinction"}
CITE = "docs/experiments.md, section 3"


def groups(quick: bool) -> list[Group]:
    q = list(fig_control.QUICK) if quick else []
    return [Group(SALINE, list(CONTROL) + q)] + [
        Group(lab, [f"experiment={exp}"] + q) for lab, exp in EXPERIMENTS.items()]


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    return fig_control.analyse(data)


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(7.6, 2.6),
                             gridspec_kw={"width_ratios": [3, 1.1, 1.1, 1.1]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial", loc="left", pad=10)
    core.bar_panel(axes[1], data.extinction_first, title="first extinction block")
    core.bar_panel(axes[2], data.recall, title="24 h recall (B)")
    core.bar_panel(axes[3], data.renewal, title="renewal (A)")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    design = core.design_of(data)
    sal = {v: core.values(data[v], SALINE) for v in ("recall", "renewal", "extinction_first",
                                                     "trials_to_criterion")}
    out = [core.group_check(f"{agent} during extinction: 24 h recall higher than saline",
                            f"{CITE}; Santini et al. 2001", core.values(data.recall, group),
                            sal["recall"], (agent, "saline"), ">", design,
                            TARGETS[tid].describe())
           for agent, group, tid in (("ketamine", DURING, "3.1"), ("CPP", CPP, "3.2"))]
    cite = f"{CITE}; Girgenti et al. 2017"
    t = TARGETS["3.3"]
    out.append(core.group_check("ketamine 24 h before speeds extinction: first-block freezing",
                                cite, core.values(data.extinction_first, BEFORE),
                                sal["extinction_first"], ("ketamine", "saline"), "<", design,
                                t.describe()))
    ket = core.values(data.trials_to_criterion, BEFORE)
    c = stats.compare_ranks(ket, sal["trials_to_criterion"], design)
    out.append(core.from_comparison(
        "ketamine 24 h before speeds extinction: trials to criterion", cite,
        f"ketamine {stats.fmt_ms(ket, ' trials')} vs saline "
        f"{stats.fmt_ms(sal['trials_to_criterion'], ' trials')}", t.describe(),
        stats.mean(ket) < stats.mean(sal["trials_to_criterion"]), c))
    for var, what, tid in (("recall", "24 h recall", "3.4"), ("renewal", "renewal test", "3.5")):
        out.append(core.group_check(
            f"ketamine 24 h before: lower freezing than saline in {what}", cite,
            core.values(data[var], BEFORE), sal[var], ("ketamine", "saline"), "<", design,
            TARGETS[tid].describe()))
    return out
