"""Cohort group files: under results/ (git-ignored), subjects numbered from seed 1."""

import yaml

from experiments.analysis import cohorts


def test_cohort_files_go_under_results_and_start_at_seed_1(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cohorts.main(["--subjects", "2", "experiment=tiny"]) == 0
    group = tmp_path / "results" / "cohorts" / "cohort" / "subject"
    assert sorted(p.name for p in group.iterdir()) == ["s0001.yaml", "s0002.yaml"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    first = yaml.safe_load((group / "s0001.yaml").read_text())
    assert first == {"simulation": {"seed": 1}}
    assert "+subject=s0001,s0002 experiment=tiny" in capsys.readouterr().out
