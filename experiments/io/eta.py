"""Time left in a sweep, for any launcher (one at a time, a process pool, SLURM).

What the manifest tells after each finished job (see :mod:`experiments.io.sweeps`):
when each job started and ended, and where its results file is (with the run's
timings: compilation, set-up, simulation). From that:

* the **cost of a job still to come** is the median cost of the finished ones
  without their one-off part: the first compilation of a network structure,
  and the wait of the jobs that queued behind it for the build (their set-up
  time beyond the quickest set-up seen). Counting those made the first ETA of
  a small parallel sweep several times too long;
* the **number of jobs running at once** is the most jobs seen running at the
  same moment (finished jobs' start-end intervals), which is what the launcher
  really achieved (a SLURM array may allow 64 at once on a node with 2 cores);
* the **jobs in flight** started when the slots they run in freed up: at the
  latest finishes, or at the sweep's start. They are partly done; one that already
  ran longer than usual (waiting for a build, or compiling one) is given half a
  job's time more.

The remaining jobs are then laid out on the slots, each starting when one frees.
"""

from __future__ import annotations

import heapq
import json
import statistics
from pathlib import Path

# reading every finished run's timings would grow with the sweep: the latest are enough
RECENT_JOBS = 16


def run_timings(path: str | Path | None) -> dict:
    """The ``timings_json`` a results file carries (empty if unreadable)."""
    if not path:
        return {}
    try:
        import h5py

        with h5py.File(path, "r") as f:
            text = f.attrs.get("timings_json", "{}")
        return json.loads(text.decode() if isinstance(text, bytes) else str(text))
    except (OSError, ValueError, KeyError):
        return {}


def steady_costs(records: list[dict], timings_of=run_timings) -> list[float]:
    """Wall time of the latest computed jobs without the one-off build and build wait."""
    done = [r for r in records if r.get("status") in ("done", "failed")][-RECENT_JOBS:]
    timings = [timings_of(r.get("path")) if r.get("status") == "done" else {} for r in done]
    setups = [float(t["setup_s"]) for t in timings if "setup_s" in t]
    quickest_setup = min(setups) if setups else 0.0
    costs = []
    for rec, t in zip(done, timings, strict=True):
        one_off = float(t.get("build_s", 0.0)) if t.get("compiled") else 0.0
        one_off += max(0.0, float(t.get("setup_s", quickest_setup)) - quickest_setup)
        costs.append(max(float(rec.get("wall_s", 0.0)) - one_off, 0.0))
    return costs


def concurrency(records: list[dict]) -> int:
    """The most finished jobs that were running at the same moment (at least 1)."""
    events = []
    for r in records:
        if "time_start" in r and "time" in r:
            events += [(float(r["time_start"]), 1), (float(r["time"]), -1)]
    running = most = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
        running += step
        most = max(most, running)
    return max(most, 1)


def launcher_parallelism(launcher_cfg) -> int | None:
    """How many jobs the configured launcher runs at once, where the config says it.

    Hydra's basic launcher: 1; the joblib pool (``hydra/launcher=local``): its
    ``n_jobs`` (-1: one per core). A SLURM array's limit says little about the
    cores it gets: None (the observed concurrency is used).
    """
    import os

    target = str(_get(launcher_cfg, "_target_") or "")
    if target.endswith("BasicLauncher"):
        return 1
    if "Joblib" in target:
        n = int(_get(launcher_cfg, "n_jobs") or 1)
        cores = os.cpu_count() or 1
        return max(1, cores + 1 + n if n < 0 else n)  # joblib: -1 all cores, -2 all but one
    return None


def _get(cfg, key):
    try:
        return cfg.get(key)
    except Exception:
        return None


def sweep_eta(records: list[dict], remaining: int, started: float, now: float,
              parallel: int | None = None, timings_of=run_timings) -> float:
    """Seconds until the ``remaining`` jobs (running or not started) are finished.

    ``records``: this sweep's finished jobs (manifest lines); ``started``: when the
    sweep began; ``now``: the time of the estimate (both ``time.time()``);
    ``parallel``: the launcher's jobs at once, where known (before two jobs have
    been seen running together).
    """
    if remaining <= 0:
        return 0.0
    costs = steady_costs(records, timings_of) or [float(r.get("wall_s", 0.0)) for r in records]
    if not costs:
        return float("nan")
    cost = statistics.median(costs)
    slots = max(concurrency(records), min(parallel or 1, len(records) + remaining))
    # every job starts at the sweep's start (one per slot) or when a job ends; with
    # jobs of one cost they end in the order they started, so the jobs in flight are
    # the ones started after the finished ones
    finished = len(records)
    starts = sorted([started] * slots + [float(r.get("time", started)) for r in records])
    in_flight = starts[finished:finished + remaining]
    # a job already running longer than usual (waiting for a build, compiling one) ends
    # some time within a job's cost: count half of it
    free = [max(s + cost, now + cost / 2) if s + cost <= now else s + cost for s in in_flight]
    free += [now] * (slots - len(in_flight))
    end = max(free)
    heapq.heapify(free)
    for _ in range(remaining - len(in_flight)):  # not started yet: the next free slot
        t = heapq.heappop(free) + cost
        heapq.heappush(free, t)
        end = max(end, t)
    return end - now
