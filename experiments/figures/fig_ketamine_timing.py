"""MODEL.md 7.3: ketamine timing: present during extinction vs 24 h before it."""

from __future__ import annotations

import xarray as xr

from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "ketamine_timing"
TITLE = "Ketamine timing: an NMDA antagonist during extinction vs ketamine 24 h before it"
CITATION = ("MODEL.md 7.3; issue 3; Girgenti et al. 2017 Neurobiol Dis (24 h before); "
            "Santini et al. 2001 / Burgos-Robles et al. 2007 (antagonist during extinction)")
SUMMARY = ("Saline vs ketamine 10 mg/kg i.p. 10 min before extinction vs 23 h before it, and "
           "CPP 10 mg/kg i.p. 30 min before extinction (a long-acting antagonist): extinction "
           "learning, 24 h recall and renewal.")

SALINE, DURING, BEFORE = "saline", "ketamine during extinction", "ketamine 24 h before"
CPP = "CPP during extinction"
EXPERIMENTS = {SALINE: "saline", DURING: "ketamine_during_extinction",
               BEFORE: "ketamine_24h_before_extinction", CPP: "cpp_during_extinction"}


def groups(quick: bool) -> list[Group]:
    q = list(fig_control.QUICK) if quick else []
    return [Group(lab, [f"experiment={exp}"] + q) for lab, exp in EXPERIMENTS.items()]


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_control.analyse(data)
    out["extinction_second_half"] = core.per_subject(
        data, lambda d: core.extinction_half(d, "second"))
    out["extinction_second_half"].attrs["units"] = "%"
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(7.6, 2.6),
                             gridspec_kw={"width_ratios": [3, 1.1, 1.1, 1.1]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial", loc="left", pad=10)
    core.bar_panel(axes[1], data.extinction_second_half, title="extinction, 2nd half")
    core.bar_panel(axes[2], data.recall, title="24 h recall (B)")
    core.bar_panel(axes[3], data.renewal, title="renewal (A)")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    sal = {v: core.values(data[v], SALINE) for v in ("recall", "renewal",
                                                     "extinction_second_half")}
    # the target reads "ketamine (or CPP)": both are checked and reported
    out = [core.group_check(
        f"{agent} during extinction: 24 h recall higher than saline",
        "MODEL.md 7.3; issue 3; Santini et al. 2001", core.values(data.recall, group),
        sal["recall"], (agent, "saline"), ">")
        for agent, group in (("ketamine", DURING), ("CPP", CPP))]
    for var, what in (("extinction_second_half", "second half of extinction"),
                      ("recall", "24 h recall"), ("renewal", "renewal test")):
        out.append(core.group_check(
            f"ketamine 24 h before: lower freezing than saline in {what}",
            "MODEL.md 7.3; issue 3; Girgenti et al. 2017",
            core.values(data[var], BEFORE), sal[var], ("ketamine", "saline"), "<"))
    return out
