"""Results store: one NetCDF4/HDF5 file per run, written atomically.

Root group: the per-trial / per-phase summary Dataset. Group ``spikes``: flat
spike times ordered by neuron plus per-neuron counts. Attributes: the
resolved config as YAML text (netCDF attributes cannot hold dicts) and the
provenance of the run. The file is written under a temporary name in the same
folder and renamed, so a reader never sees a partial file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import socket
import subprocess
import tempfile
from pathlib import Path

import xarray as xr
import yaml

ENGINE = "h5netcdf"
# keys that say where or how fast a run happens, not what it computes
NON_IDENTIFYING = ("paths", "simulation.build_dir", "simulation.threads")


def _drop(d: dict, dotted: str) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        d = d.get(p, {})
    d.pop(parts[-1], None)


def run_id(config: dict) -> str:
    """Hash of the resolved config minus output locations (first 16 hex)."""
    clean = json.loads(json.dumps(config))
    for key in NON_IDENTIFYING:
        _drop(clean, key)
    text = json.dumps(clean, sort_keys=True, separators=(",", ":"))
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
    summary = summary.copy()
    summary.attrs.update(prov)
    summary.attrs["config_yaml"] = yaml.safe_dump(config, sort_keys=False)
    summary.attrs["title"] = "fearsim run"
    summary.attrs["conventions"] = "spikes group: CF contiguous ragged array (spike_count)"
    return write_atomic(path, summary, {"spikes": spikes} if spikes is not None else None)


def read_config(path: Path) -> dict:
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return yaml.safe_load(ds.attrs["config_yaml"])
