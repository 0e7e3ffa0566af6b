"""``fearsim-run``: simulate one configuration (or a Hydra ``-m`` sweep).

Prints progress and a per-phase summary; the last line of stdout is the
absolute path of the results file. Bad configuration: one line on stderr
naming the key, exit code 2, nothing written. A run whose activity runs away
or turns NaN: exit code 3, nothing stored.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from experiments.config_store import CONFIG_DIR, plain, register, to_config
from model.config import ConfigError

register()


def log(msg: str) -> None:
    print(f"[fearsim] {msg}", file=sys.stderr, flush=True)


def execute(cfg_typed, resolved: dict | None = None) -> Path:
    """Run one typed config and store it; returns the results file path."""
    from experiments import plotting, store
    from model import simulate

    resolved = resolved or plain(cfg_typed)
    rid = store.run_id(resolved)
    out_dir = Path(cfg_typed.paths.results_dir)
    path = (out_dir / f"{rid}.nc").resolve()
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
    print(plotting.phase_table(outcome.summary))
    log(f"done in {wall:.1f} s (simulation {outcome.timings.get('simulate_s', float('nan')):.1f} s)")
    return path


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    from model.readout import RunawayError

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
    _hydra_main()


if __name__ == "__main__":
    main()
