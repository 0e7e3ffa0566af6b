"""Interneuron NMDA receptors and the disinhibition an NMDA antagonist causes.

NMDA-receptor antagonists at subanaesthetic doses first lower the firing of
fast-spiking interneurons and then raise the firing of prefrontal pyramidal
cells (Homayoun & Moghaddam 2007 J Neurosci): interneurons depend on NMDA
receptors for part of their drive, and their NMDA receptors are the more
sensitive to channel blockers (model/pharmacology/, lower interneuron IC50).
Prefrontal fast-spiking interneurons carry a tonic NMDA-receptor current from
ambient glutamate (Povysheva & Johnson 2012 J Neurophysiol). Here a
population's ``tonic_nmda_nS`` is a constant NMDA conductance, added to the
synaptic one and gated like it by the Mg2+ block and by what the antagonist
leaves free,

    I_nmda = nmda_scale * nmda_avail * (g_nmda + g_nmda_tonic) * B(v) * (E_nmda - v),

so an interneuron-preferring block takes tonic drive from the interneurons
and, through their inhibition, disinhibits the principal cells in the spiking
circuit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the synaptic NMDA term of the neuron equations (model/neurons.py) and the
# same term with the tonic conductance
SYNAPTIC_TERM = "nmda_avail*g_nmda*B"
WITH_TONIC_TERM = "nmda_avail*(g_nmda + g_nmda_tonic)*B"
NEURON_VARIABLES = """
g_nmda_tonic : siemens (constant)
"""


def enabled(populations) -> bool:
    """Whether any population has a tonic NMDA conductance (structural)."""
    return any(p.tonic_nmda_nS > 0 for p in populations.values())


def neuron_equations(equations: str) -> str:
    """The neuron equations with the tonic NMDA conductance in the NMDA current."""
    if SYNAPTIC_TERM not in equations:
        raise ValueError(f"the neuron equations have no NMDA term {SYNAPTIC_TERM!r} "
                         "to add the tonic conductance to")
    return equations.replace(SYNAPTIC_TERM, WITH_TONIC_TERM, 1) + NEURON_VARIABLES


def tonic_conductances(populations, sizes) -> np.ndarray:
    """Per-neuron tonic NMDA conductance (S), populations in config order."""
    return np.concatenate([np.full(sizes[name], pop.tonic_nmda_nS * 1e-9)
                           for name, pop in populations.items()])


# ---------------------------------------------------------------- the disinhibition probe
#
# The BDNF chain needs the glutamate burst an antagonist causes at every
# moment of the protocol clock, also between sessions, where no spikes are
# simulated. The circuit provides it: before a run, a probe run of the same
# circuit (smaller, at rest in the familiar context A: no tone, no shock, and
# the naive weights) is held at a grid
# of principal-cell and interneuron occupancies, and the principal-cell rate
# of each region is measured at each grid point. A smooth surface fitted to
# the log rate ratio is the circuit's transfer function from occupancy to
# excess principal firing; the burst that releases BDNF is that excess,
#
#     burst_r(t) = max(0, R_r(occ_E(t), occ_I(t)) / R_r(0, 0) - 1),
#
# on the slow grid, region by region (model/synaptogenesis.py). Where the
# interneurons lose more drive than the principal cells, the principal cells
# fire more and release BDNF; where the principal NMDARs are blocked too, the
# excess falls: no formula of occupancy decides either.

PROBE_LEVELS = (0.0, 0.3, 0.6, 0.8, 0.95)  # occupancy of each kind at the grid points
PROBE_SETTLE_S = 0.5  # each grid point: the network settles, then is measured
PROBE_MEASURE_S = 1.0
PROBE_SCALE = 0.25  # at most; in-degrees do not depend on scale (model/circuit.py)
PROBE_SEED = 7


def probe_grid() -> np.ndarray:
    """(points, 2) occupancies (principal, interneuron), the no-drug point first."""
    return np.array([(e, i) for e in PROBE_LEVELS for i in PROBE_LEVELS])


def probe_config(cfg):
    """The circuit of ``cfg`` at rest, without learning, one trial per grid point."""
    import copy

    from .config import BlockConfig, SessionConfig

    pcfg = copy.deepcopy(cfg)
    net = pcfg.network
    net.scale = min(net.scale, PROBE_SCALE)
    for name in ("CS", "US"):  # at rest in a familiar context: no tone, no shock
        if name in net.inputs:
            net.inputs[name].on_rate_Hz = 0.0
    pcfg.plasticity.enabled = False
    pcfg.plasticity.error_signal = False
    pcfg.synaptogenesis.enabled = False
    pcfg.synaptogenesis.burst_from_circuit = False
    pcfg.synaptogenesis.pathways = {}
    pcfg.pharmacology.doses = []
    pcfg.manipulations = []
    pr = pcfg.protocol
    pr.trial_s, pr.cs_onset_s, pr.cs_s, pr.us_s = (PROBE_SETTLE_S + PROBE_MEASURE_S,
                                                   PROBE_SETTLE_S, PROBE_MEASURE_S, 0.0)
    pr.sessions = [SessionConfig(phase="habituation", context="A", n_trials=len(probe_grid()),
                                 us=False, cs=False, interval_before_h=0.0,
                                 real_duration_min=1.0)]
    pr.block = BlockConfig(occupancy=0.0, regions=["all"], cell_kinds=["all"], sessions=[],
                           after_h=0.0)
    pr.tail_h = 0.0
    pcfg.readout.weight_samples = 1
    pcfg.readout.record_spikes = True
    pcfg.simulation.seed = PROBE_SEED
    return pcfg


def probe_occupancy(channels) -> np.ndarray:
    """(grid points, channels): each channel at its kind's occupancy of the point."""
    grid = probe_grid()
    return np.array([[point[0] if kind == "E" else point[1] for _, kind in channels]
                     for point in grid])


@dataclass
class TransferFunction:
    """Per region: log(rate / rate at no block) as a quadratic in (occ_E, occ_I)."""

    regions: list
    coefficients: np.ndarray  # (regions, 6): 1, e, i, e^2, e i, i^2
    measured: np.ndarray  # (regions, grid points): measured rate ratios
    populations: list  # every population's probe rates, for the record
    rates: np.ndarray  # (populations, grid points), Hz

    def ratio(self, region_index: int, occ_e, occ_i) -> np.ndarray:
        c = self.coefficients[region_index]
        x = _design(np.asarray(occ_e, dtype=float), np.asarray(occ_i, dtype=float))
        return np.exp(x @ c - c[0])

    def burst(self, region_index: int, occ_e, occ_i) -> np.ndarray:
        return np.maximum(0.0, self.ratio(region_index, occ_e, occ_i) - 1.0)


def _design(e: np.ndarray, i: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(e), e, i, e * e, e * i, i * i], axis=-1)


def fit_transfer(populations, regions, rates: np.ndarray, sizes: dict) -> TransferFunction:
    """The transfer function of each region from probe rates (populations x grid points)."""
    grid = probe_grid()
    x = _design(grid[:, 0], grid[:, 1])
    names = list(populations)
    coefficients, measured = [], []
    for region in regions:
        rows = [k for k, n in enumerate(names)
                if populations[n].region == region and populations[n].kind == "E"]
        if not rows:
            coefficients.append(np.zeros(6))
            measured.append(np.ones(len(grid)))
            continue
        weight = np.array([sizes[names[k]] for k in rows], dtype=float)
        rate = (rates[rows] * weight[:, None]).sum(axis=0) / weight.sum()
        rate = np.maximum(rate, 1e-3 * max(rate.max(), 1e-9))  # silent points: finite logs
        coef, *_ = np.linalg.lstsq(x, np.log(rate / rate[0]), rcond=None)
        coefficients.append(coef)
        measured.append(rate / rate[0])
    return TransferFunction(list(regions), np.array(coefficients), np.array(measured),
                            names, np.asarray(rates, dtype=float))


def burst_timeline(transfer: TransferFunction, occ_slow: np.ndarray, channels,
                   regions) -> np.ndarray:
    """(slow steps, regions): each region's burst from its channels' occupancy."""
    out = np.zeros((occ_slow.shape[0], len(regions)))
    for r, region in enumerate(regions):
        own = [k for k, (reg, _) in enumerate(channels) if reg == region]
        e = [k for k in own if channels[k][1] == "E"] or own
        i = [k for k in own if channels[k][1] == "I"] or own
        out[:, r] = transfer.burst(transfer.regions.index(region), occ_slow[:, e[0]],
                                   occ_slow[:, i[0]])
    return out


def summary_variables(transfer: TransferFunction | None, burst: np.ndarray | None) -> dict:
    """The probe's measured and fitted rate ratios and the burst course, for the run summary."""
    if transfer is None:
        return {}
    grid = probe_grid()
    fitted = np.array([transfer.ratio(r, grid[:, 0], grid[:, 1])
                       for r in range(len(transfer.regions))])
    coords = {"disinhibition_region": transfer.regions, "probe_occ_E": ("probe_point", grid[:, 0]),
              "probe_occ_I": ("probe_point", grid[:, 1]),
              "probe_population": transfer.populations}
    import xarray as xr

    ds = xr.Dataset({
        "disinhibition_measured": (("disinhibition_region", "probe_point"), transfer.measured,
                                   {"long_name": "principal-cell rate / rate without block"}),
        "disinhibition_fitted": (("disinhibition_region", "probe_point"), fitted),
        "disinhibition_rates": (("probe_population", "probe_point"), transfer.rates,
                                {"units": "Hz", "long_name": "probe rate at rest under the block"}),
        "disinhibition_burst": (("occ_time_h", "disinhibition_region"), burst,
                                {"long_name": "excess principal firing that releases BDNF"}),
    }, coords=coords)
    return dict(ds.data_vars)
