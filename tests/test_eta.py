"""The time left in a sweep: right for one-at-a-time and parallel launchers, and not
misled by the first compilation (which the jobs still to come do not pay)."""

import heapq

import pytest

from experiments.io import eta


def simulate_pool(slots, n_jobs, cost, compile_s, setup_s=5.0):
    """Manifest records of a pool of ``slots`` workers over ``n_jobs`` jobs of one
    structure: the first compiles for ``compile_s``, jobs starting meanwhile wait."""
    free = [0.0] * slots
    records, build_done = [], None
    for k in range(n_jobs):
        start = heapq.heappop(free)
        timings = {"setup_s": setup_s, "build_s": 0.5, "compiled": False,
                   "simulate_s": cost - setup_s - 0.5}
        if k == 0:
            build_done = start + setup_s + compile_s
            timings.update(build_s=compile_s, compiled=True)
            end = start + cost + compile_s
        elif start < build_done:  # waits for the first build inside its set-up
            wait = build_done - start
            timings["setup_s"] = setup_s + wait
            end = start + cost + wait
        else:
            end = start + cost
        heapq.heappush(free, end)
        records.append({"status": "done", "time_start": start, "time": end,
                        "wall_s": end - start, "path": f"run{k}", "timings": timings})
    return sorted(records, key=lambda r: r["time"])


def estimates(records, n_jobs, parallel):
    """(finished jobs, estimated, true time left) after each job's end."""
    by_path = {r["path"]: r["timings"] for r in records}
    end = max(r["time"] for r in records)
    for i in range(1, n_jobs):
        seen, now = records[:i], records[i - 1]["time"]
        yield i, eta.sweep_eta(seen, n_jobs - i, 0.0, now, parallel=parallel,
                               timings_of=by_path.get), end - now


def tolerance(finished, slots, cost):
    # until every first job has ended, the others may still be waiting for the first
    # build, which nothing in the manifest shows: half a job; then a second
    return 0.5 * cost if finished < slots else 1.0


@pytest.mark.parametrize("slots,n_jobs", [(1, 5), (2, 4), (2, 7), (3, 10), (4, 4)])
def test_eta_matches_the_time_left(slots, n_jobs):
    records = simulate_pool(slots, n_jobs, cost=25.0, compile_s=60.0)
    for i, got, true in estimates(records, n_jobs, parallel=slots):
        assert got == pytest.approx(true, abs=tolerance(i, slots, 25.0)), (i, got, true)


def test_without_the_launcher_the_observed_concurrency_is_used():
    records = simulate_pool(2, 6, cost=25.0, compile_s=60.0)
    # once two jobs have been seen running together, the estimate is right
    for i, got, true in list(estimates(records, 6, parallel=None))[1:]:
        assert got == pytest.approx(true, abs=1.0), (i, got, true)


def test_a_small_parallel_sweep_is_not_told_the_compile_time_again():
    # 2 workers, 4 jobs: after the first two (one compiled, one waited) 25 s are left;
    # remaining jobs x median job time / concurrency said 3.5 times that
    records = simulate_pool(2, 4, cost=25.0, compile_s=60.0)
    now = records[1]["time"]
    got = eta.sweep_eta(records[:2], 2, 0.0, now, parallel=2,
                        timings_of={r["path"]: r["timings"] for r in records}.get)
    assert got == pytest.approx(max(r["time"] for r in records) - now, abs=1.0)
    walls = sorted(r["wall_s"] for r in records[:2])
    naive = 2 * walls[1] / (sum(walls) / now)
    assert naive > 3 * got


def test_concurrency_counts_overlapping_jobs():
    recs = [{"time_start": 0, "time": 10}, {"time_start": 5, "time": 15},
            {"time_start": 10, "time": 20}, {"time_start": 16, "time": 30}]
    assert eta.concurrency(recs) == 2
    assert eta.concurrency([]) == 1


def test_launcher_parallelism():
    assert eta.launcher_parallelism({"_target_": "hydra._internal.core_plugins."
                                                 "basic_launcher.BasicLauncher"}) == 1
    joblib = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert eta.launcher_parallelism({"_target_": joblib, "n_jobs": 3}) == 3
    assert eta.launcher_parallelism({"_target_": joblib, "n_jobs": -1}) >= 1
    assert eta.launcher_parallelism({"_target_": "hydra_plugins.hydra_submitit_launcher."
                                                 "submitit_launcher.SlurmLauncher"}) is None


def test_nothing_left_and_nothing_known():
    assert eta.sweep_eta([], 0, 0.0, 5.0) == 0.0
    assert eta.sweep_eta([], 3, 0.0, 5.0) != eta.sweep_eta([], 3, 0.0, 5.0)  # NaN


def test_sweep_progress_prints_the_eta_after_a_job(tmp_path, capsys):
    from hydra.core.utils import JobReturn, JobStatus
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from experiments.io import sweeps

    records = simulate_pool(2, 4, cost=25.0, compile_s=60.0)
    t0 = 1_000_000.0
    sweeps.add_invocation(tmp_path, {"started": t0, "total": 4, "jobs": []})
    for r in records[:2]:
        sweeps.append_manifest(tmp_path, {**r, "path": None, "time_start": t0 + r["time_start"],
                                          "time": t0 + r["time"]})
    cfg = OmegaConf.create({"hydra": {
        "mode": RunMode.MULTIRUN, "sweep": {"dir": str(tmp_path)}, "job": {"num": 1},
        "runtime": {"cwd": str(tmp_path)},
        "launcher": {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher."
                                 "JoblibLauncher", "n_jobs": 2}}})
    ret = JobReturn()
    ret.status = JobStatus.COMPLETED
    sweeps.SweepProgress().on_job_end(cfg, ret)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "2/4 finished" in line and "ETA" in line, line


def test_a_job_running_longer_than_usual_is_not_counted_as_done():
    # 2 slots; one job has been running 150 s (compiling) while 25-s jobs finished
    records = [{"status": "done", "time_start": s, "time": s + 25.0, "wall_s": 25.0}
               for s in (0.0, 25.0, 50.0)]
    got = eta.sweep_eta(records, 1, 0.0, 150.0, parallel=2, timings_of=lambda p: {})
    assert got == pytest.approx(12.5)
