"""Stories through the real pipeline: near-duplicates share a story_id, story records, the stories CLI."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from schemas import RawSource, Story
from tests.helpers import make_raw_article, stream_events, wait_for_status
from wirewatch import cli
from wirewatch import constants as c
from wirewatch.settings import Settings
from worker import similarity as sim
from worker.stories import list_stories, read_story, story_articles


def syndicated(seed_text: str) -> str:
    """The seed as another outlet runs it: new headline and link, the ending trimmed, a sign-off added."""
    lines = seed_text.splitlines()
    body = [ln for ln in lines[1:] if not ln.startswith("Original:")]
    keep = body[: int(len(body) * 0.6)]
    return "\n".join(
        ["# Nine jailed in China over fentanyl sales to US buyers",
         "Original: [Daily Example](https://daily.example.com/world/china-fentanyl-nine-jailed)",
         *keep, "", "Sign up for our newsletter to get the latest news delivered to your inbox."]
    )  # fmt: skip


OTHER = """# Harbour bridge to close for repairs over the weekend

Original: [City Example](https://city.example.org/harbour-bridge-repairs)

The harbour bridge will close to traffic from Friday night until Monday morning while engineers replace
worn expansion joints, the city transport office said on Wednesday. Buses will be diverted through the
tunnel and extra ferries will run every fifteen minutes. The work was postponed twice last year because of
storms, and officials said the joints could not wait another winter without risking damage to the deck.
"""


def _inbox(content: str, name: str) -> Any:
    return make_raw_article(content=content, source=RawSource(kind="inbox", path=f"{name}.txt"))


@pytest.fixture
def three_stories(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis, seed_text: str
) -> list[dict[str, Any]]:
    """The seed, a syndicated copy, an exact re-run of the seed, and an unrelated article, in that order."""
    for content, name in [(seed_text, "seed"), (syndicated(seed_text), "copy"), (seed_text, "again"),
                          (OTHER, "other")]:  # fmt: skip
        wait_for_status(client, submit(_inbox(content, name)))
    return stream_events(client)


def test_near_duplicate_gets_its_own_event_with_the_first_story_id(three_stories: list[dict[str, Any]]) -> None:
    """The copy is its own event carrying the seed's story_id; the exact re-run makes none; others differ."""
    seed, copy, other = three_stories
    assert seed["story_id"] == seed["id"]
    assert copy["id"] != seed["id"] and copy["story_id"] == seed["id"]
    assert other["story_id"] == other["id"]


def test_story_record_counts_emitted_articles(three_stories: list[dict[str, Any]], client: redis.Redis) -> None:
    """The story holds its title, first article, both sources and its articles in emit order."""
    seed, copy, _ = three_stories
    story = read_story(client, seed["id"])
    assert isinstance(story, Story)
    assert story.title == seed["title"] and story.first_article_id == seed["id"]
    assert story.article_count == 2
    assert story.sources == sorted({seed["source"]["name"], copy["source"]["name"]})
    assert story.first_seen <= story.last_seen
    assert story_articles(client, seed["id"]) == [seed["id"], copy["id"]]
    assert [s.story_id for s in list_stories(client, 0)] == [seed["id"], three_stories[2]["id"]]


def test_stories_cli(three_stories: list[dict[str, Any]], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wirewatch stories --json` lists stories oldest first; `stories show ID` lists the story's articles."""
    monkeypatch.setenv("WIREWATCH_REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("WIREWATCH_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    listed = runner.invoke(cli.main, ["stories", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["story_id"] for r in rows] == [three_stories[0]["id"], three_stories[2]["id"]]
    assert rows[0]["article_count"] == 2
    Story.model_validate(rows[0])
    shown = runner.invoke(cli.main, ["stories", "show", three_stories[0]["id"], "--json"])
    assert shown.exit_code == 0, shown.output
    story, *articles = [json.loads(line) for line in shown.output.splitlines()]
    assert story["story_id"] == three_stories[0]["id"]
    assert [a["id"] for a in articles] == [three_stories[0]["id"], three_stories[1]["id"]]
    table = runner.invoke(cli.main, ["stories", "show", three_stories[0]["id"]])
    assert table.exit_code == 0 and "2 article(s)" in table.output
    missing = runner.invoke(cli.main, ["stories", "show", "nope"])
    assert missing.exit_code != 0 and re.search("no story", missing.output)


def test_settings_defaults_match_the_measured_thresholds(settings: Settings) -> None:
    """The configurable near-duplicate thresholds default to the values chosen in docs/stories.md."""
    d = settings.dedup
    th = sim.Thresholds()
    assert (d.near_jaccard, d.near_containment, d.near_short_jaccard, d.near_numbers, d.near_head_numbers,
            d.near_head_names) == (th.jaccard, th.containment, th.short_jaccard, th.numbers, th.head_numbers,
                                   th.head_names)  # fmt: skip


def _copy_of_seed(seed_text: str, n: int) -> str:
    """Outlet n's copy: own headline and link, one paragraph dropped, its own sign-off."""
    lines = seed_text.splitlines()
    body = [ln for ln in lines[1:] if ln.strip() and not ln.startswith("Original:")]
    del body[3 + n % 10]
    return "\n".join([f"# Outlet {n}: China jails nine in fentanyl case",
                      f"Original: [Outlet {n}](https://outlet{n}.example.com/world/fentanyl-{n})",
                      *body, f"Copyright {2019 + n % 3} Outlet {n}."])  # fmt: skip


def _emit_copy(client: redis.Redis, worker: Any, seed_text: str, n: int) -> None:
    """Copy ``n`` of the seed article, from source "Outlet n", through the pipeline."""
    from worker.pipeline import process

    raw = _inbox(_copy_of_seed(seed_text, n), f"copy{n}")
    client.hset(c.LEDGER_PAYLOAD, raw.delivery_id, raw.model_dump_json(by_alias=True))
    process([raw.delivery_id], worker)


def _story_written_before_the_bound(client: redis.Redis, settings: Settings, make_worker: Callable[..., Any],
                                    seed_text: str, sources: list[str]) -> tuple[Callable[[int], None], str]:  # fmt: skip
    """A story of the seed's first copy, its sources made a plain set of ``sources`` with no ``first_source`` nor
    ``source_count``, as written before the bound (`dedup.story_sources`, here 3); and how to emit copy n."""
    from worker.stories import story_key, story_sources_key

    settings.dedup.story_sources = 3
    emit = functools.partial(_emit_copy, client, make_worker(), seed_text)
    emit(0)
    [story_id] = {e["story_id"] for e in stream_events(client)}
    client.delete(story_sources_key(story_id))
    client.hdel(story_key(story_id), "first_source", "source_count")
    client.sadd(story_sources_key(story_id), *sources)
    return emit, story_id


@pytest.mark.slow
def test_four_worker_processes_racing_on_copies_make_one_story(
    client: redis.Redis, settings: Settings, redis_url: str, seed_text: str, tmp_path: Any
) -> None:
    """4 worker processes on 50 copies (and 5 exact re-runs) in parallel: one story, 50 articles, none lost."""
    import os
    import subprocess
    import sys

    from producers.submit import Submitter
    from wirewatch.outcomes import Outcomes
    from wirewatch.queue import celery_app

    env = {**os.environ, "WIREWATCH_REDIS_URL": redis_url, "WIREWATCH_DATA_DIR": str(tmp_path / "data"),
           "WIREWATCH_LOG_LEVEL": "warning"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "worker", "--concurrency", "4"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    app = celery_app(redis_url)
    try:
        copies = [_inbox(_copy_of_seed(seed_text, n), f"copy{n}") for n in range(50)]
        reruns = [_inbox(_copy_of_seed(seed_text, n), f"rerun{n}") for n in range(0, 50, 10)]
        submitter = Submitter(client, app, Outcomes(client, settings), batch_size=1)
        ids = submitter.submit(copies + reruns)
        statuses = wait_for_status(client, ids, timeout=90)
    finally:
        app.close()
        proc.terminate()
        proc.wait(30)
    states = sorted(s["state"] for s in statuses.values())
    assert states == ["duplicate"] * 5 + ["emitted"] * 50
    events = stream_events(client)
    assert len(events) == 50 and len({e["id"] for e in events}) == 50
    [story_id] = {e["story_id"] for e in events}
    assert story_id in {e["id"] for e in events}
    story = read_story(client, story_id)
    assert story is not None and story.article_count == 50 and len(story.sources) == 50
    assert sorted(story_articles(client, story_id)) == sorted(e["id"] for e in events)


_RELEASE_TRAILER = """About Northwind Energy

Northwind Energy is a leading developer of offshore wind farms in Northern Europe. Founded in 2004 and
headquartered in Hamburg, the company operates 14 wind farms with a combined capacity of 3.2 gigawatts and
employs more than 1,800 people in six countries. Northwind Energy is listed on the Frankfurt Stock Exchange.
For more information, visit www.northwind-energy.example.

Media contact

Anna Berger, Head of Communications, Northwind Energy, phone +49 40 555 0100, press@northwind-energy.example

Forward-looking statements

This press release contains forward-looking statements that are based on current assumptions and forecasts
of the management of Northwind Energy. Various known and unknown risks, uncertainties and other factors could
lead to material differences between the actual future results, financial situation, development or
performance of the company and the estimates given here.
"""
_RELEASES = {
    "cfo": """# Northwind Energy appoints new chief financial officer

Original: [Northwind Energy](https://northwind-energy.example/press/new-cfo)

Hamburg, 3 March 2024 – Northwind Energy has appointed Maria Olsen as chief financial officer with effect
from 1 May. Olsen joins from a Danish utility, where she led the finance department for eight years. She
succeeds Thomas Keller, who is retiring after a long career with the group.
""",
    "tender": """# Northwind Energy wins tender for Baltic Sea project

Original: [Northwind Energy](https://northwind-energy.example/press/baltic-tender)

Hamburg, 12 March 2024 – Northwind Energy has won a government tender to build a 900-megawatt wind farm in
the Baltic Sea. Construction is due to begin next year, with first power expected in 2027. The project will
supply electricity to around 900,000 households.
""",
}


def test_two_releases_of_one_company_are_two_stories_and_each_alerts(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis
) -> None:
    """Two press releases share their issuer's trailer (boilerplate, contacts, legal notes: most of their
    text) and nothing else: two stories, each alerting once. An outlet's copy of one, trailer cut, is that
    one's story."""
    from worker.subscriptions import put_subscription, validate

    put_subscription(client, validate("northwind", "northwind"))
    texts = [(_RELEASES["cfo"] + "\n" + _RELEASE_TRAILER, "cfo"), (_RELEASES["tender"] + "\n" + _RELEASE_TRAILER,
             "tender"), (_RELEASES["cfo"].replace("# Northwind", "# Wind firm Northwind").replace(
             "northwind-energy.example/press", "wire.example/business"), "cfo-copy")]  # fmt: skip
    for content, name in texts:
        wait_for_status(client, submit(_inbox(content, name)))
    events = {e["title"]: e for e in stream_events(client)}
    cfo, tender = events["Northwind Energy appoints new chief financial officer"], events[
        "Northwind Energy wins tender for Baltic Sea project"]  # fmt: skip
    copy = events["Wind firm Northwind Energy appoints new chief financial officer"]
    assert cfo["story_id"] != tender["story_id"]
    assert copy["story_id"] == cfo["story_id"]
    alerts = [json.loads(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    assert sorted(a["story_id"] for a in alerts) == sorted([cfo["story_id"], tender["story_id"]])


@pytest.mark.parametrize(
    ("paragraph", "cut"),
    [
        ("About Northwind Energy", True), ("About us", True), ("MEDIA CONTACTS:", True),
        ("Forward-looking statements", True), ("Disclaimer", True), ("###", True),
        # prose that starts like a heading
        ("About an hour later, police arrived.", False), ("About a dozen protesters gathered outside.", False),
        ("About Town.", False),
    ],
)  # fmt: skip
def test_only_a_trailer_heading_ends_the_compared_text(paragraph: str, cut: bool) -> None:
    from worker.stories import signature_text

    lede = "The council met on Tuesday and voted on the budget for the coming year after a long debate. " * 3
    compared = signature_text("T", f"{lede}\n\n{paragraph}\n\nWhat follows the paragraph.")
    assert ("What follows" not in compared) is cut


def test_story_times_follow_the_emits_when_copies_race_on_two_workers(
    client: redis.Redis, make_worker: Callable[..., Any], seed_text: str
) -> None:
    """Two copies of one story on two workers, the first worker's batch stopped just before its emit while the
    second worker's batch runs whole: the story's first_seen is not after its last_seen, and it is listed by the
    time of its latest emit."""
    import time

    from worker.pipeline import process

    early, late = _inbox(seed_text, "seed"), _inbox(syndicated(seed_text), "copy")
    client.hset(c.LEDGER_PAYLOAD, mapping={r.delivery_id: r.model_dump_json(by_alias=True) for r in (early, late)})
    second = make_worker()

    def late_runs_whole() -> None:
        time.sleep(0.01)  # the first worker read its clock for the emit; the second worker's emit comes after
        process([late.delivery_id], second)

    process([early.delivery_id], make_worker(before_emit=late_runs_whole))
    events = stream_events(client)
    assert len(events) == 2
    [story_id] = {e["story_id"] for e in events}
    story = read_story(client, story_id)
    assert story is not None and story.article_count == 2
    assert story.first_seen <= story.last_seen
    score = client.zscore(c.key("stories"), story_id)
    assert score is not None and int(score) == int(story.last_seen.timestamp() * 1000)
    ingested = max(e["ingested_at"] for e in events)  # the server's time of the latest emit
    assert story.last_seen.isoformat(timespec="milliseconds").replace("+00:00", "Z") >= ingested[:23] + "Z"


def test_story_keeps_its_first_and_newest_articles_and_counts_them_all(
    client: redis.Redis, settings: Settings, make_worker: Callable[..., Any], seed_text: str
) -> None:
    """A story that copies keep alive holds its first article and the newest ``dedup.story_articles`` ids, while
    its count, sources and every event's story_id go on as before."""
    from worker.pipeline import process

    settings.dedup.story_articles = 3
    worker = make_worker()
    copies = [_inbox(_copy_of_seed(seed_text, n), f"copy{n}") for n in range(7)]
    for raw in copies:  # one at a time, so the emit order is the submission order
        client.hset(c.LEDGER_PAYLOAD, raw.delivery_id, raw.model_dump_json(by_alias=True))
        process([raw.delivery_id], worker)
    events = stream_events(client)
    assert len(events) == 7
    [story_id] = {e["story_id"] for e in events}
    ids = [e["id"] for e in events]
    assert story_id == ids[0]
    assert story_articles(client, story_id) == [ids[0], *ids[-3:]]
    story = read_story(client, story_id)
    assert story is not None and story.article_count == 7 and story.first_article_id == ids[0]
    assert len(story.sources) == 7


def test_two_match_reports_of_one_template_are_two_stories_and_each_alerts(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis
) -> None:
    """Two match reports from one template, other teams' order and another score (one number each, too few for the
    numbers rule), are two stories, each alerting once; an outlet's copy of the first, under its own headline, with an en
    dash in the score, its last sentence cut and a sign-off, joins the first."""
    from tests.worker.test_similarity import match_report
    from worker.subscriptions import put_subscription, validate

    put_subscription(client, validate("football", "arsenal"))

    def page(report: str, url: str) -> str:
        title, body = report.split("\n\n", 1)
        return f"# {title}\n\nOriginal: [Sport Example]({url})\n\n{body}\n"

    first = match_report("Arsenal", "Chelsea", "2-1", "the Emirates")
    texts = [(page(first, "https://sport.example/arsenal-chelsea"), "first"),
             (page(match_report("Chelsea", "Arsenal", "3-0", "Stamford Bridge"), "https://sport.example/chelsea-arsenal"),
              "second"),
             (page("Arsenal edge Chelsea 2–1\n\n" + first.split("\n\n", 1)[1].replace("2-1", "2–1").rsplit(". ", 1)[0]
                  + ".\n\nReporting by Wire Example; editing by the sports desk.",
                   "https://wire.example/arsenal-win"), "copy")]  # fmt: skip
    for content, name in texts:
        wait_for_status(client, submit(_inbox(content, name)))
    events = stream_events(client)
    assert len(events) == 3
    first_ev, second_ev, copy_ev = events
    assert first_ev["story_id"] == first_ev["id"] and second_ev["story_id"] == second_ev["id"]
    assert copy_ev["story_id"] == first_ev["id"]
    alerts = [json.loads(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    assert sorted(a["story_id"] for a in alerts) == sorted([first_ev["id"], second_ev["id"]])


def test_story_keeps_its_first_and_newest_sources_and_counts_them_all(
    client: redis.Redis, settings: Settings, make_worker: Callable[..., Any], seed_text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A story carried by ever more sources holds its first source and the ``dedup.story_sources`` that carried it
    most recently (a source that carries it again is recent again), while ``source_count`` counts every distinct
    source and its articles go on as before."""
    from worker.pipeline import process
    from worker.stories import story_key

    settings.dedup.story_sources = 3
    worker = make_worker()
    outlets = [0, 1, 2, 3, 2, 4, 5]  # Outlet 2 carries it again: Outlets 1 and 3 are the ones to go
    for n, outlet in enumerate(outlets):  # one at a time, so the emit order is the submission order
        raw = _inbox(_copy_of_seed(seed_text, n).replace(f"[Outlet {n}]", f"[Outlet {outlet}]"), f"copy{n}")
        client.hset(c.LEDGER_PAYLOAD, raw.delivery_id, raw.model_dump_json(by_alias=True))
        process([raw.delivery_id], worker)
    events = stream_events(client)
    assert len(events) == 7
    [story_id] = {e["story_id"] for e in events}
    story = read_story(client, story_id)
    assert story is not None and story.article_count == 7
    assert story.sources == ["Outlet 0", "Outlet 2", "Outlet 4", "Outlet 5"]
    assert client.hget(story_key(story_id), "source_count") == "6" and story.source_count == 6
    # The CLI names the sources it lists and counts the one it no longer does.
    monkeypatch.setenv("WIREWATCH_REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("WIREWATCH_DATA_DIR", str(settings.data_dir))
    shown = CliRunner().invoke(cli.main, ["stories", "show", story_id])
    assert shown.exit_code == 0 and "from Outlet 0, Outlet 2, Outlet 4, Outlet 5 and 2 more;" in shown.output


def test_story_sources_written_before_the_bound_are_kept_and_counted(
    client: redis.Redis, settings: Settings, make_worker: Callable[..., Any], seed_text: str
) -> None:
    """A story whose sources are a plain set (written before the bound) reads as before, and its next copy makes the
    set a bounded one, counting the sources it held."""
    from worker.stories import story_key

    emit, story_id = _story_written_before_the_bound(client, settings, make_worker, seed_text,
                                                     [f"Old {i}" for i in range(5)])  # fmt: skip
    story = read_story(client, story_id)
    assert story is not None and story.sources == [f"Old {i}" for i in range(5)]
    emit(1)
    story = read_story(client, story_id)
    assert story is not None and story.article_count == 2 and len(story.sources) == 4 and "Outlet 1" in story.sources
    assert client.hget(story_key(story_id), "source_count") == "6"


def test_story_migrated_from_before_the_bound_keeps_its_first_source(
    client: redis.Redis, settings: Settings, make_worker: Callable[..., Any], seed_text: str
) -> None:
    """A story written before the bound has no ``first_source``: its plain set has no order. Its next copy learns the
    first source from the story's first article and keeps it when the set is cut to the bound (it was cut as any
    other, in name order), and so do later copies."""
    from worker.stories import story_key

    # "Outlet 0" carried the first article; the others sort after it, so a cut in name order takes it first.
    emit, story_id = _story_written_before_the_bound(client, settings, make_worker, seed_text,
                                                     ["Outlet 0", *[f"Zeta {i}" for i in range(5)]])  # fmt: skip
    emit(1)
    story = read_story(client, story_id)
    assert story is not None and "Outlet 0" in story.sources and "Outlet 1" in story.sources
    assert len(story.sources) == 4 and client.hget(story_key(story_id), "first_source") == "Outlet 0"
    for n in (2, 3, 4):
        emit(n)
    story = read_story(client, story_id)
    assert story is not None and story.sources == ["Outlet 0", "Outlet 2", "Outlet 3", "Outlet 4"]
    assert story.source_count == 10


def test_two_court_reports_of_one_template_are_two_stories_and_each_alerts(
    worker_app: Any, submit: Callable[..., list[str]], client: redis.Redis
) -> None:
    """Two court reports from one template with the same figures and other names are two stories, each alerting once;
    an outlet's copy of the first, under its own headline, with a slip in the name and a sign-off, joins the first."""
    from tests.worker.test_similarity import court_report
    from worker.subscriptions import put_subscription, validate

    put_subscription(client, validate("courts", "sentenced"))

    def page(report: str, url: str) -> str:
        title, body = report.split("\n\n", 1)
        return f"# {title}\n\nOriginal: [Court Example]({url})\n\n{body}\n"

    first = court_report("John Smith", 45, "Leeds")
    copy = "Driver jailed after ring road crash\n\n" + court_report("John Smtih", 45, "Leeds").split("\n\n", 1)[1]
    texts = [(page(first, "https://court.example/smith"), "first"),
             (page(court_report("Mary Jones", 45, "Leeds"), "https://court.example/jones"), "second"),
             (page(copy + "\n\nReporting by Wire Example.", "https://wire.example/smith"), "copy")]  # fmt: skip
    for content, name in texts:
        wait_for_status(client, submit(_inbox(content, name)))
    events = stream_events(client)
    assert len(events) == 3
    first_ev, second_ev, copy_ev = events
    assert first_ev["story_id"] == first_ev["id"] and second_ev["story_id"] == second_ev["id"]
    assert copy_ev["story_id"] == first_ev["id"]
    alerts = [json.loads(f["event"]) for _, f in client.xrange(c.ALERTS_STREAM)]
    assert sorted(a["story_id"] for a in alerts) == sorted([first_ev["id"], second_ev["id"]])
