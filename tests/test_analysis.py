"""Metrics, subject allocation, the targets table and the figures' strict checks (no simulation)."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.analysis import design, metrics, targets
from experiments.analysis import statistics as st
from experiments.figures import by_name, core, fig_dose_response, fig_nmda_block

ROOT = Path(__file__).resolve().parents[1]


def _run(freezing, phases, sessions=None) -> xr.Dataset:
    """A run-like dataset: freezing per trial, phases, sessions, stored phase blocks."""
    from model.readout import add_phase_summary

    phases = np.asarray(phases)
    sessions = np.asarray(sessions if sessions is not None
                          else np.unique(phases, return_inverse=True)[1])
    order = list(dict.fromkeys(phases.tolist()))
    sessions = np.array([order.index(p) for p in phases]) if sessions is None else sessions
    n_sess = int(sessions.max()) + 1
    sess_phase = [phases[sessions == k][0] for k in range(n_sess)]
    ds = xr.Dataset({"freezing": ("trial", np.asarray(freezing, float))},
                    coords={"trial": np.arange(len(phases)), "phase": ("trial", phases),
                            "session_of_trial": ("trial", sessions),
                            "session": np.arange(n_sess),
                            "session_phase": ("session", sess_phase)})
    return add_phase_summary(ds)


PHASES = ["habituation"] * 2 + ["conditioning"] * 4 + ["extinction"] * 8 + ["recall"] * 2
SESSIONS = [0] * 2 + [1] * 4 + [2] * 8 + [3] * 2
FREEZING = [2, 4, 10, 40, 70, 80, 60, 50, 40, 30, 20, 10, 5, 5, 20, 30]


def test_phase_and_session_blocks_use_the_run_files_rule():
    ds = _run(FREEZING, PHASES, SESSIONS)
    # extinction blocks are a quarter (2 of 8 trials); others the first/last 2 trials
    assert metrics.phase_value(ds, "extinction", "first") == pytest.approx(55.0)
    assert metrics.phase_value(ds, "extinction", "last") == pytest.approx(5.0)
    assert metrics.phase_value(ds, "conditioning", "last") == pytest.approx(75.0)
    assert metrics.session_value(ds, 2, "first") == metrics.phase_value(ds, "extinction",
                                                                         "first")
    assert np.isnan(metrics.phase_value(ds, "renewal"))
    with pytest.raises(ValueError, match="no phase 'renewal'"):
        metrics.phase_stat(ds, "renewal")
    assert metrics.trials_mean(ds, 2, 3, 4) == pytest.approx(35.0)
    assert metrics.trials_below(ds, 2, 6.0) == 2


def test_trials_to_criterion():
    ds = _run(FREEZING, PHASES, SESSIONS)
    # criterion 0.5 x 75 = 37.5: extinction trials 60, 50, 40, 30 -> the 4th
    assert metrics.trials_to_criterion(ds, 2, 75.0, 0.5) == 4.0
    # never met: the trial count + 1 (censored)
    assert metrics.trials_to_criterion(ds, 2, 4.0, 0.5) == 9.0


def test_responder_rule_is_one_definition():
    assert metrics.responders(60.0, 100.0, 0.3) == 1.0
    assert metrics.responders(75.0, 100.0, 0.3) == 0.0
    assert np.isnan(metrics.responders(np.nan, 100.0, 0.3))
    da = xr.DataArray([60.0, 75.0, np.nan])
    out = metrics.responders(da, xr.DataArray([100.0, 100.0, 100.0]), 0.3)
    np.testing.assert_array_equal(out.values, [1.0, 0.0, np.nan])


def test_subject_ranges_keep_calibration_apart():
    assert design.CALIBRATION.last < design.EVALUATION.first
    within = [design.group_subjects(g, 8, design.WITHIN) for g in range(3)]
    assert within[0] == within[1] == within[2] == list(range(10_000, 10_008))
    between = [set(design.group_subjects(g, 16, design.BETWEEN)) for g in range(10)]
    assert all(not (a & b) for i, a in enumerate(between) for b in between[i + 1:])
    assert between[0] == set(within[0]) | set(range(10_008, 10_016))
    for g in range(10):
        for s in design.group_subjects(g, design.MAX_SUBJECTS, design.BETWEEN):
            assert s in design.EVALUATION and s not in design.CALIBRATION
        cal = design.group_subjects(g, 5, design.BETWEEN, design.CALIBRATION)
        assert all(s in design.CALIBRATION for s in cal)
    with pytest.raises(ValueError, match="subjects per group"):
        design.group_subjects(0, design.GROUP_STRIDE, design.WITHIN)


def test_every_figure_names_its_design():
    for m in by_name().values():
        assert m.DESIGN in design.DESIGNS, m.NAME


def test_calibration_refuses_evaluation_subjects_and_held_out_figures(capsys):
    """The script from the command line (exit 2, one line), then the other refusals
    through its main() in this process (the same code, without a new interpreter)."""
    import importlib.util

    script = ROOT / "scripts" / "calibrate.py"
    proc = subprocess.run([sys.executable, str(script), "--first", str(design.EVALUATION.first)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "calibration subjects" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    spec = importlib.util.spec_from_file_location("calibrate_script", script)
    calibrate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibrate)
    for name in ("validation", "cohort", "phenotypes", "clinical_trial"):
        assert calibrate.main(["--figures", name]) == 2
        err = capsys.readouterr().err
        assert "not a calibration figure" in err and len(err.strip().splitlines()) == 1


def test_targets_table_reads_its_numbers():
    t = targets.TARGETS
    assert t["1.2"].describe() == "60-90%" and t["1.2"].in_range(75) and not t["1.2"].in_range(95)
    assert "within 15 points" in t["2.3"].describe() and t["2.3"].margin == 15.0
    assert t["5.4"].margin == 10.0 and "equivalence" in t["5.4"].describe()
    md = targets.markdown(1)
    assert md.splitlines()[2].startswith("| 1.1 | habituation freezing | <= 15% |")
    assert "| 2.1 |" not in md
    # held-out experiments are not calibration targets
    assert not any(k.startswith("10.") for k in t)


def test_docs_tables_match_the_code_where_they_are_generated():
    """docs/experiments.md may paste the generated table between markers."""
    docs = ROOT / "docs" / "experiments.md"
    if not docs.exists():
        pytest.skip("no docs/experiments.md")
    text = docs.read_text()
    for m in re.finditer(r"<!-- targets:(\d+):start -->\n(.*?)<!-- targets:\1:end -->", text,
                         re.S):
        assert m.group(2).strip() == targets.markdown(int(m.group(1))).strip()


def _dose_data(recall_by_dose: dict[float, list[float]], saline: list[float]) -> xr.Dataset:
    doses = [0.0] + sorted(recall_by_dose)
    rec = np.array([saline] + [recall_by_dose[d] for d in doses[1:]], float)
    benefit = np.nanmean(rec[0]) - rec
    dims = ("dose_mg_per_kg", "subject")
    return xr.Dataset({"recall_prior": (dims, rec), "benefit_prior": (dims, benefit)},
                      coords={"dose_mg_per_kg": doses})


def test_inverted_u_needs_both_limbs():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1.0, 8)
    sal = list(22 + noise)
    # rising and falling limb: 2.5 mg/kg benefit +4, peak 10 mg/kg +16, 80 mg/kg 0
    both = _dose_data({2.5: list(18 + noise), 10.0: list(6 + noise), 80.0: list(22 + noise)},
                      sal)
    c = core.finalize([fig_dose_response._inverted_u(both, st.WITHIN)])[0]
    assert c.passed, c.line()
    # a flat top: 2.5 as good as 5 and 10 -> no rising limb, FAIL
    flat = _dose_data({2.5: list(6.1 + noise), 5.0: list(5.9 + noise), 10.0: list(6.3 + noise),
                       80.0: list(22 + noise)}, sal)
    c = core.finalize([fig_dose_response._inverted_u(flat, st.WITHIN)])[0]
    assert not c.passed, c.line()


def _block_data(first_block: dict[str, list[float]]) -> xr.Dataset:
    labels = list(first_block)
    arr = np.array([first_block[g] for g in labels], float)
    da = xr.DataArray(arr, dims=("group", "subject"), coords={"group": labels})
    last = da * 0.3
    recall = xr.DataArray(np.array([[20.0] * arr.shape[1]] + [[60.0] * arr.shape[1]] * 2)
                          + np.arange(arr.shape[1]), dims=("group", "subject"),
                          coords={"group": labels})
    return xr.Dataset({"extinction_first": da, "extinction_last": last, "recall": recall},
                      attrs={"design": st.WITHIN})


def test_block_spares_expression_only_when_close_to_control():
    base = list(58 + np.array([1.0, -1, 2, -2, 0.5, -0.5, 1.5, -1.5]))
    near = list(np.array(base) + 3 + np.array([0.5, -0.5, 0.2, -0.2, 0, 0.3, -0.3, 0]))
    data = _block_data({"control": base, fig_nmda_block.SYSTEMIC: near,
                        fig_nmda_block.LOCAL: [99.6] * 8})
    checks = core.finalize(fig_nmda_block.checks(data))
    spared = {c.pattern: c.passed for c in checks if "spared" in c.pattern}
    assert spared[f"{fig_nmda_block.SYSTEMIC}: fear expression spared (first extinction block)"]
    assert not spared[f"{fig_nmda_block.LOCAL}: fear expression spared (first extinction block)"]


def test_holm_can_turn_a_raw_pass_into_a_fail():
    checks = [core.Check("a", "c", "m", "t", True, "t-test", 0.03),
              core.Check("b", "c", "m", "t", True, "t-test", 0.04),
              core.Check("range", "c", "m", "t", True)]
    assert all(c.passed for c in checks)  # before correction
    core.finalize(checks)
    assert [c.passed for c in checks] == [False, False, True]
    assert "Holm p=0.060" in checks[0].line()
