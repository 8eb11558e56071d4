"""The dashboard in headless Chromium: a pushed article appears live, without a reload; a screenshot is kept."""

from __future__ import annotations

import os
import resource
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import WRITE, http_settings
from tests.api.test_read import add, make_alert, make_event
from tests.api.test_receiver import ARTICLE, article
from tests.conftest import CI
from wirewatch import constants as c
from wirewatch.api.server import serving

CHROMIUM = os.environ.get("WIREWATCH_CHROMIUM", "/usr/bin/chromium")
# No network beyond loopback, no first-run work, nothing the sandboxed CI user cannot do.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def browser() -> Any:
    """Chromium driven by Playwright; skipped where it is absent, except in CI, where that fails."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if CI:
            pytest.fail(f"chromium missing at {CHROMIUM} (CI installs the Debian chromium package)")
        pytest.skip(f"chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    # An in-process solo worker caps this process's address space (worker_process_init runs here too), and
    # Chromium, which reserves huge virtual ranges, dies under that cap: lift it for the browser's processes.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield launched
            launched.close()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_dashboard_shows_an_article_as_it_arrives(worker_app: Any, api: str, browser: Any, tmp_path: Path) -> None:
    """The page connects to the SSE stream, then a pushed article shows up in the live list and the counts."""
    from playwright.sync_api import expect

    for n in range(3):
        assert httpx.post(f"{api}/v1/articles", json=article(n), headers=WRITE).status_code == 202
    page = browser.new_page(viewport={"width": 1366, "height": 820})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The page runs under its Content-Security-Policy: anything it blocks is a console error. Except one: a 503
    # from /readyz is an answer the page shows ("not ready": a worker slow to answer its ping on a loaded machine),
    # which Chromium logs as a failed resource load all the same.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not _readiness_answer(m) else None)
    page.goto(f"{api}/")
    page.wait_for_selector("#live-text:text('live')", timeout=15_000)
    expect(page.locator("#events li[data-id]")).to_have_count(3, timeout=30_000)
    assert httpx.post(f"{api}/v1/articles", json=ARTICLE, headers=WRITE).status_code == 202
    newest = page.locator("#events li").first
    newest.locator(f"text={ARTICLE['title']}").wait_for(timeout=30_000)
    page.locator(".count", has_text="emitted").first.wait_for(timeout=10_000)
    page.wait_for_selector("#ready-text:text-is('ready')", timeout=15_000)
    assert page.locator("#events li[data-id]").count() == 4
    assert errors == []
    out = Path(os.environ.get("WIREWATCH_ARTIFACTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "dashboard.png"), full_page=False)
    assert (out / "dashboard.png").stat().st_size > 10_000


def test_dashboard_links_only_web_addresses(worker_app: Any, api: str, browser: Any) -> None:
    """An article whose url is javascript: or data: (a partner or a feed can send one; the pipeline keeps it)
    is listed with its title as plain text, not as a link that runs script in the dashboard's origin."""
    from playwright.sync_api import expect

    hostile = ["javascript:document.title='owned'//", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>"]
    for n, url in enumerate([*hostile, "https://example.org/fine"]):
        assert httpx.post(f"{api}/v1/articles", json={**article(n), "url": url}, headers=WRITE).status_code == 202
    page = browser.new_page()
    page.goto(f"{api}/")
    expect(page.locator("#events li[data-id]")).to_have_count(4, timeout=30_000)
    hrefs = page.eval_on_selector_all("#events a", "links => links.map((a) => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/fine"]
    assert page.locator("#events a").get_attribute("rel") == "noopener noreferrer"
    titles = page.eval_on_selector_all("#events .title", "nodes => nodes.map((n) => n.textContent)")
    assert sorted(titles) == sorted(article(n)["title"] for n in range(4))


HOSTILE = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: what follows it, to the end of its paragraph, is drawn reversed


def test_dashboard_shows_hostile_text_as_text_in_its_own_order(
    worker_app: Any, api: str, client: Any, browser: Any
) -> None:
    """Markup in a title, a source name or a subscription name is shown as text and runs nothing; a bidi override
    in one field (a source named "Herald" + U+202E) stays in that field instead of reversing the rest of the line
    ("en · published … · 42 words" drawn backwards), and a right-to-left title is laid out right to left. The
    subscription is one stored before names with an override were refused (`check_name`): such names are still
    shown."""
    from playwright.sync_api import expect

    from schemas import Subscription
    from worker.subscriptions import put_subscription, subscription_id

    http = httpx.Client(base_url=api, timeout=10)
    name = HOSTILE + RLO
    put_subscription(client, Subscription(id=subscription_id(name), name=name, query="title:bridge"))
    time.sleep(1.5)  # workers re-read subscriptions at most once a second
    arabic = "إعادة فتح جسر الميناء بعد ستة أشهر من الإصلاحات"
    pushed = [{**ARTICLE, "title": HOSTILE + " bridge", "source": "Herald" + RLO},
              {**article(1), "title": arabic, "url": "https://example.org/ar"}]  # fmt: skip
    assert http.post("/v1/articles", json=pushed, headers=WRITE).status_code == 202
    page = browser.new_page(viewport={"width": 1366, "height": 820})
    page.goto(f"{api}/")
    expect(page.locator("#events li[data-id]")).to_have_count(2, timeout=30_000)
    expect(page.locator("#alerts li")).to_have_count(1, timeout=30_000)
    assert page.title() == "wirewatch" and page.locator("#events img, #alerts img, #events script").count() == 0
    hostile = page.locator("#events li[data-id]", has_text="bridge")
    assert hostile.locator(".title").text_content() == HOSTILE + " bridge"
    assert name in (page.locator("#alerts li").text_content() or "")
    expect(page.locator("#alerts li")).to_contain_text("title:bridge")  # why it fired
    # Where each part of the meta line is drawn: in reading order, left to right, the override notwithstanding.
    meta = hostile.locator(".meta")
    order = meta.evaluate(_X_OF, ["Herald", "en", "published", "words"])
    assert order == sorted(order), f"meta line drawn out of order: {meta.text_content()!r} at {order}"
    alert_meta = page.locator("#alerts li .meta").first
    name_x, date_x = alert_meta.evaluate(_X_OF, ["script", str(datetime.now().year)])
    assert name_x < date_x, f"alert line drawn out of order: {alert_meta.text_content()!r}"
    title = page.locator("#events li[data-id]", has_text=arabic).locator(".title")
    assert title.evaluate("(n) => getComputedStyle(n.querySelector('a') || n).direction") == "rtl"


def test_dashboard_resumes_from_its_last_article_after_a_refused_reconnect(api: str, client: Any, browser: Any) -> None:
    """A stream that drops and whose reconnect is refused is opened again from the last article listed (`?after=`),
    not from the backlog: what arrived meanwhile is listed, nothing twice."""
    from playwright.sync_api import expect

    add(client, c.EVENTS_STREAM, [make_event(n) for n in range(3)])
    page = browser.new_page()
    opened: list[str] = []
    page.on("request", lambda r: opened.append(r.url) if "/v1/stream/events" in r.url else None)
    page.goto(f"{api}/")
    expect(page.locator("#events li[data-id]")).to_have_count(3, timeout=30_000)
    page.route("**/v1/stream/events**", lambda route: route.fulfill(status=502, body="bad gateway"))
    client.client_kill_filter(_type="normal", skipme=True)  # the API's XREAD fails: its stream ends
    expect(page.locator("#live-text")).to_contain_text("offline", timeout=15_000)
    add(client, c.EVENTS_STREAM, [make_event(3)])
    page.unroute("**/v1/stream/events**")
    expect(page.locator("#live-text")).to_have_text("live", timeout=30_000)
    expect(page.locator("#events li[data-id]")).to_have_count(4, timeout=10_000)
    assert "after=" in opened[-1] and "backlog" not in opened[-1], opened
    ids = page.eval_on_selector_all("#events li[data-id]", "items => items.map((li) => li.dataset.id)")
    assert ids == [make_event(n)["id"] for n in (3, 2, 1, 0)]


def test_dashboard_keeps_a_bounded_list_over_a_long_day(api: str, client: Any, browser: Any) -> None:
    """A day of streaming does not grow the page without bound: the newest 200 articles are kept and the count
    says how many arrived; a title of 2,000 characters without a space wraps inside the list instead of
    widening it."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1366, "height": 820})
    page.goto(f"{api}/")
    page.wait_for_selector("#live-text:text('live')", timeout=15_000)
    long = {**make_event(0), "title": "Ш" * 1000 + "https://example.org/" + "a" * 980}
    add(client, c.EVENTS_STREAM, [long, *(make_event(n) for n in range(1, 250))])
    expect(page.locator("#events-count")).to_have_text("newest 200 of 250 shown", timeout=30_000)
    assert page.locator("#events li").count() == 200
    assert page.locator("#events li").first.text_content() == "Event 249" + "tests · en · 1 words"
    add(client, c.EVENTS_STREAM, [long | {"id": "long"}])
    page.locator("#events li[data-id='long']").wait_for(timeout=10_000)
    assert page.eval_on_selector("#events", "(list) => list.scrollWidth <= list.clientWidth")
    assert page.locator("#events li[data-id='long'] .title").evaluate("(t) => t.clientHeight < 100")  # 3 lines


# The left edge of the first occurrence of each string in an element's text, across its text nodes.
_X_OF = """(node, needles) => {
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  const texts = []; while (walker.nextNode()) texts.push(walker.currentNode);
  return needles.map((needle) => {
    for (const t of texts) {
      const at = t.data.indexOf(needle);
      if (at < 0) continue;
      const range = document.createRange(); range.setStart(t, at); range.setEnd(t, at + needle.length);
      return Math.round(range.getBoundingClientRect().left);
    }
    throw new Error("not in the text: " + needle);
  });
}"""


def test_dashboard_comes_back_after_its_streams_are_refused(
    redis_url: str, tmp_path: Path, client: Any, browser: Any
) -> None:
    """A stream refused with a status (503: every slot taken; a proxy's 502 while the API restarts) ends an
    EventSource for good; the page says so and opens it again once it can, without listing anything twice."""
    from playwright.sync_api import expect

    add(client, c.EVENTS_STREAM, [make_event(n) for n in range(3)])
    with serving(http_settings(redis_url, tmp_path, max_streams=2), redis_url) as base:
        held = [httpx.stream("GET", f"{base}/v1/stream/{kind}") for kind in ("events", "alerts")]
        for stream in held:
            assert stream.__enter__().status_code == 200
        page = browser.new_page()
        try:
            page.goto(f"{base}/")
            expect(page.locator("#live-text")).not_to_have_text("connecting…", timeout=15_000)
            time.sleep(3)  # an EventSource's own retry (2 s) has passed: it would have come back by now
            expect(page.locator("#live-text")).not_to_have_text("live")
        finally:
            for stream in held:
                stream.__exit__(None, None, None)
        expect(page.locator("#live-text")).to_have_text("live", timeout=30_000)
        expect(page.locator("#events li[data-id]")).to_have_count(3, timeout=10_000)
        add(client, c.EVENTS_STREAM, [make_event(3)])
        add(client, c.ALERTS_STREAM, [make_alert(0)])
        expect(page.locator("#alerts li")).to_have_count(1, timeout=10_000)
        expect(page.locator("#events li[data-id]")).to_have_count(4, timeout=10_000)
        ids = page.eval_on_selector_all("#events li[data-id]", "items => items.map((li) => li.dataset.id)")
        assert sorted(ids) == [make_event(n)["id"] for n in range(4)]
        page.close()


def _readiness_answer(message: Any) -> bool:
    """Whether a console error is Chromium's note of a /readyz 503, an answer the dashboard shows, not a fault."""
    return str(message.location.get("url", "")).endswith("/readyz") and "status of 503" in message.text
