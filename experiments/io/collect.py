"""``fearsim-collect``: one dataset of a whole sweep.

``fearsim-collect SWEEP_DIR_OR_RESULTS_DIR [--out PATH] [--params a,b] [--cohort]``

* a Hydra sweep folder (``hydra.sweep.dir``: ``sweep.json``, ``manifest.jsonl``,
  ``multirun.yaml``): the dimensions are the overrides that vary between the
  jobs, plus ``seed``; the expected points are the expanded grid, so a partial
  sweep shows what is missing;
* a results folder (``*.nc`` run files): the dimensions are the config keys
  whose values differ between the runs (or ``--params``), plus ``seed``.

A dimension is named by the last part of its config key (``w_ampa_nS`` for
``network.projections.cs_la.w_ampa_nS``; with parents where two keys share
it), keeps the key in its ``config_key`` attribute and in the dataset's
``sweep_keys_json``; :func:`dim_of` finds it from the key.

Every data variable of the runs (per trial, per phase, per pathway and
session, per population ...) gets the sweep dimensions in front. Points
without a finished run are NaN and listed on stderr. Manifest variables
``run_id``, ``run_path``, ``status`` and timing per point. Written atomically
(h5netcdf) as ``<SWEEP>/collected.nc`` unless ``--out``; the path is the last
line of stdout. ``--cohort`` adds group statistics over seeds (see
:func:`cohort_summary`).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from experiments.analysis import metrics
from experiments.io import cf, store, yaml_text
from experiments.io.store import ENGINE
from experiments.io.sweeps import (
    all_jobs,
    expand_sweep,
    invocations_of,
    read_manifest,
    read_sweep_json,
)

SEED_KEY = "simulation.seed"
SEED_DIM = "seed"
# keys that never make a sweep dimension (where/how fast, not what)
IGNORED_PREFIXES = ("paths.", "simulation.build_dir", "simulation.threads", "hydra.")
COLLECTED = "collected.nc"


def log(msg: str) -> None:
    print(f"[collect] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# config helpers


def flatten(d, prefix: str = "") -> dict:
    """Nested dict -> {dotted key: value}; lists of dicts are indexed (key[0].x)."""
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for i, v in enumerate(d):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = d
    return out


def run_config(ds: xr.Dataset) -> dict:
    return yaml_text.load(ds.attrs.get("config_yaml", "{}")) or {}


def coord_value(v):
    """A hashable, netCDF-friendly coordinate value."""
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, separators=(",", ":"))
    if isinstance(v, np.generic):
        return v.item()
    return v


def _ignored(key: str) -> bool:
    return key.startswith(IGNORED_PREFIXES) or key == "paths"


def parse_override(text: str):
    """'key=value' -> (key without +/~ prefixes, python value)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    ov = OverridesParser.create().parse_override(text)
    key = ov.key_or_group
    try:
        value = ov.value()
    except Exception:
        value = ov.get_value_element_as_str()
    if ov.package:
        key = f"{key}@{ov.package}"
    return key, coord_value(value)


def dim_name(key: str) -> str:
    return SEED_DIM if key in (SEED_KEY, SEED_DIM) else key


def short_names(keys: list[str], taken: set[str]) -> dict[str, str]:
    """Config key -> a dimension name without dots: its last part (``w_ampa_nS``).

    Keys that share a last part, or whose last part names something of the
    runs already (``taken``), take as many parents as tell them apart
    (``cs_la_w_ampa_nS``). The names work as attributes (``ds.w_ampa_nS``).
    """
    parts = {k: [re.sub(r"\W", "_", p) for p in re.split(r"[.\[\]@]+", k) if p]
             for k in keys}
    depth = dict.fromkeys(keys, 1)

    def name(k: str) -> str:
        return "_".join(parts[k][-depth[k]:])

    for _ in range(max((len(p) for p in parts.values()), default=0)):
        names = [name(k) for k in keys]
        clash = [k for k, n in zip(keys, names, strict=True)
                 if names.count(n) > 1 or n in taken or not n.isidentifier()]
        if not clash:
            break
        for k in clash:
            depth[k] = min(depth[k] + 1, len(parts[k]))
    out = {k: name(k) for k in keys}
    if len(set(out.values())) < len(out) or set(out.values()) & taken:  # no name tells apart
        out = {k: f"{n}_{i}" for i, (k, n) in enumerate(out.items())}
    return out


def name_dims(ds: xr.Dataset, keys: list[str], run_names: set[str]) -> xr.Dataset:
    """Rename the sweep dimensions from config keys to :func:`short_names`.

    Each keeps its key as the attribute ``config_key`` and gets units from the
    key's suffix (``_nS``, ``_ms``, ... ; "1" without one); ``sweep_keys_json``
    maps the names back to the keys.
    """
    swept = [k for k in keys if k != SEED_DIM]
    names = short_names(swept, run_names | {SEED_DIM} | set(ds.data_vars) - set(swept))
    ds = ds.rename(names)
    for key, dim in names.items():
        attrs = {"config_key": key, "long_name": f"swept config value {key}"}
        if ds[dim].dtype.kind in cf.NUMERIC:
            attrs["units"] = cf.units_of_key(key)
        ds[dim].attrs.update(attrs)
    ds[SEED_DIM].attrs["config_key"] = SEED_KEY
    ds.attrs["sweep_keys_json"] = json.dumps({names.get(k, k): SEED_KEY if k == SEED_DIM else k
                                              for k in keys})
    return ds


def dim_of(ds: xr.Dataset, key: str) -> str:
    """The dimension of a collected dataset that sweeps config key ``key``."""
    keys = json.loads(ds.attrs.get("sweep_keys_json", "{}"))
    for dim, k in keys.items():
        if key in (k, dim):
            return dim
    raise KeyError(f"{key}: not a swept key of this dataset (swept: {sorted(keys.values())})")


def sort_values(values):
    vals = list(dict.fromkeys(values))
    if all(isinstance(v, (int, float, bool, np.number)) for v in vals):
        return sorted(vals)
    if all(isinstance(v, str) for v in vals):
        return sorted(vals)
    return [str(v) for v in vals]


# ---------------------------------------------------------------------------
# discovery


@dataclass
class Point:
    coords: dict                    # dim -> value (may lack dims for unplaceable points)
    path: Path | None = None
    run_id: str = ""
    status: str = "missing"         # done | failed | unreadable | missing
    error: str = ""
    overrides: list = field(default_factory=list)


def is_sweep_dir(path: Path) -> bool:
    return any((path / f).exists() for f in ("sweep.json", "manifest.jsonl", "multirun.yaml"))


def _sweep_jobs(sweep_dir: Path) -> tuple[list[list[str]], str | None]:
    """Expected job overrides and the sweep's working directory."""
    info = read_sweep_json(sweep_dir)
    jobs = all_jobs(info)
    if jobs:
        return jobs, invocations_of(info)[-1].get("cwd")
    mr = sweep_dir / "multirun.yaml"
    if mr.exists():
        cfg = yaml_text.load(mr.read_text())
        h = cfg.get("hydra", {})
        args = (h.get("overrides") or {}).get("task") or []
        params = (h.get("sweeper") or {}).get("params")
        try:
            return expand_sweep(args, params), (h.get("runtime") or {}).get("cwd")
        except Exception as exc:  # e.g. glob() over a config group outside Hydra
            log(f"cannot expand the sweep of multirun.yaml ({exc}); using the manifest")
    # only a manifest: its jobs are all we know
    seen = {}
    for r in read_manifest(sweep_dir):
        seen.setdefault(tuple(r.get("overrides", [])), None)
    return [list(k) for k in seen], None


def _locate_by_compose(overrides: list[str], cwd: str | None) -> tuple[str, Path] | None:
    """Run id and results path of a job without a manifest line (compose its config)."""
    from experiments.config_store import compose, plain
    from experiments.io.store import run_id

    try:
        typed = compose(overrides)
    except Exception:
        return None
    rid = run_id(plain(typed))
    d = Path(typed.paths.results_dir)
    if not d.is_absolute():
        d = Path(cwd or os.getcwd()) / d
    return rid, (d / f"{rid}.nc").resolve()


def points_from_sweep(sweep_dir: Path, params: list[str] | None) -> tuple[list[Point], list[str]]:
    jobs, cwd = _sweep_jobs(sweep_dir)
    parsed = [dict(parse_override(o) for o in job) for job in jobs]
    keys = list(dict.fromkeys(k for p in parsed for k in p))
    if params:
        dims_keys = list(params)
    else:
        dims_keys = [k for k in keys if not _ignored(k)
                     and len({json.dumps(p.get(k), default=str) for p in parsed}) > 1]
    # the last manifest record of a job (by its overrides) wins, a finished one over a failure
    by_job: dict[tuple, dict] = {}
    for r in read_manifest(sweep_dir):
        key = tuple(r.get("overrides", []))
        prev = by_job.get(key)
        ok = r.get("status") in ("done", "skipped") and r.get("path") and Path(r["path"]).exists()
        if prev is None or ok or prev.get("status") == "failed":
            by_job[key] = r
    points = []
    for job, ov in zip(jobs, parsed, strict=True):
        p = Point(coords={}, overrides=list(job))
        rec = by_job.get(tuple(job))
        if rec and rec.get("status") in ("done", "skipped") and rec.get("path") \
                and Path(rec["path"]).exists():
            _found(p, Path(rec["path"]), rec.get("run_id", ""))
        else:
            found = _locate_by_compose(job, cwd)  # finished but not recorded (killed)?
            if found and found[1].exists():
                _found(p, found[1], found[0])
            elif rec and rec.get("status") == "failed":
                p.status, p.error, p.run_id = "failed", rec.get("error", ""), rec.get("run_id") or ""
            elif found:
                p.run_id = found[0]
        for k in dims_keys:
            if k in ov:
                p.coords[dim_name(k)] = ov[k]
        points.append(p)
    return points, [dim_name(k) for k in dims_keys]


def _found(p: Point, path: Path, rid: str) -> None:
    """Place a results file on a point: done if it verifies, else unreadable."""
    p.run_id = rid
    problem = store.verify_run(path, rid)
    if problem is None:
        p.path, p.status = path, "done"
    else:
        p.status, p.error = "unreadable", f"{path}: {problem}"


def _read_run(f: Path) -> tuple[tuple[str, dict] | None, str]:
    """(run id, flat config) of a run file, or None and what is wrong with it."""
    try:
        with xr.open_dataset(f, engine=ENGINE) as ds:
            rid, config = ds.attrs.get("run_id"), ds.attrs.get("config_yaml")
            if rid is None or config is None:
                return None, "not a fearsim run file (no run id or config)"
            flat = flatten(run_config(ds))
    except Exception as exc:  # truncated or not HDF5: h5py raises OSError and others
        return None, f"unreadable ({str(exc).splitlines()[0] if str(exc) else exc!r})"
    problem = store.verify_run(f, rid)
    return (None, problem) if problem else ((rid, flat), "")


def points_from_results(results_dir: Path, params: list[str] | None
                        ) -> tuple[list[Point], list[str], dict]:
    flats, bad = {}, []
    for f in sorted(results_dir.glob("*.nc")):
        if f.name.startswith(".") or f.name == COLLECTED:
            continue
        read, problem = _read_run(f)
        if read is None:
            bad.append(Point(coords={}, status="unreadable", error=f"{f.resolve()}: {problem}",
                             overrides=[f.name]))
        else:
            flats[f.resolve()] = read
    if params:
        dims_keys = list(params)
    else:
        allkeys = list(dict.fromkeys(k for _, fl in flats.values() for k in fl))
        dims_keys = [k for k in allkeys if not _ignored(k) and k != SEED_KEY
                     and len({json.dumps(fl.get(k), default=str) for _, fl in flats.values()}) > 1]
    points = []
    for path, (rid, fl) in flats.items():
        coords = {dim_name(k): coord_value(fl.get(k)) for k in dims_keys}
        points.append(Point(coords=coords, path=path, run_id=rid, status="done"))
    return points + bad, [dim_name(k) for k in dims_keys], flats


# ---------------------------------------------------------------------------
# assembly


def _load(path: Path) -> tuple[xr.Dataset, dict]:
    with xr.open_dataset(path, engine=ENGINE) as ds:
        data = ds.load()
    attrs = dict(data.attrs)
    data.attrs = {}
    return data, attrs


def _load_runs(points: list[Point], dims: list[str]) -> dict[int, tuple[xr.Dataset, dict]]:
    """Load every point's run; complete its coordinates (seed, --params keys) from it.

    A file that fails to load now (changed since it was found) makes its point
    unreadable, not the collection fail.
    """
    loaded = {}
    for p in points:
        if p.path is None:
            continue
        try:
            ds, attrs = _load(p.path)
        except Exception as exc:  # h5py raises OSError and others on a damaged file
            p.status, p.error, p.path = "unreadable", f"{p.path}: {exc}", None
            continue
        loaded[id(p)] = (ds, attrs)
        config = yaml_text.load(attrs.get("config_yaml", "{}")) or {}
        seed = attrs.get("seed")
        p.coords.setdefault(SEED_DIM, int(seed if seed is not None
                                          else config["simulation"]["seed"]))
        absent = [d for d in dims if d not in p.coords]
        if absent:  # --params keys that are not overrides: read the run's config
            fl = flatten(config)
            for d in absent:
                if d in fl:
                    p.coords[d] = coord_value(fl[d])
    return loaded


@dataclass
class _Grid:
    dims: list[str]
    index: dict          # dim -> sorted values
    shape: tuple
    cell: dict           # grid index -> the point placed there
    lost: list           # points that miss a coordinate


def _grid(points: list[Point], dims: list[str]) -> _Grid:
    """Place the points on the grid of their coordinates (seed always a dimension)."""
    if SEED_DIM not in dims:
        dims = list(dims) + [SEED_DIM]
        seeds = {p.coords[SEED_DIM] for p in points if SEED_DIM in p.coords}
        if len(seeds) == 1:  # not swept: every point has the one seed
            for p in points:
                p.coords.setdefault(SEED_DIM, next(iter(seeds)))
    placeable = [p for p in points if all(d in p.coords for d in dims)]
    index = {d: sort_values(p.coords[d] for p in placeable) for d in dims}
    pos = {d: {v: i for i, v in enumerate(index[d])} for d in dims}
    cell: dict[tuple, Point] = {}
    for p in placeable:
        ix = tuple(pos[d][p.coords[d]] for d in dims)
        prev = cell.get(ix)
        if prev is not None and prev.path is not None and p.path is not None \
                and prev.run_id != p.run_id:
            raise SystemExit(
                f"fearsim-collect: runs {prev.run_id} and {p.run_id} fall on the same point "
                f"{p.coords}; add the key that tells them apart to --params")
        if prev is None or (prev.path is None and p.path is not None):
            cell[ix] = p
    return _Grid(dims, index, tuple(len(index[d]) for d in dims), cell,
                 [p for p in points if p not in placeable])


def _stack(grid: _Grid, present: list, aligned: list) -> tuple[dict, dict]:
    """Data variables and coordinates of the runs, with the grid dimensions in front."""
    dims, shape = tuple(grid.dims), grid.shape
    template = aligned[0]
    index_names = set(template.indexes)
    out_vars = {}
    coords = {d: grid.index[d] for d in grid.dims}
    for name in template.indexes:
        coords[name] = template.indexes[name]
    for v in dict.fromkeys(v for ds in aligned for v in ds.data_vars):
        src = next(ds[v] for ds in aligned if v in ds.data_vars)
        arr = np.full(shape + src.shape, np.nan, dtype=np.float64)
        for (ix, _), ds in zip(present, aligned, strict=True):
            if v in ds.data_vars:
                arr[ix] = ds[v].values
        out_vars[v] = (dims + src.dims, arr, dict(src.attrs))
    # non-index coordinates (phase(trial), session_phase(session) ...): shared if equal
    for c in dict.fromkeys(c for ds in aligned for c in ds.coords if c not in index_names):
        vals = [ds[c] for ds in aligned if c in ds.coords]
        first = vals[0]
        if all(x.dims == first.dims and np.array_equal(x.values, first.values) for x in vals):
            coords[c] = (first.dims, first.values, dict(first.attrs))
            continue
        text = first.values.dtype.kind in "OUS"
        arr = np.full(shape + first.shape, "" if text else np.nan,
                      dtype=object if text else float)
        for (ix, _), ds in zip(present, aligned, strict=True):
            if c in ds.coords:
                arr[ix] = ds[c].values
        out_vars[c] = (dims + first.dims, arr.astype(str) if text else arr)
    return out_vars, coords


def _manifest_vars(grid: _Grid, loaded: dict) -> dict:
    """Run id, results file, status and timings per grid point."""
    dims, shape = tuple(grid.dims), grid.shape
    run_id = np.full(shape, "", dtype=object)
    run_path = np.full(shape, "", dtype=object)
    status = np.full(shape, "missing", dtype=object)
    timing = {k: np.full(shape, np.nan) for k in ("wall_time_s", "build_s", "simulate_s",
                                                   "compiled")}
    for ix, p in grid.cell.items():
        run_id[ix] = p.run_id or ""
        status[ix] = p.status if p.path is None else "done"
        if p.path is None:
            continue
        run_path[ix] = str(p.path)
        attrs = loaded[id(p)][1]
        timing["wall_time_s"][ix] = float(attrs.get("wall_time_s", np.nan))
        t = json.loads(attrs.get("timings_json", "{}") or "{}")
        for k in ("build_s", "simulate_s"):
            timing[k][ix] = float(t.get(k, np.nan))
        if "compiled" in t:
            timing["compiled"][ix] = float(bool(t["compiled"]))
    out = {"run_id": (dims, run_id.astype(str), {"long_name": "run id ('' = none)"}),
           "run_path": (dims, run_path.astype(str), {"long_name": "results file"}),
           "status": (dims, status.astype(str),
                      {"long_name": "done | failed | unreadable | missing"})}
    for k, arr in timing.items():
        out[k] = (dims, arr, {"units": "s"} if k != "compiled" else
                  {"long_name": "1: this run compiled its build"})
    return out


def assemble(points: list[Point], dims: list[str], source: str) -> tuple[xr.Dataset, list[Point]]:
    """The collected Dataset and the points that have no run (missing, failed, unreadable)."""
    loaded = _load_runs(points, dims)
    # a point with no run and no coordinates (an unreadable file of a results
    # folder) has no place in the grid: it is reported, never merged away
    orphans = [p for p in points if p.path is None and not p.coords]
    points = [p for p in points if not (p.path is None and not p.coords)]
    if not loaded:
        for p in points + orphans:
            log(f"  {_where(p)}: {_what(p)}")
        raise SystemExit(f"fearsim-collect: no finished runs under {source}")
    grid = _grid(points, dims)
    present = [(ix, p) for ix, p in grid.cell.items() if p.path is not None]
    aligned = xr.align(*[loaded[id(p)][0] for _, p in present], join="outer",
                       exclude=grid.dims)
    out_vars, coords = _stack(grid, present, aligned)
    out_vars.update(_manifest_vars(grid, loaded))
    ds = xr.Dataset(out_vars, coords=coords)
    run_names = set(aligned[0].variables) | set(aligned[0].dims)
    ds = cf.describe(name_dims(ds, list(grid.dims), run_names))
    # a grid cell with no point at all (a non-grid sweep) is missing as well
    missing = [p for p in grid.cell.values() if p.path is None]
    missing += [Point(coords={d: grid.index[d][i] for d, i in zip(grid.dims, ix, strict=True)})
                for ix in np.ndindex(*grid.shape) if ix not in grid.cell]
    missing += grid.lost + orphans
    ds.attrs.update({
        "title": "fearsim collected sweep",
        "source": source,
        "sweep_dims": json.dumps([dim_of(ds, d) for d in grid.dims]),
        "n_points": int(np.prod(grid.shape)),
        "n_runs": len(present),
        "n_missing": len(missing),
        "missing_json": json.dumps([{**{k: coord_value(v) for k, v in p.coords.items()},
                                     "status": p.status, "error": p.error}
                                    for p in missing], default=str)[:100000],
        "base_config_yaml": loaded[id(present[0][1])][1].get("config_yaml", ""),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    })
    return ds, missing


def collect(target: Path, params: list[str] | None = None) -> tuple[xr.Dataset, list[Point]]:
    target = Path(target).resolve()
    if not target.is_dir():
        raise SystemExit(f"fearsim-collect: {target} is not a folder")
    if is_sweep_dir(target):
        points, dims = points_from_sweep(target, params)
    else:
        points, dims, _ = points_from_results(target, params)
    return assemble(points, dims, str(target))


# ---------------------------------------------------------------------------
# virtual cohorts

def _phase_stat(ds: xr.Dataset, spec: str) -> xr.DataArray:
    """'recall' or 'conditioning:last' -> freezing per subject."""
    phase, stat = metrics.parse_phase_spec(spec)
    try:
        return metrics.phase_stat(ds, phase, stat)
    except ValueError as exc:
        raise ValueError(f"{spec}: {exc}") from exc


def responders(ds: xr.Dataset, test: str = "recall", reference: str = "conditioning:last",
               drop: float = 0.30) -> xr.DataArray:
    """1 where freezing in ``test`` is at least ``drop`` (fraction) below ``reference``.

    Phases are written PHASE[:mean|first|last] (mean of the phase, its first or
    last block, as in the run files). NaN where a subject has no run.
    """
    return metrics.responders(_phase_stat(ds, test), _phase_stat(ds, reference), drop)


def cohort_summary(ds: xr.Dataset, test: str = "recall", reference: str = "conditioning:last",
                   drop: float = 0.30, subject_dim: str = SEED_DIM) -> xr.Dataset:
    """Group mean and SEM over subjects (seeds) per phase, and the responder fraction."""
    if subject_dim not in ds.dims:
        raise ValueError(f"no {subject_dim!r} dimension to average over")
    out = xr.Dataset()
    n = ds.phase_freezing.notnull().sum(subject_dim)
    for stat, var in metrics.PHASE_STATS.items():
        x = ds[var]
        suffix = "" if stat == "mean" else f"_{stat}"
        out[f"cohort_freezing{suffix}_mean"] = x.mean(subject_dim)
        out[f"cohort_freezing{suffix}_sem"] = x.std(subject_dim, ddof=1) / np.sqrt(n)
    out["cohort_n"] = n
    resp = responders(ds, test, reference, drop)
    out["responder"] = resp
    out["responder_fraction"] = resp.mean(subject_dim)
    out["responder_n"] = resp.notnull().sum(subject_dim)
    crit = f"{test} <= (1 - {drop}) * {reference}"
    out["responder"].attrs["criterion"] = crit
    out["responder_fraction"].attrs["criterion"] = crit
    out.attrs["responder_criterion"] = crit
    return out


def cohort_table(ds: xr.Dataset, summary: xr.Dataset) -> str:
    """Text table: one block per sweep point (other than seed)."""
    lines = [f"responder: {summary.attrs['responder_criterion']}"]
    other = [d for d in summary.cohort_freezing_mean.dims if d != "phase_name"]
    points = list(np.ndindex(*[summary.sizes[d] for d in other])) if other else [()]
    for ix in points:
        sel = {d: summary[d].values[i] for d, i in zip(other, ix, strict=True)}
        s = summary.isel({d: i for d, i in zip(other, ix, strict=True)})
        head = ", ".join(f"{d}={v}" for d, v in sel.items()) or "all"
        lines.append(f"{head}: n={int(s.cohort_n.max())}, responders "
                     f"{float(s.responder_fraction):.2f} of {int(s.responder_n)}")
        for ph in s.phase_name.values:
            m = float(s.cohort_freezing_mean.sel(phase_name=ph))
            e = float(s.cohort_freezing_sem.sel(phase_name=ph))
            lines.append(f"  {ph:<13}{m:7.1f} +/- {e:5.1f} %")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# command line


def _where(p: Point) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.coords.items()) or " ".join(p.overrides)


def _what(p: Point) -> str:
    return f"{p.status}: {p.error}" if p.status in ("failed", "unreadable") else p.status


def report_missing(missing: list[Point], ds: xr.Dataset) -> None:
    if not missing:
        log(f"{ds.attrs['n_runs']} runs, no missing points")
        return
    log(f"{len(missing)} of {ds.attrs['n_points']} points have no run (left NaN):")
    for p in missing[:30]:
        log(f"  {_where(p)}: {_what(p)}")
    if len(missing) > 30:
        log(f"  ... and {len(missing) - 30} more (attribute missing_json)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fearsim-collect", description=__doc__.split("\n\n")[0])
    ap.add_argument("target", type=Path, help="a Hydra sweep folder or a results folder")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"output file (default: TARGET/{COLLECTED})")
    ap.add_argument("--params", default=None,
                    help="comma-separated config keys to use as dimensions "
                         "(default: the keys that vary)")
    ap.add_argument("--cohort", action="store_true",
                    help="add group mean +/- SEM over seeds and responder fraction")
    ap.add_argument("--responder-test", default="recall", help="PHASE[:mean|first|last]")
    ap.add_argument("--responder-ref", default="conditioning:last",
                    help="PHASE[:mean|first|last]")
    ap.add_argument("--responder-drop", type=float, default=0.30,
                    help="fractional drop of freezing from ref to test that makes a responder")
    a = ap.parse_args(argv)
    params = [p.strip() for p in a.params.split(",") if p.strip()] if a.params else None
    ds, missing = collect(a.target, params)
    report_missing(missing, ds)
    if a.cohort:
        summary = cohort_summary(ds, a.responder_test, a.responder_ref, a.responder_drop)
        ds = ds.merge(summary, join="exact", compat="no_conflicts", combine_attrs="override")
        ds.attrs.update(summary.attrs)
        print(cohort_table(ds, summary))
    out = a.out or Path(a.target) / COLLECTED
    path = store.write_atomic(out, cf.describe(ds))
    log(f"dims {dict(ds.sizes)}")
    print(path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
