"""A stored result is a complete run of the current code.

The run id covers a fingerprint of the code; a results file is verified before
it is reused (an unreadable, truncated or empty one is computed again) and
``--force`` recomputes; ``fearsim-collect`` names every unreadable run; a run
id is claimed while it is computed, robust to a killed claimer.
"""

import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml

from experiments.execute import result_path, run_and_store
from experiments.io import collect as collect_mod
from experiments.io import store
from experiments.io.sweeps import add_invocation, append_manifest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["experiment=tiny", "simulation.device=cpp_standalone"]

RUN_ID_SCRIPT = """
from experiments.config_store import compose, plain
from experiments.io.store import run_id
print(run_id(plain(compose(["experiment=tiny"]))))
"""


def _run_id_in(tree: Path) -> str:
    r = subprocess.run([sys.executable, "-c", RUN_ID_SCRIPT], cwd=tree, capture_output=True,
                       text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(tree)))
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip().splitlines()[-1]


def test_run_id_follows_the_model_code(tmp_path):
    """A one-line change in model/ gives a new run id; reverting it, the old one."""
    tree = tmp_path / "copy"
    for part in ("model", "experiments", "configs"):
        shutil.copytree(ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    source = tree / "model" / "neurons.py"
    original = source.read_text()
    before = _run_id_in(tree)
    lines = original.splitlines(keepends=True)
    k = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    source.write_text("".join(lines[:k] + [lines[k].rstrip("\n") + "  # changed\n"]
                              + lines[k + 1:]))
    changed = _run_id_in(tree)
    source.write_text(original)
    reverted = _run_id_in(tree)
    assert changed != before
    assert reverted == before


def test_fingerprint_covers_model_schema_and_brian2():
    parts = store.code_parts()
    assert set(parts) == {"model", "brian2", "brian2_code"}
    assert parts["brian2"] == "2.9.0"
    assert len(store.code_fingerprint()) == 16


# ---------------------------------------------------------------------------
# one real run, then its file in good and bad states


@pytest.fixture(scope="module")
def finished(tmp_path_factory, shared_build_cache):
    from experiments.config_store import compose

    results = tmp_path_factory.mktemp("runs")
    cfg = compose(TINY + [f"paths.results_dir={results}"])
    stored = run_and_store(cfg)
    assert not stored.reused
    return cfg, stored


def test_stored_run_carries_its_fingerprint(finished):
    _, stored = finished
    assert store.verify_run(stored.path, stored.run_id, store.code_fingerprint()) is None
    with xr.open_dataset(stored.path, engine="h5netcdf") as ds:
        assert ds.attrs["code_fingerprint"] == store.code_fingerprint()
        assert json.loads(ds.attrs["code_parts_json"]) == store.code_parts()
    assert not list(stored.path.parent.glob(".*claim"))  # the claim is gone


def test_finished_run_is_reused_and_force_recomputes(finished, capsys):
    cfg, stored = finished
    mtime = stored.path.stat().st_mtime_ns
    again = run_and_store(cfg)
    assert again.reused and again.path == stored.path
    assert stored.path.stat().st_mtime_ns == mtime
    with xr.open_dataset(stored.path, engine="h5netcdf") as ds:
        first = ds.load()
    forced = run_and_store(cfg, force=True)
    assert not forced.reused and stored.path.stat().st_mtime_ns != mtime
    with xr.open_dataset(stored.path, engine="h5netcdf") as ds:
        xr.testing.assert_identical(ds.load().drop_attrs(), first.drop_attrs())


def _bad_copies(stored, folder: Path) -> dict[str, Path]:
    """Copies of a good run file under its own name, each broken one way."""
    folder.mkdir(parents=True, exist_ok=True)
    data = stored.path.read_bytes()
    out = {}
    for what, content in (("truncated", data[: len(data) // 2]), ("empty", b"")):
        d = folder / what
        d.mkdir()
        (d / stored.path.name).write_bytes(content)
        out[what] = d / stored.path.name
    return out


def test_verify_run_names_what_is_wrong(finished, tmp_path):
    _, stored = finished
    bad = _bad_copies(stored, tmp_path)
    assert "unreadable" in store.verify_run(bad["truncated"], stored.run_id)
    assert store.verify_run(bad["empty"], stored.run_id) == "empty file"
    assert "holds run" in store.verify_run(stored.path, "0" * 16)
    assert "made by other code" in store.verify_run(stored.path, stored.run_id, "f" * 16)
    # a file with fewer trials than its protocol is incomplete
    with xr.open_dataset(stored.path, engine="h5netcdf") as ds:
        summary = ds.load()
    with xr.open_dataset(stored.path, engine="h5netcdf", group="spikes") as sp:
        spikes = sp.load()
    short = tmp_path / "short.nc"
    config = yaml.safe_load(summary.attrs["config_yaml"])
    store.write_run(short, summary.isel(trial=slice(0, 3)), spikes, config, {"run_id": "x"})
    assert store.verify_run(short, "x").startswith("incomplete (3 of")


def test_truncated_results_file_is_recomputed(finished, tmp_path, capsys):
    from experiments.config_store import compose

    _, stored = finished
    bad = _bad_copies(stored, tmp_path)["truncated"]
    cfg = compose(TINY + [f"paths.results_dir={bad.parent}"])
    assert result_path(cfg)[1] == bad.resolve()
    again = run_and_store(cfg)
    assert not again.reused
    assert "unreadable" in capsys.readouterr().err
    assert store.verify_run(again.path, again.run_id) is None


def test_collect_names_unreadable_runs_in_a_results_folder(finished, tmp_path, capsys):
    _, stored = finished
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(stored.path, folder / stored.path.name)
    (folder / "0123456789abcdef.nc").write_bytes(stored.path.read_bytes()[:5000])
    (folder / "fedcba9876543210.nc").write_bytes(b"")
    ds, missing = collect_mod.collect(folder)
    assert ds.attrs["n_runs"] == 1
    named = {p.overrides[0]: p for p in missing}
    assert set(named) == {"0123456789abcdef.nc", "fedcba9876543210.nc"}
    assert all(p.status == "unreadable" for p in named.values())
    collect_mod.report_missing(missing, ds)
    err = capsys.readouterr().err
    assert "0123456789abcdef.nc" in err and "fedcba9876543210.nc" in err and "unreadable" in err


def test_collect_names_unreadable_runs_in_a_sweep_folder(finished, tmp_path, capsys):
    """A manifest that points at a truncated file: reported, not a crash."""
    cfg, stored = finished
    sweep, runs = tmp_path / "sweep", tmp_path / "runs"
    runs.mkdir()
    good = runs / stored.path.name
    shutil.copy(stored.path, good)
    cut = runs / "0123456789abcdef.nc"
    cut.write_bytes(stored.path.read_bytes()[:5000])
    jobs = [["simulation.seed=1"], ["simulation.seed=2"]]
    add_invocation(sweep, {"invocation": "a", "jobs": jobs, "total": 2, "cwd": str(tmp_path)})
    append_manifest(sweep, {"job": 0, "overrides": jobs[0], "status": "done",
                            "run_id": stored.run_id, "path": str(good), "invocation": "a"})
    append_manifest(sweep, {"job": 1, "overrides": jobs[1], "status": "done",
                            "run_id": "0123456789abcdef", "path": str(cut), "invocation": "a"})
    assert collect_mod.main([str(sweep), "--out", str(tmp_path / "c.nc")]) == 0
    err = capsys.readouterr().err
    assert "seed=2: unreadable" in err and str(cut) in err
    with xr.open_dataset(tmp_path / "c.nc", engine="h5netcdf") as ds:
        assert ds.status.values.tolist() == ["done", "unreadable"]


# ---------------------------------------------------------------------------
# claims


def _hold_claim(path: str, ready, seconds: float) -> None:
    with store.claim(Path(path)):
        ready.set()
        time.sleep(seconds)


def _holder(target: Path, seconds: float):
    """A process that holds the claim on ``target`` for ``seconds`` (started, holding)."""
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_claim, args=(str(target), ready, seconds))
    holder.start()
    assert ready.wait(30)
    return holder


def test_a_claim_waits_for_its_holder(tmp_path):
    target = tmp_path / "runs" / "abc.nc"
    holder = _holder(target, 1.5)
    waited = []
    t0 = time.monotonic()
    with store.claim(target, on_wait=lambda: waited.append(True)):
        elapsed = time.monotonic() - t0
    holder.join(30)
    assert waited == [True] and elapsed > 0.5
    assert not list(target.parent.glob(".*claim"))


def test_a_killed_claimer_does_not_block_the_run(tmp_path):
    target = tmp_path / "runs" / "abc.nc"
    holder = _holder(target, 600)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(30)
    t0 = time.monotonic()
    with store.claim(target, on_wait=lambda: pytest.fail("waited for a dead claimer")):
        pass
    assert time.monotonic() - t0 < 5
