"""The results store: what identifies a run, and atomic writes."""

import pytest
import xarray as xr

from experiments.io import store


def test_run_id_ignores_output_locations_only():
    a = {"network": {"scale": 1.0}, "paths": {"results_dir": "x"},
         "simulation": {"seed": 1, "threads": 1, "build_dir": ""}}
    b = {"network": {"scale": 1.0}, "paths": {"results_dir": "y"},
         "simulation": {"seed": 1, "threads": 4, "build_dir": "/tmp/b"}}
    c = {"network": {"scale": 1.0}, "paths": {"results_dir": "x"},
         "simulation": {"seed": 2, "threads": 1, "build_dir": ""}}
    assert store.run_id(a) == store.run_id(b)
    assert store.run_id(a) != store.run_id(c)


def test_write_is_atomic(tmp_path):
    ds = xr.Dataset({"freezing": ("trial", [1.0, 2.0])})

    class Boom(xr.Dataset):
        __slots__ = ()

        def to_netcdf(self, *a, **k):  # fails half way through writing
            super().to_netcdf(*a, **k)
            raise OSError("disk full")

    target = tmp_path / "run.nc"
    with pytest.raises(OSError):
        store.write_run(target, ds, Boom({"x": ("s", [1])}), {"a": 1}, {"seed": 1})
    assert list(tmp_path.iterdir()) == []
    path = store.write_run(target, ds, None, {"a": 1}, {"seed": 1})
    assert path == target.resolve()
    assert store.read_config(path) == {"a": 1}
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert back.attrs["seed"] == 1


def test_config_yaml_is_the_same_text_and_value_as_pyyaml_gives(compose):
    """The stored config's YAML through libyaml: the text safe_dump writes, the value
    safe_load reads."""
    import yaml

    from experiments.config_store import plain
    from experiments.io import yaml_text

    for overrides in ([], ["experiment=ketamine_assisted_exposure", "phenotype=chronic_stress"],
                      ["experiment=tiny", "network.projections.il_itc.w_ampa_nS=1.25e-3"]):
        cfg = plain(compose(overrides))
        text = yaml_text.dump(cfg, sort_keys=False)
        assert text == yaml.safe_dump(cfg, sort_keys=False)
        assert yaml_text.load(text) == yaml.safe_load(text) == cfg
