"""Results files describe themselves: units and long names on every variable, CF layout.

Opened with netCDF4 and with h5py (no xarray), as a user of another tool would.
"""

import cf_units
import h5py
import netCDF4
import numpy as np
import xarray as xr

from experiments.io import cf
from experiments.io import collect as collect_mod


def _netcdf_variables(group, prefix=""):
    for name, var in group.variables.items():
        yield prefix + name, var
    for gname, sub in group.groups.items():
        yield from _netcdf_variables(sub, f"{prefix}{gname}/")


def test_every_variable_has_udunits_units_and_a_long_name(tiny_run):
    path, _ = tiny_run
    seen = 0
    with netCDF4.Dataset(path) as nc:
        assert nc.Conventions == cf.CONVENTIONS and "conventions" not in nc.ncattrs()
        assert set(nc.groups) == {"spikes"}
        for name, var in _netcdf_variables(nc):
            seen += 1
            assert "long_name" in var.ncattrs(), name
            if var.dtype is str:
                continue
            assert "units" in var.ncattrs(), name
            cf_units.Unit(var.units)  # raises unless UDUNITS parses it
    h5_seen = 0

    def visit(name, obj):
        nonlocal h5_seen
        if not isinstance(obj, h5py.Dataset) or "CLASS" in obj.attrs and \
                obj.attrs["CLASS"] == b"DIMENSION_SCALE" and "NAME" in obj.attrs and \
                obj.attrs["NAME"].startswith(b"This is a netCDF dimension but not"):
            return  # a bare dimension (no coordinate variable) is not a variable
        h5_seen += 1
        assert "long_name" in obj.attrs, name
        if obj.dtype.kind in cf.NUMERIC:
            assert "units" in obj.attrs, name

    with h5py.File(path, "r") as h5:
        h5.visititems(visit)
    assert h5_seen == seen > 40


def test_spikes_are_a_cf_contiguous_ragged_array(tiny_run):
    path, _ = tiny_run
    with netCDF4.Dataset(path) as nc:
        sp = nc["spikes"]
        count = sp["spike_count"]
        assert count.sample_dimension == "spike"
        assert count.dimensions == ("neuron",) and sp["spike_time"].dimensions == ("spike",)
        assert int(count[:].sum()) == sp.dimensions["spike"].size > 0
        t = sp["spike_time"][:]
        # full precision: float32 loses the 0.1 ms step of a long protocol's clock
        assert sp["spike_time"].dtype == np.float64
        trains = np.split(np.asarray(t), np.cumsum(count[:])[:-1])
        assert all(np.all(np.diff(tr) >= 0) for tr in trains)
        steps = np.asarray(t) / 1e-4
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)


def test_weight_traces_are_one_variable_on_one_time_axis(tiny_run):
    path, _ = tiny_run
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.weight_trace.dims == ("pathway", "weight_time_s")
        assert not [v for v in ds.variables if str(v).startswith(("weight_trace_", "wtime_"))]
        # its ends are the stored start of the first and end of the last session
        first, last = ds.weight_trace.isel(weight_time_s=0), ds.weight_trace.isel(weight_time_s=-1)
        np.testing.assert_allclose(first, ds.weight_start.isel(session=0))
        np.testing.assert_allclose(last, ds.weight_end.isel(session=-1))


def test_dimension_names_of_a_collected_sweep_have_no_dots():
    keys = ["network.projections.cs_la.w_ampa_nS", "network.projections.il_itc.w_ampa_nS",
            "plasticity.learning_rate", "protocol.phase", "pharmacology.doses[0].dose_mg_per_kg",
            "experiment"]
    names = collect_mod.short_names(keys, taken={"phase", "seed"})
    assert names == {"network.projections.cs_la.w_ampa_nS": "cs_la_w_ampa_nS",
                     "network.projections.il_itc.w_ampa_nS": "il_itc_w_ampa_nS",
                     "plasticity.learning_rate": "learning_rate",
                     "protocol.phase": "protocol_phase",
                     "pharmacology.doses[0].dose_mg_per_kg": "dose_mg_per_kg",
                     "experiment": "experiment"}
    assert all(n.isidentifier() for n in names.values())
    assert cf.units_of_key("pharmacology.doses[0].dose_mg_per_kg") == "mg kg-1"
    assert cf.units_of_key("network.projections.cs_la.w_ampa_nS") == "nS"
    assert cf.units_of_key("plasticity.learning_rate") == "1"
