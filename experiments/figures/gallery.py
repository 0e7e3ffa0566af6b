"""``fearsim-figure gallery``: small PNGs and the README's gallery section.

Re-plots every figure from its data file (``results/figures/NAME.nc``) and
writes one entry per figure: what it shows, its source, the command and its
pattern results. By default it previews: images and the gallery text go to
``results/figures/gallery/`` and the repository is left alone. With
``--write-docs`` it writes ``docs/figures/NAME.png`` and rewrites the README
section between the gallery markers, and refuses figure data from quick-mode
runs (a smoke test, not the model's result). Images are drawn at
:data:`DPI`, so that their smallest text stays readable where the README
shows them (:func:`smallest_text_px`); a quick-mode preview is marked as such.
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
# the README column is about this wide; wider images are shown scaled down to it
DISPLAY_WIDTH_PX = 880
DPI = 160


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
        predicted = json.loads(data.attrs.get("predictions_json", "[]"))
        if predicted:
            lines += ["", "Predictions (no targets):"]
            lines += [f"- {q['comparison']}: {q['measured']}"
                      + (f" [{q['test']}, Holm p={q['p_holm']:.3g}]" if q.get("p_holm") is not None
                         else "") for q in predicted]
    lines.append("")
    return "\n".join(lines)


def section(entries: list[str], held_out: list[str]) -> str:
    head = ("## Figure gallery\n\n" + START + "\n"
            "Regenerate: `fearsim-figure all --jobs 2`, then "
            "`fearsim-figure gallery --write-docs` (it refuses quick-mode data; without the "
            "flag it previews under results/figures/gallery). Each figure checks the expected "
            "patterns of its section of docs/experiments.md and prints PASS or FAIL with n, "
            "mean ± SEM, the test, its p value (Holm-corrected within the figure) and an "
            "effect size; the numbers below are from the figure data files the images were "
            "drawn from. Figures run on evaluation subjects, apart from the calibration "
            "subjects.\n\n")
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


def smallest_text_px(fig, dpi: float = DPI, display_px: float = DISPLAY_WIDTH_PX) -> float:
    """Height in screen pixels of the figure's smallest text where the README shows it."""
    width_px = fig.get_figwidth() * dpi
    scale = min(1.0, display_px / width_px)
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")
                                                    and hasattr(a, "get_text"))
             if t.get_visible() and t.get_text().strip()]
    return min(sizes) * dpi / 72.0 * scale if sizes else float("inf")


def _load(results: Path) -> dict:
    """Figure name -> its data (None where no data file)."""
    out = {}
    for m in by_name().values():
        nc = Path(results) / "figures" / f"{m.NAME}.nc"
        out[m.NAME] = None
        if nc.exists():
            with xr.open_dataset(nc, engine="h5netcdf") as ds:
                out[m.NAME] = ds.load()
    return out


def _draw(module, data: xr.Dataset, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from experiments.figures.run_plots import mark_quick

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fig = module.plot(data)
    if int(data.attrs.get("quick", 0)):
        mark_quick(fig)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def main(results: Path = Path("results"), docs: Path | None = None,
         readme: Path | None = None, write_docs: bool = False) -> int:
    """Preview the gallery under ``results``, or (``write_docs``) write docs and README."""
    data = _load(results)
    quick = [name for name, d in data.items() if d is not None and int(d.attrs.get("quick", 0))]
    if write_docs and quick:
        print(f"fearsim-figure gallery: --write-docs refuses quick-mode figure data "
              f"({', '.join(quick)}): run them at default scale (fearsim-figure NAME) first",
              file=sys.stderr)
        return 2
    if write_docs:
        docs, readme = docs or ROOT / "docs" / "figures", readme or ROOT / "README.md"
    else:
        docs = Path(results) / "figures" / "gallery"
    docs.mkdir(parents=True, exist_ok=True)
    entries, held_out = [], []
    for m in by_name().values():
        if data[m.NAME] is not None:
            print(_draw(m, data[m.NAME], docs / f"{m.NAME}.png"))
        else:
            print(f"[gallery] no {Path(results) / 'figures' / (m.NAME + '.nc')}; listed "
                  "without an image", file=sys.stderr)
        (held_out if m.NAME in HELD_OUT else entries).append(entry(m, data[m.NAME]))
    if write_docs:
        readme.write_text(update_readme(readme.read_text(), section(entries, held_out)))
        print(readme)
    else:
        preview = docs / "gallery.md"
        preview.write_text(section(entries, held_out).replace("](docs/figures/", "]("))
        print("[gallery] preview only; --write-docs puts it in the README and docs/figures",
              file=sys.stderr)
        print(preview)
    return 0
