"""``fearsim-export``: a stored run in another format.

``fearsim-export nwb RUN [--out PATH] [--results-dir DIR] [--rate-bin-ms MS]``

RUN is a results file or a run id (any unique prefix of one, looked up in
``--results-dir``, default the config's ``paths.results_dir``). The NWB file
(see :mod:`experiments.io.nwb`) is checked by pynwb's validator before it
is written, beside the results file unless ``--out``; its path is the last line
of stdout.

Exit codes: 0 written; 2 bad arguments, no such run, or pynwb missing
(nothing written); 1 the validator rejected the file (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.io.nwb import DEFAULT_RATE_BIN_S, NWBExportError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="fearsim-export", description="Export a stored fearsim run.",
        epilog="example: fearsim-export nwb 998b6ffd   (writes results/runs/998b6ffd....nwb)")
    sub = ap.add_subparsers(dest="format", required=True, metavar="FORMAT")
    nwb = sub.add_parser("nwb", help="Neurodata Without Borders 2 (pynwb; DANDI, pynapple)",
                         description="Write RUN as an NWB 2 file, validated by pynwb.")
    nwb.add_argument("run", help="results file (.nc) or run id / unique prefix of one")
    nwb.add_argument("--out", type=Path, default=None,
                     help="output file (default: the results file with suffix .nwb)")
    nwb.add_argument("--results-dir", type=Path, default=None,
                     help="where to look up a run id (default: the config's paths.results_dir)")
    nwb.add_argument("--rate-bin-ms", type=float, default=DEFAULT_RATE_BIN_S * 1e3,
                     help="bin width of the population rate series (default %(default)g ms)")
    return ap


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    from experiments.io import nwb
    from experiments.io.runs import RunNotFound, load_run

    if not a.rate_bin_ms > 0:
        print(f"fearsim-export: --rate-bin-ms must be > 0, got {a.rate_bin_ms}", file=sys.stderr)
        return 2
    try:
        run = load_run(a.run, a.results_dir)
        out = a.out or run.path.with_suffix(".nwb")
        path = nwb.write_nwb(run, out, a.rate_bin_ms * 1e-3)
    except RunNotFound as exc:
        print(f"fearsim-export: {exc}", file=sys.stderr)
        return 2
    except NWBExportError as exc:
        print(f"fearsim-export: {exc}", file=sys.stderr)
        return 2 if isinstance(exc.__cause__, ImportError) else 1
    print(f"[export] run {run.run_id}: {len(run.summary.trial)} trials, "
          f"{0 if run.spikes is None else run.spikes.sizes['neuron']} units", file=sys.stderr)
    print(path, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
