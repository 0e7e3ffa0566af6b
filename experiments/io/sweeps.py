"""Sweep bookkeeping: the job manifest, the expected job list, progress.

A Hydra multirun (``fearsim-run -m ...``) keeps two files in its sweep folder
(``hydra.sweep.dir``):

``sweep.json``
    written once per invocation, before any job starts, by
    :class:`SweepProgress.on_multirun_start`: the start time, the command's
    overrides and the full list of job overrides (the expanded grid). It is
    what ``fearsim-collect`` uses to know which points are missing.
``manifest.jsonl``
    one JSON line per finished job, appended under an exclusive file lock by
    the job itself (any process, any machine sharing the folder): run id,
    job overrides, results path, status (``done``, ``skipped`` or
    ``failed``), error, times. A restarted sweep appends to it.

Hydra calls ``on_job_end`` inside the process that ran the job (a joblib
worker, a SLURM task), so the counts and the ETA are read back from the
manifest, not kept in memory: they are right with every launcher.
``on_multirun_end`` receives no job results and also reads the manifest.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from experiments.io.eta import launcher_parallelism, sweep_eta

MANIFEST = "manifest.jsonl"
SWEEP_JSON = "sweep.json"
STATUSES = ("done", "skipped", "failed")


def say(msg: str) -> None:
    print(f"[sweep] {msg}", file=sys.stderr, flush=True)


def sweep_dir_of(hydra_cfg: Any) -> Path:
    """Absolute sweep folder from a Hydra config node (``cfg.hydra`` or HydraConfig)."""
    d = Path(str(hydra_cfg.sweep.dir))
    if not d.is_absolute():
        cwd = None
        try:
            cwd = hydra_cfg.runtime.cwd
        except Exception:  # runtime not populated
            cwd = None
        d = Path(cwd or os.getcwd()) / d
    return d.resolve()


# ---------------------------------------------------------------------------
# manifest


def append_manifest(sweep_dir: Path, record: dict) -> None:
    """Append one JSON line atomically (exclusive lock, one write)."""
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    record = dict(record)
    record.setdefault("time", time.time())
    record.setdefault("host", socket.gethostname())
    record.setdefault("pid", os.getpid())
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    fd = os.open(str(sweep_dir / MANIFEST), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def read_manifest(sweep_dir: Path) -> list[dict]:
    """All manifest records, oldest first; a torn line (never expected) is skipped."""
    path = Path(sweep_dir) / MANIFEST
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def count(records: list[dict], since: float | None = None) -> dict:
    c = {s: 0 for s in STATUSES}
    for r in records:
        if since is not None and r.get("time", 0) < since:
            continue
        if r.get("status") in c:
            c[r["status"]] += 1
    return c


# ---------------------------------------------------------------------------
# expected jobs


def expand_sweep(arguments: list[str], sweeper_params: dict | None = None) -> list[list[str]]:
    """The job override lists Hydra's basic sweeper makes of ``arguments``."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader = None
    try:  # glob(*) over a config group needs Hydra's config loader (set in a live sweep)
        from hydra.core.global_hydra import GlobalHydra

        if GlobalHydra.instance().is_initialized():
            loader = GlobalHydra.instance().config_loader()
    except Exception:
        loader = None
    params = [f"{k}={v}" for k, v in (sweeper_params or {}).items()]
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(
        params + list(arguments))
    batches = BasicSweeper.split_arguments(parsed, None)
    return [list(job) for job in batches[0]] if batches else [[]]


def write_sweep_json(sweep_dir: Path, info: dict) -> Path:
    sweep_dir.mkdir(parents=True, exist_ok=True)
    path = sweep_dir / SWEEP_JSON
    fd, tmp = tempfile.mkstemp(prefix=".sweep.", suffix=".tmp", dir=sweep_dir)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def read_sweep_json(sweep_dir: Path) -> dict | None:
    path = Path(sweep_dir) / SWEEP_JSON
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def fmt_s(seconds: float) -> str:
    if seconds != seconds or seconds < 0:  # NaN
        return "?"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class SweepProgress(Callback):
    """Counts done/failed/skipped jobs and prints an ETA after each job."""

    def __init__(self, every: int = 1) -> None:
        self.every = max(1, int(every))

    def on_multirun_start(self, config, **kwargs: Any) -> None:
        from omegaconf import OmegaConf

        sweep_dir = sweep_dir_of(config.hydra)
        arguments = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
        params = None
        try:
            params = OmegaConf.to_container(config.hydra.sweeper.params, resolve=False)
        except Exception:
            params = None
        try:
            jobs = expand_sweep(arguments, params)
        except Exception as exc:  # a sweeper with its own syntax (optuna, ...)
            say(f"cannot expand the sweep ({exc}); progress without a total")
            jobs = []
        info = {
            "started": time.time(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cwd": os.getcwd(),
            "arguments": arguments,
            "jobs": jobs,
            "total": len(jobs),
            "launcher": str(OmegaConf.select(config, "hydra.launcher._target_", default="")),
        }
        write_sweep_json(sweep_dir, info)
        say(f"{len(jobs)} jobs; sweep folder {sweep_dir}")

    def on_job_end(self, config, job_return, **kwargs: Any) -> None:
        from hydra.core.utils import JobStatus
        from hydra.types import RunMode

        try:
            if config.hydra.mode != RunMode.MULTIRUN:
                return
        except Exception:
            return
        sweep_dir = sweep_dir_of(config.hydra)
        if job_return.status == JobStatus.FAILED:  # escaped the task function
            say(f"job {config.hydra.job.num} raised {job_return._return_value!r}")
        info = read_sweep_json(sweep_dir) or {}
        since = info.get("started")
        records = [r for r in read_manifest(sweep_dir)
                   if since is None or r.get("time", 0) >= since]
        c = count(records)
        finished = sum(c.values())
        if finished % self.every:
            return
        total = int(info.get("total") or 0)
        elapsed = time.time() - since if since else float("nan")
        eta = (sweep_eta(records, max(total - finished, 0), since, time.time(),
                         parallel=launcher_parallelism(config.hydra.launcher))
               if total and since else float("nan"))
        of = f"/{total}" if total else ""
        say(f"{finished}{of} finished: {c['done']} done, {c['skipped']} skipped, "
            f"{c['failed']} failed; elapsed {fmt_s(elapsed)}, ETA {fmt_s(eta)}")

    def on_multirun_end(self, config, **kwargs: Any) -> None:
        sweep_dir = sweep_dir_of(config.hydra)
        info = read_sweep_json(sweep_dir) or {}
        since = info.get("started")
        records = [r for r in read_manifest(sweep_dir) if since is None or r.get("time", 0) >= since]
        c = count(records)
        elapsed = time.time() - since if since else float("nan")
        say(f"sweep finished in {fmt_s(elapsed)}: {c['done']} done, {c['skipped']} skipped, "
            f"{c['failed']} failed of {info.get('total', '?')}")
        for r in records:
            if r.get("status") == "failed":
                say(f"  failed job {r.get('job')}: {' '.join(r.get('overrides', []))}: "
                    f"{r.get('error', '')}")
        say(f"collect with: fearsim-collect {sweep_dir}")
        print(sweep_dir, flush=True)
