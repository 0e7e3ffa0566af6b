"""A non-editable install: the wheel carries its configs and runs from any folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, (cmd, r.stdout[-2000:], r.stderr[-4000:])
    return r


def test_the_configs_ship_inside_the_package():
    """The wheel takes configs/ through experiments/configs (a link in a checkout)."""
    from experiments.config_store import CONFIG_DIR

    assert (ROOT / "experiments" / "configs").resolve() == (ROOT / "configs").resolve()
    assert Path(CONFIG_DIR) == (ROOT / "configs").resolve()


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_tiny_from_another_folder(tmp_path, shared_build_cache):
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w",
          str(wheels)], timeout=600)
    (wheel,) = wheels.glob("fearsim-*.whl")
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], timeout=1800)
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(FEARSIM_BUILD_CACHE=str(shared_build_cache), MPLBACKEND="Agg")
    r = _run([str(venv / "bin" / "fearsim-run"), "experiment=tiny",
              f"paths.results_dir={elsewhere / 'runs'}"], cwd=elsewhere, env=env, timeout=1800)
    path = Path(r.stdout.strip().splitlines()[-1])
    assert path.exists() and path.parent == (elsewhere / "runs").resolve()
    assert "recall" in r.stdout  # the per-phase table
    # the installed package read its own configs, not this checkout's
    where = _run([str(venv / "bin" / "python"), "-c",
                  "from experiments.config_store import CONFIG_DIR; print(CONFIG_DIR)"],
                 cwd=elsewhere, env=env, timeout=300).stdout.strip()
    assert Path(where).is_relative_to(venv)
