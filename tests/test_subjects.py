"""Independent virtual subjects: each seed draws its own wiring, one build serves all."""

import numpy as np
import pytest

from model import circuit
from model.protocol import build_schedule

TINY = ["experiment=tiny"]


def _drawn(compose, seed):
    """The tiny circuit on the numpy runtime, with its synapses drawn and initialised."""
    import brian2 as b2

    b2.set_device("runtime")
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    cfg = compose(TINY + ["simulation.device=numpy", f"simulation.seed={seed}"])
    b2.seed(seed)
    plan = circuit.plan(cfg, build_schedule(cfg.protocol))
    c = circuit.build(cfg, plan)
    b2.Network(*c.initial_objects).run(c.initial_clock.dt)
    return cfg, plan, c


def test_synapses_follow_their_projection(compose):
    cfg, plan, c = _drawn(compose, seed=3)
    syn = c.synapses["recurrent_exc"]
    rule = plan.synapses["recurrent_exc"].connectivity
    proj = c.synapse_projections("recurrent_exc")
    pre, post = np.asarray(syn.i[:]), np.asarray(syn.j[:])
    for k, name in enumerate(rule.projections):
        prj = cfg.network.projections[name]
        mine = proj == k
        pre_sl, post_sl = plan.pop_slices[prj.pre], plan.pop_slices[prj.post]
        assert np.all((pre[mine] >= pre_sl.start) & (pre[mine] < pre_sl.stop))
        assert np.all((post[mine] >= post_sl.start) & (post[mine] < post_sl.stop))
        np.testing.assert_allclose(np.asarray(syn.w_ampa[:])[mine], prj.w_ampa_nS * 1e-9)
    plastic = c.synapses["input_plastic"]
    proj = c.synapse_projections("input_plastic")
    for k, name in enumerate(plan.synapses["input_plastic"].connectivity.projections):
        np.testing.assert_allclose(np.asarray(plastic.rho[:])[proj == k],
                                   cfg.network.projections[name].rho_init)
    # no pair twice within a set
    pairs = set(zip(pre.tolist(), post.tolist(), strict=True))
    assert len(pairs) == len(pre)


def test_in_degrees_scatter_around_the_configured_mean(compose):
    """Each pair connects with probability k / N_pre: the expected in-degree is the
    configured k at any scale, and in-degrees are binomial, not fixed."""
    cfg, plan, c = _drawn(compose, seed=4)
    syn = c.synapses["recurrent_exc"]
    proj, post = c.synapse_projections("recurrent_exc"), np.asarray(syn.j[:])
    k = plan.synapses["recurrent_exc"].connectivity.projections.index("la_fear")
    prj = cfg.network.projections["la_fear"]
    sl = plan.pop_slices[prj.post]
    degree = np.bincount(post[proj == k] - sl.start, minlength=sl.stop - sl.start)
    n_pre = plan.pop_sizes[prj.pre]
    k_mean = circuit.in_degree(prj.p, cfg.network.populations[prj.pre].n, n_pre)
    sd = np.sqrt(k_mean * (1 - k_mean / n_pre))
    assert degree.mean() == pytest.approx(k_mean, abs=4 * sd / np.sqrt(len(degree)))
    assert degree.std() == pytest.approx(sd, rel=0.35)


def test_two_seeds_two_wirings_one_build(compose, standalone_runs):
    """Seeds 1, 2 and 1 again (the session's standalone runs): two wirings from one
    build, and the same seed draws the same wiring and the same activity (the binary's
    generators are seeded from the run-time seed before the synapses are drawn)."""
    outs = [standalone_runs.first, standalone_runs.other, standalone_runs.again]
    counts = [dict(out.n_synapses) for out in outs]
    assert [out.timings["compiled"] for out in outs[1:]] == [False, False]
    assert standalone_runs.builds <= 1  # at most the first subject compiled
    drawn = [k for k in counts[0] if not k.startswith("candidates:")]
    assert any(counts[0][k] != counts[1][k] for k in drawn)
    assert counts[2] == counts[0]
    assert outs[2].summary.equals(outs[0].summary)
    assert not outs[1].summary.equals(outs[0].summary)
    cfg = compose(standalone_runs.overrides(1))
    plan = circuit.plan(cfg, build_schedule(cfg.protocol))
    for k in drawn:
        expected = plan.expected_synapses[k]
        for c in counts:
            assert abs(c[k] - expected) <= 6 * np.sqrt(expected) + 1
