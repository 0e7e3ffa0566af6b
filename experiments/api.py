"""fearsim from Python: compose a config, run it, read a run, sweep and collect.

The same operations as the commands, as functions::

    from experiments import api

    cfg = api.compose(["experiment=tiny", "simulation.seed=2"])  # typed, validated
    path = api.run(cfg)                  # simulate and store; a finished run is reused
    run = api.load(path)                 # or a run id, or a unique prefix of one
    run.summary.freezing                 # per-trial freezing (an xarray DataArray)
    run.spike_trains("LA_E")             # spike times of every LA_E neuron (s)
    folder = api.sweep(["experiment=tiny", "simulation.seed=1,2"])  # fearsim-run -m
    ds = api.collect(folder)             # one dataset, dimension seed
    api.export_nwb(run)                  # the run as an NWB file (fearsim[nwb])

docs/tutorial.ipynb walks through them on the tiny network.

Overrides are Hydra's ``key=value`` strings, exactly as on the command line. A
bad value raises :class:`ConfigError` naming the key. Results go where the
config's ``paths.results_dir`` says (relative to the current folder).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from experiments.io.runs import Run, RunNotFound, load_run
from model import __version__
from model.config import ConfigError, FearsimConfig

__all__ = ["ConfigError", "FearsimConfig", "Run", "RunNotFound", "SweepFailed", "__version__",
           "collect", "compose", "export_nwb", "load", "run", "sweep"]


class SweepFailed(RuntimeError):
    """``fearsim-run -m`` ended with an error (some of its jobs failed)."""


def compose(overrides: Sequence[str] = ()) -> FearsimConfig:
    """The typed, validated config of ``fearsim-run OVERRIDES`` (no run)."""
    from experiments.config_store import compose as _compose

    return _compose(list(overrides))


def run(config: FearsimConfig | Sequence[str] = (), force: bool = False) -> Path:
    """Simulate a config (or the config of some overrides) and store it.

    Returns the results file. A finished run of the same config is found by its
    run id and reused, unless ``force``. Raises :class:`ConfigError` for a bad
    config, ``model.readout.RunawayError`` when activity runs away (nothing stored).
    """
    from experiments.execute import execute

    cfg = config if isinstance(config, FearsimConfig) else compose(config)
    return execute(cfg, force=force)


def load(run: str | Path, results_dir: str | Path | None = None) -> Run:
    """A stored run: a results file, a run id or a unique prefix of one.

    Run ids are looked up in ``results_dir`` (default: the config's ``paths.results_dir``).
    """
    return load_run(run, results_dir)


def sweep(overrides: Sequence[str], sweep_dir: str | Path | None = None, jobs: int = 1,
          quiet: bool = False) -> Path:
    """Run ``fearsim-run -m OVERRIDES`` and return its sweep folder.

    ``jobs`` > 1 runs that many jobs at once on this machine (``hydra/launcher=local``);
    ``sweep_dir`` sets ``hydra.sweep.dir``. The sweep's progress is echoed unless
    ``quiet``. Raises :class:`SweepFailed` when the command fails.
    """
    argv = [sys.executable, "-m", "experiments.cli.run", "-m", *overrides]
    if jobs > 1:
        argv += ["hydra/launcher=local", f"hydra.launcher.n_jobs={int(jobs)}"]
    if sweep_dir is not None:
        argv.append(f"hydra.sweep.dir={Path(sweep_dir).resolve()}")
    lines = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          cwd=Path.cwd(), bufsize=1) as proc:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if not quiet:
                print(line, end="", flush=True)
    folder = next((ln for ln in reversed(lines) if ln.strip()), "")
    if proc.returncode != 0 or not Path(folder).is_dir():
        tail = "\n".join(lines[-20:])
        raise SweepFailed(f"fearsim-run -m exited {proc.returncode}:\n{tail}")
    return Path(folder)


def collect(target: str | Path, params: Sequence[str] | None = None) -> xr.Dataset:
    """One dataset of a sweep folder or a results folder (what ``fearsim-collect`` writes).

    The dimensions are the overrides that vary (or ``params``), named by the last part of
    their config key (``learning_rate``), plus ``seed``;
    points without a finished run are NaN and listed in the ``missing_json`` attribute.
    """
    from experiments.io.collect import collect as _collect

    ds, _missing = _collect(Path(target), list(params) if params else None)
    return ds


def export_nwb(run: str | Path | Run, out: str | Path | None = None) -> Path:
    """Write a run as an NWB file (validated by pynwb); returns its path.

    ``out`` defaults to the results file with suffix ``.nwb``. Needs ``fearsim[nwb]``.
    """
    from experiments.io.nwb import write_nwb

    loaded = run if isinstance(run, Run) else load_run(run)
    return write_nwb(loaded, out or loaded.path.with_suffix(".nwb"))
