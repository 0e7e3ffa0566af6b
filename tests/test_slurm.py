"""A real SLURM cluster runs a 4-job tiny sweep through hydra/launcher=slurm, and its
collected dataset equals, value by value, the same sweep run on this machine.

Needs a running cluster (``scripts/slurm_local.sh start`` makes one on this machine);
skipped without ``sbatch``.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GRID = ["experiment=tiny", "simulation.device=cpp_standalone", "simulation.seed=1,2",
        "plasticity.learning_rate=1.0,0.8"]
# where and how fast a run went, not what it computed
NOT_RESULTS = ("run_path", "wall_time_s", "build_s", "simulate_s", "compiled")


def _cluster_up() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return r.returncode == 0 and any(s.startswith(("idle", "mixed", "alloc"))
                                     for s in r.stdout.split())


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _cluster_up(), reason="no running SLURM cluster "
                                                 "(scripts/slurm_local.sh start)"),
]


def _sweep(tmp: Path, name: str, launcher: list[str]) -> tuple[Path, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "experiments.cli.run", "-m", *launcher, *GRID,
                        f"paths.results_dir={tmp / name / 'runs'}",
                        f"hydra.sweep.dir={tmp / name / 'sweep'}"],
                       cwd=tmp, capture_output=True, text=True, env=env, timeout=1800)
    wall = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr[-3000:]
    folder = Path(r.stdout.strip().splitlines()[-1])
    assert folder == (tmp / name / "sweep").resolve()
    return folder, wall


def test_slurm_sweep_equals_the_local_sweep(tmp_path):
    from experiments import api

    slurm_dir, slurm_s = _sweep(tmp_path, "slurm", ["hydra/launcher=slurm"])
    local_dir, local_s = _sweep(tmp_path, "local", ["hydra/launcher=local",
                                                    "hydra.launcher.n_jobs=2"])
    # the jobs really went through the scheduler: submitit's folder per SLURM job id
    job_logs = list((slurm_dir / ".submitit").glob("*/*_log.out"))
    assert len(job_logs) == 4, job_logs
    slurm, local = api.collect(slurm_dir), api.collect(local_dir)
    assert dict(slurm.sizes) == dict(local.sizes)
    assert slurm.sizes["seed"] == 2 and slurm.sizes["learning_rate"] == 2
    assert (slurm.status.values == "done").all() and (local.status.values == "done").all()
    compared = 0
    for name in local.variables:
        if name in NOT_RESULTS:
            continue
        np.testing.assert_array_equal(slurm[name].values, local[name].values, err_msg=name)
        compared += int(local[name].size)
    assert set(slurm.variables) == set(local.variables)
    assert np.all(slurm.run_path.values != local.run_path.values)  # two sets of files
    print(f"\nSLURM sweep {slurm_s:.1f} s, local sweep {local_s:.1f} s; "
          f"{compared} values identical", file=sys.stderr)
