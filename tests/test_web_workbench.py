"""The page as a podcaster's workbench (issue 14), in Debian's chromium at phone and desktop widths:
no sideways scrolling, picks the page never changes, voices heard before rendering, who says what,
edit a turn and hear it again with only that unit made, an engine per speaker. A real
`podrender serve` renders with espeak-ng; screenshots are kept in the test's tmp folder."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")

from mutagen.mp3 import MP3  # noqa: E402
from test_web_browser import CHROMIUM, serving  # noqa: E402

SCRIPT = """\
Garden Talk

Iris: What grows best in the shade, Owen?

Owen: Ferns, mostly.

Iris: And what about moss?

Reed: Moss grows anywhere it stays damp.

Owen: Thanks for listening.

Subscribe to our newsletter for more garden news.
"""
VOICES = 'narrator: Narrator\nskip: ["^Subscribe"]\n'

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`podrender serve` (espeak-ng through pyttsx3) for the module; yields its base URL."""
    with serving(tmp_path_factory.mktemp("serve"), VOICES) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium browser installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield browser
        browser.close()


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb()/rgba() colours."""

    def lum(css: str) -> float:
        parts = [float(x) for x in css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()[:3]]
        lin = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


#: Every visible text on the page against the background it sits on: (text, ratio) below WCAG AA's 4.5:1.
LOW_CONTRAST = """() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) || []).map(Number);
  const lin = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const ground = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const skip = ":disabled, option, optgroup, .visually-hidden";
    if (!n.textContent.trim() || !el.checkVisibility() || el.closest(skip)) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(ground(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push([n.textContent.trim().slice(0, 40), Math.round(ratio * 100) / 100]);
  }
  return low;
}"""


def wait_for_inspect(page, action) -> dict:
    with page.expect_response(lambda r: "/api/inspect" in r.url and r.status == 200) as answer:
        action()
    sheet = answer.value.json()
    page.wait_for_function("() => !document.getElementById('cast').hidden")
    return sheet


@pytest.mark.parametrize("width", [390, 1280])
def test_workbench(browser, server: str, tmp_path: Path, width: int) -> None:
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server)

    def no_sideways_scrolling(where: str) -> None:
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{where}: the page is {wide} px wide in a {width} px window"

    no_sideways_scrolling("empty page")

    # (5) Labels, focus rings and contrast.
    expect(page.get_by_label("Transcript text")).to_be_visible()
    page.locator("#advanced summary").click()
    expect(page.get_by_label("voices.yaml text")).to_be_visible()
    page.locator("#advanced summary").click()
    colours = page.evaluate("""() => { const t = document.getElementById('script');
        return [getComputedStyle(t, '::placeholder').color, getComputedStyle(t).backgroundColor]; }""")
    assert contrast(*colours) >= 4.5, colours
    page.locator("#script").focus()
    page.keyboard.press("Tab")  # the next stop is the (visually hidden) file input
    assert page.evaluate("document.activeElement.id") == "file"
    ring = page.evaluate("getComputedStyle(document.querySelector('label[for=file]')).outlineStyle")
    assert ring == "solid"  # the upload control shows where focus is

    # A title alone gets a warning, not a silent one-line episode.
    wait_for_inspect(page, lambda: page.locator("#script").fill("Just A Title\n"))
    expect(page.locator("#warnings")).to_contain_text("Only a title")

    # (3) Who says what: turns as spoken, in the speaker's colour, skipped lines with their reasons.
    sheet = wait_for_inspect(page, lambda: page.locator("#script").fill(SCRIPT))
    expect(page.locator("#speakers tr")).to_have_count(4)
    no_sideways_scrolling("cast sheet")
    turns = page.locator("#turns li.turn")
    expect(turns).to_have_count(len(sheet["turns"]))
    expect(turns.nth(2)).to_contain_text("Owen")
    expect(turns.nth(2).locator(".said")).to_have_text("Ferns, mostly.")
    swatches = page.locator("#turns li[data-speaker=Owen] .swatch").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    row = page.locator("#speakers tr", has=page.locator("a.name", has_text="Owen"))
    assert set(swatches) == {row.locator(".swatch").evaluate("e => getComputedStyle(e).backgroundColor")}
    colour_of = "els => els.map(e => getComputedStyle(e).backgroundColor)"
    everyone = page.locator("#speakers .swatch").evaluate_all(colour_of)
    assert len(set(everyone)) == 4 and "rgba(0, 0, 0, 0)" not in everyone  # a colour per speaker
    expect(page.locator("#skipped-box")).to_be_visible()
    page.locator("#skipped-box summary").click()
    expect(page.locator("#skipped")).to_contain_text("Subscribe to our newsletter")
    expect(page.locator("#skipped")).to_contain_text("skip rule '^Subscribe'")
    row.locator("a.name").click()  # a speaker's name shows their turns
    expect(page.locator("#turns li.turn:visible")).to_have_count(2)
    page.locator("#turns-all").click()
    expect(page.locator("#turns li.turn:visible")).to_have_count(len(sheet["turns"]))
    page.locator("#turns-box > summary").click()  # collapsible
    expect(turns.first).to_be_hidden()
    page.locator("#turns-box > summary").click()

    # (1) Stable picks: the user's choice stays; a clash is a visible warning, not a silent move.
    voices = {s["name"]: s["voice"] for s in sheet["speakers"]}
    iris, owen = page.locator('select[data-speaker="Iris"]'), page.locator('select[data-speaker="Owen"]')
    taken = voices["Owen"]
    wait_for_inspect(page, lambda: iris.select_option(taken))
    expect(iris).to_have_value(taken)
    if owen.input_value() != taken:  # Owen's automatic voice made room, and the page says so
        expect(row.locator(".badge.moved")).to_be_visible()
    else:
        expect(page.locator("#clashes")).to_contain_text("Iris and Owen have the same voice")
    sheet = wait_for_inspect(page, lambda: owen.select_option(taken))  # now both chose it
    expect(iris).to_have_value(taken)
    expect(owen).to_have_value(taken)
    expect(page.locator("#clashes")).to_contain_text("Iris and Owen have the same voice")
    narrator = page.locator('select[data-speaker="Narrator"]')
    other = next(v for v in narrator.locator("option").evaluate_all("os => os.map(o => o.value)") if "+f2" in v)
    wait_for_inspect(page, lambda: narrator.select_option(other))
    expect(iris).to_have_value(taken)  # untouched by another pick
    expect(owen).to_have_value(taken)
    second = next(v for v in owen.locator("option").evaluate_all("os => os.map(o => o.value)") if v.endswith("+m7"))
    wait_for_inspect(page, lambda: owen.select_option(second))
    expect(page.locator("#clashes")).to_be_hidden()
    expect(iris).to_have_value(taken)
    # "same as" for a speaker who is another's alias: Reed is Owen.
    sheet = wait_for_inspect(page, lambda: page.locator('select[data-speaker="Reed"]').select_option("same:Owen"))
    expect(page.locator("#speakers tr")).to_have_count(3)
    assert [t["speaker"] for t in sheet["turns"]][4] == "Owen"
    expect(page.locator("#speakers")).to_contain_text("also Reed")
    expect(owen).to_have_value(second)

    # (2) Preview: the play button of a row fetches that speaker's first line as MP3, and it plays.
    with page.expect_response(lambda r: r.url.endswith("/api/preview")) as answer:
        page.locator('#speakers button.play[aria-label="Hear Iris\'s voice"]').click()
    assert answer.value.status == 200, answer.value.text()
    assert answer.value.headers["content-type"] == "audio/mpeg"
    assert answer.value.headers["x-preview-cache"] in ("miss", "hit")  # hit: made in the other width
    page.wait_for_function(  # the browser decoded it: "What grows best in the shade, Owen?"
        "() => { const a = document.getElementById('preview-player'); return a.readyState >= 2 && a.duration > 1; }"
    )
    with page.expect_response(lambda r: r.url.endswith("/api/preview")) as answer:
        page.locator('#speakers button.play[aria-label="Hear Iris\'s voice"]').click()
    assert answer.value.headers["x-preview-cache"] == "hit"  # the second time from the server's cache
    # The same preview through the JSON API, read back by mutagen.
    ask = {"script": SCRIPT, "speaker": "Iris", "speakers": {"Iris": taken}, "same_as": {"Reed": "Owen"}}
    posted = urllib.request.Request(
        server + "/api/preview", json.dumps(ask).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(posted) as response:
        assert response.headers["Content-Type"] == "audio/mpeg"
        heard = MP3(io.BytesIO(response.read()))
    assert 1.0 < heard.info.length < 10, heard.info.length
    assert page.evaluate("document.getElementById('preview-player').dataset.speaker") == "Iris"

    # (6) An engine per speaker: the installed engines are offered in every row.
    with urllib.request.urlopen(server + "/api/engines") as response:
        installed = [e["name"] for e in json.loads(response.read())["engines"] if e["available"]]
    offered = page.locator('select[data-engine="Iris"] option:not([disabled])').evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert sorted(offered) == sorted(installed) and "pyttsx3" in offered
    if width == 1280 and "piper" in installed:  # the real path once: another engine's voice, heard
        sheet = wait_for_inspect(page, lambda: page.locator('select[data-engine="Iris"]').select_option("piper"))
        assert {s["name"]: s["engine"] for s in sheet["speakers"]}["Iris"] == "piper"
        with page.expect_response(lambda r: r.url.endswith("/api/preview")) as answer:
            page.locator('#speakers button.play[aria-label="Hear Iris\'s voice"]').click()
        assert answer.value.status == 200
        page.wait_for_function(
            "() => { const a = document.getElementById('preview-player'); return a.readyState >= 2 && a.duration > 1; }"
        )
        wait_for_inspect(page, lambda: page.locator('select[data-engine="Iris"]').select_option("pyttsx3"))
        wait_for_inspect(page, lambda: iris.select_option(taken))

    # Render: the page scrolls to the Episode card and focuses it.
    with page.expect_response(lambda r: r.url.endswith("/api/renders") and r.request.method == "POST") as posted:
        page.locator("#render").click()
    assert posted.value.status == 202
    assert page.evaluate("document.activeElement.id") == "result-card"
    top = page.evaluate("document.getElementById('result-card').getBoundingClientRect().top")
    assert 0 <= top < 900
    expect(page.locator("#result")).to_be_visible(timeout=120_000)
    expect(page.locator("#status")).to_contain_text("Done")
    no_sideways_scrolling("result")
    assert page.evaluate(LOW_CONTRAST) == []
    chapters = page.locator("#chapters-list").bounding_box()
    card = page.locator("#result-card").bounding_box()
    assert chapters and card and chapters["width"] > 0.6 * card["width"]  # not squeezed beside the buttons
    page.screenshot(path=str(tmp_path / f"workbench-{width}.png"), full_page=True)
    first_id = posted.value.json()["id"]

    # (4) Edit a turn and hear it again: one unit is made, the player keeps its place, the turn is marked.
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.evaluate("document.getElementById('player').currentTime = 1.5")
    page.wait_for_function("() => { const p = document.getElementById('player'); return !p.seeking; }")
    kept = page.evaluate("document.getElementById('player').currentTime")
    turn = page.locator("#turn-2")
    turn.locator("button.edit").click()
    plant = {390: "hostas", 1280: "foxgloves"}[width]  # not made yet by the other width's render (one cache)
    page.locator("#turn-2 textarea").fill(f"Ferns, mostly, and {plant}.")
    with page.expect_response(lambda r: r.url.endswith("/api/renders") and r.request.method == "POST") as posted:
        page.locator("#turn-2 button", has_text="Save and render").click()
    second_id = posted.value.json()["id"]
    assert second_id != first_id
    page.wait_for_function(
        "id => (document.getElementById('player').getAttribute('src') || '').includes(id)", arg=second_id
    )
    expect(page.locator("#changed-box")).to_be_visible()
    with urllib.request.urlopen(f"{server}/api/renders/{second_id}") as response:
        status = json.loads(response.read())
    assert status["units"]["made"] == 1, status["units"]  # only the edited turn
    with urllib.request.urlopen(server + status["links"]["manifest"]) as response:
        manifest = json.loads(response.read())
    remade = [t for t in manifest["turns"] if t["cache"] != "hit"]
    assert [t["index"] for t in remade] == [2] and plant in remade[0]["spoken"]
    expect(page.locator("#turn-2")).to_have_class("turn changed")
    expect(page.locator("#turn-2 .said")).to_have_text(f"Ferns, mostly, and {plant}.")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.wait_for_function("k => Math.abs(document.getElementById('player').currentTime - k) < 0.3", arg=kept)
    page.locator("#changed-play").click()  # hear it: the player jumps to the changed turn and plays
    start = remade[0]["start_ms"] / 1000
    page.wait_for_function(
        "s => { const p = document.getElementById('player'); return !p.paused && p.currentTime > s + 0.2; }", arg=start
    )
    page.evaluate("document.getElementById('player').pause()")
    page.screenshot(path=str(tmp_path / f"workbench-edited-{width}.png"), full_page=True)

    # ▶ on the edited turn says the edited words (the preview carries the page's edits).
    with page.expect_response(lambda r: r.url.endswith("/api/preview")) as answer:
        page.locator("#turn-2 button.play").click()
    assert answer.value.status == 200, answer.value.text()
    sent = answer.value.request.post_data_buffer or b""
    assert b'name="turn"' in sent and plant.encode() in sent
    page.wait_for_function(
        "() => { const a = document.getElementById('preview-player'); "
        "return a.readyState >= 2 && a.dataset.turn === '2'; }"
    )

    def hear(form: bytes) -> tuple[float, str]:
        """The page's preview form sent again: the MP3's length (mutagen) and whether the cache had it."""
        kind = answer.value.request.headers["content-type"]
        ask = urllib.request.Request(server + "/api/preview", form, {"Content-Type": kind}, method="POST")
        with urllib.request.urlopen(ask) as response:
            return MP3(io.BytesIO(response.read())).info.length, response.headers["X-Preview-Cache"]

    said, cached = hear(sent)
    assert cached == "hit"  # what the page played
    unedited, _ = hear(sent.replace(f"Ferns, mostly, and {plant}.".encode(), b"Ferns, mostly."))
    assert said > unedited + 0.3, (said, unedited)  # the page's picks, the turn's original words: shorter

    # Recent renders with one title can be told apart.
    expect(page.locator(f'#recent li[data-id="{second_id}"]')).to_contain_text(second_id[:6])
    expect(page.locator(f'#recent li[data-id="{first_id}"]')).to_contain_text(first_id[:6])
    expect(page.locator(f'#recent li[data-id="{second_id}"]')).to_contain_text("1 made")

    # A changed script clears the old result.
    page.locator("#script").fill(SCRIPT.replace("Garden Talk", "Garden Talk, again"))
    expect(page.locator("#result-card")).to_be_hidden()
    no_sideways_scrolling("end")
    for other in (360, 1440):  # the ends of the range the page is made for
        page.set_viewport_size({"width": other, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= other, f"the page is {wide} px wide in a {other} px window"
    assert errors == [], errors
    context.close()


def test_an_intro_attached_on_the_page_opens_the_episode(browser, server: str, tmp_path: Path) -> None:
    """Music and stereo: attach an intro (an ffmpeg tone), ask for stereo, render; the episode opens with it."""
    from conftest import decode
    from test_music import INTRO_HZ, band_db, span
    from test_web_music import tone

    tone(tmp_path / "theme.wav", f"sine=frequency={INTRO_HZ}:duration=4")
    expect = sync_api.expect
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server)
    wait_for_inspect(page, lambda: page.locator("#script").fill("Short Song\n\nIris: Hello there.\n"))
    page.locator("#music-box summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the music controls fit a phone
    assert page.evaluate(LOW_CONTRAST) == []
    # A file that is not music: one line under the music controls, and no render.
    (tmp_path / "notes.mp3").write_text("not music at all\n" * 20)
    page.get_by_label("Bed (under the whole talk)").set_input_files(tmp_path / "notes.mp3")
    with page.expect_response(lambda r: r.url.endswith("/api/renders") and r.request.method == "POST") as posted:
        page.locator("#render").click()
    assert posted.value.status == 400
    expect(page.locator("#music-error")).to_have_text("bed: 'notes.mp3' is not audio ffmpeg can read")
    page.get_by_label("Bed (under the whole talk)").set_input_files([])
    page.get_by_label("Intro", exact=False).set_input_files(tmp_path / "theme.wav")
    page.get_by_label("Channels").select_option("2")
    with page.expect_response(lambda r: r.url.endswith("/api/renders") and r.request.method == "POST") as posted:
        page.locator("#render").click()
    assert posted.value.status == 202, posted.value.text()
    expect(page.locator("#result")).to_be_visible(timeout=120_000)
    expect(page.locator("#mix-line")).to_have_text("Music: intro theme.wav · stereo")
    expect(page.locator("#music-error")).to_be_hidden()
    row = page.locator(f'#recent li[data-id="{posted.value.json()["id"]}"]')
    expect(row).to_contain_text("music: intro · stereo")  # recent renders show their mix
    episode = urllib.request.urlopen(server + posted.value.json()["links"]["self"] + "/episode.mp3").read()
    (tmp_path / "episode.mp3").write_bytes(episode)
    assert MP3(io.BytesIO(episode)).info.channels == 2
    head = decode(tmp_path / "episode.mp3")[span(100, 900)]
    assert band_db(head, INTRO_HZ) - band_db(head, 2 * INTRO_HZ) > 30  # the intro tone opens the episode
    context.close()
