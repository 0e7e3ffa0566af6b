"""docs/tutorial.ipynb runs from top to bottom on the tiny network (its code cells in
order, in one namespace, in the tiny runs' folder), and the repository keeps it without
outputs."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("pynwb")  # the last section exports NWB

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def test_tutorial_is_a_valid_notebook_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_tutorial_runs(tiny_runs_folder, monkeypatch):
    import matplotlib.pyplot as plt

    nb = nbformat.read(NOTEBOOK, as_version=4)
    folder = tiny_runs_folder
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [
        str(ROOT), os.environ.get("PYTHONPATH")])))
    namespace = {"__name__": "__main__"}
    try:
        for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            exec(compile(cell.source, f"tutorial.ipynb code cell {k + 1}", "exec"), namespace)
    finally:
        plt.close("all")
    run, swept = namespace["run"], namespace["swept"]
    assert run.path.parent == (folder / "results" / "runs").resolve()
    assert list(swept.seed.values) == [1, 2]
    assert str(swept.run_id.sel(seed=1).values) == run.run_id  # seed 1 was reused
    assert namespace["nwb_path"].exists()
