"""Sweep jobs on the command line: their lines name their run id (a single run's stay plain);
a launcher whose extra is not installed is one line and exit 2."""

from experiments import execute


def test_labelled_lines_name_the_run_and_plain_lines_stay_plain(capsys):
    execute.log("compiling")
    with execute.labelled("998b6ffd"):
        execute.log("session 1/5 done")
        table = execute._labelled_lines("phase  trials\nrecall      2")
    execute.log("after")
    err = capsys.readouterr().err.splitlines()
    assert err == ["[fearsim] compiling", "[fearsim 998b6ffd] session 1/5 done", "[fearsim] after"]
    assert table == "998b6ffd | phase  trials\n998b6ffd | recall      2"
    assert execute._labelled_lines("a\nb") == "a\nb"


def test_a_launcher_without_its_extra_is_one_line_exit_2(monkeypatch, capsys):
    import importlib.util

    import pytest

    from experiments.cli import run_info

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None
                        if name == "hydra_plugins.hydra_submitit_launcher" else real(name, *a))
    assert run_info.missing_launcher(["-m", "hydra/launcher=local"]) is None
    with pytest.raises(SystemExit) as stop:
        run_info.answer_early(["-m", "experiment=tiny", "hydra/launcher=slurm"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("fearsim: hydra/launcher=slurm needs the slurm extra: "
                                       "pip install -e '.[slurm]'\n")
