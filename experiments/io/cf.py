"""What every variable of a results file means: CF attributes in one table.

A run file, its spikes group and a collected sweep carry, on every variable
and coordinate, a ``long_name`` and, on every numeric one, UDUNITS ``units``
("1" for a dimensionless number or a count, "%" for freezing, "Hz", "s" on the
spiking-network clock, "h" on the protocol clock). The root group says
``Conventions = "CF-1.10"``. Spikes are a CF contiguous ragged array: the
per-neuron ``spike_count`` names ``spike`` as its ``sample_dimension``, so
``spike_time`` holds the trains of neuron 0, 1, ... one after the other.

:func:`describe` fills the attributes from :data:`VARIABLES` when a file is
written; a variable the table does not know keeps what its producer gave it
(and the results-format test fails until the table names it).
"""

from __future__ import annotations

import re

import xarray as xr

CONVENTIONS = "CF-1.10"
NUMERIC = "biuf"  # numpy dtype kinds that carry units

# name -> (units, long_name); units None: a string variable (CF gives it none)
VARIABLES: dict[str, tuple[str | None, str]] = {
    # per trial
    "trial": ("1", "trial index in protocol order"),
    "phase": (None, "protocol phase of the trial"),
    "context": (None, "context of the trial"),
    "session_of_trial": ("1", "session index of the trial"),
    "trial_in_session": ("1", "position of the trial in its session's trials"),
    "trial_start_s": ("s", "trial start on the spiking-network clock"),
    "trial_time_h": ("h", "trial start on the protocol clock"),
    "freezing": ("%", "freezing during the CS"),
    "freezing_pre": ("%", "freezing before the CS"),
    "il_burst_rate": ("s-1", "IL bursts per neuron per second during the CS"),
    "occupancy_trial": ("1", "NMDA-receptor occupancy the trial ran with (block and drugs)"),
    # per CS- trial (a protocol with CS- trials: model/cs_minus.py)
    "cs_minus_trial": ("1", "CS- trial index in protocol order"),
    "cs_minus_phase": (None, "protocol phase of the CS- trial"),
    "cs_minus_context": (None, "context of the CS- trial"),
    "cs_minus_session_of_trial": ("1", "session index of the CS- trial"),
    "cs_minus_trial_in_session": ("1", "position of the CS- trial in its session's trials"),
    "cs_minus_trial_start_s": ("s", "CS- trial start on the spiking-network clock"),
    "cs_minus_trial_time_h": ("h", "CS- trial start on the protocol clock"),
    "freezing_cs_minus": ("%", "freezing during the CS-"),
    "rate_cs_minus": ("Hz", "population firing rate in the CS- window"),
    # per population
    "population": (None, "neuron population"),
    "population_kind": (None, "cell kind of the population (E: principal, I: interneuron)"),
    "population_region": (None, "brain region of the population"),
    "population_size": ("1", "neurons in the population"),
    "rate_cs": ("Hz", "population firing rate in the CS window"),
    "rate_pre": ("Hz", "population firing rate in the pre-CS window"),
    "rate_trial": ("Hz", "population firing rate over the whole trial"),
    "cs_response": ("Hz", "CS-window rate minus pre-CS rate"),
    "resting_rate": ("Hz", "population firing rate at rest (pre-CS windows of habituation)"),
    # per session and pathway
    "session": ("1", "session index"),
    "session_phase": (None, "protocol phase of the session"),
    "session_context": (None, "context of the session"),
    "session_time_h": ("h", "session start on the protocol clock"),
    "pathway": (None, "plastic input pathway (input_target)"),
    "weight_start": ("1", "mean synaptic efficacy rho at the session's start"),
    "weight_end": ("1", "mean synaptic efficacy rho at the session's end"),
    "weight_time_s": ("s", "time of a weight sample on the spiking-network clock"),
    "weight_trace": ("1", "mean synaptic efficacy rho of the sampled synapses"),
    # per phase
    "phase_name": (None, "protocol phase"),
    "phase_freezing": ("%", "mean freezing during the CS over the phase"),
    "phase_freezing_first": ("%", "freezing during the CS in the phase's first block"),
    "phase_freezing_last": ("%", "freezing during the CS in the phase's last block"),
    "phase_freezing_cs_minus": ("%", "mean freezing during the CS- over the phase"),
    "phase_freezing_cs_minus_first": ("%", "freezing during the CS- in the phase's first block"),
    "phase_freezing_cs_minus_last": ("%", "freezing during the CS- in the phase's last block"),
    # slow clock
    "region": (None, "brain region"),
    "chain_time_h": ("h", "time of a BDNF-chain sample on the protocol clock"),
    "chain_pool": ("1", "BDNF pool of one principal neuron (resting level 1)"),
    "chain_bdnf": ("1", "released BDNF of one principal neuron (arbitrary units)"),
    "chain_mtor": ("1", "mTORC1 activity of one principal neuron (arbitrary units)"),
    "chain_protein": ("1", "synaptic protein of one principal neuron (resting level 1)"),
    "chain_cons_drive": ("1", "consolidation drive of one principal neuron"),
    "occ_time_h": ("h", "time on the slow grid of the protocol clock"),
    "channel": (None, "NMDA-receptor channel (region_kind)"),
    "occupancy": ("1", "NMDA-receptor occupancy (block and drugs)"),
    "spine_time_h": ("h", "time of a spine count on the protocol clock"),
    "spine_pathway": (None, "candidate-synapse pathway"),
    "spines": ("1", "existing candidate synapses"),
    "spines_formed": ("1", "cumulative candidate-synapse formations"),
    "spines_eliminated": ("1", "cumulative candidate-synapse eliminations"),
    "spine_candidates": ("1", "candidate synapses in the pathway's pool"),
    "projection": (None, "projection (candidates:PATHWAY for a candidate pool)"),
    "n_synapses": ("1", "synapses in the projection"),
    # the prediction-error teacher (when on)
    "shock_prediction": ("1", "shock predicted by the fear output (0..1)"),
    "prediction_error": ("1", "US delivered minus shock predicted"),
    # the disinhibition probe (when the burst comes from the circuit)
    "disinhibition_region": (None, "region of the disinhibition transfer function"),
    "probe_point": ("1", "index of a probe occupancy pair"),
    "probe_occ_E": ("1", "principal-cell NMDA-receptor occupancy of the probe"),
    "probe_occ_I": ("1", "interneuron NMDA-receptor occupancy of the probe"),
    "probe_population": (None, "population of the disinhibition probe"),
    "disinhibition_measured": ("1", "principal-cell rate / rate without block (probe)"),
    "disinhibition_fitted": ("1", "principal-cell rate / rate without block (fitted)"),
    "disinhibition_rates": ("Hz", "probe rate at rest under the block"),
    "disinhibition_burst": ("1", "excess principal firing that releases BDNF"),
    # spikes group
    "spike_time": ("s", "spike time on the spiking-network clock"),
    "spike_count": ("1", "spikes per neuron"),
    "neuron_population": ("1", "index of the neuron's population in population"),
    "population_offset": ("1", "index of the population's first neuron"),
    # collected sweeps
    "seed": ("1", "simulation.seed (one subject per seed)"),
    "run_id": (None, "run id ('' = none)"),
    "run_path": (None, "results file"),
    "status": (None, "done | failed | unreadable | missing"),
    "wall_time_s": ("s", "wall time of the run"),
    "build_s": ("s", "time spent building the simulation"),
    "simulate_s": ("s", "time spent simulating"),
    "compiled": ("1", "1 where this run compiled its build"),
    "cohort_freezing_mean": ("%", "group mean over seeds of phase_freezing"),
    "cohort_freezing_sem": ("%", "standard error over seeds of phase_freezing"),
    "cohort_freezing_first_mean": ("%", "group mean over seeds of phase_freezing_first"),
    "cohort_freezing_first_sem": ("%", "standard error over seeds of phase_freezing_first"),
    "cohort_freezing_last_mean": ("%", "group mean over seeds of phase_freezing_last"),
    "cohort_freezing_last_sem": ("%", "standard error over seeds of phase_freezing_last"),
    "cohort_n": ("1", "subjects with a run"),
    "responder": ("1", "1 where the subject is a responder (criterion attribute)"),
    "responder_fraction": ("1", "fraction of responders among the subjects"),
    "responder_n": ("1", "subjects with both phases of the responder criterion"),
}

# what a config key's last part ends in -> its UDUNITS unit
KEY_SUFFIX_UNITS = {
    "_nS": "nS", "_pA": "pA", "_mV": "mV", "_ms": "ms", "_s": "s", "_min": "min", "_h": "h",
    "_Hz": "Hz", "_mg_per_kg": "mg kg-1", "_pct": "%", "_uM": "umol L-1", "_nM": "nmol L-1",
}


def units_of_key(key: str) -> str:
    """UDUNITS unit of a config value, from the suffix of its name ("1" without one)."""
    leaf = re.split(r"[.\[\]]", key.rstrip("]"))[-1]
    for suffix, unit in KEY_SUFFIX_UNITS.items():
        if leaf.endswith(suffix):
            return unit
    return "1"


def describe(ds: xr.Dataset, root: bool = True) -> xr.Dataset:
    """A copy of ``ds`` with the table's units and long_name on what it knows.

    ``root``: the file's root group, which carries the global ``Conventions``.
    """
    ds = ds.copy()
    for name, var in ds.variables.items():
        known = VARIABLES.get(str(name))
        if known is not None:
            units, long_name = known
            var.attrs["long_name"] = long_name
            if units is not None and var.dtype.kind in NUMERIC:
                var.attrs["units"] = units
    if "spike_count" in ds and "spike" in ds.dims:
        ds.variables["spike_count"].attrs["sample_dimension"] = "spike"
    if root:
        ds.attrs.pop("conventions", None)
        ds.attrs["Conventions"] = CONVENTIONS
    return ds


def undescribed(ds: xr.Dataset) -> list[str]:
    """Variables and coordinates that lack a long_name, or units though numeric."""
    out = []
    for name in ds.variables:
        attrs = ds[name].attrs
        if "long_name" not in attrs or (ds[name].dtype.kind in NUMERIC and "units" not in attrs):
            out.append(str(name))
    return out
