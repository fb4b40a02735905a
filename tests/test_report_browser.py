"""The HTML scorecard in a real headless browser (Debian's chromium; .ci/run installs it).

Skips only when no chromium binary can be found. Chromium gets no network
use of its own (no sync, no component updates, no background networking), and
the page has no URL to fetch, so the test works offline.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from test_report import COMMISSION, build_scored_vault

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HELD_GREEN = (0x2E, 0x7D, 0x32)
MISSED_RED = (0xC6, 0x28, 0x28)


def find_browser() -> str | None:
    explicit = os.environ.get("PPSJ_CHROMIUM")
    if explicit:
        return explicit
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture
def browser(tmp_path: Path):
    exe = find_browser()
    if exe is None:
        pytest.skip("no chromium found (apt-get install -y chromium)")

    def run(*args: str) -> subprocess.CompletedProcess:
        profile = tmp_path / "profile"
        profile.mkdir(exist_ok=True)
        return subprocess.run(
            [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def page(vault: Path, ppsj, tmp_path: Path) -> Path:
    build_scored_vault(vault)
    out = tmp_path / "report.html"
    result = ppsj("report", "--html", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_the_browser_builds_the_dom_with_the_figures(browser, page):
    done = browser("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    assert "<title>Partnership scorecard 2026-09-05 to 2026-11-27</title>" in dom
    for key, figure in {
        "sessions_held": "10",
        "closings": "3",
        "commission": f"${3 * COMMISSION:,}",
    }.items():
        assert f'data-total="{key}">{figure}<' in dom
    assert 'data-funnel="passed on">7<' in dom
    assert dom.count('class="card"') == 3
    # 3 partners x 12 weeks of cells, each with its tooltip
    assert dom.count(", week of ") == 36
    # The company "<b>Bold & Co</b>" stayed text: the browser made no <b> element of it.
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in dom
    assert "<b>" not in dom


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB/RGBA PNG (no library needed)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                cur[i] = (cur[i] + a) & 255
            elif kind == 2:
                cur[i] = (cur[i] + b) & 255
            elif kind == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pred) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, channels)]


def test_the_screenshot_shows_the_charts(browser, page, tmp_path):
    shot = tmp_path / "report.png"
    done = browser(f"--screenshot={shot}", "--window-size=1280,1400", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    png = shot.read_bytes()
    width, height, pixels = _pixels(png)
    assert (width, height) == (1280, 1400)
    colors = set(pixels)
    assert len(colors) > 50  # text, tiles and charts, not a blank page
    # The SVG week grid was drawn: 10 held cells in green, 2 missed in red (at least
    # a 20 x 20 square each; cells are 44 px less their 1 px gaps).
    assert pixels.count(bytes(HELD_GREEN)) > 10 * 400
    assert pixels.count(bytes(MISSED_RED)) > 2 * 400


# Run in the page's parent after load: the report in a 390 x 844 frame (a phone;
# a headless window cannot be made narrower than 500 px, a frame can), scrolled
# to the week grid for the screenshot, its measures written out for --dump-dom.
PHONE_PROBE = """<script>
addEventListener("load", () => {
  const frame = document.querySelector("iframe");
  const doc = frame.contentDocument;
  const grid = doc.getElementById("weeks");
  frame.contentWindow.scrollTo(0, grid.getBoundingClientRect().top - 40);
  const labels = [...grid.querySelectorAll(".cell .wk")].map((e) => {
    const box = e.getBoundingClientRect();
    const style = frame.contentWindow.getComputedStyle(e);
    return {
      text: e.textContent,
      left: box.left,
      right: box.right,
      height: box.height,
      shown: style.visibility === "visible" && style.display !== "none",
      whole: e.scrollWidth <= e.clientWidth,
    };
  });
  document.getElementById("probe").textContent = JSON.stringify({
    width: frame.contentWindow.innerWidth,
    scrollWidth: doc.documentElement.scrollWidth,
    labels,
  });
});
</script>"""


def _phone(page: Path, tmp_path: Path, probe: str = PHONE_PROBE) -> Path:
    srcdoc = html.escape(page.read_text(encoding="utf-8"), quote=True)
    phone = tmp_path / "phone.html"
    phone.write_text(
        '<!DOCTYPE html><html><body style="margin: 0">'
        f'<iframe width="390" height="844" style="border: 0; display: block" srcdoc="{srcdoc}">'
        f'</iframe><pre id="probe"></pre>{probe}</body></html>',
        encoding="utf-8",
    )
    return phone


def _probe(browser, phone: Path):
    done = browser("--window-size=390,844", "--dump-dom", phone.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout.decode("utf-8"))
    assert found, "the probe did not run"
    return json.loads(html.unescape(found.group(1)))


# Every piece of text of the funnel and the money chart, as the phone shows it
# (an SVG scaled to the screen shrinks its text with it).
FUNNEL_PROBE = """<script>
addEventListener("load", () => {
  const doc = document.querySelector("iframe").contentDocument;
  const texts = [...doc.querySelectorAll("#funnel *, #money svg *")]
    .filter((e) => e.children.length === 0 && e.textContent.trim() && e.tagName !== "title")
    .map((e) => {
      const box = e.getBoundingClientRect();
      return { text: e.textContent.trim(), left: box.left, right: box.right, height: box.height };
    });
  document.getElementById("probe").textContent = JSON.stringify(texts);
});
</script>"""


def test_the_funnel_and_the_money_chart_read_on_a_phone(browser, page, tmp_path):
    texts = _probe(browser, _phone(page, tmp_path, FUNNEL_PROBE))
    shown = [t["text"] for t in texts]
    for stage in ("passed on", "contacted", "prequalified", "application", "closed"):
        assert stage in shown
    assert "7" in shown  # the leads passed on
    assert "Earned" in shown and "Potential" in shown
    assert any("% of the step before" in text for text in shown)
    for t in texts:  # 12 px type at least (a 14 px line), every line on the screen
        assert t["height"] >= 14 and 0 <= t["left"] < t["right"] <= 390, t


def test_the_week_grid_reads_on_a_phone(browser, page, tmp_path):
    phone = _phone(page, tmp_path)
    done = browser("--window-size=390,844", "--dump-dom", phone.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout.decode("utf-8"))
    assert found, "the probe did not run"
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["width"] == 390
    assert probe["scrollWidth"] <= 390  # no sideways scrolling of the page
    labels = probe["labels"]
    # 3 partners x 12 weeks, each cell labelled by its Friday, all on screen, none cut
    assert len(labels) == 36
    fridays = [label["text"] for label in labels[:12]]
    assert fridays[0] == "Fri Sep 11" and fridays[-1] == "Fri Nov 27"
    assert fridays[6] == "Fri Oct 23"  # the skipped week keeps its place, as "no note"
    for label in labels:
        assert label["shown"] and label["whole"], label
        assert 0 <= label["left"] < label["right"] <= 390 and label["height"] > 8, label

    shot = tmp_path / "phone.png"
    done = browser(f"--screenshot={shot}", "--window-size=390,844", phone.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    width, height, pixels = _pixels(shot.read_bytes())
    assert (width, height) == (390, 844)
    # The grid is on screen: Debbie's and Marco's 10 held weeks as green chips
    # (some 78 x 34 px each, less their white text).
    assert pixels.count(bytes(HELD_GREEN)) > 10 * 1000
