"""Sweeps: multirun with manifest and progress, compile once, kill and resume,
collect, compare, cohorts, launchers (joblib, submitit local: slow).

Every test runs the tiny network in C++ standalone with one build cache for
the whole session (FEARSIM_BUILD_CACHE in a session temp folder): the first
sweep compiles once (about a minute), every later run reuses the build.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.cli import compare as compare_mod
from experiments.io import cf
from experiments.io import collect as collect_mod
from experiments.io.sweeps import invocations_of, read_manifest, read_sweep_json

ROOT = Path(__file__).resolve().parents[1]
KEY = "network.projections.cs_la.w_ampa_nS"  # a run-time parameter: no rebuild
DIM = "w_ampa_nS"  # its dimension in a collected dataset (the key without its parents)
VALUES = "2.5,3.0,3.5"
RUNAWAY = "1000.0"  # a valid value whose activity runs away: the job fails at run time
BASE = ["experiment=tiny", "simulation.device=cpp_standalone"]
# everything that says where or how fast, not what: differs between equal sweeps
NOT_DATA = ["run_path", "wall_time_s", "build_s", "simulate_s", "compiled"]


@pytest.fixture(scope="session")
def build_cache(shared_build_cache):
    return shared_build_cache


def _env(cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FEARSIM_BUILD_CACHE=str(cache),
               MPLBACKEND="Agg")
    return env


def _cmd(results: Path, sweep: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "experiments.cli.run", "-m", *BASE,
            f"paths.results_dir={results}", f"hydra.sweep.dir={sweep}", *args]


def _sweep(cache, results, sweep, *args, timeout=900, returncode=0):
    r = subprocess.run(_cmd(results, sweep, *args), cwd=ROOT, env=_env(cache),
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == returncode, r.stderr[-4000:]
    return r


def _builds(cache: Path) -> int:
    """Compilations of the tiny network's structure (the cache is shared with
    other test modules, which build other structures)."""
    from experiments.config_store import compose
    from experiments.io.build_cache import structure_hash

    log = cache / structure_hash(compose(["experiment=tiny"])) / "builds.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture(scope="session")
def first_sweep(build_cache, tmp_path_factory):
    """3 run-time values plus one whose activity runs away (fails, the sweep goes on,
    and exits 1 at the end)."""
    base = tmp_path_factory.mktemp("sweep_a")
    results, sweep = base / "runs", base / "sweep"
    builds = _builds(build_cache)  # a warm cache (FEARSIM_BUILD_CACHE) has built before
    t0 = time.perf_counter()
    r = _sweep(build_cache, results, sweep, f"{KEY}={VALUES},{RUNAWAY}", returncode=1)
    return {"results": results, "sweep": sweep, "proc": r, "wall": time.perf_counter() - t0,
            "builds": builds}


def test_runtime_sweep_builds_once_and_collects(first_sweep, build_cache, capsys):
    r, sweep = first_sweep["proc"], first_sweep["sweep"]
    assert r.stdout.strip().splitlines()[-1] == str(sweep.resolve())
    assert (sweep / "multirun.yaml").exists() and (sweep / "sweep.json").exists()
    assert not [d for d in sweep.iterdir() if d.is_dir() and d.name.isdigit()]  # no empty 0/ 1/
    # progress: per-job status lines, counts and an ETA, the failure with its overrides
    assert "4/4 finished: 3 done, 0 skipped, 1 failed" in r.stderr
    assert "ETA" in r.stderr
    assert "FAILED (experiment=tiny" in r.stderr and f"{KEY}={RUNAWAY}" in r.stderr
    assert "1 of 4 sweep jobs failed" in r.stderr
    statuses = sorted(rec["status"] for rec in read_manifest(sweep))
    assert statuses == ["done", "done", "done", "failed"]
    # the failure is the runaway check, named in its record, and nothing is stored
    (failed,) = [rec for rec in read_manifest(sweep) if rec["status"] == "failed"]
    assert failed["error"].startswith("RunawayError: runaway activity: ")
    assert failed["error"] in r.stderr and failed["path"] and not Path(failed["path"]).exists()
    # each job's progress lines and phase table name its run id
    for rec in read_manifest(sweep):
        label = rec["run_id"][:8]
        assert f"[fearsim {label}] run {rec['run_id']}:" in r.stderr
        if rec["status"] == "done":
            assert f"{label} | recall " in r.stdout
    # compile once: one build for the whole sweep
    assert _builds(build_cache) - first_sweep["builds"] <= 1

    assert collect_mod.main([str(sweep)]) == 0
    out = capsys.readouterr()
    path = Path(out.out.strip().splitlines()[-1])
    assert path == (sweep / "collected.nc").resolve() and path.exists()
    assert "failed" in out.err and "1 of 4 points" in out.err
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.freezing.dims == (DIM, "seed", "trial")
        assert ds.phase_freezing.dims == (DIM, "seed", "phase_name")
        assert ds.weight_end.dims == (DIM, "seed", "pathway", "session")
        np.testing.assert_allclose(ds[DIM].values, [2.5, 3.0, 3.5, 1000.0])
        assert ds[DIM].attrs["config_key"] == KEY and ds[DIM].attrs["units"] == "nS"
        assert collect_mod.dim_of(ds, KEY) == DIM and ds.attrs["sweep_dims"] == f'["{DIM}", "seed"]'
        assert not cf.undescribed(ds) and ds.attrs["Conventions"] == cf.CONVENTIONS
        assert ds.seed.values.tolist() == [1]
        assert ds.status.values[:, 0].tolist() == ["done", "done", "done", "failed"]
        assert np.all(np.isnan(ds.freezing.sel({DIM: 1000.0}).values))
        assert np.all(np.isfinite(ds.freezing.sel({DIM: [2.5, 3.0, 3.5]}).values))
        assert int(np.nansum(ds.compiled.values)) <= 1
        assert len(set(ds.run_id.values[:3, 0].tolist())) == 3
        for v in ds.run_path.values[:3, 0]:
            assert Path(v).exists()


def test_kill_and_resume_gives_identical_collection(first_sweep, build_cache, tmp_path):
    """A sweep killed after one new point, then resumed: the same collection as the
    uninterrupted sweep. One of the three points is found from the first sweep's
    runs (a results folder of earlier work), so the test simulates two points, not
    three or four."""
    results, sweep = tmp_path / "runs", tmp_path / "sweep"
    results.mkdir()
    first_done = [Path(rec["path"]) for rec in read_manifest(first_sweep["sweep"])
                  if rec["status"] == "done"]
    shutil.copy2(first_done[0], results / first_done[0].name)
    cmd = _cmd(results, sweep, f"{KEY}={VALUES}")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(build_cache), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 600
        while time.time() < deadline and len(list(results.glob("[!.]*.nc"))) < 2:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its simulation binary
        proc.wait()
    done_before = len(list(results.glob("[!.]*.nc")))
    assert done_before == 2
    # the partial sweep collects, missing points NaN
    partial, missing = collect_mod.collect(sweep)
    assert len(missing) == 3 - done_before
    assert int(partial.freezing.isnull().all("trial").sum()) == 3 - done_before

    r = _sweep(build_cache, results, sweep, f"{KEY}={VALUES}")
    assert f"{done_before} skipped" in r.stderr
    assert len(invocations_of(read_sweep_json(sweep))) == 2  # both grids kept
    resumed, missing = collect_mod.collect(sweep)
    assert not missing
    reference, _ = collect_mod.collect(first_sweep["sweep"])
    reference = reference.sel({DIM: [2.5, 3.0, 3.5]})
    xr.testing.assert_identical(resumed.drop_vars(NOT_DATA).drop_attrs(),
                                reference.drop_vars(NOT_DATA).drop_attrs())
    assert _builds(build_cache) - first_sweep["builds"] <= 1


def test_compare_prints_config_diff_metrics_and_writes_plot(first_sweep, capsys, tmp_path):
    runs = sorted(first_sweep["results"].glob("*.nc"))
    assert len(runs) == 3
    out_png = tmp_path / "cmp.png"
    assert compare_mod.main([str(runs[0]), str(runs[1]), "--out", str(out_png)]) == 0
    text = capsys.readouterr().out
    assert "config differences (1 keys):" in text
    assert any(line.strip().startswith(f"{KEY}:") for line in text.splitlines())
    assert "freezing recall (%)" in text and "extinction index" in text
    assert "w cs_la end" in text
    assert text.strip().splitlines()[-1] == str(out_png.resolve())
    assert out_png.exists() and out_png.stat().st_size > 1000
    # a whole sweep folder compares too
    assert compare_mod.main([str(first_sweep["sweep"])]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert Path(last).exists() and Path(last).parent == first_sweep["sweep"].resolve()


def test_partial_sweep_reports_missing_points_as_nan(first_sweep, tmp_path, capsys):
    """A sweep folder that expects a point nobody ran: NaN there, reported."""
    sweep = tmp_path / "partial"
    sweep.mkdir()
    info = json.loads((first_sweep["sweep"] / "sweep.json").read_text())
    (entry,) = info["invocations"]
    good = [job for job in entry["jobs"] if f"{KEY}={RUNAWAY}" not in job]
    extra = [o if not o.startswith(KEY + "=") else f"{KEY}=4.0" for o in good[0]]
    entry["jobs"] = good + [extra]
    (sweep / "sweep.json").write_text(json.dumps(info))
    (sweep / "manifest.jsonl").write_text((first_sweep["sweep"] / "manifest.jsonl").read_text())
    assert collect_mod.main([str(sweep), "--out", str(tmp_path / "c.nc")]) == 0
    err = capsys.readouterr().err
    assert "1 of 4 points have no run" in err and f"{KEY}=4.0" in err
    with xr.open_dataset(tmp_path / "c.nc", engine="h5netcdf") as ds:
        np.testing.assert_allclose(ds[DIM].values, [2.5, 3.0, 3.5, 4.0])
        assert np.all(np.isnan(ds.phase_freezing.sel({DIM: 4.0}).values))
        assert np.all(np.isfinite(ds.phase_freezing.sel({DIM: 3.0}).values))
        assert ds.status.sel({DIM: 4.0}).item() == "missing"
        assert json.loads(ds.attrs["missing_json"])[0][KEY] == 4.0


def test_results_folder_collects_and_cohort_statistics(first_sweep, capsys):
    """A plain results folder: the differing config key becomes the dimension."""
    ds, missing = collect_mod.collect(first_sweep["results"])
    assert not missing and ds.freezing.dims == (DIM, "seed", "trial")
    # treat the three runs as three subjects of one cohort
    subjects = ds.rename({DIM: "subject"}).squeeze("seed", drop=True).rename(subject="seed")
    summ = collect_mod.cohort_summary(subjects, drop=0.3)
    assert summ.cohort_freezing_mean.dims == ("phase_name",)
    assert int(summ.cohort_n.sel(phase_name="recall")) == 3
    rec = subjects.phase_freezing.sel(phase_name="recall")
    ref = subjects.phase_freezing_last.sel(phase_name="conditioning")
    np.testing.assert_array_equal(summ.responder.values, (rec <= 0.7 * ref).values.astype(float))
    assert float(summ.responder_fraction) == pytest.approx(float(summ.responder.mean()))
    sem = float(subjects.phase_freezing.sel(phase_name="recall").std(ddof=1)) / np.sqrt(3)
    assert float(summ.cohort_freezing_sem.sel(phase_name="recall")) == pytest.approx(sem)


def test_cohort_jitter_is_per_subject_and_reproducible():
    from experiments.analysis.cohorts import factor

    a = [factor(k, KEY, 0.2) for k in range(5)]
    assert a == [factor(k, KEY, 0.2) for k in range(5)]
    assert len(set(a)) == 5 and all(0.3 < x < 3 for x in a)
    assert factor(3, KEY, 0.2) != factor(3, "network.projections.il_itc.w_ampa_nS", 0.2)


@pytest.mark.slow
def test_joblib_launcher_two_workers(build_cache, tmp_path):
    results, sweep = tmp_path / "runs", tmp_path / "sweep"
    r = _sweep(build_cache, results, sweep, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
               "simulation.seed=1,2")
    assert "2/2 finished" in r.stderr
    ds, missing = collect_mod.collect(sweep)
    assert not missing and ds.seed.values.tolist() == [1, 2]
    assert np.all(np.isfinite(ds.phase_freezing.values))


@pytest.mark.slow
def test_submitit_local_launcher(build_cache, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                        reason="the SLURM launcher is the [slurm] extra")
    results, sweep = tmp_path / "runs", tmp_path / "sweep"
    _sweep(build_cache, results, sweep, "hydra/launcher=submitit_local",
           "hydra.launcher.timeout_min=20", "simulation.seed=3,4", timeout=1500)
    assert sorted(r["status"] for r in read_manifest(sweep)) == ["done", "done"]
    ds, missing = collect_mod.collect(sweep)
    assert not missing and ds.seed.values.tolist() == [3, 4]


@pytest.mark.slow
def test_concurrent_identical_sweeps_compute_each_run_once(build_cache, tmp_path):
    """Two sweeps of the same grid at once, one results folder: each run is
    computed by one of them and reused by the other."""
    results = tmp_path / "runs"
    procs = [subprocess.Popen(_cmd(results, tmp_path / f"sweep{k}", f"{KEY}={VALUES}"),
                              cwd=ROOT, env=_env(build_cache), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    errs = [p.communicate(timeout=1800)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    records = [r for k in (0, 1) for r in read_manifest(tmp_path / f"sweep{k}")]
    statuses = sorted(r["status"] for r in records)
    assert statuses == ["done"] * 3 + ["skipped"] * 3
    assert len({r["run_id"] for r in records if r["status"] == "done"}) == 3
