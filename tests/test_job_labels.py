"""The lines of a sweep job name its run id; a single run's lines stay plain."""

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
