"""MODEL.md 7.2: NMDA-receptor blockade during extinction, systemic and IL-local."""

from __future__ import annotations

import numpy as np
import xarray as xr

from experiments.figures import core, fig_control
from experiments.figures.core import Check, Group

NAME = "nmda_block"
TITLE = "NMDA-receptor blockade during extinction spares the decline, impairs 24 h recall"
CITATION = ("MODEL.md 7.2; issue 2; Santini et al. 2001 J Neurosci (systemic CPP); "
            "Burgos-Robles et al. 2007 Neuron (intra-vmPFC CPP)")
SUMMARY = ("Control vs 95% NMDAR occupancy during the extinction session only, systemically "
           "or in IL alone: within-session extinction, 24 h recall and renewal.")

CONTROL, SYSTEMIC, LOCAL = "control", "NMDAR block (systemic)", "NMDAR block (IL)"
BLOCK = ["protocol.block.occupancy=0.95", "protocol.block.sessions=[2]"]


def groups(quick: bool) -> list[Group]:
    q = list(fig_control.QUICK) if quick else []
    return [Group(CONTROL, q), Group(SYSTEMIC, q + BLOCK),
            Group(LOCAL, q + BLOCK + ["protocol.block.regions=[IL]"])]


def n_seeds(quick: bool) -> int:
    return fig_control.n_seeds(quick)


def analyse(data: dict[str, list[xr.Dataset]]) -> xr.Dataset:
    out = fig_control.analyse(data)
    out["extinction_occupancy"] = core.per_subject(
        data, lambda d: float(d.occupancy_trial.sel(channel="IL_E")
                              .where(d.phase == "extinction", drop=True).mean()))
    return out


def plot(data: xr.Dataset):
    plt = core.use_style()
    fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.6),
                             gridspec_kw={"width_ratios": [3, 1.2, 1.2]})
    core.trial_panel(axes[0], data.freezing)
    axes[0].legend(loc="upper right")
    axes[0].set_title("freezing per trial; block during extinction", loc="left", pad=10)
    core.bar_panel(axes[1], data.recall, title="24 h recall (B)")
    core.bar_panel(axes[2], data.extinction_last, title="last extinction block")
    fig.suptitle(TITLE, fontsize=8)
    return fig


def checks(data: xr.Dataset) -> list[Check]:
    out = []
    ctl = core.values(data.recall, CONTROL)
    for grp in (SYSTEMIC, LOCAL):
        e1 = core.values(data.extinction_first, grp)
        e2 = core.values(data.extinction_last, grp)
        c = core.paired(e1, e2)
        out.append(Check(f"{grp}: freezing still declines within extinction",
                         "MODEL.md 7.2; issue 2",
                         f"first {core.fmt_ms(e1)} -> last {core.fmt_ms(e2)}",
                         f"last < first, p < {core.ALPHA}",
                         bool(c.diff > 0 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
        blk = core.values(data.recall, grp)
        ratio = np.mean(blk) / np.mean(ctl) if np.mean(ctl) > 0 else float("inf")
        c = core.welch(blk, ctl)
        out.append(Check(f"{grp}: 24 h recall impaired", "MODEL.md 7.2; issue 2; " + (
            "Santini et al. 2001" if grp == SYSTEMIC else "Burgos-Robles et al. 2007"),
            f"{core.fmt_ms(blk)} vs control {core.fmt_ms(ctl)} ({ratio:.2f}x)",
            f">= 1.5x control, p < {core.ALPHA}",
            bool(ratio >= 1.5 and c.p < core.ALPHA), c.test, c.p, c.effect, c.n))
    return out
