"""fearsim-figure: every experiment's quick mode makes its figure and its check lines.

One session-scoped fixture runs ``fearsim-figure all --quick --jobs 2`` into a
temporary results folder (builds cached in FEARSIM_BUILD_CACHE when set,
else in a temporary folder); the tests then look at what it wrote.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.figures import by_name, gallery

# Every figure's quick mode: 4 builds and ~30 runs, several minutes on two
# cores, so this module is in the slow target (python -m pytest -m slow).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NAMES = list(by_name())
LINE = re.compile(r"^(PASS|FAIL)  .+: .+ \(target .+\)")


def _figure(args, results, env):
    return subprocess.run([sys.executable, "-m", "experiments.cli.figure", *args,
                           "--results", str(results)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="session")
def quick_all(tmp_path_factory):
    results = tmp_path_factory.mktemp("fig_results")
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("FEARSIM_BUILD_CACHE", str(tmp_path_factory.mktemp("fig_builds")))
    t0 = time.time()
    proc = _figure(["all", "--quick", "--jobs", "2"], results, env)
    wall = time.time() - t0
    print(f"fearsim-figure all --quick: {wall:.0f} s", file=sys.stderr)
    return {"proc": proc, "results": results, "env": env, "wall": wall}


def _blocks(stdout: str) -> dict[str, list[str]]:
    out, cur = {}, None
    for line in stdout.splitlines():
        if line.startswith("== "):
            cur = line[3:].split(":")[0]
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def test_all_quick_exits_cleanly(quick_all):
    proc = quick_all["proc"]
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert set(_blocks(proc.stdout)) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_quick_figure_and_check_lines(quick_all, name):
    fig_dir = quick_all["results"] / "figures"
    lines = _blocks(quick_all["proc"].stdout)[name]
    checks = [ln for ln in lines if ln.startswith(("PASS", "FAIL"))]
    assert checks, lines
    assert all(LINE.match(ln) for ln in checks), checks
    # the figure path comes last
    assert lines[-1] == str(fig_dir / f"{name}.png")
    for ext in ("png", "pdf", "nc"):
        assert (fig_dir / f"{name}.{ext}").stat().st_size > 1000
    with xr.open_dataset(fig_dir / f"{name}.nc", engine="h5netcdf") as ds:
        stored = json.loads(ds.attrs["checks_json"])
        assert ds.attrs["figure"] == name and int(ds.attrs["quick"]) == 1
    assert [c["status"] for c in stored] == [ln[:4] for ln in checks]
    # every group comparison reports n, a p value and an effect size
    for c in stored:
        if c["test"]:
            assert c["n"].startswith("n=") and c["effect"]


def test_finished_runs_are_reused(quick_all):
    proc = _figure(["control", "--quick"], quick_all["results"], quick_all["env"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0 to run" in proc.stderr
    assert _blocks(proc.stdout)["control"] == _blocks(quick_all["proc"].stdout)["control"]


def test_gallery_from_figure_data(quick_all, tmp_path):
    import shutil

    readme = tmp_path / "README.md"
    readme.write_text("# fearsim\n\n## Tests\n\ntext\n")
    # quick-mode data: previewed (marked) under the results folder, never into the docs
    assert gallery.main(quick_all["results"], tmp_path / "figs", readme) == 0
    preview = quick_all["results"] / "figures" / "gallery"
    assert all((preview / f"{name}.png").exists() for name in NAMES)
    assert gallery.main(quick_all["results"], tmp_path / "figs", readme, write_docs=True) == 2
    assert not (tmp_path / "figs").exists() and "gallery" not in readme.read_text()
    # the same data stamped full scale goes into the docs and the README section
    full = tmp_path / "full"
    shutil.copytree(quick_all["results"] / "figures", full / "figures")
    for nc in (full / "figures").glob("*.nc"):
        with xr.open_dataset(nc, engine="h5netcdf") as ds:
            data = ds.load()
        data.attrs["quick"] = 0
        data.to_netcdf(nc, engine="h5netcdf")
    rc = gallery.main(full, tmp_path / "figs", readme, write_docs=True)
    assert rc == 0
    text = readme.read_text()
    assert text.startswith("# fearsim\n\n## Tests\n\ntext\n")
    for name in NAMES:
        assert (tmp_path / "figs" / f"{name}.png").exists()
        assert f"fearsim-figure {name}" in text
    # idempotent: a second pass replaces the section
    gallery.main(full, tmp_path / "figs", readme, write_docs=True)
    assert readme.read_text() == text
    # every figure's smallest text is readable where the README shows it
    import matplotlib.pyplot as plt

    for m in by_name().values():
        with xr.open_dataset(full / "figures" / f"{m.NAME}.nc", engine="h5netcdf") as ds:
            fig = m.plot(ds.load())
        assert gallery.smallest_text_px(fig) >= 9, m.NAME
        plt.close(fig)


def test_between_design_gives_each_group_its_own_subjects(quick_all):
    """--design between: disjoint subjects per group, unpaired tests in the check lines."""
    proc = _figure(["nmda_block", "--quick", "--design", "between"], quick_all["results"],
                   quick_all["env"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = _blocks(proc.stdout)["nmda_block"]
    assert "(between-subject design)" in proc.stdout.splitlines()[0]
    assert any("Welch t" in ln for ln in lines) and not any("paired t" in ln and "recall"
                                                           in ln for ln in lines)
    with xr.open_dataset(quick_all["results"] / "figures" / "nmda_block.nc",
                         engine="h5netcdf") as ds:
        assert ds.attrs["design"] == "between"
        by_group = {}
        for group, seed, _ in json.loads(ds.attrs["runs_json"]):
            by_group.setdefault(group, set()).add(seed)
    sets = list(by_group.values())
    assert len(sets) == 3 and all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1:])


def test_figures_use_evaluation_subjects_only(quick_all):
    from experiments.analysis.design import CALIBRATION, EVALUATION

    for name in NAMES:
        with xr.open_dataset(quick_all["results"] / "figures" / f"{name}.nc",
                             engine="h5netcdf") as ds:
            seeds = [seed for _, seed, _ in json.loads(ds.attrs["runs_json"])]
        assert all(s in EVALUATION and s not in CALIBRATION for s in seeds), name


def test_validation_is_reported_apart(quick_all, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# fearsim\n")
    gallery.main(quick_all["results"], tmp_path / "figs", readme)
    text = readme.read_text()
    held = text.index("### Held-out validation")
    assert text.index("fearsim-figure validation") > held
    assert all(text.index(f"fearsim-figure {n}") < held for n in NAMES if n != "validation")


@pytest.mark.parametrize("name, targets", [("phenotypes", ("9.1", "9.2", "9.3", "9.4")),
                                           ("clinical_trial", ("9.5", "9.6"))])
def test_patient_figures_check_their_targets(quick_all, name, targets):
    """The phenotype and patient figures: a check line per target, on measured values."""
    with xr.open_dataset(quick_all["results"] / "figures" / f"{name}.nc",
                         engine="h5netcdf") as ds:
        data = ds.load()
    cited = " ".join(c["citation"] for c in json.loads(data.attrs["checks_json"]))
    assert all(f"target {t}" in cited for t in targets), cited
    if name == "phenotypes":
        # the CS- readout reached the figure: CS- freezing of every subject
        cs_minus = data.conditioning_last_cs_minus.sel(group="healthy").values
        assert np.isfinite(cs_minus).all() and (cs_minus >= 0).all()
    else:
        responders = data.responder.values[np.isfinite(data.responder.values)]
        assert set(responders) <= {0.0, 1.0}
        # each probe course is relative to its pre-infusion probe
        first = data.probe_rate_index.isel(probe_minutes=0).values
        assert np.isfinite(first).any() and np.allclose(first[np.isfinite(first)], 1.0)


PREDICTION = re.compile(r"^PREDICTION  .+: .+ \[.+\]$")


@pytest.mark.parametrize("name", ["exposure_timing", "course_length", "phenotype_course"])
def test_prediction_figures_print_and_keep_their_comparisons(quick_all, tmp_path, name):
    """A prediction figure prints its comparisons (no targets), stores them with the
    figure data, and its gallery entry lists them apart from the checks."""
    lines = _blocks(quick_all["proc"].stdout)[name]
    predicted = [ln for ln in lines if ln.startswith("PREDICTION")]
    assert predicted and all(PREDICTION.match(ln) for ln in predicted), lines
    with xr.open_dataset(quick_all["results"] / "figures" / f"{name}.nc",
                         engine="h5netcdf") as ds:
        data = ds.load()
    stored = json.loads(data.attrs["predictions_json"])
    assert [f"PREDICTION  {q['comparison']}: {q['measured']}" for q in stored] == \
        [ln.split(" [")[0] for ln in predicted]
    # no targets: the only check is that every run was valid
    assert len(json.loads(data.attrs["checks_json"])) == 1
    text = gallery.entry(by_name()[name], data)
    assert text.index("Predictions (no targets):") > text.index(" every run valid")
    assert all(f"- {q['comparison']}: " in text for q in stored)
