"""The model's C++ threshold template (model/templates/threshold.cpp) against Brian2's own."""

import numpy as np

from model import standalone


def test_block_threshold_finds_brian2s_events_in_brian2s_order(tmp_path):
    """Two copies of one group in one C++ build, one on Brian2's threshold template
    and one on the block template: the same spikes and custom events, step by step.
    The group's size is not a multiple of the block, each neuron crosses threshold
    at its own times, and some steps hold several events in one block."""
    import brian2 as b2

    previous = standalone.use_device(tmp_path, threads=1)
    try:
        b2.defaultclock.dt = 0.1 * b2.ms
        eqs = "dv/dt = (drive*(1 + sin(2*pi*f*t + phase)) - v)/(5*ms) : 1\n" \
              "drive : 1 (constant)\nf : Hz (constant)\nphase : 1 (constant)"
        n = 77
        rng = np.random.default_rng(3)
        drive, f = rng.uniform(0.3, 0.9, n), rng.uniform(5, 40, n)
        phase = rng.uniform(0, 2 * np.pi, n)
        monitors, net = {}, b2.Network()
        for name, cls in (("brian", None), ("block", standalone.block_threshold_code_object())):
            g = b2.NeuronGroup(n, eqs, threshold="v > 1", reset="v = 0", method="euler",
                               events={"high": "v > 0.8"}, codeobj_class=cls, name=name)
            g.drive, g.f, g.phase = drive, f * b2.Hz, phase
            monitors[name] = (b2.SpikeMonitor(g), b2.EventMonitor(g, "high"))
            net.add(g, *monitors[name])
        net.run(300 * b2.ms)
        b2.device.build(directory=str(tmp_path), compile=True, run=True, with_output=False)
        (spikes, events), (block_spikes, block_events) = monitors["brian"], monitors["block"]
        assert len(spikes.i) > 200 and len(events.i) > len(spikes.i)
        np.testing.assert_array_equal(block_spikes.i, spikes.i)
        np.testing.assert_array_equal(block_spikes.t, spikes.t)
        np.testing.assert_array_equal(block_events.i, events.i)
        np.testing.assert_array_equal(block_events.t, events.t)
        per_step = np.unique(np.asarray(spikes.t / b2.defaultclock.dt).round(), return_counts=True)[1]
        assert per_step.max() >= 2
    finally:
        standalone.reset_device(previous)
