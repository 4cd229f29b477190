"""Check that the PyPI `playwright` package drives Debian's /usr/bin/chromium offline.

Serves a tiny page on 127.0.0.1 (ephemeral port, in-process http.server), opens it
in headless Chromium, fills a form field, clicks a button, checks that the page's
script ran, and saves a screenshot. Any request to a non-loopback host is aborted
and makes the check fail. Bounded: every Playwright step has a timeout and the
whole run is limited by the caller (`timeout`).

Usage: python pw_check.py [SCREENSHOT_PNG]     exit 0 = OK, 1 = check failed
Env:   CHROMIUM (default /usr/bin/chromium)
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",  # else Chromium keeps dialling out (refused here)
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = """<!doctype html><html><head><title>pw-check</title></head><body>
<form method="post" action="/submit"><input id="secret" type="password" name="secret"></form>
<button id="b" onclick="document.getElementById('out').textContent='clicked:'+document.getElementById('secret').value">go</button>
<p id="out">idle</p></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):  # keep CI output short
        pass


def main() -> int:
    shot = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), "pw_check.png")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as docroot:
        with open(os.path.join(docroot, "index.html"), "w") as fh:
            fh.write(PAGE)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=docroot))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
        blocked: list[str] = []

        def guard(route):
            host = urlsplit(route.request.url).hostname or ""
            if host in ("127.0.0.1", "localhost", "::1") or route.request.url.startswith(("data:", "about:")):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS, timeout=30_000)
                try:
                    print(f"[pw_check] launched {CHROMIUM} (browser version {browser.version})")
                    page = browser.new_page()
                    page.set_default_timeout(10_000)
                    page.route("**/*", guard)
                    page.goto(url)
                    assert page.title() == "pw-check", f"unexpected title {page.title()!r}"
                    page.fill("#secret", "s3cret")
                    page.click("#b")
                    page.wait_for_function("document.getElementById('out').textContent.startsWith('clicked')")
                    text = page.text_content("#out")
                    assert text == "clicked:s3cret", f"unexpected text {text!r}"
                    page.screenshot(path=shot)
                finally:
                    browser.close()
        finally:
            httpd.shutdown()
    if blocked:
        print(f"[pw_check] FAIL: page tried non-loopback requests: {blocked[:5]}")
        return 1
    print(
        f"[pw_check] OK: loaded {url}, filled + clicked, text={text!r}, "
        f"screenshot {shot} ({os.path.getsize(shot)} bytes) in {time.monotonic() - t0:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
