"""The benchmark's targets, its table (with every figure as a ratio to COBA) and
the BENCHMARKS.md section between markers."""

from __future__ import annotations

from pathlib import Path

MARK_BEGIN = "<!-- fearsim-bench:begin -->"
MARK_END = "<!-- fearsim-bench:end -->"
QUICK_NOTE = ", --quick: not the configuration of the targets"
ROOT = Path(__file__).resolve().parents[2]


def _coba(res, key):
    return (res.get("coba") or {}).get(key)


# key: (text, test(value, res)); targets relative to COBA apply only with it
TARGETS = {
    "default.simulate_s": ("<= 25x COBA simulate",
                           lambda v, r: _coba(r, "simulate_s") and v <= 25 * _coba(r, "simulate_s")),
    "default.build_s": ("<= 2.5x COBA build",
                        lambda v, r: _coba(r, "build_s") and v <= 2.5 * _coba(r, "build_s")),
    "plain.overhead_simulate": ("<= 1.05x", lambda v, r: v <= 1.05),
    "sweep.builds": ("== 1", lambda v, r: v == 1),
    "sweep.ratio": ("<= 1.1x", lambda v, r: v <= 1.1),
    "workers.throughput_ratio": (">= 1.9x", lambda v, r: v >= 1.9),
    "scaling.exponent": ("<= 1.0", lambda v, r: v <= 1.0),
    "default.peak_rss_MB": ("<= 1536 MB", lambda v, r: v <= 1536),
    "default.results_file_MB": ("<= 50 MB", lambda v, r: v <= 50),
}


def get(res: dict, dotted: str):
    cur = res
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def check_targets(res: dict) -> dict:
    out = {}
    for key, (text, test) in TARGETS.items():
        v = get(res, key)
        met = None if v is None else test(v, res)
        if met is None:  # not measured, or relative to COBA and COBA did not run
            continue
        out[key] = {"value": v, "target": text, "met": bool(met), "applies": not res["quick"]}
    return out


def fmt(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    return f"{v:.{nd}f}"


class Rows:
    """Table rows: (section, quantity, value, x COBA, target)."""

    def __init__(self, res: dict):
        self.res, self.rows = res, []

    def add(self, sec, what, val, coba_key=None, own=None, target_key=None):
        """A row; ``own`` divided by COBA's ``coba_key`` goes in the x COBA column."""
        ref = _coba(self.res, coba_key) if coba_key else None
        ratio = f"{own / ref:.3g}x" if ref and own is not None else ""
        tgt = ""
        if target_key and target_key in self.res.get("targets", {}):
            t = self.res["targets"][target_key]
            tgt = f"{t['target']} {'met' if t['met'] else 'NOT met'}"
            if not t["applies"]:
                tgt += " (quick run)"
        self.rows.append((sec, what, val, ratio, tgt))


def coba_rows(t: Rows, c: dict) -> None:
    t.add("coba", "network", f"{c['n_neurons']:,} neurons, {c['n_synapses']:,} synapses, "
          f"{c['bio_s']:.0f} s, {c['mean_rate_Hz']:.1f} Hz")
    t.add("coba", "build / simulate [s]", f"{c['build_s']:.1f} / {c['simulate_s']:.3f}")
    t.add("coba", "neuron updates / s; synaptic events / s",
          f"{c['neuron_updates_per_s']:.3g}; {c['syn_events_per_s']:.3g}")


def default_rows(t: Rows, d: dict) -> None:
    t.add("default", "network", f"{d['n_neurons']:,} neurons + {d['n_inputs']} inputs, "
          f"{d['n_synapses']:,} synapses")
    t.add("default", "biological time", f"{d['bio_fast_s']:.0f} s spiking "
          f"({d['steps']:.3g} steps); slow network {d['bio_slow_h']:.1f} h of protocol")
    t.add("default", "build (cold cache) [s]", fmt(d["build_s"], 1), "build_s", d["build_s"],
          "default.build_s")
    t.add("default", "simulate (cached build) [s]", fmt(d["simulate_s"], 2), "simulate_s",
          d["simulate_s"], "default.simulate_s")
    t.add("default", "simulate, cold run [s]", fmt(d["simulate_cold_s"], 2), "simulate_s",
          d["simulate_cold_s"])
    t.add("default", "setup (Python) [s]", fmt(d["setup_s"], 2))
    t.add("default", "total wall, warm / cold [s]",
          f"{d['total_warm_s']:.1f} / {d['total_cold_s']:.1f}")
    t.add("default", "real-time factor (sim wall / bio)", fmt(d["realtime_factor"], 3))
    t.add("default", "mean rate [Hz]", fmt(d["mean_rate_Hz"], 2))
    t.add("default", "synaptic events / s", f"{d['syn_events_per_s']:.3g} "
          f"({d['syn_events_incl_post_per_s']:.3g} with on_post)", "syn_events_per_s",
          d["syn_events_per_s"])
    t.add("default", "neuron updates / s", f"{d['neuron_updates_per_s']:.3g}",
          "neuron_updates_per_s", d["neuron_updates_per_s"])
    t.add("default", "peak RSS binary / Python [MB]",
          f"{d['binary_peak_rss_MB']:.0f} / {d['python_peak_rss_MB']:.0f}",
          target_key="default.peak_rss_MB")
    t.add("default", "peak RSS compiler+binary, cold [MB]",
          f"{d['children_peak_rss_cold_MB']:.0f}")
    t.add("default", "results file [MB]", fmt(d["results_file_MB"], 2),
          target_key="default.results_file_MB")


def plain_rows(t: Rows, p: dict) -> None:
    t.add("plain", "build [s]", fmt(p["build_s"], 1), "build_s", p["build_s"])
    t.add("plain", "simulate [s]", fmt(p["simulate_s"], 2), "simulate_s", p["simulate_s"])
    t.add("plain", "synaptic events / s", f"{p['syn_events_per_s']:.3g}", "syn_events_per_s",
          p["syn_events_per_s"])
    t.add("plain", "mean rate [Hz] (project's run)",
          f"{fmt(p['mean_rate_Hz'], 2)} ({fmt(p.get('project_mean_rate_Hz'), 2)})")
    if "overhead_simulate" in p:
        runs = p.get("project_simulate_runs_s")
        label = "overhead: project / plain simulate"
        if runs:
            label += (f" (sums of {len(runs)} runs each: "
                      + " + ".join(f"{v:.1f}" for v in runs) + " / "
                      + " + ".join(f"{v:.1f}" for v in p["simulate_runs_s"]) + " s)")
        t.add("plain", label, fmt(p["overhead_simulate"], 3) + "x",
              target_key="plain.overhead_simulate")
        t.add("plain", "overhead: total wall without compilation",
              fmt(p["overhead_total"], 2) + "x")
        t.add("plain", "overhead: cold build", fmt(p["overhead_build"], 2) + "x")


def runtime_rows(t: Rows, r: dict) -> None:
    t.add("runtime", f"scale {r['scale']}: standalone setup+build+simulate / total [s]",
          f"{r['standalone_setup_build_simulate_s']:.2f} / {r['standalone_total_s']:.1f} "
          f"(binary {r['standalone_simulate_s']:.2f})", "simulate_s", r["standalone_simulate_s"])
    t.add("runtime", "Cython runtime setup+simulate / total [s]",
          f"{r['runtime_setup_simulate_s']:.2f} / {r['runtime_total_s']:.1f} "
          f"(first run {r['runtime_first_total_s']:.1f})", "simulate_s",
          r["runtime_setup_simulate_s"])
    t.add("runtime", "runtime / standalone (cached build): run, total",
          f"{r['ratio_simulate']:.2f}x, {r['ratio_total']:.2f}x")


def sweep_worker_rows(t: Rows, res: dict) -> None:
    s = res.get("sweep")
    if s:
        t.add("sweep", f"{s['n']} values of {s['key'].split('.')[-2]} (scale {s['scale']})",
              f"total {s['total_s']:.1f} s")
        t.add("sweep", "builds", str(s["builds"]), target_key="sweep.builds")
        t.add("sweep", "build / mean simulate / mean setup [s]",
              f"{s['first_build_s']:.1f} / {s['mean_simulate_s']:.2f} / {s['mean_setup_s']:.2f}",
              "simulate_s", s["mean_simulate_s"])
        t.add("sweep", "total / (build + n x simulate)", fmt(s["ratio"], 3),
              target_key="sweep.ratio")
    w = res.get("workers")
    if w:
        t.add("workers", f"{w['n_runs']} runs (scale {w['scale']}): 1 / 2 / 1 processes [s]",
              f"{w['p1']['span_s']:.1f} / {w['p2']['span_s']:.1f} / "
              f"{w['p1_after']['span_s']:.1f}")
        t.add("workers", "throughput ratio 2 vs 1", fmt(w["throughput_ratio"], 2) + "x",
              target_key="workers.throughput_ratio")
        wc = w.get("coba")
        if wc:
            t.add("workers", f"COBA binary, {wc['n_runs']} runs: 1 / 2 / 1 processes [s]; ratio",
                  f"{wc['span_1_s']:.1f} / {wc['span_2_s']:.1f} / {wc['span_1_after_s']:.1f}; "
                  f"{fmt(wc['throughput_ratio'], 2)}x")


def scaling_rows(t: Rows, sc: dict) -> None:
    for pt in sc["points"]:
        t.add("scaling", f"scale {pt['scale']}: {pt['n_synapses']:,} synapses: simulate [s]",
              f"{pt['simulate_s']:.2f} (build {pt['build_s']:.1f})", "simulate_s",
              pt["simulate_s"])
    t.add("scaling", "exponent (simulate ~ synapses^k)", fmt(sc["exponent"], 2),
          target_key="scaling.exponent")


def profile_rows(t: Rows, res: dict) -> None:
    nv = res.get("neurons")
    if nv:
        for v, r in nv["variants"].items():
            t.add("neurons", f"{v}: simulate [s] ({nv['n_neurons']} neurons, {nv['bio_s']} s)",
                  f"{r['simulate_s']:.2f} ({r['speedup']:.2f}x), {r['rate_Hz']:.2f} Hz")
            for name, s in sorted(r["profile"].items(), key=lambda e: -e[1])[:2]:
                t.add("neurons", f"  {v}: {name}", f"{s:.2f} s")
    pr = res.get("profile")
    if pr:
        t.add("profile", "Brian2 profiling: code objects (CPU) / binary wall [s]",
              f"{pr['profiled_total_s']:.2f} / {pr['simulate_s']:.2f}")
        for e in pr["entries"][:12]:
            t.add("profile", e["code_object"], f"{e['s']:.2f} s ({e['percent']:.1f}%)")
        perf = pr.get("perf")
        if perf:
            t.add("profile", "perf: CPU-clock samples of the binary, simulate [s]",
                  f"{perf['simulate_s']:.2f}")
            for e in perf["symbols"][:14]:
                t.add("profile", f"perf: {e['symbol']}", f"{e['percent']:.1f}%")


def table_rows(res: dict) -> list[tuple[str, str, str, str, str]]:
    t = Rows(res)
    for key, rows in (("coba", coba_rows), ("default", default_rows), ("plain", plain_rows),
                      ("runtime", runtime_rows), ("scaling", scaling_rows)):
        if res.get(key):
            rows(t, res[key])
    sweep_worker_rows(t, res)
    profile_rows(t, res)
    return t.rows


HEAD = ("section", "quantity", "value", "x COBA", "target")


def format_table(res: dict, markdown: bool = False) -> str:
    rows = table_rows(res)
    if markdown:
        lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    w = [max(len(HEAD[k]), *(len(r[k]) for r in rows)) if rows else len(HEAD[k])
         for k in range(len(HEAD))]
    line = "  ".join(f"{{:<{x}}}" for x in w)
    return "\n".join([line.format(*HEAD), line.format(*("-" * x for x in w))]
                     + [line.format(*r) for r in rows])


def markdown_section(res: dict, json_path: Path) -> str:
    m = res["machine"]
    lines = [
        MARK_BEGIN,
        f"## Latest run ({m['date']}{QUICK_NOTE if res['quick'] else ''})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['cores_available']} available), "
        f"{m['ram_GB']} GB RAM; Python {m['python']}, Brian2 {m['brian2']}, "
        f"numpy {m['numpy']}, {m['compiler']}; load average at start "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg_start'])}; git {m['git_commit']}.",
        f"Command: `fearsim-bench {' '.join(res['argv'])}`; all numbers: "
        f"`{_rel(json_path)}`; wall time of the benchmark {res['bench_wall_s']:.0f} s. "
        "The column x COBA divides a time or a rate by COBA's of the same invocation "
        "(experiments/bench/coba.py).",
        "",
        format_table(res, markdown=True),
        MARK_END,
    ]
    return "\n".join(lines)


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def write_markdown(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    if MARK_BEGIN in text and MARK_END in text:
        a = text.index(MARK_BEGIN)
        b = text.index(MARK_END) + len(MARK_END)
        text = text[:a] + section + text[b:]
    else:
        if not text:
            text = "# Benchmarks\n\nWritten by `fearsim-bench` (experiments/bench/runner.py).\n"
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
