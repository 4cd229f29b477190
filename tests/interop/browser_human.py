"""A ``$BROWSER`` for the interop tests: the human at a confirmation page, pressing one button.

``python browser_human.py confirm|cancel RECORD URL``. The server opens its one-time confirmation page with
Python's webbrowser, which runs this; it GETs the page as a browser would, reads the form's nonce and POSTs
the chosen button same-origin, then records the URL it was handed. Any other page (a login page) is not
opened (exit 1), so the server falls back to its next way of reaching the human. Loopback pages only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx


def main(choice: str, record: str, url: str) -> int:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost") or "/olares-confirm/" not in parts.path:
        return 1
    origin = f"{parts.scheme}://{parts.netloc}"
    with httpx.Client(timeout=20) as browser:
        page = browser.get(url)
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        if page.status_code != 200 or nonce is None:
            return 1
        answer = browser.post(url, data={"nonce": nonce.group(1), "choice": choice}, headers={"Origin": origin})
    with Path(record).open("a", encoding="utf-8") as out:
        out.write(f"{answer.status_code} {url}\n")
    return 0 if answer.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
