"""Who may ask at all, over a real server: the Host names served (DNS rebinding), the dashboard's content
policy, the budget of clients without a token, and /metrics as a read."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import READ, WRITE, http_settings
from wirewatch.api.limits import served_hosts
from wirewatch.api.server import serving

DASHBOARD = Path(__file__).resolve().parents[2] / "wirewatch" / "api" / "static" / "dashboard.html"


def test_a_loopback_server_answers_loopback_names_only(redis_url: str, tmp_path: Path) -> None:
    """A page whose name an attacker rebinds to 127.0.0.1 sends its own name as Host: refused with 421, so a
    browser cannot read the local API for it; localhost and loopback addresses, with any port, are served."""
    with serving(http_settings(redis_url, tmp_path), redis_url) as base:
        port = base.rsplit(":", 1)[1]
        refused = httpx.get(f"{base}/v1/events", headers={"Host": f"rebind.attacker.example:{port}"})
        assert refused.status_code == 421
        assert refused.json()["error"] == "host_not_served" and "http.allowed_hosts" in refused.json()["detail"]
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST"):
            assert httpx.get(f"{base}/healthz", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_name_a_proxys_public_name(redis_url: str, tmp_path: Path) -> None:
    settings = http_settings(redis_url, tmp_path, allowed_hosts=["News.Example"])
    with serving(settings, redis_url) as base:
        assert httpx.get(f"{base}/healthz", headers={"Host": "news.example"}).status_code == 200
        assert httpx.get(f"{base}/healthz", headers={"Host": "other.example"}).status_code == 421
        assert httpx.get(f"{base}/healthz").status_code == 200  # loopback names stay served


def test_served_hosts() -> None:
    assert served_hosts("0.0.0.0", None) is None  # noqa: S104 - reached by name (compose's `api`): any Host
    assert served_hosts("127.0.0.1", ["*"]) is None
    assert served_hosts("::1", None) == {"localhost", "127.0.0.1", "::1"}
    assert served_hosts("10.0.0.5", ["api.internal"]) == {"api.internal", "localhost", "127.0.0.1", "::1"}


def test_the_dashboard_allows_its_own_script_and_nothing_else(api: str) -> None:
    """The policy names the page's inline script and style by hash, so a title that ever got into the page as
    markup could not run; the page is never framed and links send no referrer."""
    response = httpx.get(api + "/")
    policy = response.headers["content-security-policy"]
    page = DASHBOARD.read_text(encoding="utf-8")
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY" and response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_clients_without_a_token_share_a_budget_per_address(redis_url: str, tmp_path: Path) -> None:
    """Public reads and failed tokens count against the client's address; past it, 429 with Retry-After. A
    valid token has its own budget and is still served."""
    settings = http_settings(redis_url, tmp_path, anonymous_rate_limit=3)
    with serving(settings, redis_url) as base:
        assert [httpx.get(f"{base}/v1/events").status_code for _ in range(2)] == [200, 200]
        bad = {"Authorization": "Bearer not-a-token-of-ours-at-all"}
        assert httpx.get(f"{base}/v1/events", headers=bad).status_code == 401
        held = httpx.get(f"{base}/v1/events", headers=bad)
        assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
        assert httpx.get(f"{base}/v1/events").status_code == 429
        assert httpx.get(f"{base}/v1/events", headers=READ).status_code == 200


@pytest.mark.parametrize("public", [True, False])
def test_metrics_are_a_read(redis_url: str, tmp_path: Path, public: bool) -> None:
    """With public_read off, /metrics wants a read token like every other read (it was open)."""
    with serving(http_settings(redis_url, tmp_path, public_read=public), redis_url) as base:
        assert httpx.get(f"{base}/metrics").status_code == (200 if public else 401)
        scraped = httpx.get(f"{base}/metrics", headers=READ)
        assert scraped.status_code == 200 and "wirewatch_queue_depth" in scraped.text


def test_a_subscription_posting_to_a_loopback_address_is_refused_when_added(http: httpx.Client) -> None:
    """Served without allow_private_networks, whose workers would refuse every delivery to it: 422 at once."""
    sub = {"name": "local", "query": "alpha", "webhook": "http://127.0.0.1:9/hook", "secret": "s" * 32}
    refused = http.post("/v1/subscriptions", json=sub, headers=WRITE)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_subscription"
    assert "allow_private_networks" in refused.json()["detail"]
    assert http.get("/v1/subscriptions", headers=WRITE).json()["items"] == []
