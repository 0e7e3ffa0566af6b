"""fearsim-plot (raster, weights, sweep), region colours, and the gallery's write guard."""

import json

import matplotlib.colors as mcolors
import numpy as np
import pytest
import xarray as xr

from experiments.cli import plot as plot_cli
from experiments.figures import gallery, run_plots, sweep_plots
from experiments.io.runs import load_run


def _png_size(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path).shape[:2]


def test_raster_and_weights_of_a_stored_run(tiny_run, tmp_path, capsys):
    path, _ = tiny_run
    out = tmp_path / "raster.png"
    assert plot_cli.main(["raster", str(path), "--trial", "3", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert out.stat().st_size > 20000 and _png_size(out)[1] >= 900  # readable at 150 dpi
    assert plot_cli.main(["weights", str(path), "--out", str(tmp_path / "w.png")]) == 0
    assert (tmp_path / "w.png").stat().st_size > 20000
    # default names beside the run file
    run = load_run(path)
    trial = run_plots.default_trial(run.summary)
    assert str(run.summary.phase.values[trial]) == "conditioning"


@pytest.mark.parametrize("args, words", [
    (["raster", "RUN", "--trial", "99"], "trial 99: the run has trials 0..15"),
    (["raster", "RUN", "--populations", "LA_E,XX"], "no population 'XX'"),
    (["raster", "RUN", "--after", "0"], "need before >= 0, after > 0"),
    (["weights", "ffffffffffff", "--results-dir", "DIR"], "no run id starting with"),
    (["sweep", "DIR/none.nc"], "no such file or folder"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tiny_run, tmp_path, capsys, args,
                                                      words):
    path, _ = tiny_run
    args = [a.replace("RUN", str(path)).replace("DIR", str(tmp_path)) for a in args]
    assert plot_cli.main([*args, "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fearsim-plot: ") and words in err[0], err
    assert not list(tmp_path.iterdir())


def test_populations_of_a_region_share_a_hue_principal_cells_darker(tiny_run):
    ds = load_run(tiny_run[0]).summary
    colours = run_plots.population_colours(ds.population.values, ds.population_region.values,
                                           ds.population_kind.values)
    assert len(set(colours.values())) == ds.sizes["population"]
    hsv = {p: mcolors.rgb_to_hsv(mcolors.to_rgb(c)) for p, c in colours.items()}
    regions = dict(zip(map(str, ds.population.values), map(str, ds.population_region.values),
                       strict=True))
    kinds = dict(zip(map(str, ds.population.values), map(str, ds.population_kind.values),
                     strict=True))
    for region in set(regions.values()):
        members = [p for p in regions if regions[p] == region]
        if region != "PL":  # PL's map is grey: no hue
            hues = [hsv[p][0] for p in members]
            for a in hues:  # hue is circular: red sits at both ends
                assert all(min(abs(a - b), 1 - abs(a - b)) < 0.1 for b in hues), (region, hues)
        e = [hsv[p][2] for p in members if kinds[p] == "E"]
        i = [hsv[p][2] for p in members if kinds[p] == "I"]
        if e and i:
            assert max(e) < min(i), region  # darker = lower value
    assert run_plots.pathway_colour("cs_la", ["LA", "IL"]) != \
        run_plots.pathway_colour("cs_il", ["LA", "IL"])


def _collected(seed_values, sweep_values):
    """A collected dataset of the shape fearsim-collect writes (two swept dims, seeds)."""
    rng = np.random.default_rng(0)
    shape = (len(sweep_values[0]), len(sweep_values[1]), len(seed_values), 2)
    ds = xr.Dataset(
        {"phase_freezing": (("dose_mg_per_kg", "learning_rate", "seed", "phase_name"),
                            rng.uniform(0, 100, shape), {"units": "%"})},
        coords={"dose_mg_per_kg": sweep_values[0], "learning_rate": sweep_values[1],
                "seed": seed_values, "phase_name": ["extinction", "recall"]})
    ds.dose_mg_per_kg.attrs.update(config_key="pharmacology.doses[0].dose_mg_per_kg",
                                   units="mg kg-1")
    ds.attrs["sweep_dims"] = json.dumps(["dose_mg_per_kg", "learning_rate", "seed"])
    return ds


def test_sweep_plot_lines_heatmap_and_what_it_refuses(tmp_path):
    ds = _collected([1, 2, 3], [[0.0, 10.0, 30.0], [1.0, 0.8]])
    da, swept, line = sweep_plots.prepare(ds, "phase_freezing", {"phase_name": "recall"})
    assert swept == ["dose_mg_per_kg", "learning_rate"] and line is None
    assert da.dims == ("dose_mg_per_kg", "learning_rate", "seed")
    heat = sweep_plots.plot_sweep(ds, tmp_path / "heat.png", select={"phase_name": "recall"},
                                  x="learning_rate")
    assert heat.stat().st_size > 10000
    one = ds.sel(learning_rate=1.0, drop=True)
    one.attrs["sweep_dims"] = json.dumps(["dose_mg_per_kg", "seed"])
    _, swept, line = sweep_plots.prepare(one, "phase_freezing")
    assert swept == ["dose_mg_per_kg"] and line == "phase_name"  # one line per phase
    assert sweep_plots.plot_sweep(one, tmp_path / "line.png").stat().st_size > 10000
    with pytest.raises(sweep_plots.PlotError, match="still has dimension.*phase_name=extinction"):
        sweep_plots.prepare(ds, "phase_freezing")
    with pytest.raises(sweep_plots.PlotError, match="not a value of phase_name"):
        sweep_plots.prepare(ds, "phase_freezing", {"phase_name": "renewal"})
    with pytest.raises(sweep_plots.PlotError, match="no variable 'freezing'"):
        sweep_plots.prepare(ds, "freezing")
    with pytest.raises(sweep_plots.PlotError, match="--x seed: not a swept dimension"):
        sweep_plots.prepare(ds, "phase_freezing", {"phase_name": "recall"}, x="seed")


def _figure_data(results, name, quick):
    (results / "figures").mkdir(parents=True, exist_ok=True)
    ds = xr.Dataset({"freezing": ("trial", [1.0, 2.0])}, attrs={"quick": int(quick)})
    ds.to_netcdf(results / "figures" / f"{name}.nc", engine="h5netcdf")


def test_gallery_writes_docs_only_on_the_flag_and_never_from_quick_data(tmp_path, capsys):
    results, docs, readme = tmp_path / "results", tmp_path / "docs", tmp_path / "README.md"
    readme.write_text("# fearsim\n")
    _figure_data(results, "control", quick=True)
    assert gallery.main(results, docs, readme, write_docs=True) == 2
    err = capsys.readouterr().err
    assert "refuses quick-mode figure data (control)" in err
    assert readme.read_text() == "# fearsim\n" and not docs.exists()
    # without the flag: a preview under the results folder, the README untouched
    empty = tmp_path / "empty"
    assert gallery.main(empty, docs, readme) == 0
    preview = empty / "figures" / "gallery" / "gallery.md"
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(preview)
    assert "fearsim-figure control" in preview.read_text()
    assert readme.read_text() == "# fearsim\n" and not docs.exists()


def test_gallery_images_are_readable_where_the_readme_shows_them():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.4, 2.6))
    ax.set_xlabel("trial", fontsize=6)
    # the old 80 dpi drew 6 pt text 6.7 px high; the gallery's dpi keeps it >= 9 px
    assert gallery.smallest_text_px(fig, dpi=80) < 7
    assert gallery.smallest_text_px(fig) >= 9
    plt.close(fig)


def test_legends_sit_beside_the_axes_not_on_the_data(tiny_run, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    drawn = []
    save = Figure.savefig

    def keep(fig, *args, **kwargs):
        drawn.append(fig)
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    ds = load_run(tiny_run[0]).summary
    run_plots.plot_run(ds, tmp_path / "run.png")
    run_plots.plot_weights(ds, tmp_path / "weights.png")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    legends = 0
    for fig in drawn:
        renderer = FigureCanvasAgg(fig).get_renderer()  # closed figures lose their canvas
        fig.draw(renderer)
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is not None:
                legends += 1
                assert legend.get_window_extent(renderer).x0 >= \
                    ax.get_window_extent(renderer).x1 - 1
    assert legends == 3
