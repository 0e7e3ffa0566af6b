"""``fearsim-run``: simulate one configuration (or a Hydra ``-m`` sweep).

Prints progress and a per-phase summary; the last line of stdout is the
absolute path of the results file. Bad configuration: one line on stderr
naming the key, exit code 2, nothing written. A run whose activity runs away
or turns NaN: exit code 3, nothing stored.

In a multirun (``-m``) every job prints its run id and status and appends a
line to ``<sweep dir>/manifest.jsonl`` (see :mod:`experiments.io.sweeps`);
a failing job is reported with its overrides and error and the sweep goes on.
The last line of a sweep's stdout is the sweep folder.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import hydra
from omegaconf import DictConfig

from experiments.config_store import CONFIG_DIR, plain, register, to_config
from model.config import ConfigError

register()


def log(msg: str) -> None:
    print(f"[fearsim] {msg}", file=sys.stderr, flush=True)


def result_path(cfg_typed, resolved: dict | None = None) -> tuple[str, Path]:
    """(run id, absolute results file path) of a typed config."""
    from experiments.io import store

    resolved = resolved or plain(cfg_typed)
    rid = store.run_id(resolved)
    return rid, (Path(cfg_typed.paths.results_dir) / f"{rid}.nc").resolve()


def execute(cfg_typed, resolved: dict | None = None) -> Path:
    """Run one typed config and store it; returns the results file path."""
    from experiments.figures import run_plots as plotting
    from experiments.io import store
    from model import simulate

    resolved = resolved or plain(cfg_typed)
    rid, path = result_path(cfg_typed, resolved)
    if path.exists():
        log(f"run {rid} already finished; reusing {path}")
        return path
    t0 = time.perf_counter()
    log(f"run {rid}: scale {cfg_typed.network.scale}, seed {cfg_typed.simulation.seed}, "
        f"device {simulate.resolve_device(cfg_typed.simulation.device)}")
    outcome = simulate.run(cfg_typed, progress=log)
    wall = time.perf_counter() - t0
    prov = store.provenance(outcome.device, cfg_typed.simulation.seed, wall, rid,
                            outcome.timings)
    outcome.summary.attrs["run_id"] = rid
    store.write_run(path, outcome.summary, outcome.spikes, resolved, prov)
    plotting.plot_run(outcome.summary, path.with_suffix(".png"))
    if plotting.has_slow_dynamics(outcome.summary):
        plotting.plot_slow(outcome.summary, path.with_name(path.stem + "_slow.png"))
    print(plotting.phase_table(outcome.summary))
    log(f"done in {wall:.1f} s (simulation {outcome.timings.get('simulate_s', float('nan')):.1f} s)")
    return path


def _sweep_job(cfg: DictConfig) -> dict:
    """One job of a multirun: never raises an Exception, records itself in the manifest."""
    from hydra.core.hydra_config import HydraConfig

    from experiments.io.sweeps import append_manifest, sweep_dir_of

    hc = HydraConfig.get()
    sweep_dir = sweep_dir_of(hc)
    overrides = [str(o) for o in hc.overrides.task]
    num = hc.job.num
    t0 = time.time()
    rec = {"job": num, "overrides": overrides, "time_start": t0, "run_id": None, "path": None}
    try:
        typed = to_config(cfg)
        resolved = plain(typed)
        rid, path = result_path(typed, resolved)
        rec.update(run_id=rid, path=str(path))
        existed = path.exists()
        path = execute(typed, resolved)
        rec.update(status="skipped" if existed else "done", path=str(path))
    except Exception as exc:
        rec.update(status="failed", error=f"{exc.__class__.__name__}: {exc}")
        print(f"fearsim: job {num} FAILED ({' '.join(overrides)}): {rec['error']}",
              file=sys.stderr, flush=True)
        if not isinstance(exc, ConfigError) and exc.__class__.__name__ != "RunawayError":
            traceback.print_exc(file=sys.stderr)
    rec["wall_s"] = time.time() - t0
    append_manifest(sweep_dir, rec)
    log(f"job {num} run {rec['run_id'] or '-'}: {rec['status']} ({rec['wall_s']:.1f} s)")
    if rec["status"] != "failed":
        print(rec["path"], flush=True)
    return {k: rec.get(k) for k in ("status", "run_id", "path", "error")}


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def _hydra_main(cfg: DictConfig):
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from model.readout import RunawayError

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return _sweep_job(cfg)
    try:
        typed = to_config(cfg)
    except ConfigError as exc:
        print(f"fearsim: invalid config: {exc}", file=sys.stderr)
        sys.exit(2)
    try:
        path = execute(typed)
    except RunawayError as exc:
        print(f"fearsim: run failed (not stored): {exc}", file=sys.stderr)
        sys.exit(3)
    print(path, flush=True)


def main() -> None:
    from experiments.cli.run_info import answer_early

    answer_early(sys.argv[1:])  # --version, --preview: answered before Hydra starts
    _hydra_main()


if __name__ == "__main__":
    main()
