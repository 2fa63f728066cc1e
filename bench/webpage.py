"""What reading a saved web page costs: trafilatura's import and extraction, and podrender's html format
against the same article as plain text, set beside a render.

    python bench/webpage.py [--repeats N] [--size KB] [--out FILE]

The page is built here: tests/fixtures/web/medium-interview.html's chrome around an article of the
fixture's turns repeated (each copy numbered, so no two units are alike) to about the sample
interview's length (1,800 words), padded with an inline JSON state script as Medium pages carry, to
`--size` KB (default 200). The same article is also written as a plain transcript (`Name: text`,
`## Heading`), so podrender's cost of a page is the difference between the two.

Every case runs as a fresh process (imports included), interleaved, `--repeats` times (default 5);
medians are reported:

- import: `import trafilatura`.
- extract: `import trafilatura` + `bare_extraction` of the page with podrender's options.
- inspect .txt / inspect .html: `podrender inspect` of the plain transcript and of the page.
- render .txt / render .html: `podrender render` of each with the real engine and an empty cache
  (run `--render-repeats` times, default 3).

The question answered: is the page's extra cost (inspect .html - inspect .txt) under a tenth of a render?
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURE = ROOT / "tests" / "fixtures" / "web" / "medium-interview.html"
WORDS = 1800
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
EXTRACT = """
import sys, trafilatura
page = open(sys.argv[1], encoding="utf-8").read()
doc = trafilatura.bare_extraction(page, output_format="python", with_metadata=True, include_comments=False,
    include_formatting=True, include_tables=True, include_images=False, include_links=False,
    date_extraction_params={"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d",
                            "max_date": "2999-12-31"})
assert doc is not None and len(doc.body) > 20
"""


def build(size_kb: int, folder: Path) -> tuple[Path, Path]:
    """The page and the same article as a plain transcript."""
    page = FIXTURE.read_text(encoding="utf-8")
    start = page.index('<h2 class="pw-post-body-paragraph">Getting started</h2>')
    end = page.index('<p class="pw-post-body-paragraph">If you enjoyed')
    body = page[start:end]
    blocks = re.findall(r"<h2[^>]*>(.*?)</h2>|<p[^>]*><strong[^>]*>(\w+):</strong>\s*(.*?)</p>|<p[^>]*>(.*?)</p>", body)
    copies_html: list[str] = []
    copies_txt: list[str] = []
    words = 0
    copy = 0
    while words < WORDS:
        copy += 1
        for heading, label, said, prose in blocks:
            if heading:
                copies_html.append(f"<h2>{heading} (part {copy})</h2>")
                copies_txt.append(f"## {html.unescape(heading)} (part {copy})")
                continue
            text = f"{said or prose} (Round {copy}.)"
            words += len(text.split())
            if label:
                copies_html.append(f'<p class="pw-post-body-paragraph"><strong class="mx">{label}:</strong> {text}</p>')
                copies_txt.append(f"{label}: {html.unescape(text)}")
            else:
                copies_html.append(f'<p class="pw-post-body-paragraph">{text}</p>')
                copies_txt.append(html.unescape(text))
    article = "\n".join(copies_html)
    page = page[:start] + article + "\n" + page[end:]
    pad = size_kb * 1024 - len(page.encode("utf-8"))
    if pad > 0:
        state = '{"Paragraph:%d":{"text":"%s","markups":[]}}'
        filler = ",".join(state % (i, "x" * 60) for i in range(pad // 100 + 1))
        page = page.replace("</head>", f"<script>window.__STATE__=[{filler}]</script>\n</head>", 1)
    title = "Talking Tide Pools with Maya Okafor"
    intro = "This week I sat down with the marine biologist Maya Okafor, who has spent twelve years counting the " \
            "creatures that live between the tides on the northern coast of Norfolk."
    outro = "If you enjoyed this conversation, there are more interviews from the coast every month."
    txt = "\n\n".join([title, intro, *copies_txt, outro]) + "\n"
    html_path, txt_path = folder / "page.html", folder / "page.txt"
    html_path.write_text(page, encoding="utf-8")
    txt_path.write_text(txt, encoding="utf-8")
    return html_path, txt_path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                   env=ENV)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--render-repeats", type=int, default=3)
    ap.add_argument("--size", type=int, default=200, help="page size in KB")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="podrender-webpage-") as tmp:
        folder = Path(tmp)
        page, txt = build(args.size, folder)
        size = page.stat().st_size
        voices = folder / "voices.yaml"
        voices.write_text("narrator: Narrator\n", encoding="utf-8")
        cases = {
            "import": [py, "-c", "import trafilatura"],
            "extract": [py, "-c", EXTRACT, str(page)],
            "inspect .txt": [py, "-m", "podrender", "inspect", str(txt), "--voices", str(voices)],
            "inspect .html": [py, "-m", "podrender", "inspect", str(page), "--voices", str(voices)],
        }
        # the two must say the same: same speakers, turns and chapters
        said = {}
        for name, path in (("txt", txt), ("html", page)):
            out = subprocess.run([py, "-m", "podrender", "inspect", str(path), "--voices", str(voices), "--spoken"],
                                 check=True, capture_output=True, text=True, cwd=ROOT,
                                 env=ENV).stdout  # fmt: skip
            said[name] = re.sub(r"^line \d+", "", out, flags=re.M)
        same = said["txt"] == said["html"]
        times: dict[str, list[float]] = {name: [] for name in cases}
        timed([py, "-c", "import trafilatura, podrender.pipeline"])  # warm the disk cache
        for _ in range(args.repeats):
            for name, cmd in cases.items():
                times[name].append(timed(cmd))
        renders: dict[str, list[float]] = {"render .txt": [], "render .html": []}
        for i in range(args.render_repeats):
            for name, path in (("render .txt", txt), ("render .html", page)):
                cache = folder / f"cache-{name[-4:]}-{i}"
                out = folder / f"{name[-4:]}-{i}.mp3"
                renders[name].append(timed([py, "-m", "podrender", "render", str(path), "--voices", str(voices),
                                            "--cache-dir", str(cache), "-o", str(out), "-q"]))  # fmt: skip
        times.update(renders)
    med = {name: statistics.median(v) for name, v in times.items()}
    extra = med["inspect .html"] - med["inspect .txt"]
    lines = [
        f"page: {size:,} bytes, "
        f"article {WORDS}+ words; {args.repeats} repeats (renders {args.render_repeats}), medians, fresh processes",
        f"spoken text of the page == spoken text of the .txt: {same}",
        "",
        "| case | median s | min-max s |",
        "|---|---:|---:|",
        *[f"| {name} | {med[name]:.3f} | {min(v):.3f}-{max(v):.3f} |" for name, v in times.items()],
        "",
        f"page's extra cost (inspect .html - inspect .txt): {extra:.3f} s",
        f"render .txt: {med['render .txt']:.2f} s; extra / render = {extra / med['render .txt']:.3f} "
        f"({'under' if extra < med['render .txt'] / 10 else 'NOT under'} a tenth)",
        f"render .html / render .txt = {med['render .html'] / med['render .txt']:.3f}",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
