"""Sweep bookkeeping: the job manifest, the expected job list, progress.

A Hydra multirun (``fearsim-run -m ...``) keeps two files in its sweep folder
(``hydra.sweep.dir``):

``sweep.json``
    one entry per invocation (``invocations``), added before any of its jobs
    starts by :class:`SweepProgress.on_multirun_start`: its id, start time, the
    command's overrides and the full list of job overrides (the expanded
    grid). ``fearsim-collect`` takes the union of every invocation's grid to
    know which points are missing, so a second invocation into the same
    folder (a resume, a widened grid) adds to it and replaces nothing.
``manifest.jsonl``
    one JSON line per finished job, appended under an exclusive file lock by
    the job itself (any process, any machine sharing the folder): run id,
    job overrides, results path, status (``done``, ``skipped`` or
    ``failed``), error, times and the invocation it belongs to. A restarted
    sweep appends to it; a line torn by a killed writer costs only that line.

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
    """Append one JSON line atomically (exclusive lock, one write).

    A line left without its newline by a writer killed mid-write would swallow
    the next record: such a torn tail is closed with a newline first.
    """
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    record = dict(record)
    record.setdefault("time", time.time())
    record.setdefault("host", socket.gethostname())
    record.setdefault("pid", os.getpid())
    line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
    fd = os.open(str(sweep_dir / MANIFEST), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def read_manifest(sweep_dir: Path) -> list[dict]:
    """All manifest records, oldest first; a torn line is skipped."""
    path = Path(sweep_dir) / MANIFEST
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
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


def _locked(sweep_dir: Path):
    """An exclusive lock on the sweep folder's bookkeeping (a context manager)."""
    import contextlib

    @contextlib.contextmanager
    def hold():
        fd = os.open(str(sweep_dir / ".sweep.lock"), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    return hold()


def add_invocation(sweep_dir: Path, info: dict) -> Path:
    """Add one invocation's entry to ``sweep.json`` (read, add, replace, under a lock)."""
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    path = sweep_dir / SWEEP_JSON
    with _locked(sweep_dir):
        known = read_sweep_json(sweep_dir)
        invocations = invocations_of(known) if known else []
        body = {"invocations": invocations + [info]}
        fd, tmp = tempfile.mkstemp(prefix=".sweep.", suffix=".tmp", dir=sweep_dir)
        with os.fdopen(fd, "w") as f:
            json.dump(body, f, indent=1)
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


def invocations_of(info: dict | None) -> list[dict]:
    """The invocations a ``sweep.json`` records (one for a folder of the older,
    single-invocation form)."""
    if not info:
        return []
    if "invocations" in info:
        return list(info["invocations"])
    return [info]


def all_jobs(info: dict | None) -> list[list[str]]:
    """Every job of every invocation, each once, in the order first asked."""
    seen: dict[tuple, None] = {}
    for inv in invocations_of(info):
        for job in inv.get("jobs") or []:
            seen.setdefault(tuple(job), None)
    return [list(job) for job in seen]


def invocation(sweep_dir: Path, token: str) -> dict:
    """The entry of invocation ``token`` in ``sweep.json`` ({} if absent)."""
    for inv in invocations_of(read_sweep_json(sweep_dir)):
        if inv.get("invocation") == token:
            return inv
    return {}


def invocation_records(sweep_dir: Path, token: str) -> list[dict]:
    return [r for r in read_manifest(sweep_dir) if r.get("invocation") == token]


def invocation_counts(sweep_dir: Path, token: str) -> dict:
    """done / skipped / failed jobs of one invocation."""
    return count(invocation_records(sweep_dir, token))


def fmt_s(seconds: float) -> str:
    if seconds != seconds or seconds < 0:  # NaN
        return "?"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class SweepProgress(Callback):
    """Counts done/failed/skipped jobs and prints an ETA after each job.

    ``started`` holds the sweep folder of the last multirun this process
    started (Hydra calls ``on_multirun_start`` in the launching process), so
    that ``fearsim-run`` can read its jobs' outcome once Hydra returns.
    """

    started: Path | None = None

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
            "invocation": _invocation_of(config),
            "started": time.time(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cwd": os.getcwd(),
            "arguments": arguments,
            "jobs": jobs,
            "total": len(jobs),
            "launcher": str(OmegaConf.select(config, "hydra.launcher._target_", default="")),
        }
        add_invocation(sweep_dir, info)
        SweepProgress.started = sweep_dir
        say(f"{len(jobs)} jobs; sweep folder {sweep_dir}")

    def on_job_end(self, config, job_return, **kwargs: Any) -> None:
        from hydra.core.utils import JobStatus
        from hydra.types import RunMode

        try:
            if config.hydra.mode != RunMode.MULTIRUN:
                return
        except Exception:
            return
        _drop_empty_job_folder(config)
        sweep_dir = sweep_dir_of(config.hydra)
        if job_return.status == JobStatus.FAILED:  # escaped the task function
            say(f"job {config.hydra.job.num} raised {job_return._return_value!r}")
        info, records = _this_invocation(config, sweep_dir)
        c = count(records)
        finished = sum(c.values())
        if finished % self.every:
            return
        total = int(info.get("total") or 0)
        since = info.get("started")
        elapsed = time.time() - since if since else float("nan")
        eta = (sweep_eta(records, max(total - finished, 0), since, time.time(),
                         parallel=launcher_parallelism(config.hydra.launcher))
               if total and since else float("nan"))
        of = f"/{total}" if total else ""
        say(f"{finished}{of} finished: {c['done']} done, {c['skipped']} skipped, "
            f"{c['failed']} failed; elapsed {fmt_s(elapsed)}, ETA {fmt_s(eta)}")

    def on_multirun_end(self, config, **kwargs: Any) -> None:
        sweep_dir = sweep_dir_of(config.hydra)
        info, records = _this_invocation(config, sweep_dir)
        c = count(records)
        since = info.get("started")
        elapsed = time.time() - since if since else float("nan")
        say(f"sweep finished in {fmt_s(elapsed)}: {c['done']} done, {c['skipped']} skipped, "
            f"{c['failed']} failed of {info.get('total', '?')}")
        for r in records:
            if r.get("status") == "failed":
                say(f"  failed job {r.get('job')}: {' '.join(r.get('overrides', []))}: "
                    f"{r.get('error', '')}")
        say(f"collect with: fearsim-collect {sweep_dir}")
        print(sweep_dir, flush=True)


def _drop_empty_job_folder(config) -> None:
    """Hydra makes a folder per job (``hydra.sweep.subdir``); a job writes
    nothing there (results go to ``paths.results_dir``), so the empty folder goes."""
    try:
        os.rmdir(str(config.hydra.runtime.output_dir))
    except (OSError, AttributeError, ValueError):  # not empty, already gone, no runtime
        pass


def _invocation_of(config) -> str:
    """The id ``fearsim-run`` gave this invocation (its jobs see it as an
    environment variable); a Hydra started some other way gets one here."""
    from omegaconf import OmegaConf

    from experiments.preflight import INVOCATION_ENV

    token = OmegaConf.select(config, f"hydra.job.env_set.{INVOCATION_ENV}", default=None)
    return str(token) if token else f"{time.time():.6f}-{os.getpid()}"


def _this_invocation(config, sweep_dir: Path) -> tuple[dict, list[dict]]:
    """This invocation's sweep.json entry and manifest records."""
    from omegaconf import OmegaConf

    from experiments.preflight import INVOCATION_ENV

    token = OmegaConf.select(config, f"hydra.job.env_set.{INVOCATION_ENV}", default=None)
    if token:
        return invocation(sweep_dir, str(token)), invocation_records(sweep_dir, str(token))
    invs = invocations_of(read_sweep_json(sweep_dir))
    info = invs[-1] if invs else {}
    since = info.get("started")
    return info, [r for r in read_manifest(sweep_dir)
                  if since is None or r.get("time", 0) >= since]
