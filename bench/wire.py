"""How many bytes cross the wire when a peer opens a page for the first time, with nothing in the
browser's cache (issue 15: at most 100 KB)?

    .venv/bin/python bench/wire.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/x]

Steps (see bench/README.md, "wire.py"):

1. A scratch database, as ``bench/home_profile.py`` makes it (SQLite in a temporary folder, or
   ``engage_bench`` on a PostgreSQL server on 127.0.0.1), the migrations, and the demo
   partnership (``engage.demo.seed``; password ``engage-demo``).
2. ``engage serve`` (gunicorn, 2 sync workers, as production starts it) on 127.0.0.1.
3. Debian's Chromium (``/usr/bin/chromium``, headless, through Playwright as in tests/browser)
   signs in as ``peer``; each page is then opened in a new browser context carrying only the
   session cookie, so its cache is empty, and the page is left until the network is idle.
4. Bytes on the wire are Chromium's own count (the DevTools protocol's ``encodedDataLength``
   at ``Network.loadingFinished``): every response of the page, its headers included, as
   received, compressed or not. Bytes uncompressed are the bodies as decoded
   (``Network.dataReceived``), without headers. What the browser sends (requests, cookies) is
   not counted.
5. A table (page, requests, bytes on the wire, bytes uncompressed, within 100 KB), then the
   server stopped and everything removed.

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.home_profile import (  # noqa: E402
    Database,
    scratch_site,
)

CHROMIUM = os.environ.get("ENGAGE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "engage-demo"  # noqa: S105  (the demo database's password)
BUDGET = 100 * 1024


@dataclass
class Load:
    """One page opened with an empty cache: what each response cost."""

    label: str
    path: str
    wire: dict[str, int] = field(default_factory=dict)  # request id -> bytes received
    decoded: dict[str, int] = field(default_factory=dict)  # request id -> body bytes
    urls: dict[str, str] = field(default_factory=dict)  # request id -> URL
    status: int = 0

    @property
    def requests(self) -> int:
        return len(self.wire)

    @property
    def on_the_wire(self) -> int:
        return sum(self.wire.values())

    @property
    def uncompressed(self) -> int:
        return sum(self.decoded.values())


def sign_in(browser, base: str) -> list[dict]:
    """The peer's cookies after signing in through the real form."""
    context = browser.new_context(base_url=base, locale="en-GB")
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email address or username").fill("peer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    cookies = context.cookies()
    context.close()
    return cookies


def first_link(browser, base: str, cookies: list[dict], path: str, pattern: str) -> str:
    """The first link on ``path`` (as the peer) whose address matches ``pattern``."""
    context = browser.new_context(base_url=base, locale="en-GB")
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(path)
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    context.close()
    for href in hrefs:
        if re.fullmatch(pattern, href):
            return href
    raise SystemExit(f"no link matching {pattern} on {path} as peer")


def measure(browser, base: str, cookies: list[dict] | None, label: str, path: str) -> Load:
    """Open ``path`` in a fresh context (an empty cache) and count what it received."""
    load = Load(label, path)
    context = browser.new_context(base_url=base, locale="en-GB")
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")

    def received(event: dict) -> None:
        load.urls[event["requestId"]] = event["response"]["url"]

    def data(event: dict) -> None:
        rid = event["requestId"]
        load.decoded[rid] = load.decoded.get(rid, 0) + event["dataLength"]

    def finished(event: dict) -> None:
        load.wire[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.dataReceived", data)
    cdp.on("Network.loadingFinished", finished)
    response = page.goto(path, wait_until="networkidle")
    load.status = response.status if response else 0
    page.wait_for_timeout(300)  # late loadingFinished events
    context.close()
    return load


def kb(n: int) -> str:
    return f"{n / 1024:,.1f} KB"


def report(loads: list[Load], database: Database, load_avg: list[float], verbose: bool) -> bool:
    print()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {database.label}, "
        f"engage serve (2 sync workers), Chromium headless, empty cache per page; "
        f"load average {' -> '.join(f'{x:.2f}' for x in load_avg)}"
    )
    print()
    print("| page | requests | bytes on the wire | bytes uncompressed | ≤ 100 KB |")
    print("|---|---:|---:|---:|---|")
    ok = True
    for load in loads:
        within = load.on_the_wire <= BUDGET
        ok = ok and within
        print(
            f"| {load.label} (`{load.path}`) | {load.requests} | {kb(load.on_the_wire)} "
            f"| {kb(load.uncompressed)} | {'yes' if within else 'NO'} |"
        )
    if verbose:
        for load in loads:
            print(f"\n{load.label}:")
            for rid, url in sorted(load.urls.items(), key=lambda item: item[1]):
                print(f"  {load.wire.get(rid, 0):>8,} {load.decoded.get(rid, 0):>8,}  {url}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server on 127.0.0.1 to make the scratch database engage_bench on",
    )
    parser.add_argument("--show-requests", action="store_true", help="each response's bytes")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs Debian's Chromium at {CHROMIUM}")

    load_avg = [os.getloadavg()[0]]
    with scratch_site("engage-bench-wire-", args.database_url, freeze=False) as site:
        from engage import demo
        from engage.extensions import db

        database = site.database
        with site.app.app_context():
            demo.seed(extra_peers=5)
            db.session.commit()
        port = site.start_gunicorn()
        base = f"http://127.0.0.1:{port}"
        print(f"engage serve on {base}", flush=True)

        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            cookies = sign_in(browser, base)
            meeting = first_link(browser, base, cookies, "/forums", r"/forums/\d+")
            meeting = first_link(browser, base, cookies, meeting, r"/meetings/\d+")
            survey = first_link(browser, base, cookies, "/surveys", r"/surveys/\d+")
            pages = [
                ("sign-in page", "/login", None),
                ("peer home", "/", cookies),
                ("a meeting", meeting, cookies),
                ("claims form", "/claims/new", cookies),
                ("a survey", survey, cookies),
                ("register", "/register", cookies),
            ]
            load_avg.append(os.getloadavg()[0])
            loads = []
            for label, path, jar in pages:
                loads.append(measure(browser, base, jar, label, path))
                if loads[-1].status != 200:
                    raise SystemExit(f"{path} answered {loads[-1].status}")
            browser.close()
        site.stop_gunicorn()
        load_avg.append(os.getloadavg()[0])
        return 0 if report(loads, database, load_avg, args.show_requests) else 1


if __name__ == "__main__":
    sys.exit(main())
