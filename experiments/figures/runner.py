"""Plan, run (what is missing, in parallel) and load the runs of figures."""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr


def log(msg: str) -> None:
    print(f"[figure] {msg}", file=sys.stderr, flush=True)


@dataclass
class RunSpec:
    figure: str
    group: str
    seed: int
    overrides: list[str]
    run_id: str = ""
    path: Path | None = None
    figures: list[str] = field(default_factory=list)


def seeds(module, label: str, n: int) -> list[int]:
    if hasattr(module, "seeds_for"):
        return module.seeds_for(label, n)
    return list(range(1, n + 1))


def plan(module, quick: bool, n: int | None, runs_dir: Path) -> list[RunSpec]:
    """Every run of one figure, with its run id and results path."""
    import copy

    from experiments.config_store import compose, plain
    from experiments.execute import result_path
    from experiments.io.store import run_id

    n = n or module.n_seeds(quick)
    out = []
    for grp in module.groups(quick):
        base = None
        for seed in seeds(module, grp.label, n):
            ov = grp.subject_overrides(seed) + [f"paths.results_dir={runs_dir}"]
            if grp.per_subject is not None:
                rid, path = result_path(compose(ov))
            else:  # the seed is the only difference: compose the group once
                if base is None:
                    base = plain(compose(ov))
                resolved = copy.deepcopy(base)
                resolved["simulation"]["seed"] = seed
                rid = run_id(resolved)
                path = (Path(runs_dir) / f"{rid}.nc").resolve()
            out.append(RunSpec(module.NAME, grp.label, seed, ov, rid, path, [module.NAME]))
    return out


def runaway_marker(spec: RunSpec) -> Path:
    """Where a run stopped for runaway activity is remembered (it is a result)."""
    return spec.path.with_name(f"{spec.run_id}.runaway.json")


def _worker(overrides: list[str]) -> str:
    """Run one config in a worker process (stdout goes to stderr)."""
    import contextlib

    os.environ.setdefault("MPLBACKEND", "Agg")
    with contextlib.redirect_stdout(sys.stderr):
        from experiments.config_store import compose
        from experiments.execute import execute

        return str(execute(compose(overrides)))


def execute_missing(specs: list[RunSpec], jobs: int = 1) -> dict[str, str]:
    """Run every spec whose results file is missing; returns {run id: error} of failures."""
    from experiments.io import store
    from model.readout import RunawayError

    unique: dict[str, RunSpec] = {}
    for s in specs:
        unique.setdefault(s.run_id, s)
    errors: dict[str, str] = {}
    for s in unique.values():  # runaway runs are finished results too: not run again
        mark = runaway_marker(s)
        if not s.path.exists() and mark.exists():
            errors[s.run_id] = json.loads(mark.read_text())["error"]
    todo = [s for s in unique.values()
            if store.verify_run(s.path, s.run_id) is not None and s.run_id not in errors]
    log(f"{len(unique)} runs, {len(unique) - len(todo) - len(errors)} finished, "
        f"{len(errors)} stopped earlier for runaway activity, {len(todo)} to run "
        f"on {jobs} process(es)")
    if not todo:
        return errors
    import multiprocessing as mp

    t0 = time.time()
    done = 0
    with ProcessPoolExecutor(max_workers=max(1, jobs), initializer=die_with_parent,
                             mp_context=mp.get_context("spawn")) as pool:
        futs = {pool.submit(_worker, s.overrides): s for s in todo}
        for fut in as_completed(futs):
            s = futs[fut]
            done += 1
            try:
                fut.result()
                status = "done"
            except Exception as exc:  # a failed run is reported; the rest goes on
                errors[s.run_id] = f"{exc.__class__.__name__}: {exc}"
                if isinstance(exc, RunawayError):
                    runaway_marker(s).write_text(json.dumps(
                        {"run_id": s.run_id, "overrides": s.overrides,
                         "error": errors[s.run_id]}))
                status = f"FAILED ({errors[s.run_id]})"
            el = time.time() - t0
            eta = el / done * (len(todo) - done)
            log(f"{done}/{len(todo)} {s.figure}/{s.group} seed {s.seed} run {s.run_id}: "
                f"{status}; elapsed {el:.0f} s, ETA {eta:.0f} s")
    return errors


def die_with_parent() -> None:
    """Worker initializer: end this worker when the figure command is killed.

    Without it, killing ``fearsim-figure`` left its spawned workers starting
    new simulations (seen in session 2). Linux only (prctl PR_SET_PDEATHSIG);
    elsewhere a no-op.
    """
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def load(specs: list[RunSpec]) -> dict[str, list[xr.Dataset]]:
    """{group label: [datasets of finished runs, in seed order]}."""
    data: dict[str, list[xr.Dataset]] = {}
    for s in specs:
        data.setdefault(s.group, [])
        if s.path is None or not s.path.exists():
            continue
        with xr.open_dataset(s.path, engine="h5netcdf") as ds:
            ds = ds.load()
        ds.attrs["seed"] = s.seed
        ds.attrs["fig_group"] = s.group
        data[s.group].append(ds)
    return data
