"""Figures of a collected sweep (``fearsim-collect``): a line plot or a heatmap.

The mean over seeds (subjects) of one variable against the swept dimensions:
one swept dimension gives lines with mean +/- SEM (one line per value of a
remaining dimension such as ``phase_name``, at most :data:`MAX_LINES`); two
give a heatmap of the mean. Other dimensions of the variable are fixed with
``select`` (``{"phase_name": "recall"}``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

SEED = "seed"
MAX_LINES = 8
MAX_ANNOTATED = 64  # heatmap cells that get their value written in


class PlotError(ValueError):
    """The dataset cannot give the asked-for figure (one line for the user)."""


def swept_dims(ds: xr.Dataset) -> list[str]:
    """The swept dimensions of a collected dataset, seed excluded."""
    if "sweep_dims" not in ds.attrs:
        raise PlotError("not a collected sweep (no sweep_dims attribute): run fearsim-collect")
    return [d for d in json.loads(ds.attrs["sweep_dims"]) if d != SEED]


def _value(da: xr.DataArray, text: str):
    """A --sel value as the coordinate's type."""
    kind = da.dtype.kind
    try:
        return float(text) if kind == "f" else int(text) if kind in "iu" else text
    except ValueError:
        raise PlotError(f"{da.name}={text}: not a value of {da.name} "
                        f"({', '.join(map(str, da.values[:8]))})") from None


def prepare(ds: xr.Dataset, var: str, select: dict[str, str] | None = None,
            x: str | None = None) -> tuple[xr.DataArray, list[str], str | None]:
    """The variable with ``select`` applied: (data, swept dims in plot order, line dim)."""
    if var not in ds.data_vars:
        numeric = [v for v in ds.data_vars if ds[v].dtype.kind in "biuf"]
        raise PlotError(f"no variable {var!r} (numeric ones: {', '.join(map(str, numeric))})")
    da = ds[var]
    for dim, text in (select or {}).items():
        if dim not in da.dims:
            raise PlotError(f"--sel {dim}: {var} has no dimension {dim} (dims: {da.dims})")
        value = _value(ds[dim], text)
        if value not in ds[dim].values:
            raise PlotError(f"--sel {dim}={text}: not a value of {dim} "
                            f"({', '.join(map(str, ds[dim].values[:12]))})")
        da = da.sel({dim: value})
    swept = [d for d in swept_dims(ds) if d in da.dims]  # --sel may fix a swept one
    if not swept:
        raise PlotError("nothing swept besides seed: plot the runs themselves (fearsim-plot run)")
    if x is not None:
        if x not in swept:
            raise PlotError(f"--x {x}: not a swept dimension ({', '.join(swept)})")
        swept = [x] + [d for d in swept if d != x]
    if len(swept) > 2:
        raise PlotError(f"{len(swept)} swept dimensions ({', '.join(swept)}): fix all but two "
                        "with --sel DIM=VALUE")
    rest = [d for d in da.dims if d not in swept and d != SEED]
    line = None
    if len(swept) == 1 and len(rest) == 1 and da.sizes[rest[0]] <= MAX_LINES:
        line = rest[0]
    elif rest:
        raise PlotError(f"{var} still has dimension(s) {', '.join(rest)}: choose with --sel "
                        + " ".join(f"{d}={ds[d].values[0]}" for d in rest))
    return da, swept, line


def _label(ds: xr.Dataset, name: str) -> str:
    """A swept dimension by its config key, a variable by its name; with units."""
    attrs = ds[name].attrs
    text = attrs.get("config_key") or name
    units = attrs.get("units")
    return f"{text} ({units})" if units and units != "1" else text


def plot_sweep(ds: xr.Dataset, path: Path, var: str = "phase_freezing",
               select: dict[str, str] | None = None, x: str | None = None) -> Path:
    """Write the line plot (one swept dim) or heatmap (two) of ``var``; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.figures.run_plots import OUTSIDE, PHASE_LINE_COLOURS

    da, swept, line = prepare(ds, var, select, x)
    has_seed = SEED in da.dims
    mean = da.mean(SEED) if has_seed else da
    fixed = ", ".join(f"{k}={v}" for k, v in (select or {}).items())
    n = int(da.notnull().sum(SEED).max()) if has_seed else 1
    fig, ax = plt.subplots(figsize=(6.0, 3.6), constrained_layout=True)
    if len(swept) == 1:
        xs = ds[swept[0]].values
        sem = (da.std(SEED, ddof=1) / np.sqrt(da.notnull().sum(SEED))) if has_seed and n > 1 \
            else None
        groups = [(None, mean, sem)] if line is None else [
            (v, mean.sel({line: v}), None if sem is None else sem.sel({line: v}))
            for v in ds[line].values]
        cmap = plt.get_cmap("viridis")
        for k, (value, m, e) in enumerate(groups):
            if value is None:
                colour = "k"
            elif str(value) in PHASE_LINE_COLOURS:
                colour = PHASE_LINE_COLOURS[str(value)]
            else:
                colour = cmap(k / max(1, len(groups) - 1))
            ax.plot(xs, m.values, "o-", color=colour, ms=3,
                    label=None if value is None else str(value))
            if e is not None:
                ax.fill_between(xs, (m - e).values, (m + e).values, color=colour, alpha=0.2,
                                lw=0)
        ax.set_xlabel(_label(ds, swept[0]))
        ax.set_ylabel(_label(ds, var))
        if line is not None:
            ax.legend(title=line, fontsize=7, title_fontsize=7, **OUTSIDE)
    else:
        grid = mean.transpose(swept[1], swept[0])
        im = ax.pcolormesh(np.arange(grid.sizes[swept[0]]), np.arange(grid.sizes[swept[1]]),
                           grid.values, shading="nearest", cmap="magma")
        ax.set_xticks(np.arange(grid.sizes[swept[0]]), [f"{v:g}" if isinstance(v, float)
                                                        else str(v)
                                                        for v in ds[swept[0]].values])
        ax.set_yticks(np.arange(grid.sizes[swept[1]]), [f"{v:g}" if isinstance(v, float)
                                                        else str(v)
                                                        for v in ds[swept[1]].values])
        ax.set_xlabel(_label(ds, swept[0]))
        ax.set_ylabel(_label(ds, swept[1]))
        fig.colorbar(im, ax=ax, label=_label(ds, var))
        if grid.size <= MAX_ANNOTATED:  # the numbers, readable on any colour
            lo, hi = np.nanmin(grid.values), np.nanmax(grid.values)
            for (i, j), v in np.ndenumerate(grid.values):
                light = np.isfinite(v) and hi > lo and (v - lo) / (hi - lo) > 0.6
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7,
                        color="k" if light else "w")
    what = "mean +/- SEM over" if has_seed and n > 1 and len(swept) == 1 else "mean over"
    ax.set_title(f"{var}{' at ' + fixed if fixed else ''}; {what} {n} seed(s)", fontsize=8)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
