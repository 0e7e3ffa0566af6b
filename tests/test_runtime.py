"""How a run executes: interruptions, unreadable values, cached files, build keys.

The interruption tests run ``fearsim-run experiment=tiny`` (C++ standalone)
in a session of its own and signal it: afterwards no results file, no process
of that session and no results folder in the build cache may be left, and the
next run must give the uninterrupted run's values. The default suite signals
with Ctrl-C; the slow target (``pytest -m slow``) with SIGTERM and SIGKILL too,
and at random moments, 10 times per signal, printing the counts (``pytest -s``).
"""

from __future__ import annotations

import ast
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.io import build_cache
from model import standalone

ROOT = Path(__file__).resolve().parents[1]
TINY = ["experiment=tiny", "simulation.device=cpp_standalone"]


# -- the interruption harness ---------------------------------------------------

def session_processes(sid: int) -> list[tuple[int, str]]:
    """(pid, name) of every live process of session ``sid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, _ppid, _pgid, session = stat[stat.rindex(")") + 2:].split()[:4]
        if int(session) == sid and state != "Z":
            found.append((int(entry), name))
    return found


def start_run(results: Path, cache: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), FEARSIM_BUILD_CACHE=str(cache),
               MPLBACKEND="Agg")
    # a session of its own (its id is the run's pid: every descendant carries
    # it), with Ctrl-C not ignored even when the test runs in the background
    # files, not pipes: nobody reads a pipe while the run is being timed
    logs = (tempfile.TemporaryFile(), tempfile.TemporaryFile())
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli.run", *TINY, f"paths.results_dir={results}"],
        cwd=ROOT, env=env, stdout=logs[0], stderr=logs[1], start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.logs = logs
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for the run; its (stdout, stderr)."""
    proc.wait(timeout=timeout)
    texts = []
    for f in proc.logs:
        f.seek(0)
        texts.append(f.read().decode(errors="replace"))
        f.close()
    return texts[0], texts[1]


def wait_for_binary(proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(name == "main" for _, name in session_processes(proc.pid)):
            return
        assert proc.poll() is None, finish(proc, 60)[1][-3000:]
        time.sleep(0.05)
    raise AssertionError("the simulation binary never started")


def send(proc: subprocess.Popen, sig: int) -> None:
    """Ctrl-C reaches the terminal's foreground group; SIGTERM/SIGKILL the process."""
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)


def survivors(sid: int, grace_s: float = 10.0) -> list[tuple[int, str]]:
    """Processes of the session still alive ``grace_s`` after its leader ended."""
    deadline = time.time() + grace_s
    while time.time() < deadline:
        left = session_processes(sid)
        if not left:
            return []
        time.sleep(0.05)
    return session_processes(sid)


def results_folders(cache: Path, pids: set[int]) -> list[Path]:
    """The simulation results folders (``results_<pid>_<id>``) of runs ``pids`` in the cache."""
    return [p for p in cache.glob("*/slot*/results_*")
            if p.is_dir() and p.name.split("_")[1] in {str(pid) for pid in pids}]


def interrupt_once(sig: int, results: Path, cache: Path, delay_s: float | None) -> dict:
    """One run signalled ``delay_s`` after its start (None: once the binary runs)."""
    proc = start_run(results, cache)
    if delay_s is None:
        wait_for_binary(proc)
    else:
        time.sleep(delay_s)
    finished_first = proc.poll() is not None
    names = {name for _, name in session_processes(proc.pid)}
    phase = "binary" if "main" in names else "compiling" if "make" in names else "python"
    if not finished_first:
        send(proc, sig)
    _, err = finish(proc, 120)
    left = survivors(proc.pid)
    for pid, _ in left:  # do not let a failure poison the next trial
        os.kill(pid, signal.SIGKILL)
    return {"signal": signal.Signals(sig).name, "delay_s": delay_s, "rc": proc.returncode,
            "phase": phase,
            "finished_first": finished_first, "stored": sorted(results.glob("*.nc")),
            "partial_files": sorted(results.glob(".*.tmp")), "orphans": left,
            "folders": results_folders(cache, {proc.pid}), "pid": proc.pid, "stderr": err}


def same_values(a: Path, b: Path) -> bool:
    for group in (None, "spikes"):
        with xr.open_dataset(a, engine="h5netcdf", group=group) as x, \
                xr.open_dataset(b, engine="h5netcdf", group=group) as y:
            if set(x.variables) != set(y.variables):
                return False
            for name in x.variables:
                if not np.array_equal(x[name].values, y[name].values,
                                      equal_nan=x[name].dtype.kind == "f"):
                    return False
    return True


def complete_run(results: Path, cache: Path) -> Path:
    proc = start_run(results, cache)
    out, err = finish(proc, 900)
    assert proc.returncode == 0, err[-3000:]
    return Path(out.strip().splitlines()[-1])


def timed_run(results: Path, cache: Path) -> tuple[float, float]:
    """(seconds to the end, seconds to the results file) of an uninterrupted run."""
    t0 = time.perf_counter()
    proc = start_run(results, cache)
    stored = None
    while proc.poll() is None:
        if stored is None and list(results.glob("*.nc")):
            stored = time.perf_counter() - t0
        time.sleep(0.02)
    assert proc.returncode == 0, finish(proc, 60)[1][-3000:]
    return time.perf_counter() - t0, stored or time.perf_counter() - t0


@pytest.fixture(scope="module")
def reference(shared_build_cache, tmp_path_factory):
    """An uninterrupted run (it compiles the tiny build once per test session)."""
    return complete_run(tmp_path_factory.mktemp("reference"), shared_build_cache)


def _expected_rc(sig: int) -> tuple[int, ...]:
    return (-sig, 128 + sig)  # ended by the signal; as a shell reports it


def tiny_slot(cache: Path) -> Path:
    from experiments.config_store import compose

    structure = build_cache.structure_hash(compose(TINY))
    return next(p.parent for p in sorted((cache / structure).glob("slot*/main")))


def compiled_tiny_slot(cache: Path, scratch: Path) -> Path:
    """A compiled slot of the tiny build: an earlier test's, or one a run compiles now."""
    try:
        return tiny_slot(cache)
    except StopIteration:
        complete_run(scratch / "build", cache)
        return tiny_slot(cache)


# Ctrl-C in the default suite; the other two signals (a run of their own each)
# and the random moments of the test below in the slow target
@pytest.mark.parametrize("sig", [signal.SIGINT,
                                 pytest.param(signal.SIGTERM, marks=pytest.mark.slow),
                                 pytest.param(signal.SIGKILL, marks=pytest.mark.slow)],
                         ids=lambda sig: signal.Signals(sig).name)
def test_interrupted_run_stores_nothing_and_leaves_nothing_behind(sig, shared_build_cache,
                                                                  tmp_path):
    """Ctrl-C, SIGTERM or SIGKILL while the simulation binary runs."""
    trial = interrupt_once(sig, tmp_path / signal.Signals(sig).name, shared_build_cache,
                           delay_s=None)
    assert trial["rc"] in _expected_rc(sig), trial["stderr"][-3000:]
    assert trial["stored"] == [] and trial["partial_files"] == []
    assert trial["orphans"] == []
    if sig != signal.SIGKILL:
        assert "stopped by" in trial["stderr"] and "Traceback" not in trial["stderr"]
    assert trial["folders"] == []


def test_truncated_cached_value_file_is_written_again(shared_build_cache, tmp_path):
    """A value file of the build torn by a killed run: the next run finds it and
    writes it again, and succeeds."""
    cache = shared_build_cache
    slot = compiled_tiny_slot(cache, tmp_path)
    value_files = sorted(slot.glob("static_arrays/init_*.dat"))
    torn = max(value_files, key=lambda p: p.stat().st_size)
    content = torn.read_bytes()
    with open(torn, "r+b") as f:
        f.truncate(len(content) // 2)
    path = complete_run(tmp_path / "next", cache)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.sizes["trial"] == 16
    assert torn.read_bytes() == content


@pytest.mark.slow
def test_interrupts_at_random_moments(reference, shared_build_cache, tmp_path):
    """10 runs per signal, each signalled at a random moment before its result is stored.

    A signal after the results file is written finds a finished run: the file
    stays (it must be the whole run). The moments are drawn from an
    uninterrupted run's time to its results file.
    """
    cache = shared_build_cache
    lifetime, until_stored = timed_run(tmp_path / "timing", cache)
    rng = random.Random(20261201)
    counts = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        name = signal.Signals(sig).name
        pids = set()
        c = counts[name] = {"runs": 0, "finished_first": 0, "stored_incomplete": 0,
                            "stored_complete": 0, "partial_files": 0, "orphans": 0,
                            "folders_after_exit": 0, "folders_after_next": 0,
                            "bad_exit": 0, "in_python": 0, "in_binary": 0}
        for k in range(10):
            results = tmp_path / f"{name}_{k}"
            trial = interrupt_once(sig, results, cache, rng.uniform(0.0, until_stored))
            c["runs"] += 1
            pids.add(trial["pid"])
            c["in_binary" if trial["phase"] == "binary" else "in_python"] += 1
            c["finished_first"] += trial["finished_first"]
            for path in trial["stored"]:
                # a signal after the results file was written: it must be the whole run
                key = "stored_complete" if same_values(path, reference) else "stored_incomplete"
                c[key] += 1
            c["partial_files"] += len(trial["partial_files"])
            c["orphans"] += len(trial["orphans"])
            c["folders_after_exit"] += len(trial["folders"])
            if not trial["finished_first"] and trial["rc"] not in _expected_rc(sig):
                c["bad_exit"] += 1
                print(f"{name} at {trial['delay_s']:.1f} s: exit {trial['rc']}\n"
                      + trial["stderr"][-2000:])
        # the next run takes the slot, removes what a killed run left, and succeeds
        path = complete_run(tmp_path / f"{name}_next", cache)
        c["next_run_identical"] = same_values(path, reference)
        c["folders_after_next"] = len(results_folders(cache, pids))
    print(f"\nuninterrupted run: results file after {until_stored:.1f} s, exit after "
          f"{lifetime:.1f} s; signals at uniform random moments before the results file")
    for name, c in counts.items():
        print(name, " ".join(f"{k}={v}" for k, v in c.items()))
    for name, c in counts.items():
        assert c["stored_incomplete"] == c["orphans"] == 0, (name, c)
        # SIGKILL during the results file's atomic write leaves its hidden temporary file
        assert name == "SIGKILL" or c["partial_files"] == 0, (name, c)
        assert c["bad_exit"] == 0 and c["next_run_identical"], (name, c)
        assert c["folders_after_next"] == 0, (name, c)
        if name != "SIGKILL":
            assert c["folders_after_exit"] == 0, (name, c)


# -- values the binary reads ----------------------------------------------------

@pytest.fixture
def standalone_group(tmp_path):
    import brian2 as b2

    previous = standalone.use_device(tmp_path, threads=1)
    group = b2.NeuronGroup(3, "v : 1\ntau : second (constant)", name="cells")
    yield group
    standalone.reset_device(previous)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_run_value_is_refused_naming_the_variable(standalone_group, tmp_path, bad):
    import brian2 as b2

    values = {standalone_group.v: np.array([0.0, bad, 1.0])}
    with pytest.raises(standalone.NonFiniteValue, match=r"cells\.v"):
        standalone.run_arg_strings(values, tmp_path)
    with pytest.raises(standalone.NonFiniteValue, match=r"cells\.tau"):
        standalone.run_arg_strings({standalone_group.tau: bad * b2.second}, tmp_path)


def test_run_value_files_are_checked_and_rewritten(standalone_group, tmp_path):
    values = {standalone_group.v: np.array([0.5, 1.5, 2.5])}
    (arg,) = standalone.run_arg_strings(values, tmp_path)
    path = tmp_path / arg.split("=", 1)[1]
    good = path.read_bytes()
    assert np.array_equal(np.frombuffer(good), [0.5, 1.5, 2.5])
    for torn in (good[:5], b"", good[:-8] + b"\0" * 8):
        path.write_bytes(torn)
        standalone.run_arg_strings(values, tmp_path)
        assert path.read_bytes() == good
    assert not list(path.parent.glob(".*.tmp"))


def test_binary_that_could_not_read_a_value_fails_the_run(shared_build_cache, tmp_path):
    """The real binary takes ``nan`` for a file name and says so (then runs on)."""
    slot = compiled_tiny_slot(shared_build_cache, tmp_path)
    args = ["neurons.EL=nan"]
    proc = subprocess.Popen(["./main", "--results_dir", f"{tmp_path}/", *args], cwd=slot,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()
    finally:
        proc.kill()
        proc.wait()
    assert "Error reading 'nan'" in first
    (tmp_path / "stderr.txt").write_text(first)
    with pytest.raises(standalone.SimulationError, match=r"could not read neurons\.EL"):
        standalone.check_values_read(tmp_path, args)
    (tmp_path / "stderr.txt").write_text("")
    standalone.check_values_read(tmp_path, args)
    # a missing build file: Brian2 prints this on stdout and runs on
    (tmp_path / "stdout.txt").write_text("Error opening static array _static_array__x_v.\n")
    with pytest.raises(standalone.SimulationError, match="_static_array__x_v"):
        standalone.check_values_read(tmp_path, args)


def test_binary_that_stopped_early_fails_the_run():
    class Clock:
        def __init__(self, t):
            self.t = t

        def get_value(self):
            return np.array([self.t])

    standalone.check_clocks_reached({"defaultclock": (Clock(64.0), 64.0, 1e-4)})
    with pytest.raises(standalone.SimulationError, match="53.8 s of 64 s"):
        standalone.check_clocks_reached({"defaultclock": (Clock(53.8), 64.0, 1e-4)})


def test_standalone_device_is_left_as_found(tmp_path):
    import brian2 as b2
    from brian2.core.clocks import Clock
    from brian2.utils import caching

    hash_before, key_before = Clock.__hash__, caching._hashable
    previous = standalone.use_device(tmp_path, threads=1)
    assert Clock.__hash__ is not hash_before
    assert isinstance(caching._hashable, standalone.IdentityKeyedCacheKeys)
    assert b2.get_device().extra_compile_args == standalone.PCH_FLAGS
    standalone.reset_device(previous)
    assert Clock.__hash__ is hash_before
    assert caching._hashable is key_before
    assert b2.devices.all_devices["cpp_standalone"].extra_compile_args == []
    assert type(b2.get_device()).__name__ == "RuntimeDevice"


GENERATE = """
import sys
from experiments.config_store import compose
from model import simulate, standalone
if sys.argv[2] == "unpatched":  # what Brian2 does without the constant clock hash
    standalone._constant_hash = object.__hash__
cfg = compose(["experiment=tiny", "simulation.device=cpp_standalone"])
session = simulate.open_device(cfg, "cpp_standalone", sys.argv[1])
inputs = simulate.protocol_inputs(cfg)
session.seed = standalone.seed_from_run_args()
plan = simulate.circuit_mod.plan(cfg, inputs.schedule, inputs.timelines)
c = simulate.circuit_mod.build(cfg, plan, defer_values=True)
c.fast_objects.append(session.seed)
simulate.run_protocol(cfg, c, inputs.schedule, session, print)
import brian2
brian2.device.build(directory=sys.argv[1], compile=False, run=False, with_output=False)
"""


GENERATE_TWICE = """
import gc
import sys
from pathlib import Path
from model import standalone
if sys.argv[2] == "brian2_keys":  # Brian2's cache keys, rebuilt on every call
    standalone.IdentityKeyedCacheKeys = lambda brian2_key: brian2_key
code = Path(sys.argv[3]).read_text()
for k in range(2):  # the second generation finds every block in Brian2's cache
    run = {}
    exec(code.replace("sys.argv[1]", repr(str(Path(sys.argv[1]) / str(k)))), run)
    run["simulate"].close_device(run["session"])
    del run
    gc.collect()  # as model.simulate.run does: Brian2 names objects among live ones
"""


def generated_code(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.suffix in (".cpp", ".h") or p.name == "makefile"}


def test_identity_keyed_cache_keys_generate_brian2s_code(tmp_path):
    """Keys kept per object give the same code as Brian2's, in a first and a repeated run."""
    script = tmp_path / "generate.py"
    script.write_text(GENERATE)
    for mode in ("identity_keys", "brian2_keys"):
        subprocess.run([sys.executable, "-c", GENERATE_TWICE, str(tmp_path / mode), mode,
                        str(script)], cwd=ROOT, check=True, capture_output=True,
                       timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    for k in ("0", "1"):
        ours, brian2s = (generated_code(tmp_path / mode / k)
                         for mode in ("identity_keys", "brian2_keys"))
        assert len(ours) > 20 and "main.cpp" in ours
        assert ours == brian2s


@pytest.mark.slow
def test_generated_code_is_the_same_in_every_process(tmp_path):
    """Why the clock hash is replaced: without it main.cpp differs between processes."""
    def generate(folder, mode):
        subprocess.run([sys.executable, "-c", GENERATE, str(folder), mode], cwd=ROOT,
                       check=True, capture_output=True, timeout=600,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
        return (folder / "main.cpp").read_text()

    patched = {generate(tmp_path / f"p{k}", "patched") for k in range(3)}
    unpatched = {generate(tmp_path / f"u{k}", "unpatched") for k in range(3)}
    assert len(patched) == 1
    assert len(unpatched) > 1


# -- build cache keys -----------------------------------------------------------

def _fake_compiler(path: Path, version: str, march: str) -> Path:
    path.write_text(f"""#!/bin/sh
case "$*" in
  *--version*) echo "{version}";;
  *--help=target*) printf '  -march=  \\t\\t{march}\\n  -mtune=  \\t\\tgeneric\\n';;
esac
""")
    path.chmod(0o755)
    return path


def test_build_key_covers_compiler_and_target(compose, tmp_path, monkeypatch):
    cfg = compose(["experiment=tiny"])
    keys = {}
    for name, version, march in (("a", "g++ 12.2.0", "cooperlake"),
                                 ("b", "g++ 13.1.0", "cooperlake"),
                                 ("c", "g++ 12.2.0", "znver3")):
        monkeypatch.setenv("CXX", str(_fake_compiler(tmp_path / name, version, march)))
        info = build_cache.toolchain_info()
        assert info["compiler"] == version and info["target_arch"] == march
        keys[name] = build_cache.structure_hash(cfg)
    assert len(set(keys.values())) == 3
    monkeypatch.setenv("CXX", str(tmp_path / "a"))
    assert build_cache.structure_hash(cfg) == keys["a"]


def test_toolchain_of_this_machine_is_described_in_the_provenance():
    import json

    from experiments.io import store

    info = build_cache.toolchain_info()
    assert info["compiler"] != "unknown" and info["target_arch"] != "unknown"
    assert all(isinstance(v, str) for v in info.values())
    prov = store.provenance("cpp_standalone", 1, 1.0, "rid", {})
    assert json.loads(prov["toolchain_json"]) == info
    assert "toolchain_json" not in store.provenance("runtime", 1, 1.0, "rid", {})


def test_taking_a_slot_removes_what_killed_runs_left_in_it(tmp_path):
    slot = build_cache.acquire_slot("s", tmp_path)
    (slot.directory / "results_123_abc").mkdir()
    (slot.directory / "results_123_abc" / "x").write_text("")
    (slot.directory / "static_arrays").mkdir()
    (slot.directory / "static_arrays" / ".init_x.dat.k2j3.tmp").write_text("")
    (slot.directory / "static_arrays" / "init_x.dat").write_text("")
    slot.release()
    again = build_cache.acquire_slot("s", tmp_path)
    assert again.directory == slot.directory
    assert not list(again.directory.glob("results_*"))
    assert [p.name for p in (again.directory / "static_arrays").iterdir()] == ["init_x.dat"]
    again.release()


# -- the science package stands alone --------------------------------------------

def test_model_imports_nothing_from_experiments_or_tools():
    banned = ("experiments", "hydra", "omegaconf", "matplotlib")
    for path in sorted((ROOT / "model").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"


# -- the protocol's end ------------------------------------------------------------

def test_protocol_time_is_checked_against_the_schedule(compose):
    from model import simulate
    from model.protocol import build_schedule

    schedule = build_schedule(compose(["experiment=tiny"]).protocol)

    class Net:
        def __init__(self, name, t):
            self.name, self.t_ = name, t

    whole_s = schedule.slow_duration_h * 3600.0
    simulate.check_protocol_time(schedule, Net("sessions", schedule.fast_duration_s),
                                 Net("intervals", whole_s))
    with pytest.raises(standalone.SimulationError, match="network sessions reached 53.8 s"):
        simulate.check_protocol_time(schedule, Net("sessions", 53.8), Net("intervals", whole_s))
    with pytest.raises(standalone.SimulationError, match="network intervals"):
        simulate.check_protocol_time(schedule, Net("sessions", schedule.fast_duration_s),
                                     Net("intervals", whole_s / 2))


def test_ctrl_c_inside_a_run_propagates_and_brian2_is_left_as_found(compose, monkeypatch):
    """Brian2 would end the current run on Ctrl-C and let the protocol carry on."""
    import brian2 as b2

    from model import simulate

    seen = {}

    def interrupted(cfg, c, schedule, session, say):
        seen["stop_on_interrupt"] = b2.prefs.core.stop_on_keyboard_interrupt
        raise KeyboardInterrupt

    monkeypatch.setattr(simulate, "run_protocol", interrupted)
    before = b2.prefs.core.stop_on_keyboard_interrupt
    with pytest.raises(KeyboardInterrupt):
        simulate.run(compose(["experiment=tiny", "simulation.device=numpy"]))
    assert seen["stop_on_interrupt"] is False
    assert b2.prefs.core.stop_on_keyboard_interrupt == before


def test_objects_header_is_precompiled_only_when_a_source_needs_compiling(tmp_path):
    """GCC reads objects.h.gch instead of parsing the header (its -H output marks a
    precompiled header it used with '!'); a header newer than the .gch makes it again."""
    (tmp_path / "objects.h").write_text("#ifndef OBJECTS_H\n#define OBJECTS_H\n#include <vector>\n"
                                        "inline int one() { return 1; }\n#endif\n")
    (tmp_path / "a.cpp").write_text('#include "objects.h"\nint two() { return one() + 1; }\n')
    # Brian2's makefile lines; with OpenMP threads its flags follow the optimisations
    (tmp_path / "makefile").write_text("SRCS = a.cpp\nOPTIMISATIONS = -O2 -include objects.h\n"
                                       "CXXFLAGS = -c -Wno-write-strings $(OPTIMISATIONS) -I. "
                                       "-fopenmp\n")
    log = tmp_path / "make.log"
    assert standalone.sources_to_compile(tmp_path)  # nothing built yet
    assert standalone.precompile_header(tmp_path, log) == 0
    pch = tmp_path / "objects.h.gch"
    assert pch.exists()
    used = subprocess.run(standalone.compiler_command() + ["-O2", *standalone.PCH_FLAGS, "-H",
                                                           "-fopenmp", "-c", "a.cpp", "-o", "a.o"],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    assert used.stderr.startswith("! ") and "objects.h.gch" in used.stderr.splitlines()[0]
    (tmp_path / "main").write_text("")
    assert not standalone.sources_to_compile(tmp_path)  # a.o is newer than a.cpp
    made = pch.stat().st_mtime_ns
    assert standalone.precompile_header(tmp_path, log) == 0 and pch.stat().st_mtime_ns == made
    later = made + 10**9
    os.utime(tmp_path / "objects.h", ns=(later, later))
    assert standalone.sources_to_compile(tmp_path)
    assert standalone.precompile_header(tmp_path, log) == 0 and pch.stat().st_mtime_ns > made
