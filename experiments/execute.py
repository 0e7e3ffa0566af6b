"""Run a typed config and store it: the one way every command makes a result.

:func:`result_path` says where a config's results file lives (its run id);
:func:`execute` simulates the config unless that file already holds a finished
run, then writes the file, its PNGs and prints the per-phase table. Used by
``fearsim-run`` (one run and every job of a sweep), by ``fearsim-figure`` and
by tests; nothing here knows about Hydra's command line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from experiments.config_store import plain
from model.config import FearsimConfig


def log(msg: str) -> None:
    print(f"[fearsim] {msg}", file=sys.stderr, flush=True)


def result_path(cfg: FearsimConfig, resolved: dict | None = None) -> tuple[str, Path]:
    """(run id, absolute results file path) of a typed config."""
    from experiments.io import store

    resolved = resolved or plain(cfg)
    rid = store.run_id(resolved)
    return rid, (Path(cfg.paths.results_dir) / f"{rid}.nc").resolve()


def execute(cfg: FearsimConfig, resolved: dict | None = None) -> Path:
    """Run one typed config and store it; returns the results file path."""
    from experiments.figures import run_plots as plotting
    from experiments.io import store
    from model import simulate

    resolved = resolved or plain(cfg)
    rid, path = result_path(cfg, resolved)
    if path.exists():
        log(f"run {rid} already finished; reusing {path}")
        return path
    t0 = time.perf_counter()
    log(f"run {rid}: scale {cfg.network.scale}, seed {cfg.simulation.seed}, "
        f"device {simulate.resolve_device(cfg.simulation.device)}")
    outcome = simulate.run(cfg, progress=log)
    wall = time.perf_counter() - t0
    prov = store.provenance(outcome.device, cfg.simulation.seed, wall, rid, outcome.timings)
    outcome.summary.attrs["run_id"] = rid
    store.write_run(path, outcome.summary, outcome.spikes, resolved, prov)
    plotting.plot_run(outcome.summary, path.with_suffix(".png"))
    if plotting.has_slow_dynamics(outcome.summary):
        plotting.plot_slow(outcome.summary, path.with_name(path.stem + "_slow.png"))
    print(plotting.phase_table(outcome.summary))
    log(f"done in {wall:.1f} s (simulation {outcome.timings.get('simulate_s', float('nan')):.1f} s)")
    return path
