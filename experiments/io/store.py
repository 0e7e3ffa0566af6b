"""Results store: one NetCDF4/HDF5 file per run, written atomically.

Root group: the per-trial / per-phase summary Dataset. Group ``spikes``: flat
spike times ordered by neuron plus per-neuron counts (a CF contiguous ragged
array). Every variable carries units and a long_name (:mod:`experiments.io.cf`).
Attributes: the
resolved config as YAML text (netCDF attributes cannot hold dicts) and the
provenance of the run. The file is written under a temporary name in the same
folder and renamed, so a reader never sees a partial file; before a file is
reused, :func:`verify_run` checks that it opens, is the run it is named after
and holds every trial of its protocol (a file cut short by a full disk or a
copy is recomputed, not reused). A run being computed is claimed
(:func:`claim`), so that concurrent sweeps never compute one run twice.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import functools
import hashlib
import json
import os
import platform
import socket
import subprocess
import tempfile
from pathlib import Path

import xarray as xr

from experiments.io import cf, yaml_text

ENGINE = "h5netcdf"
# keys that say where or how fast a run happens, not what it computes
NON_IDENTIFYING = ("paths", "simulation.build_dir", "simulation.threads")


def _drop(d: dict, dotted: str) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        d = d.get(p, {})
    d.pop(parts[-1], None)


def _hash_files(root: Path, files) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def code_parts() -> dict:
    """What, besides the config, decides a run's numbers, each as a hash or version.

    ``model``: every source file of the science package (the equations, the
    schema and its validators, its C++ templates); ``brian2``: Brian2's version; ``brian2_code``:
    the templates and C++ support files Brian2 generates and compiles code
    from (a patched install changes them under the same version).
    """
    from importlib.metadata import version
    from importlib.util import find_spec

    # found, not imported: importing Brian2 takes seconds
    model_dir = Path(find_spec("model").origin).parent
    b2 = Path(find_spec("brian2").origin).parent
    generated = [f for sub in ("codegen", "devices") for f in (b2 / sub).rglob("*")
                 if f.is_file() and f.suffix not in (".py", ".pyc") and "tests" not in f.parts]
    return {
        "model": _hash_files(model_dir, (f for f in model_dir.rglob("*")
                                         if f.is_file() and f.suffix in (".py", ".cpp")
                                         and "__pycache__" not in f.parts)),
        "brian2": version("brian2"),
        "brian2_code": _hash_files(b2, generated),
    }


def code_fingerprint() -> str:
    """One hash of :func:`code_parts` (first 16 hex): part of every run id."""
    text = json.dumps(code_parts(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_id(config: dict) -> str:
    """Hash of the resolved config minus output locations, and of the code
    fingerprint, so that changed model code never reuses old results
    (first 16 hex)."""
    clean = json.loads(json.dumps(config))
    for key in NON_IDENTIFYING:
        _drop(clean, key)
    text = json.dumps({"config": clean, "code": code_fingerprint()}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def git_commit(repo: Path | None = None) -> str:
    repo = repo or Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--",
                                "model", "configs", "experiments"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(device: str, seed: int, wall_time_s: float, rid: str, timings: dict) -> dict:
    import brian2
    import numpy

    import model

    prov = {
        "fearsim_version": model.__version__,
        "brian2_version": brian2.__version__,
        "numpy_version": numpy.__version__,
        "xarray_version": xr.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "git_commit": git_commit(),
        "device": device,
        "seed": int(seed),
        "run_id": rid,
        "code_fingerprint": code_fingerprint(),
        "code_parts_json": json.dumps(code_parts(), sort_keys=True),
        "wall_time_s": float(wall_time_s),
        "timings_json": json.dumps(timings),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if device == "cpp_standalone":  # the compiler and the CPU target it built for
        from experiments.io.build_cache import toolchain_info

        prov["toolchain_json"] = json.dumps(toolchain_info(), sort_keys=True)
    return prov


def write_atomic(path: Path, ds: xr.Dataset, groups: dict | None = None) -> Path:
    """Write ``ds`` (and named groups) to a temporary file, then rename it."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine=ENGINE, mode="w")
        for name, group in (groups or {}).items():
            group.to_netcdf(tmp, engine=ENGINE, mode="a", group=name)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_run(path: Path, summary: xr.Dataset, spikes: xr.Dataset | None, config: dict,
              prov: dict) -> Path:
    """Write the run file atomically; return its absolute path."""
    summary = cf.describe(summary)
    summary.attrs.update(prov)
    summary.attrs["config_yaml"] = yaml_text.dump(config, sort_keys=False)
    summary.attrs["title"] = "fearsim run"
    groups = {"spikes": cf.describe(spikes, root=False)} if spikes is not None else None
    return write_atomic(path, summary, groups)


def read_config(path: Path) -> dict:
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return yaml_text.load(ds.attrs["config_yaml"])


def verify_run(path: Path, rid: str, fingerprint: str | None = None) -> str | None:
    """None if ``path`` is a complete, readable run ``rid`` (made by code with
    ``fingerprint``, when given); else what is wrong with it."""
    path = Path(path)
    if not path.exists():
        return "no such file"
    if path.stat().st_size == 0:
        return "empty file"
    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            attrs = dict(ds.attrs)
            n_trials = int(ds.sizes.get("trial", -1))
        with xr.open_dataset(path, engine=ENGINE, group="spikes"):
            pass
        config = yaml_text.load(attrs.get("config_yaml", "")) or {}
    except Exception as exc:  # h5py/netCDF raise OSError, ValueError, KeyError ...
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        return f"unreadable ({first})"
    if attrs.get("run_id") != rid:
        return f"holds run {attrs.get('run_id')!r}, not {rid!r}"
    if fingerprint is not None and attrs.get("code_fingerprint") != fingerprint:
        return (f"made by other code (fingerprint {attrs.get('code_fingerprint')!r}, "
                f"this code {fingerprint!r})")
    try:
        expected = sum(int(s["n_trials"]) for s in config["protocol"]["sessions"])
    except (KeyError, TypeError, ValueError):
        return "no protocol in its config"
    if n_trials != expected:
        return f"incomplete ({n_trials} of {expected} trials)"
    return None


class Claim:
    """An exclusive claim on computing one run, held until :meth:`release`.

    A lock file beside the results file, locked with ``flock``: the kernel
    releases it when its holder dies, however it dies, so a killed claimer
    never blocks a run. The holder removes the file when it is done; a waiter
    that locked a removed file tries again on the new one.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def claim(results_file: Path, on_wait=None) -> Claim:
    """Claim the computation of ``results_file``; waits while another process holds it.

    ``on_wait()`` is called once if the claim is held elsewhere.
    """
    results_file = Path(results_file)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    lock = results_file.with_name(f".{results_file.stem}.claim")
    waited = False
    while True:
        fd = os.open(str(lock), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None and not waited:
                on_wait()
            waited = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return Claim(lock, fd)
        os.close(fd)  # the holder removed this lock file when it finished: try the new one
