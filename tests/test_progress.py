"""Live progress of a standalone run: session markers -> messages with the time left,
the binary's stdout followed while it runs, the compile notice from builds.log."""

import threading
import time

from model import progress

SESSIONS = [("habituation, A", 8.0), ("conditioning, A", 16.0), ("extinction, B", 24.0),
            ("recall, B", 8.0), ("renewal, A", 8.0)]


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_time_left_follows_the_simulated_time_so_far():
    clock, said = FakeClock(), []
    p = progress.SessionProgress(SESSIONS, said.append, clock=clock)
    p.start()
    assert "5 sessions" in said[0] and "64 s" in said[0]
    clock.now += 2.0  # 8 s of network time in 2 s: 56 s left take 14 s
    p.feed(f"{progress.MARKER} 0")
    assert said[-1] == ("session 1/5 (habituation, A) done: 8 of 64 s simulated in 2s; "
                        "about 14s left")
    clock.now += 10.0  # slower: 24 s in 12 s, 40 s left take 20 s
    p.feed(f"{progress.MARKER} 1")
    assert said[-1].endswith("24 of 64 s simulated in 12s; about 20s left")
    for k in (2, 3, 4):
        clock.now += 1.0
        p.feed(f"{progress.MARKER} {k}")
    assert said[-1].startswith("session 5/5 (renewal, A) done: 64 of 64 s")
    assert "left" not in said[-1]


def test_other_output_is_ignored():
    said = []
    p = progress.SessionProgress(SESSIONS, said.append)
    for line in ("", "Starting simulation", f"{progress.MARKER} x", f"{progress.MARKER} 9",
                 f"{progress.MARKER} 1 2"):
        p.feed(line)
    assert said == [] and p.done == 0


def test_follow_reads_the_file_while_it_grows_and_at_the_end(tmp_path):
    out = tmp_path / "stdout.txt"
    said = []
    p = progress.SessionProgress(SESSIONS, said.append)

    def binary():
        time.sleep(0.3)  # the file appears after the follower started
        with open(out, "w") as f:
            for k in range(5):
                f.write(f"noise {k}\n{progress.MARKER} {k}")
                f.flush()
                time.sleep(0.2)
                f.write("\n")  # a line completed in two writes
                f.flush()

    writer = threading.Thread(target=binary)
    with p.follow(out):
        writer.start()
        writer.join()
    done = [m for m in said if " done: " in m]
    assert [m.split()[1] for m in done] == ["1/5", "2/5", "3/5", "4/5", "5/5"]


def test_marker_code_prints_the_marker_line():
    code = progress.session_marker_code(3)
    assert code == f'std::cout << "{progress.MARKER} 3" << std::endl;'


def test_compile_notice_names_earlier_build_times(tmp_path):
    assert "no earlier build" in progress.compile_notice(tmp_path / "s" / "slot000", tmp_path)
    (tmp_path / "aaa").mkdir()
    (tmp_path / "aaa" / "builds.log").write_text("1.0 slot000 31.5\n2.0 slot001 45.0\n")
    (tmp_path / "bbb").mkdir()
    (tmp_path / "bbb" / "builds.log").write_text("3.0 slot000 28.2\ngarbage\n")
    text = progress.compile_notice(tmp_path / "bbb" / "slot001", tmp_path)
    assert "3 earlier builds here took 28s-45s, median 32s" in text
    assert str(tmp_path / "bbb" / "slot001") in text


def test_a_standalone_run_reports_each_session_as_it_ends(tiny_run):
    import re

    _, stderr = tiny_run
    done = re.findall(r"session (\d)/5 \(([a-z]+), context [AB]\) done: ([\d.]+) of 64 s",
                      stderr)
    assert [d[0] for d in done] == ["1", "2", "3", "4", "5"], stderr[-2000:]
    assert [d[1] for d in done] == ["habituation", "conditioning", "extinction", "recall",
                                    "renewal"]
    assert [float(d[2]) for d in done] == [8, 24, 48, 56, 64]
    assert "simulating 5 sessions (64 s of network time) in one C++ process" in stderr
