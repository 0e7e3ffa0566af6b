"""The tiny run's per-phase freezing against its stored, dated reference.

Same config, code and seed give identical numbers, so with the toolchain the
reference was measured with (tests/reference/tiny_phase_freezing.json) every
phase must match to rounding; with another compiler or CPU target the float
operations may be ordered differently, and a spiking network amplifies that,
so the phases must then agree within the spread of one animal's
noise realisations. A change meant to alter
the numbers regenerates the reference with scripts/update_reference.py.
"""

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import update_reference  # noqa: E402

from experiments.io import build_cache  # noqa: E402

# points of freezing allowed between toolchains: another float ordering acts
# like another noise realisation of the same wired animal; 15 points is the
# upper end of that spread on the tiny network (between-subject SD 7-22
# points) and still catches a broken phase (a floor, a ceiling, no learning)
OTHER_TOOLCHAIN_POINTS = 15.0


def test_tiny_run_matches_its_reference():
    reference = json.loads(update_reference.REFERENCE.read_text())
    assert reference["overrides"] == update_reference.OVERRIDES
    measured = update_reference.measure()
    expected = reference["phase_freezing_percent"]
    assert set(measured) == set(expected)
    same_toolchain = reference["toolchain"] == build_cache.toolchain_info()
    tolerance = 1e-9 if same_toolchain else OTHER_TOOLCHAIN_POINTS
    off = {p: (measured[p], expected[p]) for p in expected
           if not math.isclose(measured[p], expected[p], abs_tol=tolerance)}
    assert not off, (f"phase freezing (measured, reference of {reference['date']}, "
                     f"commit {reference['commit'][:10]}): {off}; if the change is meant to "
                     "alter the numbers, run scripts/update_reference.py")
