import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache(tmp_path_factory):
    """One standalone build cache for the whole session: every test of the
    same structure reuses one build, and ~/.cache is left alone. An existing
    FEARSIM_BUILD_CACHE (a warm cache) is kept."""
    if "FEARSIM_BUILD_CACHE" not in os.environ:
        os.environ["FEARSIM_BUILD_CACHE"] = str(tmp_path_factory.mktemp("builds"))
    return Path(os.environ["FEARSIM_BUILD_CACHE"])


@pytest.fixture(scope="session")
def compose():
    from experiments.config_store import compose as _compose

    return _compose


@pytest.fixture(scope="session")
def tiny_runs_folder(tmp_path_factory):
    """One folder for the tiny runs of the NWB, progress and tutorial tests: a run one of
    them made is found by its run id by the others, not computed again."""
    return tmp_path_factory.mktemp("tiny-runs")


@pytest.fixture(scope="session")
def tiny_run(tiny_runs_folder):
    """``fearsim-run experiment=tiny`` in that folder: (results file, the command's stderr)."""
    import subprocess

    r = subprocess.run([sys.executable, "-m", "experiments.cli.run", "experiment=tiny",
                        "simulation.seed=1"], cwd=tiny_runs_folder, capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return Path(r.stdout.strip().splitlines()[-1]), r.stderr
