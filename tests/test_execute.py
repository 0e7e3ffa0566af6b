"""The public home of "run a typed config and store it" (experiments/execute.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_only_the_command_line_imports_the_hydra_entry_module():
    users = [p.relative_to(ROOT) for p in (ROOT / "experiments").rglob("*.py")
             if "experiments.cli.run" in _imported_modules(p)]
    assert users == []


def test_result_path_is_the_run_id_under_the_results_folder(compose, tmp_path):
    from experiments.config_store import plain
    from experiments.execute import result_path
    from experiments.io import store

    cfg = compose(["experiment=tiny", f"paths.results_dir={tmp_path}"])
    rid, path = result_path(cfg)
    assert rid == store.run_id(plain(cfg))
    assert path == (tmp_path / f"{rid}.nc").resolve()


def test_force_is_a_flag_of_fearsim_run(tmp_path):
    """--force reaches the run, not Hydra's argument parser (which would refuse it)."""
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "experiments.cli.run", "--force", "--cfg", "job",
                        "experiment=tiny"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr
    assert "name: tiny" in r.stdout
    assert list(tmp_path.iterdir()) == []
