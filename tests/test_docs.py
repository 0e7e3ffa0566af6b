"""docs/model.md's wiring tables say what the configs say (they drifted once)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(rel):
    return yaml.safe_load((ROOT / rel).read_text())


def test_projection_table_matches_the_circuit_config():
    net = _load("configs/network/fear_circuit.yaml")
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (\w+) \| (exc|inh) [^|]*\| ([\d.]+) \| (yes|no) \|$",
                      (ROOT / "docs/model.md").read_text(), flags=re.M)
    documented = {r[0]: r for r in rows}
    assert set(documented) == set(net["projections"])
    for name, prj in net["projections"].items():
        _, pre, post, kind, p, plastic = documented[name]
        assert (pre, post, float(p), plastic == "yes") == (
            prj["pre"], prj["post"], prj["p"], bool(prj.get("plastic"))), name
        assert kind == ("inh" if prj.get("receptor") == "inh" else "exc"), name


def test_candidate_table_matches_the_synaptogenesis_config():
    sg = _load("configs/synaptogenesis/prefrontal.yaml")
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| \d+ \| [\d,]+ \|$",
                      (ROOT / "docs/model.md").read_text(), flags=re.M)
    documented = {r[0]: r for r in rows if r[0] in sg["pathways"]}
    assert set(documented) == set(sg["pathways"])
    for name, cp in sg["pathways"].items():
        _, pre, post, p, w_ampa, w_nmda = documented[name]
        assert (pre, post, float(p), float(w_ampa), float(w_nmda)) == (
            cp["pre"], cp["post"], cp["p"], cp["w_ampa_nS"], cp["w_nmda_nS"]), name


# ---------------------------------------------------------------------------
# The repository speaks for itself: every file it mentions is in it, and its
# history lives in one dated file.

HISTORY_FILE = "docs/calibration-log.md"
# development history: the word session or issue followed by a number (with a
# space, a hyphen or a hash between); a protocol session is written by its
# index instead (sessions[2], session index 2), a run's progress line counts
# sessions as a fraction (done of total), and a quantity after the word (a
# percentage, a duration) is not a session's number
HISTORY = re.compile(r"\b(?:session|issue)s?[ -]?#?\d+(?![\d.]*(?:/\d|\s*(?:%|h\b|min\b|days?\b)))",
                     re.IGNORECASE)
# a path ending in .md/.py/.yaml/.yml, not inside a URL, an absolute path or a glob
PATH = re.compile(r"(?<![\w./*<{$~:-])((?:[\w-][\w.-]*/)*[\w-][\w.-]*\.(?:md|py|ya?ml))\b")
# files the tools write at run time (Hydra's record of a sweep, the gallery preview)
WRITTEN = {"multirun.yaml", "gallery.md"}
# placeholders in usage lines (FILE.yaml, NAME.png): a name in capitals
PLACEHOLDER = re.compile(r"^[A-Z_]+\.\w+$")
SKIP_DIRS = {".git", ".venv", "venv", "results", "build", "dist", "__pycache__",
             ".pytest_cache", ".ruff_cache", "outputs", "multirun"}


def _repo_files() -> list[str]:
    """Paths (relative, '/'-separated) of the repository's files, not its outputs."""
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = [f for f in out.splitlines() if (ROOT / f).is_file()]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    return [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)]


def _text(rel: str) -> str | None:
    data = (ROOT / rel).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _python_prose(source: str) -> list[tuple[int, str]]:
    """(line, text) of the comments and docstrings of a Python source."""
    import ast
    import io
    import tokenize

    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out.append((tok.start[0], tok.string))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                for k, line in enumerate(body[0].value.value.splitlines()):
                    out.append((body[0].lineno + k, line))
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def _around(line: str, start: int, end: int) -> str:
    return line[max(0, start - 40):end + 40].strip()


def _texts() -> dict[str, str]:
    return {rel: t for rel in _repo_files() if (t := _text(rel)) is not None}


def test_every_markdown_file_named_anywhere_is_in_the_repository():
    # code and strings included, with its exact case, and a name in capitals
    # too (usage placeholders are FILE.yaml, NAME.png, never a document): a
    # user cannot follow a document the repository does not ship
    files = set(_repo_files())
    names = {f.rsplit("/", 1)[-1] for f in files}
    bad = [f"{rel}:{n}: {_around(line, m.start(), m.end())}" for rel, text in _texts().items()
           for n, line in _lines(text) for m in PATH.finditer(line)
           if m.group(1).endswith(".md")
           and not _exists(m.group(1), rel, files, names, placeholders=False)]
    assert not bad, "files the repository does not contain:\n" + "\n".join(bad)


def test_no_development_history_outside_the_calibration_log():
    bad = [f"{rel}:{n}: {_around(line, m.start(), m.end())}" for rel, text in _texts().items()
           if rel != HISTORY_FILE
           for n, line in _lines(text) for m in HISTORY.finditer(line)]
    assert not bad, (f"session/issue history belongs in {HISTORY_FILE}:\n" + "\n".join(bad))


def _exists(ref: str, rel: str, files: set[str], names: set[str],
            placeholders: bool = True) -> bool:
    if ref in WRITTEN or ref.startswith("results/") or (placeholders and PLACEHOLDER.match(ref)):
        return True
    if "/" not in ref:
        return ref in names
    here = (ROOT / rel).parent
    return ((ROOT / ref).exists() or (here / ref).exists()
            or any(f.endswith("/" + ref) for f in files))


def test_every_mentioned_file_exists():
    texts = _texts()
    files = set(texts) | set(_repo_files())
    names = {f.rsplit("/", 1)[-1] for f in files}
    bad = []
    for rel, text in texts.items():
        if rel.endswith(".py"):
            prose = _python_prose(text)
        elif rel.endswith((".md", ".yaml", ".yml", ".toml")) or "/" not in rel:
            prose = _lines(text)
        else:
            continue
        for n, line in prose:
            for ref in PATH.findall(line):
                if not _exists(ref, rel, files, names):
                    bad.append(f"{rel}:{n}: {ref}")
    assert not bad, "mentioned but not in the repository:\n" + "\n".join(bad)
