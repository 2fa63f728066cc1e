"""The web page end to end in a real browser: Playwright drives Debian's chromium against
`podrender serve` (a real server in a subprocess) rendering with the real engine."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")

from mutagen.id3 import ID3  # noqa: E402

import podrender  # noqa: E402  (the server runs this podrender, wherever the test is started from)

SCRIPT = """\
Night Market Radio

Lena: Welcome back. Tonight we are at the night market. Omar, what do you sell here?

Omar: Grilled corn, mostly. And lemonade when the evening is warm.

Lena: Priya, what brings you here every week?

Priya: The music. Someone is always playing a guitar by the fountain.

Omar: And the corn, of course.

Lena: Thank you both. See you next week.
"""
#: The page's default voices.yaml (the server's ./voices.yaml); Omar's voice is chosen in it.
VOICES = "narrator: Narrator\nspeakers:\n  Omar: {voice: gmw/en-us+m3, rate: 185}\n"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path("/tmp/podrender-web.png")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(home: Path, voices: str) -> Iterator[str]:
    """`podrender serve` (this checkout's podrender) run in `home` with `voices` as its ./voices.yaml, on a
    free localhost port, renders in `home/out`, its cache in `home/cache`; yields the base URL."""
    (home / "voices.yaml").write_text(voices, encoding="utf-8")
    port = free_port()
    log = (home / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "podrender", "serve", "--port", str(port), "--output-dir", str(home / "out"),
         "--cache-dir", str(home / "cache")],
        cwd=home, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(Path(podrender.__file__).resolve().parents[1])},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/defaults", timeout=2) as response:
                    assert json.loads(response.read())["voices"] == voices
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start:\n" + (home / "server.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`podrender serve` on a free localhost port; yields (base URL, output dir)."""
    with serving(tmp_path, VOICES) as base:
        yield base, tmp_path / "out"


@pytest.fixture
def page(server: tuple[str, Path]) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium browser installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--autoplay-policy=no-user-gesture-required"]
        )
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # (the browser logs every 4xx answer; the error test provokes some on purpose)
        expected = "Failed to load resource: the server responded with a status of 4"
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and expected not in m.text else None)
        page.goto(server[0])
        yield page
        assert errors == [], errors  # no script errors, no CSP violations
        browser.close()


def test_paste_pick_render_listen_download(page, server: tuple[str, Path], tmp_path: Path) -> None:
    expect = sync_api.expect
    base, _ = server
    expect(page.locator("#voices")).to_have_value(VOICES)  # prefilled with the server's voices.yaml

    # Paste: the speakers appear without any click.
    page.locator("#script").fill(SCRIPT)
    rows = page.locator("#speakers tr")
    expect(rows).to_have_count(4)
    names = page.locator("#speakers td.who .name").all_inner_texts()
    assert names == ["Narrator", "Lena", "Omar", "Priya"]
    expect(page.locator("#sheet-title")).to_have_text("Night Market Radio")
    expect(page.locator('select[data-speaker="Omar"]')).to_have_value("gmw/en-us+m3")

    # Change Priya's voice in her picker; the cast sheet is asked again and shows it.
    picker = page.locator('select[data-speaker="Priya"]')
    before = picker.input_value()
    chosen = "gmw/en-gb-scotland+f4" if before != "gmw/en-gb-scotland+f4" else "gmw/en-us+f2"
    with page.expect_response(lambda r: "/api/inspect" in r.url and r.status == 200):
        picker.select_option(chosen)
    expect(page.locator('select[data-speaker="Priya"]')).to_have_value(chosen)

    # Render; the page polls the render's status and shows its progress until it is done.
    polls: list[dict] = []
    page.on("response", lambda r: polls.append(r.json()) if "/api/renders/" in r.url and r.request.method == "GET"
            and r.url.rsplit("/", 1)[-1] == polls_id[0] else None)  # fmt: skip
    polls_id = [""]
    with page.expect_response(lambda r: r.url.endswith("/api/renders") and r.request.method == "POST") as posted:
        page.locator("#render").click()
    assert posted.value.status == 202
    polls_id[0] = posted.value.json()["id"]
    expect(page.locator("#result")).to_be_visible(timeout=180_000)
    expect(page.locator("#status")).to_contain_text("Done")
    assert polls and polls[-1]["status"] == "done"
    progress = [(p["progress"]["done"], p["progress"]["total"]) for p in polls]
    assert progress[-1][0] == progress[-1][1] == 7  # 7 turns: the title and six labeled turns
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    title = page.locator("#result-name").inner_text()
    assert title == "Night Market Radio"

    chapters = page.locator("#chapters-list li")
    shown = [t.strip() for t in page.locator("#chapters-list .title").all_inner_texts()]
    assert len(shown) >= 2 and shown[0] == "Introduction"
    assert "Omar, what do you sell here?" in shown

    # Clicking a chapter seeks the audio to its start.
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30_000)
    target = chapters.nth(2)
    start_s = int(target.get_attribute("data-start") or "0") / 1000
    assert start_s > 1
    target.locator("button").click()
    page.wait_for_function(
        "s => { const p = document.getElementById('player'); return !p.seeking && Math.abs(p.currentTime - s) < 0.5; }",
        arg=start_s,
        timeout=10_000,
    )
    now = page.evaluate("document.getElementById('player').currentTime")
    assert abs(now - start_s) < 0.5, (now, start_s)
    expect(target).to_have_class("current")

    page.evaluate("document.getElementById('player').pause()")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Download the MP3 and read it with mutagen.
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == "night-market-radio.mp3"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    tag = ID3(saved)
    assert str(tag["TIT2"]) == title
    chaps = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    assert len(chaps) == len(shown)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == shown
    starts = [int(s) for s in chapters.evaluate_all("items => items.map(li => li.dataset.start)")]
    assert [c.start_time for c in chaps] == starts

    # The manifest (linked from the page) records the voice chosen in the picker.
    manifest_url = page.locator("#manifest").get_attribute("href")
    assert manifest_url is not None
    with urllib.request.urlopen(base + manifest_url) as response:
        manifest = json.loads(response.read())
    voices = {s["name"]: s["voice"] for s in manifest["speakers"]}
    assert voices["Priya"] == chosen
    assert voices["Omar"] == "gmw/en-us+m3"
    assert {t["speaker"] for t in manifest["turns"]} == {"Narrator", "Lena", "Omar", "Priya"}


def test_errors_show_beside_the_input_and_files_upload(page, tmp_path: Path) -> None:
    expect = sync_api.expect
    page.locator("#advanced summary").click()
    page.locator("#voices").fill("speakers:\n  Lena: en-us+f9\n")
    page.locator("#script").fill("Lena: Hello there, how are you?\n\nOmar: Fine.\n")
    error = page.locator("#voices-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("voices.yaml line 2: unknown voice 'en-us+f9'")
    expect(page.locator("#render")).to_be_disabled()
    page.locator("#voices").fill("speakers:\n  Lena: en-us+f3\nepisode: {cover: /etc/hostname}\n")
    expect(error).to_contain_text("cover is not allowed here")
    page.screenshot(path=str(tmp_path / "errors.png"), full_page=True)
    page.locator("#voices").fill("")
    expect(error).to_be_hidden()
    page.locator("#script").fill("\n   \n")
    expect(page.locator("#cast-empty")).to_be_visible()
    expect(page.locator("#render")).to_be_disabled()

    # An uploaded file (UTF-16 here) is sent as a file; the server decodes it.
    upload = tmp_path / "market.txt"
    upload.write_bytes(SCRIPT.encode("utf-16"))
    page.locator("#file").set_input_files(str(upload))
    expect(page.locator("#file-chip")).to_contain_text("market.txt")
    expect(page.locator("#speakers tr")).to_have_count(4)
    expect(page.locator("#sheet-title")).to_have_text("Night Market Radio")
    expect(page.locator("#script")).to_be_disabled()
    page.locator("#file-clear").click()
    expect(page.locator("#script")).to_be_enabled()
    expect(page.locator("#cast-empty")).to_be_visible()
