"""``fearsim-figure gallery``: small PNGs in docs/figures and the README gallery.

Re-plots every figure from its data file (``results/figures/NAME.nc``) at a
small size into ``docs/figures/NAME.png`` and rewrites the README section
between the gallery markers: one entry per figure with what it shows, its
source, the command and its pattern results.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import xarray as xr

from experiments.figures import HELD_OUT, by_name

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"
DPI = 80


def entry(module, data: xr.Dataset | None) -> str:
    lines = [f"### {module.TITLE}", ""]
    if data is not None:
        lines += [f"![{module.NAME}](docs/figures/{module.NAME}.png)", ""]
    lines.append(f"{module.SUMMARY} Source: {module.CITATION}. "
                 f"Command: `fearsim-figure {module.NAME}`.")
    if data is not None:
        checks = json.loads(data.attrs.get("checks_json", "[]"))
        n_pass = sum(c["status"] == "PASS" for c in checks)
        mode = "quick mode: network.scale 0.1, short protocols" \
            if int(data.attrs.get("quick", 0)) else "default scale"
        commits = data.attrs.get("run_git_commits", "not recorded")
        design = data.attrs.get("design", "")
        design = f"{design}-subject design; " if design else ""
        lines += ["", f"Patterns ({mode}; {design}{data.attrs.get('n_per_group', '')}; runs "
                  f"from commit {commits}): {n_pass}/{len(checks)} PASS"]
        lines += [f"- {c['status']} {c['pattern']}: {c['measured']} (target {c['target']})"
                  + (f" [{c['test']}, Holm p={c['p_holm']:.3g}]" if c.get("p_holm") is not None
                     else "") for c in checks]
    lines.append("")
    return "\n".join(lines)


def section(entries: list[str], held_out: list[str]) -> str:
    head = ("## Figure gallery\n\n" + START + "\n"
            "Regenerate: `fearsim-figure all --jobs 2` (or `--quick`), then "
            "`fearsim-figure gallery`. Each figure checks the expected patterns of its "
            "section of docs/experiments.md and prints PASS or FAIL with n, mean ± SEM, the "
            "test, its p value (Holm-corrected within the figure) and an effect size; the "
            "numbers below are from the figure data files the images were drawn from. "
            "Figures run on evaluation subjects, apart from the calibration subjects. Where "
            "they say quick mode (scale 0.1, short protocol, 2-3 subjects) they are a smoke "
            "test of the pipeline, not the model's result.\n\n")
    tail = ""
    if held_out:
        tail = ("\n### Held-out validation\n\n"
                "Experiments that no calibration used, run with every parameter frozen "
                "(docs/experiments.md, section 10); reported apart from the targets above.\n\n"
                + "\n".join(held_out))
    return head + "\n".join(entries) + tail + END + "\n"


def update_readme(text: str, new_section: str) -> str:
    if START in text and END in text:
        a = text.index(START)
        head_start = text.rfind("## Figure gallery", 0, a)
        a = head_start if head_start >= 0 else a
        b = text.index(END) + len(END)
        rest = text[b:].lstrip("\n")
        return text[:a] + new_section + ("\n" + rest if rest else "")
    return text.rstrip("\n") + "\n\n" + new_section


def main(results: Path = Path("results"), docs: Path | None = None,
         readme: Path | None = None) -> int:
    import matplotlib.pyplot as plt

    docs = docs or ROOT / "docs" / "figures"
    readme = readme or ROOT / "README.md"
    docs.mkdir(parents=True, exist_ok=True)
    entries, held_out = [], []
    for m in by_name().values():
        nc = Path(results) / "figures" / f"{m.NAME}.nc"
        data = None
        if nc.exists():
            with xr.open_dataset(nc, engine="h5netcdf") as ds:
                data = ds.load()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fig = m.plot(data)
            tmp = docs / f".{m.NAME}.tmp.png"
            fig.savefig(tmp, dpi=DPI)
            plt.close(fig)
            os.replace(tmp, docs / f"{m.NAME}.png")
            print(docs / f"{m.NAME}.png")
        else:
            print(f"[gallery] no {nc}; listed without an image", file=sys.stderr)
        (held_out if m.NAME in HELD_OUT else entries).append(entry(m, data))
    readme.write_text(update_readme(readme.read_text(), section(entries, held_out)))
    print(readme)
    return 0
