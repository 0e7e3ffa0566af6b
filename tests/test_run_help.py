"""fearsim-run's --help, --version and --preview: answered without simulating."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "experiments.cli.run", *args], cwd=cwd,
                          capture_output=True, text=True, env=ENV, timeout=300)


def test_help_describes_the_project_not_hydra(tmp_path):
    r = _run("--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    for section in ("Usage:", "Examples:", "Config groups", "Exit codes:"):
        assert section in text
    assert "powered by Hydra" not in text
    assert "w_ampa_nS" not in text  # not the whole config
    assert len(text.splitlines()) < 80
    groups = dict(line.split(": ", 1) for line in text.splitlines()
                  if re.match(r"^(experiment|protocol|network): ", line))
    assert "tiny" in groups["experiment"].split(", ")
    # every experiment the examples name exists
    for name in re.findall(r"experiment=(\w+)", text):
        assert (ROOT / "configs" / "experiment" / f"{name}.yaml").exists(), name
    for code in ("0", "2", "3"):
        assert re.search(rf"^\s+{code}\s+\S", text, flags=re.M), code
    assert not list(tmp_path.iterdir())


def test_version_names_fearsim_and_brian2(tmp_path):
    import brian2

    import model

    r = _run("--version", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"fearsim {model.__version__}" in r.stdout
    assert f"Brian2 {brian2.__version__}" in r.stdout


def test_preview_lists_jobs_and_run_ids_and_writes_nothing(tmp_path, compose):
    from experiments.config_store import plain
    from experiments.io.store import run_id

    results = tmp_path / "runs"
    r = _run("-m", "experiment=tiny", "simulation.seed=1,2", f"paths.results_dir={results}",
             "hydra/launcher=local", "--preview", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if re.match(r"^\s+\d+\s", line)]
    assert [row[0] for row in rows] == ["0", "1"]
    for seed, row in zip((1, 2), rows, strict=True):
        cfg = compose(["experiment=tiny", f"simulation.seed={seed}",
                       f"paths.results_dir={results}"])
        assert row[1] == run_id(plain(cfg))
        assert row[2:4] == ["to", "run"]
        assert f"simulation.seed={seed}" in row
    assert "launcher local" in r.stdout
    assert not list(tmp_path.iterdir())  # no results folder, no sweep folder


def test_preview_names_each_invalid_job_and_exits_2(tmp_path):
    r = _run("-m", "experiment=tiny", "network.scale=0.1,-1", "--preview", cwd=tmp_path)
    assert r.returncode == 2
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 1 and "network.scale" in errors[0] and "job 1" in errors[0]
    assert not list(tmp_path.iterdir())


def test_sweep_with_cfg_is_one_line_not_a_traceback(tmp_path):
    r = _run("-m", "simulation.seed=1,2", "--cfg", "job", cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "--preview" in r.stderr
