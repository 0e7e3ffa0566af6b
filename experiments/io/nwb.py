"""A stored run as an NWB 2 file (Neurodata Without Borders), for DANDI, pynapple & co.

What goes where:

``units``
    one row per model neuron: its spike times, population, region, cell kind
    and index within the population.
``trials``
    one row per trial: phase, context, session, CS onset and offset, whether a
    US was given and when, freezing during and before the CS, and the
    protocol clock (hours since the protocol began) at the trial's start.
``epochs``
    one row per session (phase, context, protocol clock, the real duration the
    compressed session stands for).
``processing/population_rates``
    one TimeSeries per population: its mean firing rate in bins.
``processing/plasticity``
    one TimeSeries per plastic pathway: the mean efficacy of its sampled synapses.
File fields
    ``identifier`` is the run id; ``notes`` holds the resolved config as YAML,
    ``data_collection`` the provenance as JSON, ``pharmacology`` the drug,
    block and manipulation sections.

Every time is in seconds on the spiking network's clock: the sessions run
back to back, each compressed to its trials (see ``docs/model.md``). The slow
variables of the hours between sessions (BDNF chain, spines, occupancy) stay in
the results file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from experiments.io import yaml_text
from experiments.io.runs import Run

DEFAULT_RATE_BIN_S = 0.1
DESCRIPTION = ("Simulated spiking network of prefrontal (IL, PL) and amygdala (LA, BLA, ITC, "
               "CeA) fear circuits (fearsim, Brian2): fear conditioning and extinction, NMDA-"
               "receptor blockade and BDNF-driven synaptogenesis. Times are seconds on the "
               "spiking network's clock: the sessions run back to back, each compressed to its "
               "trials; the epochs and trials tables give each one's place on the protocol "
               "clock (protocol_time_h, hours since the protocol began).")


class NWBExportError(RuntimeError):
    """The NWB file could not be made, or pynwb's validator rejected it."""


def _pynwb():
    try:
        import pynwb
    except ImportError as exc:
        raise NWBExportError("NWB export needs pynwb: pip install 'fearsim[nwb]'") from exc
    return pynwb


def build_nwbfile(run: Run, rate_bin_s: float = DEFAULT_RATE_BIN_S):
    """An in-memory ``pynwb.NWBFile`` of ``run``."""
    if not rate_bin_s > 0:
        raise ValueError(f"rate_bin_s must be > 0, got {rate_bin_s}")
    schedule = run.schedule()
    nwbfile = _new_file(run)
    _add_sessions(nwbfile, run, schedule)
    _add_trials(nwbfile, run, schedule)
    if run.spikes is not None:
        _add_units(nwbfile, run)
        _add_population_rates(nwbfile, run, schedule.fast_duration_s, rate_bin_s)
    _add_weights(nwbfile, run)
    return nwbfile


def _new_file(run: Run):
    pynwb = _pynwb()
    from pynwb.file import Subject

    prov, cfg = run.provenance, run.config
    phases = " -> ".join(f"{s['phase']} ({s['context']})" for s in cfg["protocol"]["sessions"])
    created = prov.get("created_utc")
    start = (_dt.datetime.fromisoformat(created) if created
             else _dt.datetime.fromtimestamp(run.path.stat().st_mtime, _dt.timezone.utc))
    # the agents' constants are in the config (notes); here what was given, where and when
    drugs = {"doses": cfg.get("pharmacology", {}).get("doses"),
             "nmda_block": cfg["protocol"].get("block"),
             "manipulations": cfg.get("manipulations")}
    return pynwb.NWBFile(
        session_description=f"fearsim run {run.run_id} ({cfg.get('name', '')}): {phases}",
        identifier=run.run_id,
        session_start_time=start,
        experiment_description=DESCRIPTION,
        session_id=run.run_id,
        notes="Resolved fearsim config (YAML):\n" + run.summary.attrs["config_yaml"],
        data_collection="fearsim provenance (JSON):\n" + json.dumps(prov, sort_keys=True,
                                                                    default=str),
        pharmacology=yaml_text.dump(drugs, sort_keys=False),
        source_script=(f"fearsim {prov.get('fearsim_version', '?')} (git "
                       f"{prov.get('git_commit', '?')}), Brian2 {prov.get('brian2_version', '?')}"
                       f", device {prov.get('device', '?')}"),
        source_script_file_name="fearsim-run",
        keywords=["fear conditioning", "fear extinction", "spiking network model", "Brian2",
                  "NMDA receptor", "ketamine", "BDNF"],
        subject=Subject(subject_id=f"seed-{prov.get('seed', cfg['simulation']['seed'])}",
                        description="a simulated network (fearsim); the seed draws its "
                                    "connectivity noise and input spikes"),
    )


def _add_sessions(nwbfile, run: Run, schedule) -> None:
    sessions = run.config["protocol"]["sessions"]
    for name, description in (("phase", "protocol phase"), ("context", "context (A or B)"),
                              ("protocol_time_h", "protocol clock at the session's start (h)"),
                              ("real_duration_min", "real duration the session stands for "
                                                    "(min)")):
        nwbfile.add_epoch_column(name=name, description=description)
    for k, s in enumerate(sessions):
        start = float(schedule.session_start_s[k])
        nwbfile.add_epoch(start_time=start, stop_time=start + float(schedule.session_duration_s[k]),
                          tags=[s["phase"], f"context {s['context']}"], phase=s["phase"],
                          context=s["context"], protocol_time_h=float(schedule.session_abs_h[k]),
                          real_duration_min=float(s["real_duration_min"]))


TRIAL_COLUMNS = {
    "phase": "protocol phase",
    "context": "context (A or B)",
    "session": "session index (0 = first)",
    "trial_in_session": "trial index within its session",
    "protocol_time_h": "protocol clock at the trial's start (hours since the protocol began)",
    "cs_on": "CS (tone) onset (s)",
    "cs_off": "CS offset (s)",
    "us": "a US (shock) ends this CS",
    "us_on": "US onset (s); NaN without a US",
    "freezing": "freezing during the CS (%), read out from CeM activity",
    "freezing_pre": "freezing in the window before the CS (%)",
}


def _add_trials(nwbfile, run: Run, schedule) -> None:
    ds = run.summary
    trial_s = float(run.config["protocol"]["trial_s"])
    for name, description in TRIAL_COLUMNS.items():
        nwbfile.add_trial_column(name=name, description=description)
    # the results file's trial axis: every trial but the CS- trials
    for row, k in enumerate(np.flatnonzero(schedule.cs_plus)):
        start = float(schedule.trial_start_s[k])
        us_on = float(schedule.us_on_s[k])
        nwbfile.add_trial(
            start_time=start, stop_time=start + trial_s,
            phase=str(schedule.trial_phase[k]), context=str(schedule.trial_context[k]),
            session=int(schedule.trial_session[k]),
            trial_in_session=int(schedule.trial_index_in_session[k]),
            protocol_time_h=float(schedule.trial_abs_h[k]),
            cs_on=float(schedule.cs_on_s[k]), cs_off=float(schedule.cs_off_s[k]),
            us=bool(np.isfinite(us_on)), us_on=us_on,
            freezing=float(ds.freezing.values[row]),
            freezing_pre=float(ds.freezing_pre.values[row]))


def _add_units(nwbfile, run: Run) -> None:
    from pynwb.misc import Units

    ds = run.summary
    nwbfile.units = Units(
        name="units", resolution=float(run.config["simulation"]["dt_ms"]) * 1e-3,
        description="model neurons: spike times (s) on the spiking-network clock, resolution dt")
    for name, description in (("population", "model population"),
                              ("region", "brain region of the population"),
                              ("cell_kind", "cell kind of the population (E, I, ...)"),
                              ("neuron_index", "index of the neuron within its population")):
        nwbfile.add_unit_column(name=name, description=description)
    for pop in run.populations:
        region = str(ds.population_region.sel(population=pop).values)
        kind = str(ds.population_kind.sel(population=pop).values)
        for i, train in enumerate(run.spike_trains(pop)):
            nwbfile.add_unit(spike_times=train, population=pop, region=region, cell_kind=kind,
                             neuron_index=i)


def population_rates(run: Run, duration_s: float, bin_s: float) -> tuple[np.ndarray, dict]:
    """Bin starts (s) and population -> mean rate per neuron (Hz) in each bin."""
    n_bins = int(np.ceil(duration_s / bin_s - 1e-9))
    edges = np.arange(n_bins + 1) * bin_s
    rates = {}
    for pop, trains in ((p, run.spike_trains(p)) for p in run.populations):
        times = np.concatenate(trains) if trains else np.zeros(0)
        counts, _ = np.histogram(times, bins=edges)
        rates[pop] = counts / (max(len(trains), 1) * bin_s)
    return edges[:-1], rates


def _add_population_rates(nwbfile, run: Run, duration_s: float, bin_s: float) -> None:
    from pynwb import TimeSeries

    _, rates = population_rates(run, duration_s, bin_s)
    module = nwbfile.create_processing_module(
        name="population_rates", description=f"mean firing rate per neuron of each population "
                                             f"in {bin_s * 1e3:g} ms bins")
    for pop, rate in rates.items():
        module.add(TimeSeries(name=pop, data=rate, unit="Hz", starting_time=0.0,
                              rate=1.0 / bin_s, description=f"{pop}: mean rate per neuron"))


def _add_weights(nwbfile, run: Run) -> None:
    from pynwb import TimeSeries

    traces = run.weight_traces()
    if not traces:
        return
    n = run.config["readout"].get("weight_samples")
    module = nwbfile.create_processing_module(
        name="plasticity", description="mean efficacy rho (dimensionless, 0..1 of the maximum "
                                       f"weight) of {n} sampled synapses per plastic pathway")
    for pw, (t, rho) in traces.items():
        module.add(TimeSeries(name=pw, data=np.asarray(rho, dtype=np.float64),
                              timestamps=np.asarray(t, dtype=np.float64), unit="1",
                              description=f"pathway {pw}: mean synaptic efficacy rho"))


def validation_errors(path: str | Path) -> list[str]:
    """pynwb's schema validator on a written file: a list of messages, empty when valid."""
    pynwb = _pynwb()
    return [str(e) for e in pynwb.validate(path=str(path))]


def write_nwb(run: Run, out: str | Path, rate_bin_s: float = DEFAULT_RATE_BIN_S) -> Path:
    """Write ``run`` to ``out`` (atomically, after pynwb's validator passed it)."""
    pynwb = _pynwb()
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    nwbfile = build_nwbfile(run, rate_bin_s)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".tmp.nwb", dir=out.parent)
    os.close(fd)
    try:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
        errors = validation_errors(tmp)
        if errors:
            raise NWBExportError(f"pynwb's validator rejected the file: {errors[0]}"
                                 + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
