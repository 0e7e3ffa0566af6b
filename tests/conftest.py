import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache(tmp_path_factory):
    """One standalone build cache for the whole pytest invocation: every test of the
    same structure reuses one build, and ~/.cache is left alone. An existing
    FEARSIM_BUILD_CACHE (a warm cache) is kept.

    pytest-xdist workers share it (it lies beside their own temporary
    folders): the cache serialises a structure's first compilation and lets
    the other worker copy the result, so each structure compiles once per
    invocation instead of once per worker."""
    if "FEARSIM_BUILD_CACHE" not in os.environ:
        os.environ["FEARSIM_BUILD_CACHE"] = str(_shared_folder(tmp_path_factory, "builds"))
    return Path(os.environ["FEARSIM_BUILD_CACHE"])


@pytest.fixture(scope="session")
def compose():
    from experiments.config_store import compose as _compose

    return _compose


def _shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder of this pytest invocation, shared by its pytest-xdist workers."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / name
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp(name)


@pytest.fixture(scope="session")
def tiny_runs_folder(tmp_path_factory):
    """One folder for the tiny runs of the NWB, progress and tutorial tests: a run one of
    them made is found by its run id by the others, not computed again."""
    return _shared_folder(tmp_path_factory, "tiny-runs")


@pytest.fixture(scope="session")
def tiny_run(tiny_runs_folder):
    """``fearsim-run experiment=tiny`` in that folder: (results file, the command's stderr).

    Made once per pytest invocation: the first worker runs the command under a lock and
    keeps its output; another worker waits for it and reads the same output."""
    import fcntl
    import json
    import subprocess

    record = tiny_runs_folder / "tiny_run.json"
    with open(tiny_runs_folder / "tiny_run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            r = subprocess.run([sys.executable, "-m", "experiments.cli.run", "experiment=tiny",
                                "simulation.seed=1"], cwd=tiny_runs_folder, capture_output=True,
                               text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                               timeout=900)
            assert r.returncode == 0, r.stderr[-3000:]
            record.write_text(json.dumps({"path": r.stdout.strip().splitlines()[-1],
                                          "stderr": r.stderr}))
        made = json.loads(record.read_text())
    return Path(made["path"]), made["stderr"]


@pytest.fixture(scope="session")
def standalone_runs(compose, shared_build_cache):
    """The tiny network in C++ standalone, in this process: seed 1, seed 2, then seed 1
    again, from one build. Several modules read these runs (the same seed must give
    the same run even after another seed used the build, another seed another wiring),
    so they are simulated once per session."""
    from types import SimpleNamespace

    from experiments.io import build_cache

    def overrides(seed):
        return ["experiment=tiny", "simulation.device=cpp_standalone", f"simulation.seed={seed}"]

    def config(seed):
        return compose(overrides(seed))

    structure = build_cache.structure_hash(config(1))
    builds_before = build_cache.build_count(structure, shared_build_cache)
    first, other, again = (build_cache.run_cached(config(seed), root=shared_build_cache)
                           for seed in (1, 2, 1))
    return SimpleNamespace(first=first, other=other, again=again, overrides=overrides,
                           builds=build_cache.build_count(structure, shared_build_cache)
                           - builds_before)
