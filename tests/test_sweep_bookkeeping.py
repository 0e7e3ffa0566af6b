"""Sweep bookkeeping without simulations: folders, invocations, manifest lines."""

import json
import time

from experiments.io import collect as collect_mod
from experiments.io.sweeps import (
    add_invocation,
    all_jobs,
    append_manifest,
    invocation_counts,
    invocations_of,
    read_manifest,
    read_sweep_json,
)
from experiments.preflight import check_command_line, new_sweep_dir


def test_two_sweeps_started_in_the_same_second_get_their_own_folders(tmp_path):
    folders = set()
    t0 = time.time()
    while len(folders) < 5:
        folder, token = new_sweep_dir(str(tmp_path / "multirun"))
        folders.add(folder)
    assert time.time() - t0 < 5 and len(folders) == 5
    assert all(f.is_dir() for f in folders)


def test_the_command_line_chooses_a_fresh_folder_unless_it_names_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["-m", "experiment=tiny", "simulation.seed=1,2"]
    a, b = check_command_line(argv), check_command_line(argv)
    assert a.sweep_dir != b.sweep_dir and a.invocation != b.invocation
    assert a.sweep_dir.parent == (tmp_path / "results" / "multirun")
    assert f"hydra.sweep.dir={a.sweep_dir.relative_to(tmp_path)}" in a.argv
    named = check_command_line(argv + [f"hydra.sweep.dir={tmp_path}/mine"])
    assert named.sweep_dir is None and named.invocation
    assert not (tmp_path / "mine").exists()
    assert not any(x.startswith("hydra.sweep.dir=") for x in named.argv[len(argv) + 1:])


def test_every_invocation_keeps_its_job_grid(tmp_path):
    add_invocation(tmp_path, {"invocation": "a", "jobs": [["x=1"], ["x=2"]], "cwd": "/one"})
    add_invocation(tmp_path, {"invocation": "b", "jobs": [["x=2"], ["x=3"]], "cwd": "/two"})
    info = read_sweep_json(tmp_path)
    assert [i["invocation"] for i in invocations_of(info)] == ["a", "b"]
    assert all_jobs(info) == [["x=1"], ["x=2"], ["x=3"]]
    jobs, cwd = collect_mod._sweep_jobs(tmp_path)
    assert jobs == [["x=1"], ["x=2"], ["x=3"]] and cwd == "/two"


def test_a_sweep_folder_of_the_single_invocation_form_still_reads(tmp_path):
    (tmp_path / "sweep.json").write_text(json.dumps({"jobs": [["x=1"]], "started": 1.0}))
    assert all_jobs(read_sweep_json(tmp_path)) == [["x=1"]]
    add_invocation(tmp_path, {"invocation": "b", "jobs": [["x=2"]]})
    assert all_jobs(read_sweep_json(tmp_path)) == [["x=1"], ["x=2"]]


def test_an_append_after_a_torn_line_survives(tmp_path):
    append_manifest(tmp_path, {"job": 0, "status": "done", "invocation": "a"})
    with open(tmp_path / "manifest.jsonl", "a") as f:
        f.write('{"job": 1, "status": "do')  # a writer killed mid-line
    append_manifest(tmp_path, {"job": 2, "status": "failed", "invocation": "a"})
    assert [r["job"] for r in read_manifest(tmp_path)] == [0, 2]
    assert invocation_counts(tmp_path, "a") == {"done": 1, "skipped": 0, "failed": 1}
