"""fearsim-bench: event counting, the markdown section, options; and (slow) the
quick benchmark in a subprocess.

The subprocess tests compile: ``--quick --only sweep,workers`` needs one build
of the tiny network from an empty cache (1-2 minutes on 2 quiet cores, about 5
under load), then a 3-point run-time sweep and 2 runs on 1 and on 2 processes;
so they are marked slow. The full benchmark (full scale) is not run by tests.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.bench import runner as bench
from experiments.bench import runs

ROOT = Path(__file__).resolve().parents[1]


def _bench(tmp_path, *args, timeout=900):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    out = tmp_path / "bench.json"
    md = tmp_path / "BENCHMARKS.md"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick",
                        "--out", str(out), "--markdown", str(md), *args],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-4000:]
    assert r.stdout.strip().splitlines()[-1] == str(out.resolve())
    return json.loads(out.read_text()), md.read_text(), r


@pytest.mark.slow
def test_quick_sweep_and_workers(tmp_path):
    res, md, r = _bench(tmp_path, "--only", "sweep,workers")
    assert res["quick"] is True and res["sections"] == ["sweep", "workers"]
    for key in ("cpu", "cores", "ram_GB", "python", "brian2", "numpy", "date"):
        assert key in res["machine"]
    s = res["sweep"]
    for key in ("total_s", "builds", "first_build_s", "mean_simulate_s", "ideal_s", "ratio",
                "values", "runs"):
        assert key in s
    assert s["n"] == 3 and len(s["runs"]) == 3 and len(set(s["values"])) == 3
    # a run-time sweep compiles exactly once, on its first point
    assert s["builds"] == 1 and s["compiled_runs"] == 1
    assert s["runs"][0]["timings"]["compiled"] and not s["runs"][-1]["timings"]["compiled"]
    assert s["ratio"] > 0.5
    w = res["workers"]
    assert w["n_runs"] == 2 and w["throughput_ratio"] > 0
    # the cache was pre-built: no run of the measured batches compiled
    assert w["p1"]["compiled"] == 0 and w["p2"]["compiled"] == 0
    assert w["p1_after"]["compiled"] == 0
    assert len({r["pid"] for r in w["p2"]["runs"]}) == 2
    assert len({r["pid"] for r in w["p1_after"]["runs"]}) == 1
    assert res["targets"]["sweep.builds"]["met"]
    # printed table and the markdown section
    assert "throughput ratio 2 vs 1" in r.stdout
    assert bench.MARK_BEGIN in md and bench.MARK_END in md and "| sweep | builds | 1 |" in md


def test_markdown_section_is_replaced(tmp_path):
    md = (tmp_path / "report").with_suffix(".md")
    md.write_text("# Benchmarks\n\nintro\n\n" + bench.MARK_BEGIN + "\nold\n" + bench.MARK_END
                  + "\n\nnotes after\n")
    bench.write_markdown(md, bench.MARK_BEGIN + "\nnew\n" + bench.MARK_END)
    text = md.read_text()
    assert "old" not in text and "new" in text
    assert text.startswith("# Benchmarks\n\nintro") and text.endswith("notes after\n")


def test_synaptic_event_count_is_analytic_for_inputs(compose):
    from model import circuit
    from model.protocol import build_schedule

    ov = ["experiment=tiny"]
    cfg = compose(ov)
    plan = circuit.plan(cfg, build_schedule(cfg.protocol))
    n_syn = {k: int(round(v)) for k, v in plan.expected_synapses.items()}
    spikes = {k: 10 * n for k, n in plan.pop_sizes.items()}  # 10 spikes per neuron
    st = runs.run_stats(ov, {"sizes": plan.sizes, "n_synapses": n_syn,
                             "pop_spikes": spikes, "simulate_s": 1.0})
    recurrent = sum(10 * n_syn[k] for k, p in cfg.network.projections.items()
                    if p.pre in plan.pop_sizes)
    assert st["events_per_projection"]["la_la"] == pytest.approx(10 * n_syn["la_la"])
    assert st["syn_events"] > recurrent  # inputs add their analytic spike counts
    assert st["n_synapses"] == sum(n_syn.values())
    assert st["mean_rate_Hz"] == pytest.approx(10 / st["bio_fast_s"])


def test_only_rejects_unknown_sections_and_keeps_order():
    a, sections = bench.parse(["--quick", "--only", "workers,sweep"])
    assert sections == ["sweep", "workers"] and a.quick
    assert bench.parse([])[1] == list(bench.DEFAULT_SECTIONS)
    with pytest.raises(SystemExit):
        bench.parse(["--only", "sweep,nonsense"])


@pytest.mark.slow
def test_quick_benchmark_every_section(tmp_path):
    res, md, _ = _bench(tmp_path, "--only", ",".join(bench.SECTIONS), timeout=3600)
    for name in bench.SECTIONS:
        assert name in res
    d = res["default"]
    assert d["syn_events_per_s"] > 0 and d["neuron_updates_per_s"] > 0
    assert d["compiled_cold"] and not d["compiled_warm"]
    assert d["results_file_MB"] > 0 and d["binary_peak_rss_MB"] > 0
    assert "overhead_simulate" in res["plain"]
    assert res["runtime"]["ratio_simulate"] > 0
    assert len(res["scaling"]["points"]) == 2 and "exponent" in res["scaling"]
    assert res["profile"]["entries"]


def test_every_time_and_rate_is_also_a_ratio_to_coba():
    from experiments.bench import report

    res = {"quick": False,
           "coba": {"n_neurons": 4000, "n_synapses": 320000, "bio_s": 10.0,
                    "mean_rate_Hz": 20.0, "build_s": 5.0, "simulate_s": 0.5,
                    "neuron_updates_per_s": 8e8, "syn_events_per_s": 1e8},
           "plain": {"build_s": 10.0, "simulate_s": 10.0, "syn_events_per_s": 5e6,
                     "mean_rate_Hz": 8.0, "overhead_simulate": 1.04, "overhead_total": 1.1,
                     "overhead_build": 1.2},
           "scaling": {"points": [{"scale": 1.0, "n_synapses": 10, "simulate_s": 15.0,
                                   "build_s": 1.0}], "exponent": 0.95}}
    res["default"] = {"simulate_s": 12.0, "build_s": 14.0}
    res["targets"] = report.check_targets(res)
    assert res["targets"]["default.simulate_s"]["met"]  # 12 <= 25 x 0.5
    assert not res["targets"]["default.build_s"]["met"]  # 14 > 2.5 x 5
    assert res["targets"]["plain.overhead_simulate"]["met"]
    del res["default"]
    rows = {(r[0], r[1]): r for r in report.table_rows(res)}
    assert rows[("plain", "simulate [s]")][3] == "20x"
    assert rows[("plain", "build [s]")][3] == "2x"
    assert rows[("plain", "synaptic events / s")][3] == "0.05x"
    assert rows[("scaling", "scale 1.0: 10 synapses: simulate [s]")][3] == "30x"
    # without a COBA run there is no ratio and no COBA-relative target
    res.pop("coba")
    assert "default.simulate_s" not in report.check_targets({**res, "default": {
        "simulate_s": 13.0}})
    assert all(r[3] == "" for r in report.table_rows(res))


def _fake_binary(folder: Path, body: str) -> Path:
    folder.mkdir()
    main = folder / "main"
    main.write_text("#!/bin/sh\n" + body + "\n")
    main.chmod(0o755)
    return folder


def test_coba_binary_runs_one_and_two_at_a_time(tmp_path):
    from experiments.bench import coba

    # each copy writes into the results folder it is given (removed afterwards)
    folder = _fake_binary(tmp_path / "coba", f'touch "{tmp_path}/$(basename "$2")"')
    res = coba.parallel_throughput(str(folder), n_runs=3)
    assert res["n_runs"] == 3 and res["throughput_ratio"] > 0
    # one at a time, two at a time, one at a time again
    done = sorted(p.name for p in tmp_path.glob("results_parallel_*"))
    assert done == [f"results_parallel_{phase}_{k}" for phase in range(3) for k in range(3)]
    assert res["throughput_ratio"] == pytest.approx(
        (res["span_1_s"] + res["span_1_after_s"]) / 2 / res["span_2_s"])
    assert not list(folder.glob("results_parallel_*"))
    broken = _fake_binary(tmp_path / "broken", 'echo "no memory" >&2; exit 3')
    with pytest.raises(RuntimeError, match="no memory"):
        coba.parallel_throughput(str(broken), n_runs=2)


PLAIN_NETWORK = """
import sys
import brian2
from experiments.bench import plain
spec = plain.plain_spec(["simulation.device=cpp_standalone"])
plain.plain_network(spec, sys.argv[1])
brian2.device.build(directory=sys.argv[1], compile=False, run=False, with_output=False)
print(" ".join(spec["plan"].groups))
"""


def test_plain_script_generates_the_default_network(tmp_path):
    """The plain script keeps up with the model: every group and synapse set of the
    default plan, code generated (not compiled) at full structure."""
    r = subprocess.run([sys.executable, "-c", PLAIN_NETWORK, str(tmp_path / "plain")],
                       cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 0, r.stderr[-4000:]
    groups = r.stdout.splitlines()[-1].split()
    main = (tmp_path / "plain" / "main.cpp").read_text()
    # every group of the plan is simulated: its spike test runs in the network, and
    # so do the teacher's events on the inputs
    assert "teacher" in groups
    assert all(f"plain_{name}_spike_thresholder_codeobject" in main for name in groups)
    assert "plain_inputs_teach_thresholder_codeobject" in main
