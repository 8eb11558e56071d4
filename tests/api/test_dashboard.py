"""The dashboard in headless Chromium: a pushed article appears live, without a reload; a screenshot is kept."""

from __future__ import annotations

import os
import resource
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import WRITE
from tests.api.test_receiver import ARTICLE, article
from tests.conftest import CI

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
    titles = page.eval_on_selector_all("#events .title", "nodes => nodes.map((n) => n.textContent)")
    assert sorted(titles) == sorted(article(n)["title"] for n in range(4))


def _readiness_answer(message: Any) -> bool:
    """Whether a console error is Chromium's note of a /readyz 503, an answer the dashboard shows, not a fault."""
    return str(message.location.get("url", "")).endswith("/readyz") and "status of 503" in message.text
