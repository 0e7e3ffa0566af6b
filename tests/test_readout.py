"""The readout: freezing from CeM rates, CS windows, bursts and the runaway check."""

import numpy as np
import pytest
import xarray as xr

from model import readout


def test_logistic_freezing_and_windows():
    assert readout.logistic_freezing(10.0, 10.0, 2.0) == pytest.approx(50.0)
    assert readout.logistic_freezing(0.0, 10.0, 2.0) < 1.0
    t = np.array([0.1, 0.5, 0.9, 1.5])
    assert list(readout.window_counts(t, np.array([0.0, 1.0]), np.array([1.0, 2.0]))) == [3, 1]
    # in any order: the counts of the sorted times
    assert list(readout.window_counts(t[::-1], np.array([0.0, 1.0]), np.array([1.0, 2.0]))) \
        == [3, 1]


def test_burst_detection():
    # neuron 0: a 3-spike burst and a lone spike; neuron 1: a doublet
    t = np.array([0.100, 0.105, 0.109, 0.500, 0.200, 0.208])
    i = np.array([0, 0, 0, 0, 1, 1])
    rate = readout.burst_rate(t, i, 2, np.array([0.0]), np.array([1.0]), 0.010)
    assert rate[0] == pytest.approx(2 / 2)


def test_runaway_check_names_population():
    ds = xr.Dataset({"rate_cs": (("population", "trial"), [[1.0, 400.0]]),
                     "rate_pre": (("population", "trial"), [[1.0, 1.0]]),
                     "rate_trial": (("population", "trial"), [[1.0, 1.0]])},
                    coords={"population": ["LA_E"]})
    with pytest.raises(readout.RunawayError, match="LA_E"):
        readout.check_activity(ds, 150.0)
    ds["rate_pre"][0, 0] = np.nan
    with pytest.raises(readout.RunawayError, match="NaN"):
        readout.check_activity(ds, 1e9)
