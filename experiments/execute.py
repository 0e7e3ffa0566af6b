"""Run a typed config and store it: the one way every command makes a result.

:func:`result_path` says where a config's results file lives (its run id);
:func:`run_and_store` checks the folders, reuses the file if it already holds
the finished run (verified, see :func:`experiments.io.store.verify_run`),
otherwise claims the run id (concurrent sweeps never compute one run twice),
simulates, writes the file and its PNGs and prints the per-phase table.
:func:`execute` is the same returning only the path. Used by ``fearsim-run``
(one run and every job of a sweep), by ``fearsim-figure`` and by tests;
nothing here knows about Hydra's command line.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from experiments.config_store import plain
from experiments.preflight import check_folders
from model.config import FearsimConfig

# the run a line belongs to, where several runs share one terminal (the jobs of a sweep)
_LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("fearsim_run_label", default="")


@contextlib.contextmanager
def labelled(label: str):
    """Within it, every line of :func:`log` and the phase table name ``label``.

    A sweep job labels its output with its run id, so that the lines of jobs
    running side by side can be told apart."""
    token = _LABEL.set(label)
    try:
        yield
    finally:
        _LABEL.reset(token)


def log(msg: str) -> None:
    label = _LABEL.get()
    print(f"[fearsim {label}] {msg}" if label else f"[fearsim] {msg}", file=sys.stderr,
          flush=True)


def _labelled_lines(text: str) -> str:
    label = _LABEL.get()
    return "\n".join(f"{label} | {line}" for line in text.splitlines()) if label else text


@dataclass
class Stored:
    path: Path
    run_id: str
    reused: bool  # the file held the finished run: nothing was simulated


def result_path(cfg: FearsimConfig, resolved: dict | None = None) -> tuple[str, Path]:
    """(run id, absolute results file path) of a typed config."""
    from experiments.io import store

    resolved = resolved or plain(cfg)
    rid = store.run_id(resolved)
    return rid, (Path(cfg.paths.results_dir) / f"{rid}.nc").resolve()


def _reusable(path: Path, rid: str) -> bool:
    from experiments.io import store

    if not path.exists():
        return False
    problem = store.verify_run(path, rid, store.code_fingerprint())
    if problem is None:
        return True
    log(f"run {rid}: the results file {path} is {problem}; computing the run again")
    return False


def run_and_store(cfg: FearsimConfig, resolved: dict | None = None,
                  force: bool = False) -> Stored:
    """Run one typed config and store it, or reuse its finished results file.

    ``force``: compute and overwrite even when a finished file exists.
    """
    from experiments.io import store

    resolved = resolved or plain(cfg)
    rid, path = result_path(cfg, resolved)
    check_folders(cfg)
    if not force and _reusable(path, rid):
        log(f"run {rid} already finished; reusing {path}")
        return Stored(path, rid, True)
    made = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    try:
        with store.claim(path, on_wait=lambda: log(
                f"run {rid} is being computed by another process; waiting for it")):
            if not force and _reusable(path, rid):  # the other process finished it
                log(f"run {rid} finished by another process; reusing {path}")
                return Stored(path, rid, True)
            _simulate_and_write(cfg, resolved, rid, path)
    except BaseException:
        _remove_empty(made)  # a failed run leaves no folder behind it made
        raise
    return Stored(path, rid, False)


def _remove_empty(folders: list[Path]) -> None:
    for d in folders:  # deepest first
        try:
            d.rmdir()
        except OSError:  # not empty (another run wrote there) or already gone
            return


def _simulate_and_write(cfg: FearsimConfig, resolved: dict, rid: str, path: Path) -> None:
    from experiments.figures import run_plots as plotting
    from experiments.io import build_cache, store
    from model import simulate

    t0 = time.perf_counter()
    log(f"run {rid}: scale {cfg.network.scale}, seed {cfg.simulation.seed}, "
        f"device {simulate.resolve_device(cfg.simulation.device)}")
    outcome = build_cache.run_cached(cfg, progress=log)
    wall = time.perf_counter() - t0
    prov = store.provenance(outcome.device, cfg.simulation.seed, wall, rid, outcome.timings)
    outcome.summary.attrs["run_id"] = rid
    store.write_run(path, outcome.summary, outcome.spikes, resolved, prov)
    plotting.plot_run(outcome.summary, path.with_suffix(".png"))
    if plotting.has_slow_dynamics(outcome.summary):
        plotting.plot_slow(outcome.summary, path.with_name(path.stem + "_slow.png"))
    print(_labelled_lines(plotting.phase_table(outcome.summary)), flush=True)
    log(f"done in {wall:.1f} s (simulation {outcome.timings.get('simulate_s', float('nan')):.1f} s)")


def execute(cfg: FearsimConfig, resolved: dict | None = None, force: bool = False) -> Path:
    """Run one typed config and store it (or reuse it); returns the results file path."""
    return run_and_store(cfg, resolved, force).path
