"""The Redis near-duplicate index of worker/neardup.py against a real, throwaway redis-server."""

from __future__ import annotations

import multiprocessing
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.worker.test_similarity import (
    COPIES,
    NAMED_COPIES,
    NAMED_PAIRS,
    REVISED,
    STORY,
    TEMPLATED_PAIRS,
    court_report,
    long_story,
    quake_report,
)
from wirewatch.redis_server import spawn_redis
from worker import neardup as nd
from worker import similarity as sim

NOW = time.time()  # EXPIREAT runs on the server clock, so "now" must be real time

WIRE = [
    "China on Thursday jailed nine people for selling fentanyl to Americans, the result of a landmark joint "
    "probe, and pledged further co-operation following President Donald Trump's fury at Beijing's perceived "
    "inaction against Chinese suppliers fuelling the deadly US opioid crisis.",
    "Despite Trump's criticism earlier this year that Beijing had reneged on its promise to crack "
    "down on the "
    "production of the drug, China said it was willing to conduct sincere and concrete anti-drug cooperation "
    "with the US to tackle fentanyl trafficking.",
    "The sentencing also came as the global powers are seeking to finalise a trade deal following "
    "more than a "
    "year of bruising negotiations, with the flood of Chinese fentanyl one of the sticking points.",
    "US authorities say the synthetic opioid, which can be up to 50 times more potent than heroin, "
    "causes more "
    "than 100 deaths a day in the United States.",
    "The court in northern Hebei province described the case as the first successful joint US-Chinese probe "
    "related to fentanyl smuggling, which began in 2017 after a tip-off from US officials.",
]
OTHER = [
    "The city council voted on Monday to expand the bicycle lane network across the downtown "
    "district, a plan "
    "that supporters say will cut traffic and critics say will hurt small shops along the main avenue.",
    "Construction is expected to begin next spring and to last about eighteen months, according to the "
    "transport department, which will publish detailed maps of the affected streets in the coming weeks.",
    "Residents can comment on the proposal at three public meetings scheduled for next month in the library.",
]


def copy_of(paragraphs: list[str], n: int) -> str:
    """A syndicated copy: its own headline, the wire text, one of a few sign-offs."""
    sign_off = ["", "Advertisement", "Sign up for our newsletter.", "(AFP)"][n % 4]
    return "\n\n".join([f"Outlet {n} headline on the fentanyl case", *paragraphs, sign_off])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc, _ = spawn_redis(tmp)
    return proc, str(tmp / "redis.sock")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, sock = start_server(tmp_path_factory.mktemp("redis"))
    yield sock
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def client(server: str) -> Iterator[redis.Redis]:
    r = redis.Redis(unix_socket_path=server)
    r.flushall()
    yield r
    r.flushall()


def test_first_article_starts_a_story(client: redis.Redis) -> None:
    """The first article of a story names it; a copy joins it."""
    idx = nd.NearDupIndex(client)
    first = idx.check_and_insert("a1", sim.signature(copy_of(WIRE, 0)), NOW)
    second = idx.check_and_insert("a2", sim.signature(copy_of(WIRE[:3], 1)), NOW + 60)
    assert (first.story_id, first.created) == ("a1", True)
    assert (second.story_id, second.created) == ("a1", False)
    assert second.score > 0.6


def test_unrelated_article_starts_its_own_story(client: redis.Redis) -> None:
    """A different text does not join an existing story."""
    idx = nd.NearDupIndex(client)
    idx.check_and_insert("a1", sim.signature(copy_of(WIRE, 0)), NOW)
    other = idx.check_and_insert("b1", sim.signature("\n\n".join(OTHER)), NOW)
    assert (other.story_id, other.created) == ("b1", True)


def test_redelivery_is_a_replay(client: redis.Redis) -> None:
    """Inserting the same article id twice changes nothing and returns its story."""
    idx = nd.NearDupIndex(client)
    idx.check_and_insert("a1", sim.signature(copy_of(WIRE, 0)), NOW)
    idx.check_and_insert("a2", sim.signature(copy_of(WIRE, 1)), NOW)
    used = client.info("memory")["used_memory"]
    again = idx.check_and_insert("a2", sim.signature(copy_of(WIRE, 1)), NOW + 86_400)
    assert (again.story_id, again.replay, again.created) == ("a1", True, False)
    assert client.info("memory")["used_memory"] <= used + 1024


def test_entries_expire_with_the_window(client: redis.Redis) -> None:
    """Within the window a copy joins the story; after window * 8/7 it starts a new one; keys carry a TTL."""
    idx = nd.NearDupIndex(client, window_s=7 * 86_400)
    idx.check_and_insert("a1", sim.signature(copy_of(WIRE, 0)), NOW)
    assert all(0 < client.ttl(k) <= 8 * 86_400 for k in client.keys("*"))
    inside = idx.check_and_insert("a2", sim.signature(copy_of(WIRE, 1)), NOW + 7 * 86_400 - 1)
    assert inside.story_id == "a1"
    later = idx.check_and_insert("a3", sim.signature(copy_of(WIRE, 2)), NOW + 7 * 86_400 - 1 + 8 * 86_400 + 1)
    assert later.story_id == "a3" and later.created


def test_keys_share_one_hash_tag_and_name_the_scheme(client: redis.Redis) -> None:
    """Every key of the script has the same hash tag and carries the signature scheme."""
    idx = nd.NearDupIndex(client, prefix="t:nd")
    keys = idx.keys(NOW)
    assert len(keys) == 2 * (nd.GENERATIONS_PER_WINDOW + 1)
    assert all(k.startswith("{t:nd}:" + sim.SCHEME + ":") for k in keys)


def test_other_scheme_is_refused(client: redis.Redis) -> None:
    """A signature made by another scheme cannot go into the index."""
    idx = nd.NearDupIndex(client)
    s = sim.signature(copy_of(WIRE, 0))
    with pytest.raises(sim.SchemeMismatch):
        idx.check_and_insert("a1", sim.Signature("mh0-old", s.shingles, s.mins), NOW)


def test_templated_look_alikes_stay_apart(client: redis.Redis) -> None:
    """Weather reports from one template, other city and numbers, make separate stories."""
    idx = nd.NearDupIndex(client)

    def weather(city: str, hi: int, lo: int, wind: int) -> str:
        return (
            f"Today in {city}: Sunny with a high of {hi} degrees. Winds from the west at {wind} mph.\n\n"
            f"Tonight: Clear, with a low around {lo}. Chance of precipitation 10 percent.\n\n"
            "Forecast provided by the National Weather Service. Conditions may change; check back for "
            "updates throughout the day."
        )

    stories = {
        idx.check_and_insert(f"w{i}", sim.signature(weather(city, hi, hi - 15, wind)), NOW).story_id
        for i, (city, hi, wind) in enumerate([("Omaha", 71, 12), ("Boise", 64, 7), ("Tulsa", 88, 18)])
    }
    assert len(stories) == 3


def test_templated_reports_with_other_head_numbers_make_separate_stories(client: redis.Redis) -> None:
    """Earthquake reports of one template with another magnitude or distance in the head are separate stories; a copy
    under its own headline joins its own."""
    idx = nd.NearDupIndex(client)
    reports = [quake_report("5.2", 40, "Ridgecrest"), quake_report("6.1", 40, "Petrolia"),
               quake_report("4.8", 12, "Ridgecrest")]  # fmt: skip
    placed = [idx.check_and_insert(f"q{i}", sim.signature(t), NOW) for i, t in enumerate(reports)]
    assert all(p.created for p in placed)
    copy = idx.check_and_insert("q0-copy", sim.signature(COPIES["new headline"][1]), NOW)
    assert copy.story_id == "q0"
    off = nd.NearDupIndex(client, prefix="off", thresholds=sim.Thresholds(head_numbers=False, head_names=False))
    assert [off.check_and_insert(f"q{i}", sim.signature(t), NOW).story_id for i, t in enumerate(reports)] == ["q0"] * 3


def test_record_written_before_head_numbers_still_matches(client: redis.Redis) -> None:
    """An index record of the layout without head numbers (written before them) is read as a record whose head has
    no numbers: a copy still joins its story."""
    import struct

    idx = nd.NearDupIndex(client)
    s = sim.signature(copy_of(WIRE, 0))
    records, bands = idx.keys(NOW)[:2]
    nums = b"".join(h.to_bytes(2, "little") for h in s.numbers)
    client.hset(records, nd.digest("old"), struct.pack("<IH", s.shingles, 3) + b"old" + bytes([len(s.numbers)])
                + nums + s.packed())  # fmt: skip
    for band in s.bands():
        client.hset(bands, band, nd.digest("old"))
    assert idx.check_and_insert("new", sim.signature(copy_of(WIRE[:4], 1)), NOW).story_id == "old"


def test_templated_reports_with_other_head_names_make_separate_stories(client: redis.Redis) -> None:
    """Court reports of one template with the same figures and other names in the head are separate stories; a copy
    under its own headline, with a slip in a name, joins its own."""
    idx = nd.NearDupIndex(client)
    reports = [court_report("John Smith", 45, "Leeds"), court_report("Mary Jones", 45, "Leeds"),
               court_report("John Smith", 45, "York")]  # fmt: skip
    placed = [idx.check_and_insert(f"c{i}", sim.signature(t), NOW) for i, t in enumerate(reports)]
    assert all(p.created for p in placed)
    copy = "Driver jailed\n\n" + court_report("John Smtih", 45, "Leeds").split("\n\n", 1)[1]
    assert idx.check_and_insert("c0-copy", sim.signature(copy), NOW).story_id == "c0"
    off = nd.NearDupIndex(client, prefix="off", thresholds=sim.Thresholds(head_names=False))
    assert [off.check_and_insert(f"c{i}", sim.signature(t), NOW).story_id for i, t in enumerate(reports)] == ["c0"] * 3


def test_record_written_before_head_names_still_matches(client: redis.Redis) -> None:
    """An index record with head numbers but no head names (written before them) is read as a head without names:
    a templated report with other names joins it, as it did then."""
    import struct

    idx = nd.NearDupIndex(client)
    s = sim.signature(court_report("John Smith", 45, "Leeds"))
    records, bands = idx.keys(NOW)[:2]
    nums = b"".join(h.to_bytes(2, "little") for h in s.numbers)
    client.hset(records, nd.digest("old"), struct.pack("<IH", s.shingles, 3) + b"old" + bytes([len(s.numbers)])
                + nums + s.packed() + nd.pack_head_numbers(s.head_numbers))  # fmt: skip
    for band in s.bands():
        client.hset(bands, band, nd.digest("old"))
    other = sim.signature(court_report("Mary Jones", 45, "Leeds"))
    assert idx.check_and_insert("new", other, NOW).story_id == "old"


def test_brief_joins_its_story_through_the_lead_key(client: redis.Redis) -> None:
    """The first two paragraphs of a long story, under their own headline and a day later, join the story: the
    lead key finds it where no LSH band does."""
    idx = nd.NearDupIndex(client)
    story = long_story()
    first = idx.check_and_insert("long", sim.signature("China jails nine\n\n" + "\n\n".join(story)), NOW)
    brief = idx.check_and_insert("brief", sim.signature("In brief\n\n" + "\n\n".join(story[:2])), NOW + 86_400)
    assert first.created and not brief.created and brief.story_id == "long"
    other = sim.signature("Another\n\n" + STORY + "\n\n" + "\n\n".join(long_story(seed=11)[1:6]))
    assert idx.check_and_insert("other", other, NOW).created  # the lead alone is not enough


def test_lua_verdict_matches_python(client: redis.Redis) -> None:
    """For each pair, the script joins the story exactly when the Python verdict says same story."""
    texts = [
        copy_of(WIRE, 0),
        copy_of(WIRE[:2], 1),
        copy_of(WIRE[2:], 2),
        "\n\n".join(OTHER),
        "\n\n".join(OTHER[:2] + WIRE[:1]),
        "fentanyl jailed nine china",
        copy_of(WIRE[::-1], 3),
        "China jails nine over fentanyl\n\n" + "\n\n".join(long_story()),  # a long story,
        "In brief\n\n" + "\n\n".join(long_story()[:2]),  # its brief (no band in common: the lead joins them)
        "Another story\n\n" + STORY + "\n\n" + "\n\n".join(long_story(seed=11)[1:6]),  # same lead, other story
        *TEMPLATED_PAIRS["quake elsewhere"], *TEMPLATED_PAIRS["score"],  # templates: other figures in the head
        COPIES["boilerplate first"][1], COPIES["en dash"][1],  # copies of the score report
        *NAMED_PAIRS["court report"], NAMED_COPIES["typo in a name"][1],  # templates: other names in the head
        NAMED_COPIES["boilerplate first"][1], NAMED_COPIES["label run into the head"][1],
        REVISED["correction note, age fixed"][1], REVISED["update note, magnitude revised"][1],  # revised copies
        quake_report("6.1", 90, "Petrolia") + "\n\nThis story has been updated.",  # revised, another quake
    ]  # fmt: skip
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            if i == j:
                continue
            client.flushall()
            idx = nd.NearDupIndex(client)
            sa, sb = sim.signature(a), sim.signature(b)
            idx.check_and_insert("a", sa, NOW)
            got = idx.check_and_insert("b", sb, NOW)
            candidate = bool(set(sa.bands()) & set(sb.bands())) or (sa.head is not None and sa.head == sb.head)
            assert (not got.created) == (candidate and sim.same_story(sim.compare(sa, sb))), (i, j)


def _ingest(args: tuple[str, list[tuple[str, str]], float, float]) -> list[tuple[str, str, bool]]:
    # ``now`` comes from the parent: a spawned process imports this module afresh, and its own NOW could fall in
    # the next index generation (a test running across midnight UTC) from the one the parent then reads.
    sock, items, start_at, now = args
    idx = nd.NearDupIndex(redis.Redis(unix_socket_path=sock))
    sigs = [(aid, sim.signature(text)) for aid, text in items]
    while time.time() < start_at:  # all processes begin together
        time.sleep(0.001)
    return [(aid, (p := idx.check_and_insert(aid, s, now)).story_id, p.replay) for aid, s in sigs]


def test_racing_processes_make_exactly_one_story(server: str, client: redis.Redis) -> None:
    """4 processes ingesting 50 copies of one story (some redelivered) make one story holding all 50."""
    copies = [(f"c{n:02d}", copy_of(WIRE if n % 3 else WIRE[:4], n)) for n in range(50)]
    redelivered = copies[::7]  # the same articles again, as a redelivered task would bring them
    items = copies + redelivered
    shards = [items[k::4] for k in range(4)]
    start_at = time.time() + 1.5
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = [r for part in pool.map(_ingest, [(server, s, start_at, NOW) for s in shards]) for r in part]
    stories = {story for _, story, _ in results}
    assert len(stories) == 1
    assert stories.pop() in {aid for aid, _ in copies}
    idx = nd.NearDupIndex(client)
    recs = [k for k in idx.keys(NOW) if ":r:" in k]
    assert sum(client.hlen(k) for k in recs) == 50  # no article lost, none twice
    assert sum(replay for _, _, replay in results) >= len(redelivered) - 4


# --- Scripts other than Latin ------------------------------------------------------------------------------
# Chinese and Japanese run without spaces: tokens must be characters (shingles are then character 4-grams), not
# the clauses between two commas. Arabic copy editors vocalise some words (harakat): a mark must not cut a word
# in two, nor make it another word.

ZH = [
    "中国河北省邢台市中级人民法院周四对一起芬太尼走私案作出一审判决，九名被告人分别被判处死刑缓期执行、无期徒刑和有期徒刑。",
    "法院表示，这是中美两国执法部门首次联合侦办的芬太尼类物质走私案件，案件线索由美方于二〇一七年提供，中方随即成立专案组展开调查。",
    "经审理查明，被告人通过互联网接受境外买家订单，将芬太尼类物质伪装成其他商品，通过国际快递寄往美国等地，从中牟取暴利。",
    "中国国家禁毒委员会副主任在宣判后的新闻发布会上说，中方愿意与美方开展真诚、务实的禁毒合作，共同打击芬太尼类物质的非法制造和贩运。",
    "美国方面称，这种合成阿片类药物的效力可比海洛因高出五十倍，在美国每天造成一百多人死亡，芬太尼问题也是两国贸易谈判中的焦点之一。",
]
ZH_EDITS = [("周四", "星期四"), ("九名", "9名"), ("首次", "第一次"), ("随即", "随后"), ("从中牟取暴利", "从中获取暴利"),
            ("宣判后的", "宣判后举行的"), ("可比", "比"), ("一百多人", "100多人")]  # fmt: skip
ZH_OTHER = [
    "上海市交通委员会周一宣布，将在中心城区新建一批自行车专用道，支持者认为此举有助于缓解交通拥堵，批评者则担心会影响沿街小商户的生意。",
    "根据规划，工程预计明年春季开工，工期约为十八个月，交通部门将在未来几周内公布受影响道路的详细地图，并征求市民意见。",
    "市民可以在下个月于市图书馆举行的三场公开听证会上就该方案发表意见，有关部门表示将认真研究各方建议后再作最终决定。",
    "交通专家指出，近年来上海骑行人数持续增长，但现有道路资源有限，如何在机动车、公交和自行车之间合理分配路权，是城市管理者面临的难题。",
]
AR = [
    "قضت محكمة صينية يوم الخميس بسجن تسعة أشخاص بتهمة بيع مادة الفنتانيل لمشترين في الولايات المتحدة، في نتيجة "
    "لتحقيق مشترك غير مسبوق بين البلدين، وتعهدت بكين بمزيد من التعاون بعد انتقادات الرئيس الأمريكي لتقاعسها.",
    "وقالت المحكمة في إقليم خبي شمال البلاد إن القضية هي أول تحقيق مشترك ناجح بين الصين والولايات المتحدة يتعلق "
    "بتهريب الفنتانيل، وقد بدأ عام ألفين وسبعة عشر بعد معلومات قدمها مسؤولون أمريكيون.",
    "وتقول السلطات الأمريكية إن هذا المخدر الأفيوني الاصطناعي أقوى من الهيروين بخمسين مرة، ويتسبب في وفاة أكثر من "
    "مئة شخص يوميا في الولايات المتحدة، وهو من النقاط الخلافية في مفاوضات التجارة.",
    "وأكد مسؤول في لجنة مكافحة المخدرات الصينية أن بلاده مستعدة لإجراء تعاون صادق وملموس مع الجانب الأمريكي "
    "لمكافحة تهريب الفنتانيل، رغم الخلافات التجارية القائمة بين القوتين.",
]
AR_VOCALISED = [("قضت", "قَضَت"), ("محكمة", "مَحكمة"), ("بسجن", "بِسَجن"), ("بيع", "بَيع"), ("مشترك", "مُشترك"),
                ("وتعهدت", "وتَعهّدت"), ("وقالت", "وقالَت"), ("أول", "أوّل"), ("ناجح", "ناجِح"), ("وتقول", "وتَقول"),
                ("أقوى", "أقوَى"), ("يوميا", "يوميًّا"), ("وأكد", "وأكّد"), ("صادق", "صادِق"), ("مستعدة", "مُستعدة")]  # fmt: skip


def _edited(paragraphs: list[str], edits: list[tuple[str, str]]) -> str:
    text = "\n\n".join(paragraphs)
    for old, new in edits:
        text = text.replace(old, new, 1)
    return text


def test_chinese_copy_with_small_edits_joins_its_story(client: redis.Redis) -> None:
    """A Chinese wire story and an outlet's copy (its own headline and dateline, a few words reworded, figures
    written as digits) make one story, and so does a copy trimmed to its first three paragraphs; a different
    Chinese story stays apart."""
    idx = nd.NearDupIndex(client)
    first = idx.check_and_insert("zh", sim.signature("中国九人因向美国出售芬太尼获刑\n\n" + "\n\n".join(ZH)), NOW)
    copy = sim.signature("中美联合侦办芬太尼案宣判\n\n新华社石家庄11月7日电 " + _edited(ZH, ZH_EDITS))
    trimmed = sim.signature("芬太尼案宣判\n\n" + "\n\n".join(ZH[:3]))
    other = sim.signature("上海将新建自行车道\n\n" + "\n\n".join(ZH_OTHER))
    assert first.created
    assert idx.check_and_insert("zh-copy", copy, NOW).story_id == "zh"
    assert idx.check_and_insert("zh-trimmed", trimmed, NOW).story_id == "zh"
    assert idx.check_and_insert("zh-other", other, NOW).created


def test_vocalised_arabic_copy_joins_its_story(client: redis.Redis) -> None:
    """An Arabic copy with some words vocalised, trimmed to three paragraphs, joins its story: the marks neither
    cut a word in two nor make it another word."""
    idx = nd.NearDupIndex(client)
    assert idx.check_and_insert("ar", sim.signature("سجن تسعة في الصين\n\n" + "\n\n".join(AR)), NOW).created
    copy = sim.signature("الصين تسجن تسعة بسبب الفنتانيل\n\n" + _edited(AR[:3], AR_VOCALISED))
    assert idx.check_and_insert("ar-copy", copy, NOW).story_id == "ar"


BOX_SCORE = (
    "Lakers beat Celtics in overtime\n\n"
    "The Los Angeles Lakers beat the Boston Celtics 112-108 in overtime on Sunday night, with LeBron James scoring "
    "34 points.\n\n"
    "The Lakers trailed 58-49 at halftime but outscored Boston 31-22 in the third quarter. Anthony Davis added 21 "
    "points and 14 rebounds, and the teams were tied 101-101 at the end of regulation.\n\n"
    "Jayson Tatum led Boston with 29 points. The Celtics fell to 10-5 on the season while the Lakers improved to "
    "9-6, their fourth straight win since the loss in Denver on November 18."
)


@pytest.mark.parametrize(
    "dash",
    ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"],
    ids=["hyphen", "nb", "figure", "en", "em", "minus"],
)
def test_copy_with_other_dashes_in_its_scores_joins_its_story(client: redis.Redis, dash: str) -> None:
    """A box score whose copy writes its scores with another dash ("112–108": an outlet's typography) is the same text:
    one story. The numbers rule read "112–108" as two numbers, so none of the story's scores were in the copy."""
    idx = nd.NearDupIndex(client)
    assert idx.check_and_insert("box", sim.signature(BOX_SCORE), NOW).created
    copy = BOX_SCORE.replace("-", dash).replace("Lakers beat Celtics in overtime", "Lakers edge Celtics")
    assert idx.check_and_insert("box-copy", sim.signature(copy), NOW).story_id == "box"
    other = BOX_SCORE.replace("112-108", "97-95").replace("58-49", "40-52").replace("31-22", "20-30")
    other = other.replace("101-101", "88-90").replace("10-5", "11-4").replace("9-6", "8-7").replace("34", "18")
    assert idx.check_and_insert("box-other", sim.signature(other.replace("-", dash)), NOW).created


SUMMARY = (
    "Shares in Harbor Freight Lines rose sharply on Monday after the shipping group raised its outlook for the year"
)


def test_copy_with_invisible_characters_joins_its_story(client: redis.Redis) -> None:
    """Soft hyphens (a site's hyphenation hints: "Ship\u00adping"), zero-width spaces and word joiners are invisible;
    a one-line summary carrying them is the same text as one without: one story. They cut words in two, and the
    short text's shingles fell below what it needs."""
    idx = nd.NearDupIndex(client)
    assert idx.check_and_insert("s", sim.signature(SUMMARY), NOW).created
    hinted = SUMMARY.replace("Freight", "Fr\u00adeight").replace("shipping", "ship\u00adping")
    hinted = (
        hinted.replace("outlook", "out\u200blook").replace("Monday", "Mon\u2060day").replace("raised", "rai\ufeffsed")
    )
    assert idx.check_and_insert("s-copy", sim.signature(hinted), NOW).story_id == "s"


def test_corrected_and_updated_copies_join_their_stories(client: redis.Redis) -> None:
    """A corrected copy (another age in the head, a correction note) and an updated one (a revised magnitude, an update
    note) join their stories through the script; a court report of another person stays apart, and so does an
    updated report of another quake."""
    idx = nd.NearDupIndex(client)
    for n, kind in enumerate(sorted(REVISED)):
        story, revised = REVISED[kind]
        assert idx.check_and_insert(f"s{n}", sim.signature(story), NOW).created
        assert idx.check_and_insert(f"s{n}-revised", sim.signature(revised), NOW).story_id == f"s{n}", kind
        client.flushall()
    idx.check_and_insert("court", sim.signature(court_report("John Smith", 45, "Leeds")), NOW)
    assert idx.check_and_insert("other", sim.signature(court_report("Mary Jones", 52, "Leeds")), NOW).created
    idx.check_and_insert("quake", sim.signature(quake_report("5.2", 40, "Ridgecrest")), NOW)
    updated = quake_report("6.1", 90, "Petrolia") + "\n\nThis story has been updated with a statement from the mayor."
    assert idx.check_and_insert("other-quake", sim.signature(updated), NOW).created


def test_copies_under_their_sites_furniture_join_one_story(client: redis.Redis) -> None:
    """Two outlets' copies of a wire story, each under its site's timestamp or byline line, make one story (the lines'
    figures were read as the story's head, and neither's were in the other copy)."""
    idx = nd.NearDupIndex(client)
    body = "\n\n".join(WIRE)
    first = idx.check_and_insert(
        "a", sim.signature(f"China jails nine\n\nPublished 30 November 2026, 10:32 GMT\n\n{body}"), NOW
    )
    second = idx.check_and_insert("b", sim.signature(f"Fentanyl sentences\n\nBy John Roe, 2 hours ago\n\n{body}"), NOW)
    third = idx.check_and_insert("c", sim.signature(f"Nine jailed\n\nReading time: 3 minutes\n\n{body}"), NOW)
    assert first.created and second.story_id == third.story_id == "a"
