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

from experiments.analysis.design import EVALUATION, SubjectRange, group_subjects
from model.readout import RunawayError


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
    subject_index: int = 0


@dataclass
class RunFailure:
    """Why a run has no results file; runaway activity is a result of the model."""

    message: str
    runaway: bool


def plan(module, quick: bool, n: int | None, runs_dir: Path, design: str | None = None,
         subjects: SubjectRange = EVALUATION, extra: list[str] | None = None) -> list[RunSpec]:
    """Every run of one figure, with its run id and results path.

    Group g's subjects come from :func:`experiments.analysis.design.group_subjects`
    (``design`` defaults to the figure's ``DESIGN``); ``extra`` overrides apply
    to every run (calibration uses them).
    """
    import copy

    from experiments.config_store import compose, plain
    from experiments.execute import result_path
    from experiments.io.store import run_id

    n = n or module.n_seeds(quick)
    design = design or module.DESIGN
    out = []
    for g, grp in enumerate(module.groups(quick)):
        base = None
        for k, seed in enumerate(group_subjects(g, n, design, subjects)):
            ov = grp.subject_overrides(seed) + list(extra or []) + [
                f"paths.results_dir={runs_dir}"]
            if grp.per_subject is not None:
                rid, path = result_path(compose(ov))
            else:  # the seed is the only difference: compose the group once
                if base is None:
                    base = plain(compose(ov))
                resolved = copy.deepcopy(base)
                resolved["simulation"]["seed"] = seed
                rid = run_id(resolved)
                path = (Path(runs_dir) / f"{rid}.nc").resolve()
            out.append(RunSpec(module.NAME, grp.label, seed, ov, rid, path, [module.NAME], k))
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


def execute_missing(specs: list[RunSpec], jobs: int = 1) -> dict[str, RunFailure]:
    """Run every spec whose results file is missing; returns {run id: failure}."""
    from experiments.io import store

    unique: dict[str, RunSpec] = {}
    for s in specs:
        unique.setdefault(s.run_id, s)
    errors: dict[str, RunFailure] = {}
    for s in unique.values():  # runaway runs are finished results too: not run again
        mark = runaway_marker(s)
        if not s.path.exists() and mark.exists():
            errors[s.run_id] = RunFailure(json.loads(mark.read_text())["error"], True)
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
                failure = RunFailure(f"{exc.__class__.__name__}: {exc}",
                                     isinstance(exc, RunawayError))
                errors[s.run_id] = failure
                if failure.runaway:
                    runaway_marker(s).write_text(json.dumps(
                        {"run_id": s.run_id, "overrides": s.overrides,
                         "error": failure.message}))
                status = f"FAILED ({failure.message})"
            el = time.time() - t0
            eta = el / done * (len(todo) - done)
            log(f"{done}/{len(todo)} {s.figure}/{s.group} seed {s.seed} run {s.run_id}: "
                f"{status}; elapsed {el:.0f} s, ETA {eta:.0f} s")
    return errors


def die_with_parent() -> None:
    """Worker initializer: end this worker when the figure command is killed.

    Without it, a killed ``fearsim-figure`` would leave its spawned workers
    starting new simulations. Linux only (prctl PR_SET_PDEATHSIG); elsewhere a
    no-op.
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
    """{group label: [datasets of finished runs, in subject order]}.

    Each dataset carries its ``seed`` and ``subject_index`` (its position among
    the group's subjects), so that a missing run leaves a gap, not a shift.
    """
    data: dict[str, list[xr.Dataset]] = {}
    for s in specs:
        data.setdefault(s.group, [])
        if s.path is None or not s.path.exists():
            continue
        with xr.open_dataset(s.path, engine="h5netcdf") as ds:
            ds = ds.load()
        ds.attrs["seed"] = s.seed
        ds.attrs["subject_index"] = s.subject_index
        ds.attrs["fig_group"] = s.group
        ds.attrs["run_path"] = str(s.path)  # for readouts of the spikes group
        data[s.group].append(ds)
    return data
