"""The fragility figure's analysis and checks on runs made to order (no simulation).

Each group's run-like datasets carry the trial layout, session clock and dose
of the group's real config (composed, not simulated), with freezing and
pre-tone rates set by hand: once where every target of the figure holds, and
once per target where it does not, so that each check is seen to PASS and to
FAIL.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from experiments.analysis import statistics as st
from experiments.analysis.design import CONTROL
from experiments.analysis.targets import TARGETS
from experiments.figures import by_name, core
from experiments.figures import fig_fragility as ff
from experiments.io import yaml_text
from model.protocol import build_schedule
from model.readout import add_phase_summary, trial_coords

ROOT = Path(__file__).resolve().parents[1]
N = 8
POPULATIONS = ["LA_E", "CeM", "IL_E", "IL_I", "PL_E", "PL_I"]
BASE_RATE = {"LA_E": 1.0, "CeM": 3.0, "IL_E": 1.0, "IL_I": 10.0, "PL_E": 1.2, "PL_I": 9.0}
# each group's protocol (and drug) for its trial layout: the figure's own groups
LAYOUT = {g.label: g.overrides for g in ff.groups(False)}

# freezing of a session's trials (%), per group and phase: the targets hold
GOOD = {
    ff.CONTROL_LABEL: {"recall": 15.0, "renewal": 50.0},
    ff.SPONTANEOUS: {"recall": 32.0, "renewal": 50.0},
    ff.SHOCKS: {"recall": 55.0, "reinstatement": 10.0},
    ff.NO_SHOCKS: {"recall": 20.0, "reinstatement": 5.0},
    ff.ABC: {"recall": 15.0, "renewal": 33.0},
    ff.KETAMINE: {"recall": 30.0, "renewal": 50.0},
}
LEVELS = {"habituation": 5.0, "conditioning": 70.0, "extinction": 30.0}
# ketamine's pre-tone rates / saline's within the occupancy peak: the target holds
GOOD_GAIN = {"IL_E": 1.5, "PL_E": 1.4, "IL_I": 0.8, "PL_I": 0.85}


@lru_cache(maxsize=None)
def _compose(overrides: tuple[str, ...]) -> dict:
    from experiments.config_store import compose, plain

    return plain(compose(list(overrides)))


def _config(group: str) -> dict:
    return _compose(tuple(LAYOUT[group]))


def _run(group: str, subject: int, levels: dict, gain: dict, rng, gain_outside=None) -> xr.Dataset:
    """One run-like dataset of ``group``: its real schedule, freezing and rates made up."""
    from omegaconf import OmegaConf

    cfg = _config(group)
    schedule = build_schedule(OmegaConf.create(cfg["protocol"]))
    plus = schedule.cs_plus
    coords = trial_coords(schedule, plus)
    phases = coords["phase"][1]
    sessions = cfg["protocol"]["sessions"]
    freezing = np.array([levels.get(p, LEVELS.get(p, 0.0)) for p in phases], float)
    freezing += rng.normal(0, 3.0, len(freezing)) + rng.normal(0, 3.0)
    n_trial = len(phases)
    rates = np.array([[BASE_RATE[p]] * n_trial for p in POPULATIONS], float)
    rates *= 1 + rng.normal(0, 0.03, rates.shape)
    ds = xr.Dataset(
        {"freezing": ("trial", np.clip(freezing, 0, 100)),
         "rate_pre": (("population", "trial"), rates),
         "occupancy_trial": (("trial", "channel"), np.zeros((n_trial, 2)))},
        coords={**coords, "population": POPULATIONS, "channel": ["IL_E", "IL_I"],
                "session": np.arange(len(sessions)),
                "session_phase": ("session", [s["phase"] for s in sessions]),
                "session_context": ("session", [s["context"] for s in sessions]),
                "session_time_h": ("session", schedule.session_abs_h)},
        attrs={"config_yaml": yaml_text.dump(cfg, sort_keys=False), "seed": 10_000 + subject,
               "subject_index": subject})
    ds = add_phase_summary(ds)
    if group == ff.KETAMINE:
        peak = ff.peak_trials(ds)
        ext = ds.session_of_trial.values == 2
        for pop, g in gain.items():
            k = POPULATIONS.index(pop)
            ds.rate_pre.values[k, peak] *= g
            if gain_outside is not None:  # the drug's effect on the later trials
                later = np.flatnonzero(ext & ~np.isin(np.arange(n_trial), peak))
                ds.rate_pre.values[k, later] *= gain_outside[pop]
        ds.occupancy_trial.values[peak] = 0.3
    return ds


def _data(levels=None, gain=None, gain_outside=None, seed=0) -> dict[str, list[xr.Dataset]]:
    rng = np.random.default_rng(seed)
    levels = {g: {**GOOD[g], **(levels or {}).get(g, {})} for g in GOOD}
    gain = {**GOOD_GAIN, **(gain or {})}
    return {g: [_run(g, k, levels[g], gain, rng, gain_outside) for k in range(N)]
            for g in GOOD}


def _checks(data: dict, design: str = st.WITHIN) -> dict[str, core.Check]:
    fig_data = ff.analyse(data)
    fig_data.attrs["design"] = design
    return {c.pattern: c for c in core.finalize(ff.checks(fig_data))}


def _status(checks: dict) -> dict[str, str]:
    return {k: c.status for k, c in checks.items()}


SPONTANEOUS = "spontaneous recovery: recall 7 days vs 1 day after extinction"
REINSTATEMENT = "reinstatement: test after two unsignalled shocks vs none"
ABA_ABC = "renewal order: ABA renewal above ABC renewal"
ABC_RECALL = "renewal order: ABC renewal above recall in B"
DISINHIBITION = [f"disinhibition: {r} {kind} (rate_pre) {way} near peak"
                 for r in ("IL", "PL") for kind, way in (("principal cells", "up"),
                                                         ("interneurons", "down"))]
ALL = [SPONTANEOUS, REINSTATEMENT, ABA_ABC, ABC_RECALL] + DISINHIBITION


@pytest.fixture(scope="module")
def good():
    return _data()


def test_groups_share_the_control_and_keep_the_full_protocols():
    for quick in (False, True):
        groups = {g.label: g.overrides for g in ff.groups(quick)}
        assert list(groups) == list(GOOD)
        for label, ov in groups.items():
            if label == ff.KETAMINE:
                assert ov[0] == "experiment=ketamine_during_extinction"
            else:
                assert ov[:len(CONTROL)] == list(CONTROL)
            # quick mode must not swap the protocols the checks read
            assert "protocol=short" not in ov
    assert "protocol.sessions.3.us=false" in {g.label: g.overrides
                                              for g in ff.groups(False)}[ff.NO_SHOCKS]
    assert ff.n_seeds(False) == 8 and ff.n_seeds(True) == 2
    assert ff.DESIGN == st.WITHIN and "fragility" in by_name()


def test_peak_trials_are_the_first_extinction_trials_after_the_dose(good):
    ket = good[ff.KETAMINE][0]
    peak = ff.peak_trials(ket)
    # 10 mg/kg 0.17 h before a 60-min session of 20 trials: trial j starts 10.2 + 3 j
    # min after the dose, so trials 1-4 lie within the peak (10-20 min) and trial 5 not
    assert list(ket.trial_in_session.values[peak]) == [0, 1, 2, 3]
    assert set(ket.phase.values[peak]) == {"extinction"}
    # no dose: no peak trials
    assert len(ff.peak_trials(good[ff.CONTROL_LABEL][0])) == 0


def test_every_check_passes_where_the_targets_hold(good):
    checks = _checks(good)
    assert list(checks) == ALL
    assert all(c.passed for c in checks.values()), [c.line() for c in checks.values()]
    line = checks[DISINHIBITION[0]].line()
    assert "extinction trials 1 2 3 4" in line and "rate_pre" in line and "Holm" in line
    assert "target 8.7" in checks[DISINHIBITION[0]].citation
    # the between-subject design reads the same data with unpaired tests
    between = _checks(good, st.BETWEEN)
    assert all("Welch" in c.test for c in between.values())


@pytest.mark.parametrize("levels, gain, failing", [
    ({ff.SPONTANEOUS: {"recall": 21.0}}, None, [SPONTANEOUS]),  # +6 points, not +10
    ({ff.SHOCKS: {"recall": 30.0}}, None, [REINSTATEMENT]),  # +10 points, not +20
    ({ff.ABC: {"renewal": 52.0}}, None, [ABA_ABC]),  # ABC as high as ABA
    ({ff.ABC: {"renewal": 14.0}}, None, [ABC_RECALL]),  # no renewal in C
    (None, {"IL_E": 1.1}, [DISINHIBITION[0]]),  # significant, but short of 1.2x
    (None, {"IL_I": 1.2}, [DISINHIBITION[1]]),  # interneurons up, not down
    (None, {"PL_E": 0.9}, [DISINHIBITION[2]]),
    (None, {"PL_I": 1.0}, [DISINHIBITION[3]]),  # unchanged: not lower
])
def test_each_check_fails_where_its_target_does_not_hold(levels, gain, failing):
    status = _status(_checks(_data(levels, gain)))
    assert [k for k, s in status.items() if s == "FAIL"] == failing, status


def test_disinhibition_is_read_within_the_occupancy_peak():
    # no effect at the peak, a large one on the later trials: the peak decides
    flat = {p: 1.0 for p in GOOD_GAIN}
    late = {"IL_E": 2.0, "PL_E": 2.0, "IL_I": 0.5, "PL_I": 0.5}
    status = _status(_checks(_data(gain=flat, gain_outside=late)))
    assert [k for k, s in status.items() if s == "FAIL"] == DISINHIBITION


def _on_control_protocol(good: dict, group: str, seed: int) -> dict:
    """``good`` with ``group``'s runs made on the control's protocol instead of its own."""
    data = dict(good)
    saved = LAYOUT[group]
    try:
        LAYOUT[group] = LAYOUT[ff.CONTROL_LABEL]
        rng = np.random.default_rng(seed)
        data[group] = [_run(group, k, GOOD[group], GOOD_GAIN, rng) for k in range(N)]
    finally:
        LAYOUT[group] = saved
    return data


def test_tests_in_the_wrong_context_fail(good):
    # the ABC group on the default protocol: its renewal test is back in A
    checks = _checks(_on_control_protocol(good, ff.ABC, seed=1))
    assert not checks[ABA_ABC].passed and not checks[ABC_RECALL].passed
    assert "renewal in A, not C" in checks[ABA_ABC].measured
    assert checks[SPONTANEOUS].passed


def test_recovery_is_read_a_week_after_extinction(good):
    # the spontaneous-recovery group on the default protocol: recall a day after
    # extinction, however much higher its freezing
    checks = _checks(_on_control_protocol(good, ff.SPONTANEOUS, seed=2))
    assert not checks[SPONTANEOUS].passed
    assert "recall 1.0 days after extinction, not 6.5-7.5" in checks[SPONTANEOUS].measured
    assert _checks(good)[SPONTANEOUS].passed


def test_a_missing_group_fails_its_checks_without_an_error(good):
    data = {g: runs for g, runs in good.items() if g != ff.SPONTANEOUS}
    status = _status(_checks(data))
    assert status[SPONTANEOUS] == "FAIL" and status[REINSTATEMENT] == "PASS"


def test_figure_data_round_trip_and_plot(good, tmp_path):
    import matplotlib.pyplot as plt

    data = ff.analyse(good)
    data.attrs["design"] = st.WITHIN
    data.to_netcdf(tmp_path / "fragility.nc", engine="h5netcdf")
    with xr.open_dataset(tmp_path / "fragility.nc", engine="h5netcdf") as ds:
        back = ds.load()
    assert back.freezing.sizes["trial_group"] == 4 and back.freezing_reinstatement.sizes[
        "reinstatement_group"] == 2
    assert [c.status for c in core.finalize(ff.checks(back))] == ["PASS"] * len(ALL)
    fig = ff.plot(back)
    assert len(fig.axes) == 6
    plt.close(fig)


def test_targets_and_docs_name_the_figure():
    for tid in ("8.3", "8.4", "8.5", "8.7"):
        assert TARGETS[tid].role == "extinction"
    assert TARGETS["8.3"].difference == 10.0 and TARGETS["8.4"].difference == 20.0
    assert TARGETS["8.7"].ratio == 1.2
    text = (ROOT / "docs" / "experiments.md").read_text()
    section = text[text.index("## 8."):text.index("## 9.")]
    for tid in ("8.3", "8.4", "8.5", "8.7"):
        row = next(ln for ln in section.splitlines() if ln.startswith(f"| {tid} |"))
        assert "`fragility` figure" in row, row
