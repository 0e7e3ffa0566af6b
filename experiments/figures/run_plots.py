"""Figures of one run: freezing and rates per trial, slow variables, a spike raster
around a CS, weight trajectories per pathway.

Populations are coloured by region (a hue per region, principal cells dark,
interneurons light) and pathways by their target region; legends sit beside
the axes, not on the data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# phase shading is the figures' (experiments.figures.core): defined once
from experiments.figures.core import PHASE_COLOURS, shade_phases  # noqa: F401

# the same phases as lines (sweep plots): one saturated colour each
PHASE_LINE_COLOURS = {
    "habituation": "#737373", "conditioning": "#cb181d", "extinction": "#2171b5",
    "recall": "#238b45", "renewal": "#d94801",
}
# one colour map per region: amygdala in blues, purples, greens and reds, prefrontal in
# oranges and greys, so that a region's populations read as one family
REGION_CMAPS = {"LA": "Blues", "BLA": "Purples", "ITC": "Greens", "CeA": "Reds",
                "IL": "Oranges", "PL": "Greys"}
INPUT_STYLES = {"cs": "-", "ctxA": "--", "ctxB": ":", "ctxC": "-."}
OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0,
           "frameon": False}


def population_colours(names, regions, kinds) -> dict[str, tuple]:
    """Population -> colour: its region's map, principal cells darker than interneurons."""
    import matplotlib

    out = {}
    regions, kinds = [str(r) for r in regions], [str(k) for k in kinds]
    for region in dict.fromkeys(regions):
        cmap = matplotlib.colormaps[REGION_CMAPS.get(region, "Greys")]
        members = [k for k, r in enumerate(regions) if r == region]
        # principal cells first (dark end), then interneurons (lighter)
        members.sort(key=lambda k: kinds[k] != "E")
        shades = np.linspace(0.9, 0.45, len(members)) if len(members) > 1 else [0.8]
        for k, shade in zip(members, shades, strict=True):
            out[str(names[k])] = cmap(float(shade))
    return out


def pathway_colour(pathway: str, regions) -> tuple:
    """A pathway (``input_target``) in the colour of its target region."""
    import matplotlib

    target = pathway.rsplit("_", 1)[-1].upper()
    region = next((r for r in map(str, regions) if r.upper() == target), None)
    return matplotlib.colormaps[REGION_CMAPS.get(region, "Greys")](0.8)


def pathway_style(pathway: str) -> str:
    return INPUT_STYLES.get(pathway.rsplit("_", 1)[0], "-")



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
    ax.legend(fontsize=7, **OUTSIDE)
    ax = axes[1]
    shade_phases(ax, phases)
    colours = population_colours(ds.population.values, ds.population_region.values,
                                 ds.population_kind.values)
    for pop in ds.population.values:
        ax.plot(trials, ds.rate_cs.sel(population=pop).values, lw=1, color=colours[str(pop)],
                label=str(pop))
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylabel("CS-window rate (Hz)")
    ax.set_xlabel("trial")
    ax.legend(fontsize=6, **OUTSIDE)
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
    axes[0].legend(fontsize=6, **OUTSIDE)
    tc = ds.chain_time_h.values
    for var, ax, label in (("chain_bdnf", axes[1], "BDNF"), ("chain_mtor", axes[1], "mTORC1"),
                           ("chain_protein", axes[2], "protein pool")):
        for region in ("IL", "PL"):
            if region in ds.region.values:
                ax.plot(tc, ds[var].sel(region=region).values, lw=1,
                        ls="-" if region == "IL" else "--", label=f"{label} {region}")
    axes[1].set_ylabel("BDNF, mTORC1 (a.u.)")
    axes[1].legend(fontsize=6, **OUTSIDE)
    axes[2].set_ylabel("proteins (x baseline)")
    axes[2].legend(fontsize=6, **OUTSIDE)
    if "spines" in ds:
        ts = ds.spine_time_h.values
        for pw in ds.spine_pathway.values:
            sp = ds.spines.sel(spine_pathway=pw).values
            axes[3].plot(ts, 100 * (sp / max(sp[0], 1) - 1), lw=1, label=str(pw))
        axes[3].axhline(0, color="0.6", lw=0.5)
        axes[3].set_ylabel("spines (% change)")
        axes[3].legend(fontsize=6, **OUTSIDE)
    for k in range(len(ds.session)):
        for ax in axes:
            ax.axvline(float(ds.session_time_h[k]), color="0.8", lw=0.6, zorder=0)
    axes[-1].set_xlabel("protocol time (h); grey lines: session starts")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def default_trial(ds) -> int:
    """The first trial with a US (conditioning), else the first trial."""
    phases = [str(p) for p in ds.phase.values]
    return phases.index("conditioning") if "conditioning" in phases else 0


def plot_raster(run, path: Path, trial: int | None = None, before_s: float = 1.0,
                after_s: float = 1.5, populations=None) -> Path:
    """Spikes of every neuron of each population around the CS of one trial.

    One band per population (top to bottom in config order, height by its
    size), in its region's colour; the CS is shaded, the US a red bar.
    ``before_s``/``after_s``: the window around CS onset.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = run.summary
    trial = default_trial(ds) if trial is None else int(trial)
    if not 0 <= trial < ds.sizes["trial"]:
        raise ValueError(f"trial {trial}: the run has trials 0..{ds.sizes['trial'] - 1}")
    names = [str(p) for p in ds.population.values]
    chosen = list(populations) if populations else names
    unknown = [p for p in chosen if p not in names]
    if unknown:
        raise ValueError(f"no population {unknown[0]!r} (populations: {', '.join(names)})")
    sched = run.schedule()
    cs_on, cs_off, us_on = (float(sched.cs_on_s[trial]), float(sched.cs_off_s[trial]),
                            float(sched.us_on_s[trial]))
    colours = population_colours(ds.population.values, ds.population_region.values,
                                 ds.population_kind.values)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    ax.axvspan(0.0, cs_off - cs_on, color="#fdd49e", alpha=0.5, lw=0, zorder=0)
    if np.isfinite(us_on):
        us_off = us_on + float(run.config["protocol"]["us_s"])
        ax.axvspan(us_on - cs_on, us_off - cs_on, color="#d7301f", alpha=0.35, lw=0, zorder=0)
    row, ticks = 0, []
    for pop in reversed(chosen):
        trains = run.spike_trains(pop)
        shown = [tr[(tr >= cs_on - before_s) & (tr < cs_on + after_s)] - cs_on for tr in trains]
        rows = np.repeat(row + np.arange(len(trains)), [len(x) for x in shown])
        ax.plot(np.concatenate(shown) if shown else [], rows, "|", ms=1.6, mew=0.6,
                color=colours[pop])
        ticks.append((row + len(trains) / 2, pop))
        row += len(trains)
        ax.axhline(row - 0.5, color="0.85", lw=0.4)
    ax.set_yticks([y for y, _ in ticks], [p for _, p in ticks], fontsize=7)
    for label, (_, pop) in zip(ax.get_yticklabels(), ticks, strict=True):
        label.set_color(colours[pop])
    ax.set_ylim(-0.5, row - 0.5)
    ax.set_xlim(-before_s, after_s)
    ax.set_xlabel("time from CS onset (s)")
    phase, context = str(ds.phase.values[trial]), str(ds.context.values[trial])
    ax.set_title(f"run {run.run_id}: trial {trial} ({phase}, context {context}); "
                 "CS shaded" + (", US red" if np.isfinite(us_on) else ""), fontsize=8)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def plot_weights(ds, path: Path) -> Path:
    """Mean efficacy per pathway: the trace against network time, and per session.

    Left: ``weight_trace`` across the sessions (shaded by phase). Right: the
    value at the start and end of each session (``weight_start``,
    ``weight_end``): the step between one session's end and the next one's
    start is what consolidation on the slow clock did in the interval.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "weight_trace" not in ds or ds.sizes.get("pathway", 0) == 0:
        raise ValueError("the run recorded no weights (readout.weight_samples is 0)")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.4, 3.2), constrained_layout=True,
                                  gridspec_kw={"width_ratios": [2.2, 1.0]})
    t = ds.weight_time_s.values
    starts = ds.trial_start_s.values
    phases = [str(p) for p in ds.phase.values]
    k0 = 0
    for k in range(1, len(phases) + 1):
        if k == len(phases) or phases[k] != phases[k0]:
            end = starts[k] if k < len(phases) else t[-1]
            ax.axvspan(starts[k0], end, color=PHASE_COLOURS.get(phases[k0], "#eee"), alpha=0.5,
                       lw=0)
            ax.text((starts[k0] + end) / 2, 1.01, phases[k0], transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=7)
            k0 = k
    regions = ds.population_region.values
    for pw in ds.pathway.values:
        pw = str(pw)
        style = {"color": pathway_colour(pw, regions), "ls": pathway_style(pw)}
        ax.plot(t, ds.weight_trace.sel(pathway=pw).values, lw=1.2, **style)
        x = np.ravel([[s, s + 0.6] for s in ds.session.values])
        y = np.ravel(np.column_stack([ds.weight_start.sel(pathway=pw).values,
                                      ds.weight_end.sel(pathway=pw).values]))
        ax2.plot(x, y, marker="o", ms=2.5, lw=1, label=pw, **style)
    ax.set_xlabel("network time (s)")
    ax.set_ylabel("mean efficacy rho")
    ax.set_xlim(t[0], t[-1])
    ax2.set_xticks(ds.session.values + 0.3, [str(p) for p in ds.session_phase.values],
                   fontsize=6.5, rotation=35, ha="right")
    ax2.set_title("session start -> end", fontsize=8)
    ax2.legend(fontsize=7, **OUTSIDE)
    fig.suptitle(f"weights of run {ds.attrs.get('run_id', '')}", fontsize=9)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


QUICK_MARK = "QUICK MODE: smoke test (network.scale 0.1, short protocol), not the model's result"


def mark_quick(fig) -> None:
    """Say on the image itself that it comes from quick-mode runs."""
    fig.text(0.5, 0.5, "QUICK", transform=fig.transFigure, ha="center", va="center",
             fontsize=60, color="#d7301f", alpha=0.12, rotation=20, zorder=100)
    # a figure-level x label: the layout makes room for it below the axes
    fig.supxlabel(QUICK_MARK, fontsize=7, color="#d7301f")
