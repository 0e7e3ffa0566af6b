"""``fearsim-run``: simulate one configuration (or a Hydra ``-m`` sweep).

Prints progress and a per-phase summary; the last line of stdout is the
absolute path of the results file. A finished run is found by its run id and
reused; ``--force`` computes it again. Bad configuration (in a sweep: in any
of its jobs), an unwritable results folder or build cache: one line on stderr
naming the key, exit code 2, nothing written, before anything is simulated.
A run whose activity runs away or turns NaN, or whose simulation did not reach
the end of the protocol: exit code 3, nothing stored. Ctrl-C or SIGTERM: the
simulation stops, nothing is stored, and the process ends by the signal (see
:mod:`experiments.cli.interrupts`).

In a multirun (``-m``) every job prints its run id and status and appends a
line to ``<sweep dir>/manifest.jsonl`` (see :mod:`experiments.io.sweeps`);
a job's progress lines and phase table carry the first digits of its run id
(``[fearsim 998b6ffd] ...``, ``998b6ffd | recall ...``), so that jobs running
side by side can be told apart;
a failing job is reported with its overrides and error and the sweep goes on,
and the sweep exits 1 if any of its jobs failed. Without ``hydra.sweep.dir``
every sweep gets a folder of its own under ``results/multirun``. The last line
of a sweep's stdout is the sweep folder.
"""

from __future__ import annotations

import os
import sys
import time
import traceback

import hydra
from omegaconf import DictConfig

from experiments.cli.interrupts import run_until_signal, signals_raise
from experiments.config_store import CONFIG_DIR, plain, register, to_config
from experiments.execute import labelled, log, result_path, run_and_store
from experiments.preflight import INVOCATION_ENV, CommandLine, check_command_line
from model.config import ConfigError
from model.readout import RunawayError
from model.standalone import SimulationError

FORCE_ENV = "FEARSIM_FORCE"
# hex digits of the run id that label a sweep job's lines (unique within any sweep in practice)
LABEL_DIGITS = 8

register()


def _forced() -> bool:
    return os.environ.get(FORCE_ENV) == "1"


def _sweep_job(cfg: DictConfig) -> dict:
    """One job of a multirun: never raises an Exception, records itself in the manifest."""
    from hydra.core.hydra_config import HydraConfig

    from experiments.io.sweeps import append_manifest, sweep_dir_of

    hc = HydraConfig.get()
    sweep_dir = sweep_dir_of(hc)
    overrides = [str(o) for o in hc.overrides.task]
    num = hc.job.num
    t0 = time.time()
    rec = {"job": num, "overrides": overrides, "time_start": t0, "run_id": None, "path": None,
           "invocation": os.environ.get(INVOCATION_ENV, "")}
    try:
        typed = to_config(cfg)
        resolved = plain(typed)
        rid, path = result_path(typed, resolved)
        rec.update(run_id=rid, path=str(path))
        with labelled(rid[:LABEL_DIGITS]):  # jobs side by side: whose line is whose
            stored = run_and_store(typed, resolved, force=_forced())
        rec.update(status="skipped" if stored.reused else "done", path=str(stored.path))
    except Exception as exc:
        rec.update(status="failed", error=f"{exc.__class__.__name__}: {exc}")
        print(f"fearsim: job {num} FAILED ({' '.join(overrides)}): {rec['error']}",
              file=sys.stderr, flush=True)
        if not isinstance(exc, (ConfigError, RunawayError, SimulationError)):
            traceback.print_exc(file=sys.stderr)
    rec["wall_s"] = time.time() - t0
    append_manifest(sweep_dir, rec)
    log(f"job {num} run {rec['run_id'] or '-'}: {rec['status']} ({rec['wall_s']:.1f} s)")
    if rec["status"] != "failed":
        print(rec["path"], flush=True)
    return {k: rec.get(k) for k in ("status", "run_id", "path", "error")}


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
@signals_raise
def _hydra_main(cfg: DictConfig):
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return _sweep_job(cfg)
    try:
        typed = to_config(cfg)
        path = run_and_store(typed, force=_forced()).path
    except ConfigError as exc:  # a value the simulation would compute as NaN included
        print(f"fearsim: invalid config: {exc}", file=sys.stderr)
        sys.exit(2)
    except (RunawayError, SimulationError) as exc:
        print(f"fearsim: run failed (not stored): {exc}", file=sys.stderr)
        sys.exit(3)
    print(path, flush=True)


def _sweep_exit_code(line: CommandLine) -> int:
    """1 if a job of this invocation failed or left no record, else 0."""
    from experiments.io.sweeps import SweepProgress, invocation_counts

    if SweepProgress.started is None:  # Hydra ran no sweep (e.g. -m --cfg job)
        return 0
    c = invocation_counts(SweepProgress.started, line.invocation)
    bad = c["failed"] + max(len(line.jobs) - sum(c.values()), 0)
    if bad:
        print(f"fearsim: {bad} of {len(line.jobs)} sweep jobs failed or did not finish",
              file=sys.stderr, flush=True)
    return 1 if bad else 0


def _command(argv: list[str]) -> None:
    """Check the command line, hand it to Hydra, report a sweep's failed jobs."""
    try:
        line = check_command_line(argv)
    except ConfigError as exc:
        print(f"fearsim: invalid config: {exc}", file=sys.stderr)
        sys.exit(2)
    if _forced() and line.multirun:
        line.argv.append(f"++hydra.job.env_set.{FORCE_ENV}=1")
    sys.argv = [sys.argv[0], *line.argv]
    _hydra_main()
    if line.multirun and line.invocation:
        sys.exit(_sweep_exit_code(line))


def main() -> None:
    from experiments.cli.run_info import answer_early

    argv = sys.argv[1:]
    if "--force" in argv:
        argv = [a for a in argv if a != "--force"]
        os.environ[FORCE_ENV] = "1"
    answer_early(argv)  # --version, --preview: answered before Hydra starts
    run_until_signal(lambda: _command(argv))


if __name__ == "__main__":
    main()
