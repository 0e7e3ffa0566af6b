"""Virtual cohorts: per-subject heterogeneity of chosen parameters.

Subject ``k`` is simulated with ``simulation.seed = k`` (its own noise and
its own wiring, drawn in the binary: one build for the cohort) and, for each jittered key, the
config value times a lognormal factor ``exp(sigma * z)``, with ``z`` drawn
from a generator seeded by (subject id, key): the same subject gets the same
value whatever the cohort size, and adding a key does not change the others.

Two ways to run a cohort:

* a Hydra sweep (manifest, progress, resume, any launcher) over generated
  config-group files::

      python -m experiments.analysis.cohorts --subjects 12 --dir results/cohorts/c1 \\
          --jitter network.projections.cs_la.w_ampa_nS=0.2 experiment=tiny
      # prints:  fearsim-run -m 'hydra.searchpath=[file://.../results/cohorts/c1]' \\
      #              +subject=s0001,s0002,...,s0012 experiment=tiny
      fearsim-collect SWEEP --params simulation.seed --cohort

* plain override lines (one subject per line) for xargs, GNU parallel or a
  SLURM array: ``--format lines``.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

import numpy as np

from experiments.io import yaml_text


def factor(subject: int, key: str, sigma: float) -> float:
    """Lognormal multiplier of ``key`` for ``subject`` (median 1, log-sd ``sigma``)."""
    rng = np.random.default_rng([int(subject), zlib.crc32(key.encode())])
    return float(np.exp(sigma * rng.standard_normal()))


def config_value(cfg: dict, dotted: str) -> float:
    """The number at a dotted key of a plain config dict (ValueError naming the key if not)."""
    node = cfg
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"cohort: no config key {dotted!r}")
        node = node[part]
    if not isinstance(node, (int, float)) or isinstance(node, bool):
        raise ValueError(f"cohort: {dotted} is not a number ({node!r})")
    return float(node)


def subjects(n: int, jitter: dict[str, float], base_overrides: list[str], first: int = 1
             ) -> list[dict]:
    """[{simulation.seed: k, key: value, ...}] for subjects first..first+n-1."""
    from experiments.config_store import compose, plain

    base = plain(compose(base_overrides))
    out = []
    for k in range(first, first + n):
        values = {"simulation.seed": k}
        for key, sigma in jitter.items():
            values[key] = round(config_value(base, key) * factor(k, key, sigma), 6)
        out.append(values)
    return out


def _nest(flat: dict) -> dict:
    out: dict = {}
    for dotted, v in flat.items():
        node = out
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out


def write_group(values: list[dict], directory: Path, group: str = "subject") -> Path:
    """One ``# @package _global_`` file per subject under DIR/<group>/."""
    gdir = Path(directory).resolve() / group
    gdir.mkdir(parents=True, exist_ok=True)
    for v in values:
        text = "# @package _global_\n" + yaml_text.dump(_nest(v), sort_keys=False)
        (gdir / f"s{v['simulation.seed']:04d}.yaml").write_text(text)
    return gdir.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.analysis.cohorts",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("overrides", nargs="*", help="base overrides (e.g. experiment=tiny)")
    ap.add_argument("--subjects", type=int, required=True)
    ap.add_argument("--first", type=int, default=1,
                    help="first subject id (= seed; default 1, the default seed)")
    ap.add_argument("--jitter", action="append", default=[],
                    help="KEY=SIGMA: lognormal log-sd of a numeric config key (repeatable)")
    ap.add_argument("--format", choices=("group", "lines"), default="group")
    ap.add_argument("--dir", type=Path, default=Path("results/cohorts/cohort"),
                    help="where the group files go (--format group; default under results/, "
                         "which git ignores)")
    a = ap.parse_args(argv)
    jitter = {}
    for item in a.jitter:
        key, _, sigma = item.partition("=")
        jitter[key.strip()] = float(sigma)
    try:
        values = subjects(a.subjects, jitter, a.overrides, a.first)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if a.format == "lines":
        for v in values:
            print(" ".join(a.overrides + [f"{k}={x}" for k, x in v.items()]))
        return 0
    root = write_group(values, a.dir)
    # an explicit list: Hydra's glob() does not see a search path given on the command line
    names = ",".join(f"s{v['simulation.seed']:04d}" for v in values)
    print(f"fearsim-run -m 'hydra.searchpath=[file://{root}]' +subject={names} "
          + " ".join(a.overrides))
    return 0


if __name__ == "__main__":
    sys.exit(main())
