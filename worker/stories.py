"""Stories: which story an article belongs to, and the story records ``wirewatch stories`` reads.

:func:`assign` runs the near-duplicate index's atomic check-and-insert (``worker/neardup.py``) for an article
that passed the exact-duplicate check, so its event can carry ``story_id``. The story record itself (title,
first article, count, sources, first/last seen) is written by the settle script in the same atomic step that
emits the event (``wirewatch/lua/settle.lua``), so a story counts exactly the articles that were emitted.

Keys (hash tag ``{ww}``, so the settle script may write them with the event)::

    ww:{ww}:story:<id>            hash  title, first_article_id, article_count, first_seen, last_seen (unix ms),
                                        first_source, source_count (distinct sources, counted as they are kept)
    ww:{ww}:story:<id>:sources    zset  source name -> when it last carried the story (unix ms): the first source
                                        and the ``dedup.story_sources`` that carried it last (a set of every source
                                        in stories written before the bound, made a zset by their next emit)
    ww:{ww}:story:<id>:articles   list  article ids in emit order: the first, then the newest ``dedup.story_articles``
    ww:{ww}:stories               zset  story id -> last seen (unix ms), to list the newest first
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import cast

import redis

from schemas import Story
from wirewatch import constants as c
from wirewatch.settings import Settings
from worker import similarity as sim
from worker.neardup import NearDupIndex

STORY_TTL_S = c.ARTICLE_TTL_S  # a story lives as long as its newest article
STORIES_INDEX = c.key("stories")


def story_key(story_id: str) -> str:
    return c.key("story", story_id)


def story_sources_key(story_id: str) -> str:
    return c.key("story", story_id, "sources")


def story_articles_key(story_id: str) -> str:
    return c.key("story", story_id, "articles")


def story_keys(story_id: str) -> list[str]:
    """The keys the settle script updates when it emits an article of this story (in its KEYS order)."""
    return [story_key(story_id), story_sources_key(story_id), story_articles_key(story_id), STORIES_INDEX]


def make_index(client: redis.Redis, settings: Settings) -> NearDupIndex:
    """The near-duplicate index with the configured window and thresholds."""
    d = settings.dedup
    thresholds = sim.Thresholds(
        jaccard=d.near_jaccard,
        containment=d.near_containment,
        short_jaccard=d.near_short_jaccard,
        numbers=d.near_numbers,
        head_numbers=d.near_head_numbers,
        head_names=d.near_head_names,
    )
    return NearDupIndex(client, window_s=d.window, thresholds=thresholds)


# A press release's trailer: the company boilerplate, contacts and legal notes that every release of one
# issuer repeats word for word. Two different releases of one company shared three quarters of their text
# through it and became one story, so the second never alerted. A heading alone on its paragraph opens it.
_TRAILER = re.compile(
    r"\n\n(?:About (?:us|the company|[A-Z][\w&.,'’ -]{0,59}[\w&’])|Über (?:uns|[A-Z][\w&.,'’ -]{0,59}[\w&’])"
    r"|(?i:(?:media|press|investor) (?:contacts?|enquiries|inquiries|relations)|pressekontakt|medienkontakt"
    r"|forward[- ]looking statements?|safe harbou?r statement|cautionary (?:note|statement)[^\n.]{0,60}"
    r"|notes? to editors?|disclaimer)|###|-\s?ends\s?-|- ENDS -)\s*:?[ \t]*(?=\n\n|$)",
)
# "About" and "Über" take a capital after them, and the heading ends without a full stop: "About an hour
# later, police arrived." and "About Town." are prose.
_TRAILER_AFTER = 200  # characters of body before a trailer may start: a heading near the top is no trailer


def signature_text(title: str, text: str) -> str:
    """What is compared: the headline and the body (a new headline alone does not make a new story), without
    a press release's trailer (``_TRAILER``)."""
    if "\n\n" in text:
        trailer = _TRAILER.search(text, _TRAILER_AFTER)
        if trailer is not None:
            text = text[: trailer.start()]
    return f"{title}\n\n{text}"


def assign(index: NearDupIndex, articles: list[tuple[str, str, str]], now: float) -> list[str]:
    """For each (article id, title, text), in order, its story id: an existing story's when it is a
    near-duplicate (of an earlier story, or of an earlier article of the same list), else its own id.

    One round trip for the list; each article is still its own atomic check-and-insert.
    """
    items = [(aid, sim.signature(signature_text(title, text))) for aid, title, text in articles]
    return [p.story_id for p in index.check_and_insert_many(items, now)]


def _ms(value: bytes | str | None) -> datetime:
    return datetime.fromtimestamp(int(value or 0) / 1000, UTC)


def read_story(client: redis.Redis, story_id: str) -> Story | None:
    """One story, or None when it is unknown or expired."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(story_key(story_id))
    pipe.zrange(story_sources_key(story_id), 0, -1)
    fields, sources = pipe.execute(raise_on_error=False)
    if isinstance(fields, Exception):
        raise fields
    if not fields:
        return None
    if isinstance(sources, redis.ResponseError):  # a set, written before the bound and not emitted to since
        sources = client.smembers(story_sources_key(story_id))
    f = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
         for k, v in fields.items()}  # fmt: skip
    return Story(
        story_id=story_id,
        title=f.get("title", ""),
        first_article_id=f.get("first_article_id", story_id),
        article_count=max(1, int(f.get("article_count", 1))),
        sources=sorted(s.decode() if isinstance(s, bytes) else s for s in sources),
        source_count=int(f.get("source_count", len(sources))),  # no count: written before the bound, all kept
        first_seen=_ms(f.get("first_seen")),
        last_seen=_ms(f.get("last_seen")),
    )


def list_stories(client: redis.Redis, limit: int = 20) -> list[Story]:
    """The most recently updated stories, oldest first (the CLI prints in stream order); 0 = all."""
    # redis-py's stubs type zrevrange loosely (it can return pairs with withscores); we ask for members only.
    ids = cast(list[bytes | str], client.zrevrange(STORIES_INDEX, 0, limit - 1 if limit > 0 else -1))
    stories = [read_story(client, i.decode() if isinstance(i, bytes) else i) for i in ids]
    return [s for s in reversed(stories) if s is not None]


def story_articles(client: redis.Redis, story_id: str) -> list[str]:
    """The ids of the story's articles, in the order they were emitted: its first and the newest
    ``dedup.story_articles`` (``Story.article_count`` counts them all)."""
    return [a.decode() if isinstance(a, bytes) else a for a in client.lrange(story_articles_key(story_id), 0, -1)]
