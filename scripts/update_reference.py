"""Store the tiny run's per-phase freezing as the regression reference.

Usage: ``python scripts/update_reference.py``

Run it only when a change is meant to alter the model's numbers, and say so
in the commit. It writes ``tests/reference/tiny_phase_freezing.json`` with
the date, the commit and the toolchain the values were measured with:
``tests/test_integration.py`` compares every later tiny run against it.
"""

import datetime
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "tiny_phase_freezing.json"
OVERRIDES = ["experiment=tiny", "simulation.device=cpp_standalone", "simulation.seed=1"]


def phase_freezing(summary) -> dict:
    """Per-phase mean freezing (%) of one run's summary dataset."""
    from experiments.analysis.metrics import phase_value

    return {str(p): phase_value(summary, str(p)) for p in summary.phase_name.values}


def measure() -> dict:
    """:func:`phase_freezing` of the tiny run with ``OVERRIDES``."""
    from experiments.config_store import compose
    from experiments.io import build_cache

    return phase_freezing(build_cache.run_cached(compose(OVERRIDES)).summary)


def main() -> int:
    from experiments.io import build_cache
    from experiments.io.store import git_commit

    record = {"date": datetime.date.today().isoformat(), "commit": git_commit(ROOT),
              "overrides": OVERRIDES, "toolchain": build_cache.toolchain_info(),
              "phase_freezing_percent": measure()}
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(REFERENCE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
