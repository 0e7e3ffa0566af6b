"""Figures of one run: freezing per trial across phases, population rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.figures.core import shade_phases


def plot_run(ds, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases = ds.phase.values.tolist()
    trials = ds.trial.values
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True, constrained_layout=True)
    ax = axes[0]
    shade_phases(ax, phases)
    ax.plot(trials, ds.freezing.values, "o-", color="k", ms=3, label="CS")
    ax.plot(trials, ds.freezing_pre.values, "-", color="0.5", lw=1, label="pre-CS")
    ax.set_ylabel("freezing (%)")
    ax.set_ylim(0, 100)
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    ax = axes[1]
    shade_phases(ax, phases)
    cmap = plt.get_cmap("tab20")
    for k, pop in enumerate(ds.population.values):
        ax.plot(trials, ds.rate_cs.sel(population=pop).values, lw=1, color=cmap(k % 20),
                label=str(pop))
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylabel("CS-window rate (Hz)")
    ax.set_xlabel("trial")
    ax.legend(ncol=5, fontsize=6, frameon=False, loc="upper left")
    fig.suptitle(f"fearsim run {ds.attrs.get('run_id', '')}", fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def phase_table(ds) -> str:
    """Per-phase summary lines for the terminal."""
    lines = [f"{'phase':<13}{'trials':>7}{'freezing %':>12}{'first':>8}{'last':>8}"]
    for k, ph in enumerate(ds.phase_name.values):
        n = int(np.sum(ds.phase.values == ph))
        lines.append(f"{ph:<13}{n:>7}{float(ds.phase_freezing[k]):>12.1f}"
                     f"{float(ds.phase_freezing_first[k]):>8.1f}"
                     f"{float(ds.phase_freezing_last[k]):>8.1f}")
    return "\n".join(lines)


def has_slow_dynamics(ds) -> bool:
    """A drug, a block or synaptogenesis: worth the slow-variable figure."""
    return ("spines" in ds) or ("occupancy" in ds and float(ds.occupancy.max()) > 0)


def plot_slow(ds, path: Path) -> Path:
    """Occupancy, BDNF / mTORC1 / proteins and spines on the protocol clock."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_panels = 4 if "spines" in ds else 3
    fig, axes = plt.subplots(n_panels, 1, figsize=(8, 2.1 * n_panels), sharex=True,
                             constrained_layout=True)
    t = ds.occ_time_h.values
    for ch in ds.channel.values:
        if str(ch).split("_")[0] in ("IL", "PL", "LA"):
            axes[0].plot(t, ds.occupancy.sel(channel=ch).values, lw=1, label=str(ch))
    axes[0].set_ylabel("NMDAR occupancy")
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=6, ncol=3, frameon=False)
    tc = ds.chain_time_h.values
    for var, ax, label in (("chain_bdnf", axes[1], "BDNF"), ("chain_mtor", axes[1], "mTORC1"),
                           ("chain_protein", axes[2], "protein pool")):
        for region in ("IL", "PL"):
            if region in ds.region.values:
                ax.plot(tc, ds[var].sel(region=region).values, lw=1,
                        ls="-" if region == "IL" else "--", label=f"{label} {region}")
    axes[1].set_ylabel("BDNF, mTORC1 (a.u.)")
    axes[1].legend(fontsize=6, frameon=False)
    axes[2].set_ylabel("proteins (x baseline)")
    axes[2].legend(fontsize=6, frameon=False)
    if "spines" in ds:
        ts = ds.spine_time_h.values
        for pw in ds.spine_pathway.values:
            sp = ds.spines.sel(spine_pathway=pw).values
            axes[3].plot(ts, 100 * (sp / max(sp[0], 1) - 1), lw=1, label=str(pw))
        axes[3].axhline(0, color="0.6", lw=0.5)
        axes[3].set_ylabel("spines (% change)")
        axes[3].legend(fontsize=6, ncol=3, frameon=False)
    for k in range(len(ds.session)):
        for ax in axes:
            ax.axvline(float(ds.session_time_h[k]), color="0.8", lw=0.6, zorder=0)
    axes[-1].set_xlabel("protocol time (h); grey lines: session starts")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
