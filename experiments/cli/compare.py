"""``fearsim-compare RUN_OR_SWEEP ...``: config differences and key metrics side by side.

Each argument is a run file (``<run id>.nc``), a run id (looked up in
``--results``, default ``results/runs``), a sweep folder or a results folder
(all its runs), or a collected file (``collected.nc``: all its runs). Prints
the config keys whose values differ between the runs, then per-phase
freezing, the extinction index ((first - last extinction block) / first) and
the mean synaptic efficacy of each plastic pathway at the end of each
session, one column per run; writes an overlay plot of freezing per trial and
prints its path last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from experiments.analysis import metrics as run_metrics
from experiments.io import yaml_text
from experiments.io.collect import IGNORED_PREFIXES, flatten, is_sweep_dir
from experiments.io.store import ENGINE


def expand(arg: str, results: Path) -> list[Path]:
    p = Path(arg)
    if p.is_dir():
        if is_sweep_dir(p):
            from experiments.io.collect import points_from_sweep

            points, _ = points_from_sweep(p.resolve(), None)
            return [q.path for q in points if q.path is not None]
        return sorted(f.resolve() for f in p.glob("*.nc")
                      if not f.name.startswith(".") and f.name != "collected.nc")
    if p.is_file():
        with xr.open_dataset(p, engine=ENGINE) as ds:
            if "run_path" in ds.data_vars:  # a collected sweep
                return [Path(s) for s in np.unique(ds.run_path.values.astype(str)) if s]
        return [p.resolve()]
    cand = results / f"{arg}.nc"
    if cand.exists():
        return [cand.resolve()]
    hits = sorted(results.glob(f"{arg}*.nc"))
    if len(hits) == 1:
        return [hits[0].resolve()]
    raise SystemExit(f"fearsim-compare: {arg}: no run file, folder or run id"
                     + (" (ambiguous prefix)" if hits else ""))


def load(path: Path) -> tuple[xr.Dataset, dict]:
    with xr.open_dataset(path, engine=ENGINE) as ds:
        data = ds.load()
    return data, flatten(yaml_text.load(data.attrs.get("config_yaml", "{}")) or {})


def config_diff(flats: list[dict], include_paths: bool = False) -> dict[str, list]:
    keys = list(dict.fromkeys(k for f in flats for k in f))
    out = {}
    for k in keys:
        if not include_paths and (k.startswith(IGNORED_PREFIXES) or k == "name"):
            continue
        vals = [f.get(k, "<absent>") for f in flats]
        if len({json.dumps(v, sort_keys=True, default=str) for v in vals}) > 1:
            out[k] = vals
    return out


def metrics(ds: xr.Dataset) -> dict[str, float]:
    """Ordered key metrics of one run."""
    m = {}
    if "phase_name" in ds.dims:
        for ph in ds.phase_name.values:
            m[f"freezing {ph} (%)"] = run_metrics.phase_value(ds, ph)
        for ph in ("conditioning", "extinction"):
            if ph in ds.phase_name.values:
                m[f"freezing {ph} first/last (%)"] = (
                    run_metrics.phase_value(ds, ph, "first"), run_metrics.phase_value(ds, ph, "last"))
    m["extinction index"] = run_metrics.extinction_index(ds)
    if "weight_end" in ds and ds.sizes.get("pathway", 0):
        phases = ds.session_phase.values if "session_phase" in ds.coords else ds.session.values
        for pw in ds.pathway.values:
            for s, ph in enumerate(phases):
                m[f"w {pw} end {s}:{ph}"] = float(ds.weight_end.sel(pathway=pw).isel(session=s))
            if "weight_start" in ds:
                w0 = float(ds.weight_start.sel(pathway=pw).isel(session=0))
                w1 = float(ds.weight_end.sel(pathway=pw).isel(session=-1))
                m[f"w {pw} change (%)"] = 100.0 * (w1 - w0) / w0 if w0 else float("nan")
    return m


def fmt(v, width: int = 12) -> str:
    if isinstance(v, tuple):
        s = "/".join("nan" if x != x else f"{x:.1f}" for x in v)
    elif isinstance(v, float):
        s = "nan" if v != v else f"{v:.4g}"
    else:
        s = str(v)
    return s[:width].rjust(width)


def plot_overlay(runs: list[tuple[str, xr.Dataset]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.figures.core import shade_phases

    fig, ax = plt.subplots(figsize=(9, 4), constrained_layout=True)
    longest = max(runs, key=lambda r: r[1].sizes["trial"])[1]
    shade_phases(ax, longest.phase.values.tolist())
    cmap = plt.get_cmap("viridis" if len(runs) > 10 else "tab10")
    for k, (label, ds) in enumerate(runs):
        colour = cmap(k / max(len(runs) - 1, 1)) if len(runs) > 10 else cmap(k % 10)
        ax.plot(ds.trial.values, ds.freezing.values, "o-", ms=3, lw=1, color=colour,
                label=label if len(runs) <= 20 else None)
    ax.set_ylim(0, 100)
    ax.set_xlabel("trial")
    ax.set_ylabel("freezing (%)")
    if len(runs) <= 20:
        ax.legend(fontsize=6, frameon=False, loc="upper right")
    fig.suptitle(f"fearsim-compare: {len(runs)} runs", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fearsim-compare", description=__doc__.split("\n\n")[0])
    ap.add_argument("items", nargs="+", help="run files, run ids, sweep or results folders")
    ap.add_argument("--results", type=Path, default=Path("results/runs"),
                    help="where run ids are looked up (default results/runs)")
    ap.add_argument("--out", type=Path, default=None, help="overlay plot path (PNG)")
    ap.add_argument("--all-keys", action="store_true", help="also show paths/threads/name")
    a = ap.parse_args(argv)

    paths = list(dict.fromkeys(p for item in a.items for p in expand(item, a.results)))
    if not paths:
        raise SystemExit("fearsim-compare: no runs found")
    loaded = [load(p) for p in paths]
    flats = [f for _, f in loaded]
    diff = config_diff(flats, a.all_keys)
    rids = [ds.attrs.get("run_id", p.stem) for p, (ds, _) in zip(paths, loaded, strict=True)]
    labels = [r[:8] for r in rids]

    print(f"{len(paths)} runs:")
    for lab, p in zip(labels, paths, strict=True):
        print(f"  {lab}  {p}")
    print()
    if len(paths) > 1:
        print(f"config differences ({len(diff)} keys):" if diff else
              "config differences: none (same config)")
        for k, vals in diff.items():
            print(f"  {k}: " + " | ".join(json.dumps(v, default=str) for v in vals))
        print()
    rows = [metrics(ds) for ds, _ in loaded]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    width = max([len(k) for k in keys] + [10])
    print("metric".ljust(width) + "".join(lab.rjust(12) for lab in labels))
    for k in keys:
        print(k.ljust(width) + "".join(fmt(r.get(k, float("nan"))) for r in rows))

    def short(i: int) -> str:
        parts = [f"{k.split('.')[-1]}={json.dumps(vals[i], default=str)}"
                 for k, vals in list(diff.items())[:3]]
        return labels[i] + (" " + " ".join(parts) if parts else "")

    out = a.out
    if out is None:
        first = Path(a.items[0])
        tag = hashlib.sha256(" ".join(sorted(rids)).encode()).hexdigest()[:8]
        base = first if first.is_dir() else paths[0].parent
        out = base / f"compare-{tag}.png"
    png = plot_overlay([(short(i), ds) for i, (ds, _) in enumerate(loaded)], out.resolve())
    print(png, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
