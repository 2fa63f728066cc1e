"""Saved web pages: the article read with its speakers, turns and chapters, and nothing of the page around
it spoken; through the public API, `podrender inspect`, and one real render read back with mutagen.

The fixtures (tests/fixtures/web) are pages written for these tests in the shape of three kinds of site:
a Medium story, a WordPress Q&A post and a Substack interview, each with that site's chrome.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

import podrender
from podrender.cli.main import cli

FIXTURES = Path(__file__).parent / "fixtures" / "web"
FAKE = podrender.parse_config("engine: fake\nnarrator: Narrator\n")

#: Words of the page around each article: none of them may be spoken, in any case or spacing.
CHROME = [
    "sign in", "sign up", "open in app", "follow", "min read", "clap", "responses", "listen", "share", "save",
    "member-only", "more from", "recommended from", "see all from", "see more", "written by", "followers",
    "medium app", "app store", "google play", "help status", "text to speech", "accept all cookies",
    "we log user data", "photo by", "lists", "staff picks", "stories", "lovely piece", "write a response",
    "subscribe", "newsletter", "leave a", "thoughts on", "reply", "related", "like this", "loading",
    "recent posts", "powered by", "wordpress", "cookies", "skip to content", "shepherd",
    "posted in", "tagged", "to the top", "in interviews", "comments",
    "likes", "discussion about", "wonderful interview",
    "start writing", "get the app", "substack", "collection notice", "thanks for reading", "type your email",
    "kelp", "louder", "notes from an urban apiary", "anna", "category", "Oct 12", "Mar 3", "May 2",
]  # fmt: skip


def prepared(name: str, policy: str | None = None) -> podrender.Prepared:
    path = FIXTURES / name
    return podrender.prepare(podrender.read_script(path), FAKE, source=str(path), policy=policy)


def spoken(p: podrender.Prepared) -> str:
    return "\n".join(unit.text for unit in p.plan.units)


def turns(p: podrender.Prepared) -> list[tuple[str | None, str]]:
    return [(t.speaker, t.text) for t in p.script.turns if not t.is_title]


# name: title, speakers in order, turns (speaker or None for the narrator), chapter titles under --chapters marker
EXPECTED = {
    "medium-interview.html": (
        "Talking Tide Pools with Maya Okafor", ["Tom", "Maya"],
        [None, *["Tom", "Maya"] * 6, None], ["Getting started", "Counting what lives there", "Looking ahead"],
    ),
    "wordpress-qa.html": ("Five questions for a beekeeper", ["Host", "Guest"], [None, *["Host", "Guest"] * 5], []),
    "substack-names.html": (
        "A conversation with Priya Nair", ["Dan Cole", "Priya Nair"], [None, *["Dan Cole", "Priya Nair"] * 4],
        ["Never finished", "Choosing a book"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_reads_as_its_author_wrote_it(name: str) -> None:
    title, speakers, who, chapters = EXPECTED[name]
    p = prepared(name, policy="marker")
    assert p.script.input_format == "html"
    assert p.script.detected_by == "from the .html extension"
    assert p.title == title
    assert list(p.script.speakers) == speakers
    assert [speaker for speaker, _ in turns(p)] == who
    assert [c.title for c in p.chapters] == chapters


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nothing_of_the_page_around_the_article_is_spoken(name: str) -> None:
    said = " ".join(spoken(prepared(name)).casefold().split())
    for words in CHROME:
        assert not re.search(rf"\b{re.escape(words.casefold())}\b", said), f"{words!r} is spoken"


def test_the_article_is_spoken_whole() -> None:
    """Every paragraph of the article is there, in order, the lines after a label in one turn."""
    p = prepared("wordpress-qa.html")
    said = turns(p)
    assert said[0] == (None, "Every spring we ask someone who keeps bees five questions. This year it is Jonas Berg, "
                             "who runs forty hives on the edge of the city and sells his honey at the Saturday market.")
    # `<b>A:</b>` after a line break inside the question's paragraph is the guest's turn
    assert said[3] == ("Host", "Do you get stung often?")
    assert said[4][0] == "Guest" and said[4][1].startswith("Less than you would think.")
    assert "Bees forgive slowness, never haste." in said[4][1]  # the quote, and the list, stay the answerer's
    assert said[6][1].endswith("A light hive gets sugar fondant. A heavy hive is left alone.")
    # a line break inside a paragraph is a space; the paragraph stays one
    assert said[2][1] == ("In high summer a strong colony holds around fifty thousand bees. In winter it shrinks to "
                          "maybe ten thousand. They cluster together to keep the queen warm.")


def test_labels_in_every_bold_shape() -> None:
    """`<strong>Name:</strong>`, `<strong>Name</strong>:`, a label split over two bold runs, a whole bold line,
    italics, capitals, a label after a line break; a bold word starting prose is no label."""
    page = """<!DOCTYPE html><html><head><title>Shapes of a label</title></head><body><article>
<h1>Shapes of a label</h1>
<p>Six ways of writing who speaks, from six different blogs, all of them read the same way in the end.</p>
<p><strong>Ines:</strong> First, the colon inside the bold, as most people write it.</p>
<p><strong>Omar</strong>: Second, the colon after the bold, which Substack's editor makes.</p>
<p><strong>Ines</strong><strong>:</strong> Third, a label split over two bold runs by an editor.</p>
<p><strong>Omar: Fourth, is the whole line bold, label and all?</strong></p>
<p><em>Ines:</em> Fifth, italics instead of bold.<br><b>OMAR:</b> Sixth, capitals after a line break.</p>
<p><strong>Really</strong>, a bold word at the start of a sentence is emphasis, not a speaker.</p>
</article></body></html>"""
    p = podrender.prepare(page, FAKE, source="shapes.html")
    said = turns(p)
    assert [who for who, _ in said] == [None, "Ines", "Omar", "Ines", "Omar", "Ines", "Omar", None]
    assert said[4][1] == "Fourth, is the whole line bold, label and all?"
    assert said[3][1] == "Third, a label split over two bold runs by an editor."
    assert said[6][1].startswith("Sixth, capitals after a line break.")
    assert said[7][1] == "Really, a bold word at the start of a sentence is emphasis, not a speaker."
    assert "*" not in spoken(p)


def test_line_numbers_are_the_pages_own() -> None:
    path = FIXTURES / "medium-interview.html"
    source = path.read_text(encoding="utf-8").split("\n")
    p = prepared("medium-interview.html")
    for turn in p.script.turns:
        if turn.is_title:
            continue
        first_words = " ".join(re.sub(r"\s+", " ", turn.text).split()[:3])
        assert first_words in source[turn.line - 1], (turn.line, first_words)


def test_inspect_lists_the_chrome_it_left_out(tmp_path: Path) -> None:
    voices = tmp_path / "voices.yaml"
    voices.write_text("engine: fake\nnarrator: Narrator\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["inspect", str(FIXTURES / "medium-interview.html"), "--voices", str(voices),
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert sheet["format"] == {"name": "html", "detected": "from the .html extension"}
    assert [s["name"] for s in sheet["speakers"]] == ["Narrator", "Tom", "Maya"]
    # the page's headings are its chapters (the short welcome before the first one joins it)
    assert [c["title"] for c in sheet["chapters"]] == ["Getting started", "Counting what lives there", "Looking ahead"]
    for entry in sheet["skipped"]:
        assert entry["reason"].startswith(("page chrome", "repeats the title", "a minor heading")), entry
    assert not any("Get the Medium app" in t["text"] for t in sheet["turns"])


def test_keep_takes_a_chrome_line_back() -> None:
    page = """<html><head><title>Keep</title></head><body><article><h1>Keep</h1>
<p><strong>Ana:</strong> We talked about the sea, the harbour and the boats that leave at dawn every day.</p>
<p><strong>Ben:</strong> And about the fishermen who sell their catch on the quay before the town wakes up.</p>
<p>Get the Harbour app</p></article></body></html>"""
    plain = podrender.prepare(page, FAKE, source="keep.html")
    assert "Harbour app" not in spoken(plain)
    assert any(s.reason == "page chrome: app-store button" for s in plain.script.skipped)
    kept = podrender.prepare(page, podrender.parse_config("engine: fake\nkeep: ['Harbour app']\n"), source="keep.html")
    assert "Get the Harbour app" in spoken(kept)


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html>\n<html><body><article><h1>Pasted</h1><p><b>Ana:</b> Hello Ben, a long line.</p>"
        "<p><b>Ben:</b> Hello Ana, and another long line.</p></article></body></html>",
        "<?xml version='1.0'?>\n<!-- saved -->\n<html><body><p><b>Ana:</b> Hello Ben, a long line.</p>"
        "<p><b>Ben:</b> Hello Ana, and another long line.</p></body></html>",
        "<div class='post'><p><strong>Ana:</strong> Hello Ben, a long line.</p>\n"
        "<p><strong>Ben:</strong> Hello Ana, and another long line.</p></div>",
    ],
)
def test_html_is_detected_from_content(text: str) -> None:
    p = podrender.prepare(text, FAKE, source="pasted.txt")
    assert p.script.input_format == "html"
    assert re.fullmatch(r"detected from content: (an HTML document|HTML paragraphs and headings)", p.script.detected_by)
    assert list(p.script.speakers) == ["Ana", "Ben"]


@pytest.mark.parametrize(
    "text", ["<b>Note:</b> this is markdown with one tag.\n\nMaya: hi", "# Title\n\n<div>one</div>\n\nMaya: hi"]
)
def test_other_text_with_a_tag_is_not_html(text: str) -> None:
    assert podrender.prepare(text, FAKE, source="talk").script.input_format != "html"


def test_input_format_html_reads_any_file_name(tmp_path: Path) -> None:
    page = tmp_path / "saved.page"
    page.write_bytes((FIXTURES / "substack-names.html").read_bytes())
    for name in ("html", "htm", "webpage"):
        p = podrender.prepare(page.read_text(), FAKE, source=str(page), input_format=name)
        assert p.script.input_format == "html" and p.script.detected_by == "chosen with --input-format"


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Nothing here</title></head><body><nav><a>Home</a><a>About</a></nav>"
        "<footer><a>Privacy</a> <a>Terms</a></footer></body></html>",
        "<html><head><title>Empty</title></head><body></body></html>",
        "<html><body><nav><a>Home</a></nav></body></html>",
        "<!DOCTYPE html><html><body><div><button>Sign in</button><button>Follow</button><p>245 claps</p>"
        "<p>5 min read</p></div></body></html>",
    ],
)
def test_a_page_with_no_article_is_one_error_line(tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    out = tmp_path / "out.mp3"
    voices = tmp_path / "voices.yaml"
    voices.write_text("engine: fake\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(path), "--voices", str(voices), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: no article text found\n"
    assert not out.exists()


def test_a_page_too_large_is_refused_before_parsing(tmp_path: Path) -> None:
    from podrender.input.formats.webpage import MAX_PAGE_BYTES

    path = tmp_path / "huge.html"
    path.write_text("<html><body>" + "<p>word </p>" * (MAX_PAGE_BYTES // 11 + 1) + "</body></html>")
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 1
    limit = MAX_PAGE_BYTES // (1024 * 1024)
    assert result.output == f"Error: {path}: is a web page of more than {limit} MB; pages up to {limit} MB are read\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>x</p>" * 5_001, "has more than 5,000 paragraphs; split it into several episodes"),
        ("<i>x</i>" * 100_001, "has more than 100,000 HTML elements; save the article alone (as text, or the "
                               "browser's reader view) and read that"),
    ],
)  # fmt: skip
def test_pages_the_extractor_would_take_minutes_over_are_refused(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "long.html"
    path.write_text(f"<html><body><article>{body}</article></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: {expected}\n"


@pytest.mark.slow
def test_real_render_of_a_page(tmp_path: Path) -> None:
    """A short page through `podrender render`, with the real engine and encoder; chapters read back."""
    page = tmp_path / "short.html"
    page.write_text("""<!DOCTYPE html><html><head><title>Short Page | Some Blog</title>
<meta property="og:title" content="Short Page"></head><body>
<nav><a>Home</a><a>About</a><a>Sign in</a></nav><article><h1>Short Page</h1>
<h2>Hello</h2><p><strong>Ada:</strong> Good evening, Brook.</p><p><strong>Brook:</strong> Good evening to you.</p>
<h2>Goodbye</h2><p><strong>Ada:</strong> See you tomorrow.</p><p><strong>Brook:</strong> Until then.</p>
</article><footer><a>Privacy</a><a>Terms</a><p>Get the Blog app</p></footer></body></html>""", encoding="utf-8")
    out = tmp_path / "short.mp3"
    result = CliRunner().invoke(cli, ["render", str(page), "-o", str(out), "--cache-dir", str(tmp_path / "cache"),
                                      "--chapters", "marker"])  # fmt: skip
    assert result.exit_code == 0, result.output
    audio = MP3(out)
    assert audio.info.length > 2
    tag = ID3(out)
    assert str(tag["TIT2"]) == "Short Page"
    chapters = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == ["Hello", "Goodbye"]
    assert chapters[0].start_time < chapters[1].start_time < audio.info.length * 1000
    manifest = json.loads(out.with_suffix(".json").read_text())
    assert [t["speaker"] for t in manifest["turns"]][-4:] == ["Ada", "Brook", "Ada", "Brook"]


def test_the_web_page_takes_an_uploaded_html_page(tmp_path: Path) -> None:
    """The page's upload: a saved .html file is read for its article; a page without one is one line, 400."""
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
    from fastapi.testclient import TestClient

    from podrender.web.app import create_app

    static = Path(podrender.__file__).parent / "web" / "static" / "index.html"
    accept = re.search(r'<input type="file" id="file" accept="([^"]+)"', static.read_text())
    assert accept is not None and {".html", ".htm", "text/html"} <= set(accept.group(1).split(","))
    voices = "engine: fake\nnarrator: Narrator\n"
    app = create_app(tmp_path / "out", cache_dir=tmp_path / "cache", default_voices=voices)
    with TestClient(app, base_url="http://127.0.0.1", headers={"Origin": "http://127.0.0.1"}) as client:
        page = (FIXTURES / "substack-names.html").read_bytes()
        response = client.post("/api/inspect", files={"script": ("priya.html", page, "text/html")},
                               data={"chapters": "marker"})  # fmt: skip
        assert response.status_code == 200, response.text
        sheet = response.json()
        assert sheet["format"]["name"] == "html" and sheet["title"] == "A conversation with Priya Nair"
        assert [s["name"] for s in sheet["speakers"]] == ["Narrator", "Dan Cole", "Priya Nair"]
        assert [c["title"] for c in sheet["chapters"]] == ["Never finished", "Choosing a book"]
        empty = b"<html><head><title>x</title></head><body><nav><a>Home</a><a>About</a></nav></body></html>"
        response = client.post("/api/inspect", files={"script": ("empty.html", empty, "text/html")})
        assert response.status_code == 400
        assert response.json() == {"error": "empty.html: no article text found", "field": "script"}


def test_a_page_of_one_paragraph() -> None:
    """The extractor hands a one-paragraph article over bare, without its body around it."""
    page = ("<?xml version='1.0' encoding='utf-8'?><html xmlns='http://www.w3.org/1999/xhtml'><body>"
            "<p><b>Ann:</b> Hello there, this is the whole of an XHTML page.</p></body></html>")  # fmt: skip
    p = podrender.prepare(page, FAKE, source="one.xhtml")
    assert turns(p) == [("Ann", "Hello there, this is the whole of an XHTML page.")]


@pytest.mark.parametrize(
    ("meta", "encoding"),
    [('<meta charset="windows-1252">', "cp1252"), ('<meta charset="ISO-8859-1">', "cp1252"),
     ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">', "iso8859-15")],
)  # fmt: skip
def test_a_page_in_the_encoding_it_declares(tmp_path: Path, meta: str, encoding: str) -> None:
    """Not a guess: the page says which encoding it is in. Text that is not a page still must be UTF-8."""
    page = (f"<html><head>{meta}<title>Caf\u00e9</title></head><body><article>"
            "<p><b>Zo\u00eb:</b> It\u2019s a caf\u00e9 \u2014 really, a good one, the best on the street.</p>"
            "<p><b>No\u00e9:</b> Cr\u00e8me br\u00fbl\u00e9e for everyone at the table, then.</p>"
            "</article></body></html>")  # fmt: skip
    if encoding == "iso8859-15":
        page = page.replace("\u2019", "'").replace("\u2014", "-")
    path = tmp_path / "page.html"
    path.write_bytes(page.encode(encoding))
    p = podrender.prepare(podrender.read_script(path), FAKE, source=str(path))
    assert list(p.script.speakers) == ["Zo\u00eb", "No\u00e9"]
    assert "caf\u00e9" in turns(p)[0][1] and "br\u00fbl\u00e9e" in turns(p)[1][1]
    text = tmp_path / "talk.txt"
    text.write_bytes("Zo\u00eb: caf\u00e9".encode("cp1252"))
    with pytest.raises(podrender.ScriptError, match="is not UTF-8 text"):
        podrender.read_script(text)


def test_a_text_file_called_html_is_not_a_page(tmp_path: Path) -> None:
    path = tmp_path / "talk.html"
    path.write_text("Garden Talk\n\nIris: What grows best in shade?\n\nOwen: Ferns, mostly.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {path}: has no HTML tags, so it is not a web page; read it with "
                             "--input-format plain (or another format)\n")  # fmt: skip
    assert CliRunner().invoke(cli, ["inspect", str(path), "--input-format", "plain"]).exit_code == 0


def test_headings_that_only_sound_like_page_sections_are_chapters() -> None:
    page = """<html><head><title>Lab talk</title></head><body><article><h1>Lab talk</h1>
<h2>Related work</h2>
<p><strong>Ana:</strong> What did the older papers miss? I always wondered why nobody measured it.</p>
<p><strong>Ben:</strong> They measured the wrong thing, mostly averages over the whole season.</p>
<h2>Discussion</h2>
<p><strong>Ana:</strong> So what should change now, in your view, for the next field season?</p>
<p><strong>Ben:</strong> It&#8217;s simple: count every week, not once a year, and publish the raw counts.</p>
<h2>Related posts</h2><p>Another interview with a scientist about counting things in the field.</p>
</article></body></html>"""
    p = podrender.prepare(page, FAKE, source="lab.html", policy="marker")
    assert [c.title for c in p.chapters] == ["Related work", "Discussion"]
    assert "Another interview" not in spoken(p)
    last = p.script.turns[-1]
    assert last.text.startswith("It\u2019s simple") and last.line == 7  # found in the source past the entity


def test_the_title_is_at_the_line_of_the_h1_not_of_the_head() -> None:
    p = prepared("medium-interview.html")
    source = (FIXTURES / "medium-interview.html").read_text(encoding="utf-8").split("\n")
    title = p.script.turns[0]
    assert title.is_title and "<h1" in source[title.line - 1]


def test_a_transcript_laid_out_as_a_table() -> None:
    """A row per turn (who, what) is read as turns; a table of data is not read, and says so."""
    page = """<html><head><title>Hearing</title></head><body><article><h1>Harbour hearing</h1>
<p>The committee met at ten in the morning to hear the harbour master on the winter storms.</p>
<table><tr><th>Speaker</th><th>Text</th></tr>
<tr><td><b>Chair</b></td><td>Good morning. Please state your name for the record.</td></tr>
<tr><td>Dana Holt</td><td>Dana Holt, harbour master since 2015, thank you for having me.</td></tr>
<tr><td>Chair:</td><td>How many boats were lost in January?</td></tr>
<tr><td>Dana Holt</td><td>Four, all of them moored outside the breakwater.</td></tr>
</table>
<table><tr><td>Tide</td><td>High</td><td>Low</td></tr><tr><td>Mon</td><td>5:02</td><td>11:20</td></tr></table>
</article></body></html>"""
    p = podrender.prepare(page, FAKE, source="hearing.html")
    assert [who for who, _ in turns(p)] == [None, "Chair", "Dana Holt", "Chair", "Dana Holt"]
    assert turns(p)[3] == ("Chair", "How many boats were lost in January?")
    assert [t.line for t in p.script.turns[2:]] == [4, 5, 6, 7]
    reasons = {s.reason for s in p.script.skipped}
    assert {"a table's heading row", "a table, not read"} <= reasons
    assert "11:20" not in spoken(p) and "eleven twenty" not in spoken(p)
