"""C++ standalone execution: compile and run one protocol to its end, or fail.

Brian2 turns the whole protocol into one program (``main``) in a build
directory; this module configures that device and runs ``make`` and ``main``
as supervised child processes:

* each child runs under a guard (:mod:`model.child_guard`) in a process
  group of its own, so a Ctrl-C at the terminal reaches Python alone, which
  asks the guard to stop the child and re-raises; SIGTERM is turned into
  :class:`Terminated` for the same path;
* the kernel tells the guard when the Python process dies, even by SIGKILL
  (Linux ``PR_SET_PDEATHSIG``): it stops the child's whole group and removes
  what the child left half-done (fresh object files, the results folder), so
  no compiler or simulation outlives the run that started it;
* every run-time value is checked finite before launch (the binary reads a
  value only if it starts with a digit or ``-``: ``nan``/``inf`` are taken
  for file names, it prints "Error reading" and keeps the compiled value);
  array files are written atomically and compared with their content before
  use; the binary's messages are searched for values it could not read;
* after the run, every clock's final time, as the binary wrote it, must be
  the end time the protocol planned for it.

Brian2's own ``device.run`` launches ``main`` with a plain ``subprocess.call``
and ``device.build`` compiles with ``os.system``, neither of which stops its
child when Python dies; :func:`run_project` replaces the first (keeping the
device state Brian2 needs to read the results back) and
:func:`compile_project` the second.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .config import ConfigError

# Brian2's default flags with -fno-finite-math-only dropped, which hides
# glibc's vector exp from GCC, and more runtime alias checks than GCC's
# default 10 (Brian2's __restrict pointers are locals, which GCC does not
# trust): with both, the neuron update loop is vectorised, Mg2+ block
# exponential included (about 4x faster; experiments/bench/runner.py). Nothing in
# the generated code tests for NaN or infinity; NaN runaways are caught on
# the membrane potentials in numpy (model/simulate.py).
CPP_FLAGS = ["-w", "-O3", "-ffast-math", "-march=native", "-std=c++11",
             "--param=vect-max-version-for-alias-checks=200"]
# Every source of a build includes objects.h (all arrays, the C++ library
# headers): parsing it is 0.95 s of the ~1.2 s a code object takes to compile.
# Compiled once into objects.h.gch (compile_project) and named first on the
# command line, GCC reads it instead of parsing the header again; the machine
# code of the generated code is the same (BENCHMARKS.md: every object file of
# a build compared). Without a usable .gch (none, or a compiler that cannot make
# one) GCC parses the header as usual: the build is only slower.
PCH_HEADER = "objects.h"
PCH_FLAGS = ["-include", PCH_HEADER]

SEED_GROUP = "run_seed"
_PR_SET_PDEATHSIG = 1
# how long a stopped make may take to stop its compilers before SIGKILL
_STOP_GRACE_S = 5.0


class SimulationError(RuntimeError):
    """The simulation did not run to its planned end; nothing of it may be stored."""


class NonFiniteValue(ConfigError):
    """A run-time value derived from the config is NaN or infinite."""


class Terminated(BaseException):
    """SIGTERM arrived during a run (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def raise_terminated(signum, frame):
    """A SIGTERM handler: stop the run the way Ctrl-C does."""
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_raises():
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread.

    A handler installed by someone else (the command line's, for instance) is
    left alone; outside the main thread nothing can be installed.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


# -- the device ---------------------------------------------------------------

def use_device(directory: Path, threads: int) -> dict:
    """Select C++ standalone in ``directory``; returns what :func:`reset_device` restores."""
    import brian2 as b2
    from brian2.core.clocks import Clock
    from brian2.utils import caching

    previous = {"flags": b2.prefs.codegen.cpp.extra_compile_args_gcc,
                "clock_hash": Clock.__dict__.get("__hash__", _INHERITED),
                "cache_key": caching._hashable}
    # Brian2 keeps a network's clocks in a set and writes their start times
    # into main.cpp in set order; with the default id()-based hash that order,
    # and so main.cpp, changes from process to process (still so in Brian2
    # 2.9.0: tests/test_runtime.py generates it in two processes) and forces a
    # recompile. With one constant hash a set's order is its insertion order,
    # which follows Brian2's sorted object list. Equality stays identity; a
    # network has a handful of clocks. Only while this device is in use.
    Clock.__hash__ = _constant_hash
    caching._hashable = IdentityKeyedCacheKeys(previous["cache_key"])
    b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    # Brian2's default "make -j" starts every compiler at once (~130 for
    # this model): on a small machine that thrashes memory; one per core
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(CPP_FLAGS)
    # the device's own list goes into the makefile as it is (Brian2 tests each of
    # the preference's flags alone, and "-include" alone fails); reinit empties it
    b2.get_device().extra_compile_args = list(PCH_FLAGS)
    return previous


def reset_device(previous: dict) -> None:
    """Back to the runtime device, Brian2's preferences and clocks as they were."""
    import brian2 as b2
    from brian2.core.clocks import Clock
    from brian2.utils import caching

    caching._hashable = previous["cache_key"]
    b2.device.reinit()
    b2.device.activate()
    b2.set_device("runtime")
    b2.prefs.codegen.cpp.extra_compile_args_gcc = previous["flags"]
    if previous["clock_hash"] is _INHERITED:
        if "__hash__" in Clock.__dict__:
            del Clock.__hash__
    else:
        Clock.__hash__ = previous["clock_hash"]


_INHERITED = object()  # Clock had no __hash__ of its own


class IdentityKeyedCacheKeys:
    """Brian2's cache keys of its own objects, each computed once per object.

    Brian2 memoises parsing and code generation (``brian2.utils.caching``) on
    keys that it rebuilds on every call by walking each argument down to its
    attributes: a synapse set's dictionary of some hundred Variables, for
    every statement block. A second run in one process finds every block in
    the cache yet spends a second on its keys (half the setup of a run at
    scale 0.25; BENCHMARKS.md). Brian2 already treats such objects as fixed
    for caching ("considered identical when they refer to the same object,
    even though the stored values might have changed"), so their keys are
    kept here by identity while one run uses the C++ standalone device (from
    use_device to reset_device), holding each object so that its id is not
    reused. The keys, and so the generated
    code, are Brian2's own (tests/test_runtime.py).
    """

    def __init__(self, brian2_key):
        self.brian2_key = brian2_key
        self.keys = {}

    def __call__(self, obj):
        # Brian2's CacheKey objects (Variables, Equations, functions) carry
        # _state_tuple; containers recurse through the module's name, so here
        if not hasattr(obj, "_state_tuple"):
            return self.brian2_key(obj)
        kept = self.keys.get(id(obj))
        if kept is not None and kept[0] is obj:
            return kept[1]
        key = self.brian2_key(obj)
        self.keys[id(obj)] = (obj, key)
        return key


def _constant_hash(self) -> int:
    return 0x5EED


@functools.lru_cache(maxsize=1)
def block_threshold_code_object():
    """Brian2's C++ standalone code object with this package's threshold template
    (model/templates/threshold.cpp: events searched in vector-coded blocks; the same
    events in the same order). Every other template is Brian2's."""
    from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

    return type("BlockThresholdCodeObject", (CPPStandaloneCodeObject,), {
        "templater": CPPStandaloneCodeObject.templater.derive("model")})


def group_code_object_class():
    """The code-object class for this model's neuron groups on the current device:
    :func:`block_threshold_code_object` in C++ standalone, Brian2's choice elsewhere."""
    import brian2 as b2
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    return block_threshold_code_object() if isinstance(b2.get_device(), CPPStandaloneDevice) \
        else None


def seed_from_run_args():
    """Seed the binary's generators from a run-time value; returns the group that holds it.

    Brian2 compiles ``seed()`` into main.cpp. Here the seed is a run-time
    variable like every other value of a run (so one build serves every
    seed). The binary draws each subject's connectivity where the synapses
    are created, before Brian2 applies the run arguments (just before the
    first ``run``), so the seed is read from the command line directly, at
    this point of main: call it before the circuit is built. Add the group,
    inactive (it generates no code), to the spiking network, whose clock it
    shares, and pass ``{group.seed_value: seed}`` in the run arguments.
    """
    import brian2 as b2

    holder = b2.NeuronGroup(1, "seed_value : 1 (shared, constant)", name=SEED_GROUP)
    holder.active = False
    n_gen = max(1, b2.prefs.devices.cpp_standalone.openmp_threads)
    # the argument Brian2 writes for the holder: "run_seed.seed_value=<repr>";
    # a double holds every integer seed below 2**53 exactly
    prefix = f"{SEED_GROUP}.seed_value="
    b2.get_device().insert_code("main", f"""
for (const auto& _arg : args) {{
    if (_arg.compare(0, {len(prefix)}, "{prefix}") == 0) {{
        const unsigned long _seed = (unsigned long)std::stod(_arg.substr({len(prefix)}));
        for (int _i=0; _i<{n_gen}; _i++) brian::_random_generators[_i].seed(_seed + _i);
    }}
}}""")
    return holder


def check_seed(seed: int) -> None:
    if not 0 <= seed < 2**53:
        raise ConfigError(f"simulation.seed: must be >= 0 and < 2**53, got {seed}")


# -- run arguments ------------------------------------------------------------

def run_arg_strings(values: dict, project_dir: Path) -> list[str]:
    """``name=value`` arguments of the binary; array values go to checked files.

    Raises :class:`NonFiniteValue` naming the variable if any value is NaN
    or infinite.
    """
    import brian2 as b2
    from brian2.input.timedarray import TimedArray

    device = b2.get_device()
    args = []
    for key, value in values.items():
        if isinstance(key, TimedArray):
            name, text, file_name, array = device._prepare_timed_array_run_arg(key, value)
        else:
            name, text, file_name, array = device._prepare_variableview_run_arg(key, value)
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            bad = array[~np.isfinite(array)].flat[0]
            raise NonFiniteValue(
                f"run-time value {name} is {bad}: every value the simulation reads must be "
                "finite (check the config values it is computed from)")
        if file_name:
            write_checked(project_dir / "static_arrays" / file_name, array)
        args.append(f"{name}={text}")
    return args


def write_checked(path: Path, array: np.ndarray) -> None:
    """Make ``path`` hold exactly ``array``'s bytes, replacing a torn or stale file atomically."""
    data = np.ascontiguousarray(array).tobytes()
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_static_arrays(directory: Path) -> None:
    """The build's own array files must hold what Brian2 wrote; rewrite any that do not."""
    import brian2 as b2

    for name, array in b2.get_device().static_arrays.items():
        write_checked(directory / "static_arrays" / name, array)


# -- supervised children --------------------------------------------------------

_GUARD = Path(__file__).with_name("child_guard.py")


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


def _guard_setup():
    """In the guard, before exec: a group of its own; SIGTERM when this process dies."""
    parent = os.getpid()

    def setup():
        os.setpgid(0, 0)
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(128 + int(signal.SIGTERM))

    return setup


def supervise(cmd: list[str], cwd: Path, log_out: Path, log_err: Path, clean: str = "-",
              env: dict | None = None, grace_s: float = _STOP_GRACE_S) -> int:
    """Run ``cmd`` to its end under :mod:`model.child_guard`; returns its exit status.

    On any exception here (Ctrl-C, SIGTERM) and when this process dies, the
    guard stops ``cmd``'s process group and removes ``clean`` (see the guard).
    """
    guarded = [sys.executable, "-I", "-S", str(_GUARD), repr(grace_s), str(clean), "--", *cmd]
    with open(log_out, "ab") as out, open(log_err, "ab") as err:
        proc = subprocess.Popen(guarded, cwd=cwd, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=env, preexec_fn=_guard_setup())
        try:
            return proc.wait()
        except BaseException:
            stop_guard(proc, grace_s)
            raise


def stop_guard(proc: subprocess.Popen, grace_s: float) -> None:
    """Ask the guard to stop its command and clean up; kill it if it does not."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s + 5.0)
    except subprocess.TimeoutExpired:
        # the command dies with its guard (the guard set PR_SET_PDEATHSIG on it)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def compiler_command() -> list[str]:
    """The C++ compiler ``make`` runs: ``$CXX`` (which may carry a wrapper) or g++."""
    return shlex.split(os.environ.get("CXX", "")) or ["g++"]


def compile_project(directory: Path) -> None:
    """``make`` in the build directory (nothing to do for an unchanged build)."""
    import brian2 as b2

    prefs = b2.prefs.devices.cpp_standalone
    make = prefs.make_cmd_unix.split() + list(prefs.extra_make_args_unix)
    log = directory / "make.log"
    t0 = time.perf_counter()
    log.unlink(missing_ok=True)
    try:
        if sources_to_compile(directory):
            precompile_header(directory, log)  # if it fails, make parses the header itself
        rc = supervise(make, directory, log, log, clean="objects")
    finally:
        # 45 MB, and made again in about 1.5 s when a source changes
        (directory / (PCH_HEADER + ".gch")).unlink(missing_ok=True)
    b2.get_device().timers["compile"]["make"] = time.perf_counter() - t0
    if rc != 0:
        raise SimulationError(f"compilation failed ({_exit_text(rc)}) in {directory}:\n"
                              + _tail(log))


def _makefile_line(directory: Path, name: str) -> list[str]:
    makefile = directory / "makefile"
    match = re.search(rf"^{name} = (.*)$", makefile.read_text(), re.M) \
        if makefile.exists() else None
    return shlex.split(match.group(1)) if match else []


def _headers(directory: Path) -> list[Path]:
    return [*directory.glob("*.h"), *directory.glob("brianlib/*.h"),
            *directory.glob("code_objects/*.h")]


def sources_to_compile(directory: Path) -> bool:
    """Whether make will compile a source: an object file missing or older than its
    source or a header (make decides; this only says whether a header is worth
    precompiling first)."""
    sources = [directory / src for src in _makefile_line(directory, "SRCS")]
    if not sources or not (directory / "main").exists():
        return True
    newest_header = max((h.stat().st_mtime for h in _headers(directory)), default=0.0)
    for src in sources:
        obj = src.with_suffix(".o")
        if not obj.exists() or obj.stat().st_mtime < max(src.stat().st_mtime, newest_header):
            return True
    return False


def precompile_header(directory: Path, log: Path) -> int:
    """objects.h.gch from objects.h with the makefile's flags, where it is missing or
    older than a header of the build; returns the compiler's exit status (0: done or
    up to date)."""
    header = directory / PCH_HEADER
    pch = directory / (PCH_HEADER + ".gch")
    if not header.exists() or not (directory / "makefile").exists():
        return 0
    if pch.exists() and pch.stat().st_mtime >= max(h.stat().st_mtime
                                                   for h in _headers(directory)):
        return 0
    # a stale one must not outlive a failed attempt: GCC does not check its contents
    pch.unlink(missing_ok=True)
    # the makefile's compile flags as make expands them (OpenMP adds its flags
    # after the optimisations; a header made without them is not used)
    optimisations = _makefile_line(directory, "OPTIMISATIONS")
    while "-include" in optimisations:  # the header itself is compiled here
        k = optimisations.index("-include")
        del optimisations[k:k + 2]
    flags = []
    for flag in _makefile_line(directory, "CXXFLAGS"):
        if flag == "$(OPTIMISATIONS)":
            flags += optimisations
        elif flag != "-c":
            flags.append(flag)
    cmd = compiler_command() + [*flags, "-x", "c++-header", PCH_HEADER, "-o", pch.name + ".tmp"]
    rc = supervise(cmd, directory, log, log, clean=str(pch) + ".tmp")
    if rc == 0:
        os.replace(directory / (pch.name + ".tmp"), pch)
    return rc


# -- the binary -----------------------------------------------------------------

def run_project(directory: Path, results_rel: str, run_args: list[str]) -> None:
    """Run the compiled protocol to its planned end; raise SimulationError otherwise.

    Does for the device what Brian2's ``device.run`` does (results folder,
    stale cached values, run state), so group variables read the binary's
    results afterwards.
    """
    import brian2 as b2

    device = b2.get_device()
    results = Path(directory) / results_rel
    results.mkdir(parents=True, exist_ok=True)
    device.results_dir = os.path.join(str(results.resolve()), "")
    planned = {clock.name: (clock.variables["t"], float(device.array_cache[clock.variables["t"]][0]),
                            float(clock.dt_)) for clock in device.clocks}
    env = dict(os.environ)
    env.update(b2.prefs.devices.cpp_standalone.run_environment_variables)
    env.update(device.run_environment_variables)
    cmd = ["./main", "--results_dir", device.results_dir, *run_args]
    rc = supervise(cmd, directory, results / "stdout.txt", results / "stderr.txt",
                   clean=str(results), env=env)
    _forget_cached_values(device, run_args)
    if rc != 0:
        raise SimulationError(f"the simulation binary failed ({_exit_text(rc)}):\n"
                              + _tail(results / "stderr.txt") + _tail(results / "stdout.txt"))
    device.has_been_run = True
    check_values_read(results, run_args)
    check_clocks_reached(planned)


def _forget_cached_values(device, run_args: list[str]) -> None:
    """Values set on the command line and every clock's time now live in the results."""
    names = {arg.split("=", 1)[0] for arg in run_args}
    for var in list(device.array_cache):
        owner = getattr(var, "owner", None)
        if owner is not None and f"{owner.name}.{var.name}" in names:
            device.array_cache[var] = None
    for clock in device.clocks:
        device.array_cache[clock.variables["t"]] = None


# what the binary says, and goes on, when it cannot read or write a value
_READ_ERROR = re.compile(r"(?:Error reading|Could not read) '([^']*)'")
_ARRAY_ERROR = re.compile(r"Error (?:opening static array|writing output file for) (\S+?)\.?$",
                          re.MULTILINE)


def check_values_read(results: Path, run_args: list[str]) -> None:
    """Fail if the binary says it could not read or write a value.

    It goes on regardless, with the compiled value or uninitialised memory.
    """
    text = "".join(Path(results, name).read_text(errors="replace")
                   for name in ("stderr.txt", "stdout.txt") if Path(results, name).exists())
    by_value = {arg.split("=", 1)[1]: arg.split("=", 1)[0] for arg in run_args}
    names = sorted({by_value.get(v, v) for v in _READ_ERROR.findall(text)}
                   | set(_ARRAY_ERROR.findall(text)))
    if names:
        first = next(line for line in text.splitlines() if line.startswith("Error") or
                     line.startswith("Could not"))
        raise SimulationError(f"the simulation binary could not read {', '.join(names)} "
                              f"({first})")


def check_clocks_reached(planned: dict) -> None:
    """Every clock must end where the protocol planned it (not stopped early)."""
    for name, (var, end_s, dt_s) in planned.items():
        reached = float(np.asarray(var.get_value()).item())
        if abs(reached - end_s) > 0.5 * dt_s:
            raise SimulationError(f"the simulation stopped early: clock {name} reached "
                                  f"{reached:.6g} s of {end_s:.6g} s")


def _exit_text(rc: int) -> str:
    if rc < 0:
        return f"killed by {signal.Signals(-rc).name}"
    return f"exit code {rc}"


def _tail(path: Path, lines: int = 20) -> str:
    if not Path(path).exists():
        return ""
    text = Path(path).read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:]) + ("\n" if text else "")


class BuildDirectory:
    """A build directory used as it is: no cache, no lock."""

    def __init__(self, directory: Path):
        self.directory = Path(directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)

    def built(self, seconds: float, compiled: bool) -> None:
        """Nothing to tell: no one else waits for this directory."""


def binary_mtime(directory: Path) -> float:
    main = Path(directory) / "main"
    return main.stat().st_mtime if main.exists() else -1.0
