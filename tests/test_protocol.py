"""The protocol schedule: trials, CS/US and contexts, and where an NMDA block applies."""

import numpy as np
import pytest

from model.nmda import block_occupancy, channels
from model.protocol import STIM_DT_S, build_schedule


def test_schedule_lays_out_trials_cs_us_and_contexts(compose):
    cfg = compose([])
    sch = build_schedule(cfg.protocol)
    n = sum(s.n_trials for s in cfg.protocol.sessions)
    assert sch.n_trials == n
    assert sch.fast_duration_s == pytest.approx(n * cfg.protocol.trial_s)
    cs_col, us_col, a_col, b_col, c_col = sch.stim.T
    assert cs_col.sum() * STIM_DT_S == pytest.approx(n * cfg.protocol.cs_s)
    n_us = sum(s.n_trials for s in cfg.protocol.sessions if s.us)
    assert us_col.sum() * STIM_DT_S == pytest.approx(n_us * cfg.protocol.us_s)
    # US only inside a CS, contexts exclusive
    assert np.all(cs_col[us_col > 0] == 1)
    assert np.all(a_col + b_col == 1) and c_col.sum() == 0
    assert set(sch.trial_phase[~np.isnan(sch.us_on_s)]) == {"conditioning"}
    # recall is 24 h after extinction on the protocol clock
    k_ext = [s.phase for s in cfg.protocol.sessions].index("extinction")
    gap = sch.session_abs_h[k_ext + 1] - sch.session_abs_h[k_ext]
    assert gap == pytest.approx(24 + cfg.protocol.sessions[k_ext].real_duration_min / 60)


def test_block_applies_to_chosen_sessions_regions_and_after(compose):
    cfg = compose(["protocol.block.occupancy=0.9", "protocol.block.regions=[IL]",
                   "protocol.block.sessions=[2]", "protocol.block.after_h=3"])
    sch = build_schedule(cfg.protocol)
    ch = channels(cfg.network.populations)
    fast, slow = block_occupancy(cfg.protocol, ch, sch, slow_dt_h=1 / 6)
    il = [k for k, (r, _) in enumerate(ch) if r == "IL"]
    other = [k for k, (r, _) in enumerate(ch) if r != "IL"]
    assert np.all(fast[sch.trial_session == 2][:, il] == 0.9)
    assert np.all(fast[sch.trial_session != 2] == 0)
    assert np.all(fast[:, other] == 0)
    # slow axis: the protocol clock; the block covers the session's real
    # duration and 3 h after it
    a = int(round(sch.session_abs_h[2] * 6))
    b = int(round((sch.session_abs_h[2] + sch.session_real_h[2] + 3) * 6))
    assert np.all(slow[a:b][:, il] == 0.9)
    assert np.all(slow[b:][:, il] == 0)
    assert np.all(slow[:a] == 0)
