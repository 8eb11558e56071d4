"""Clean text: encoding repaired where it needs it, whitespace, quotes and dashes normalised, boilerplate dropped.

Everything here is a pure function of a string, idempotent (cleaning clean text changes nothing) and cheap on
text that is already clean: ftfy runs only on text that shows mojibake, since running it on everything costs
more than the rest of the pipeline together.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

# Typographic quotes made straight, other spaces made plain, invisible characters and stray CRs deleted: as
# (mark, replacement) pairs, each replaced where a search finds it (no replacement holds a mark: order is free).
_QUOTE_PAIRS = (
    ("\u2018", "'"), ("\u2019", "'"), ("\u02bc", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u2032", "'"),
    ("\u201c", '"'), ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u2033", '"'),
    ("\u00a0", " "), ("\u2007", " "), ("\u2009", " "), ("\u200a", " "), ("\u202f", " "), ("\u3000", " "),
    ("\u200b", ""), ("\u200c", ""), ("\u200d", ""), ("\u2060", ""), ("\ufeff", ""), ("\u00ad", ""), ("\r", ""),
)  # fmt: skip


# An HTML character reference left in text: escaped twice at the source ("Merck &#x26;amp; Co." in allAfrica's
# feed, "&nbsp;" in a Blogger summary typed as text), it survives one decoding.
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _mojibake_pattern() -> re.Pattern[str]:
    """Two characters that could be a UTF-8 lead byte and a continuation byte read in a single-byte codepage.

    UTF-8 decoded as cp1252, MacRoman, cp1251, … always leaves such a pair; clean text rarely has one. It is a
    pre-filter: ftfy (which decides whether and how to fix) then runs only on the few lines that match.
    """
    leads: set[str] = set()
    continuations: set[str] = set()
    for codec in ("latin-1", "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "mac_roman", "cp437",
                  "iso8859_2", "koi8_r"):  # fmt: skip
        leads.update(bytes([b]).decode(codec, errors="ignore") for b in range(0xC2, 0xF5))
        continuations.update(bytes([b]).decode(codec, errors="ignore") for b in range(0x80, 0xC0))
    leads.discard("")
    continuations.discard("")

    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]"

    # Also: C1 controls, the replacement character, single-codepoint ligatures and digraphs, HTML entities.
    others = "[\u0080-\u009f\ufffd\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]|" + _ENTITY.pattern
    return re.compile(f"{cls(leads)}{cls(continuations)}|{others}")


_SUSPECT = _mojibake_pattern()
# A run of two or more dashes standing alone between spaces is one dash ("opioid -- which", "-–").
_DASH_RUN = re.compile(r"(?<=\s)[-\u2010\u2011\u2012\u2013\u2014]{2,}(?=\s)")
_SPACES = re.compile(r"[ \t\f\v]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Line breaks other than "\n": CR (alone or before LF), NEL, and Unicode's line and paragraph separators, which
# `str.splitlines` and every browser honour. Left in, a title carried a line break and a text a line no split saw.
_LINE_BREAK = re.compile(r"\r\n?|[\x85\u2028]")
_INLINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]+")

# Lines that are not part of the story: gallery counters and photo captions, share prompts, sign-up nags.
_BOILERPLATE = [
    # "1 / 2China's jailing…" — a gallery counter glued to its caption (which starts with a capital: a counter
    # followed by anything else is prose, "9/11's legacy", "24/7-Betreuung"); a photo credit closing a line.
    re.compile(r"^\d{1,3}\s?/\s?\d{1,3}(?:$|(?=[A-Z\u00c0-\u00d6\u00d8-\u00de]))"),
    re.compile(
        r"\((?:AFP|AP|Reuters|Getty|EPA|Xinhua|Bloomberg|Anadolu|dpa|[A-Z]{2,6})\b[^()]{0,40}"
        r"\b(?:Photo|Photos|Images|Pictures)\b[^()]{0,60}\)$"
    ),
] + [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:photo|image|picture|credit|caption)s?\s*:",
        # "(Image credit: Kevin Frayer)", closing every item of NPR's feed
        r"^\(?(?:photo|image|picture|video) (?:credit|courtesy|source)s?\s*:[^()]{1,80}\)?$",
        r"^(?:share|tweet|email|print|pin|save)(?: (?:this|the))?(?: (?:article|story|page|link))?"
        r"(?: (?:on|via|with) [\w ]{1,30})?[.!:]?$",
        r"^(?:share on|share via|follow us on|like us on|click here to|tap here to)\b",
        r"^(?:sign up|subscribe)\b.{0,80}\b(?:newsletter|updates|alerts|on youtube)\b",
        # "Get the latest updates right in your inbox. Subscribe to NJ.com's newsletters." (nj.com)
        r"^get the latest\b.{0,60}\b(?:in your inbox|newsletters?)\b",
        r"^(?:advertisement|sponsored content|story continues below|continue reading|read more|comments?)"
        r"(?:\.|\s*[»→›])?$",
        r"^(?:read more|related|see also|recommended)\s*:",
        # A link to another story, in the corpus pages' languages ("Lea también: …", "LE PUEDE INTERESAR: …",
        # "Auch lesen: …", "Lesen Sie auch die folgenden Beiträge:")
        r"^(?:also read|lea también|lee también|le puede interesar|te puede interesar|puedes ver|ver también"
        r"|leia também|veja também|lire aussi|à lire aussi|auch lesen|lesen sie auch|czytaj (?:też|także)"
        r"|zobacz (?:też|także))\b[^.!?]{0,40}:",
        # A heading over links to other pages or share buttons ("You may also like:", phys.org's "Explore further",
        # "NOTAS RELACIONADAS", "Empfohlene Beiträge", "Schon gelesen?", "Teilen Sie dies mit:")
        r"^(?:you (?:may|might) also like|explore further|notas relacionadas|contenido relacionado|empfohlene beiträge"
        r"|schon gelesen\?|auch interessant|teilen sie dies mit)\s*:?$",
        # "Never miss the latest news by signing up to our newsletter today!" (corkbeo.ie)
        r"^never miss\b.{0,60}\bnewsletter\b",
        r"^(?:facebook|twitter|whatsapp|linkedin|reddit|email)(?:\s*[|/·]\s*(?:facebook|twitter|whatsapp"
        r"|linkedin|reddit|email))+$",
        # The footer WordPress SEO plugins add to every feed item, in its translations ("The post X appeared
        # first on Y.": 13 feeds of the corpus; "Der Beitrag X erschien zuerst auf Y.").
        r"^(?:the post|der beitrag|l'article|la entrada|het bericht|o post|l'articolo) .{1,400} (?:(?:appeared first"
        r"|first appeared) on"
        r"|erschien zuerst auf|est apparu en premier sur|se publicó primero en|verscheen eerst op"
        r"|apareceu primeiro em|proviene da) .{1,150}$",
        # A link to the rest: "Read full topic" (Discourse), "Read the rest of this post on LessWrong.", "Read the
        # full article on Medium."
        r"^read (?:the )?(?:full (?:topic|article|story|post|piece)|rest(?: of (?:this|the) (?:post|article|story"
        r"|piece))?)\b[^.!?]{0,60}[.!:]?$",
    )
]
# The patterns that open with "^" as one match (a line is tested once for them all, not once each), the others
# searched one by one: sixteen regex calls a line cost more than tokenising the whole article does.
_BOILERPLATE_OPENING = re.compile(
    "|".join(f"(?{'i' if p.flags & re.IGNORECASE else '-i'}:{p.pattern[1:]})" for p in _BOILERPLATE
             if p.pattern.startswith("^"))
)  # fmt: skip
_BOILERPLATE_ELSEWHERE = [p for p in _BOILERPLATE if not p.pattern.startswith("^")]
# A teaser's last words: a link to the rest ("…the family who ... Read more", "funding the...Read More") or
# WordPress's excerpt mark ("looking into […]"); the link goes, the mark becomes an ellipsis.
_TEASER_TAIL = re.compile(
    r"(?<=\S)\s*(?:(?:\.{3}|…)?\s*\b(?:read more|continue reading|weiterlesen|lire la suite|leer más)\s*[»→›]?"
    r"|\[(?:…|\.\.\.)\])$",
    re.IGNORECASE,
)
_TAIL_CHARS = 24  # the longest tail above, and its lead-in
_TAIL_ENDS = frozenset("eEgGnNsS]»→›")  # how those tails end: most lines end otherwise and are not searched


def repair_encoding(text: str) -> str:
    """Fix mojibake and leftover HTML character references with ftfy, line by line, only on lines that show
    signs of them."""
    if (text.isascii() and "&" not in text) or not _SUSPECT.search(text):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if (not line.isascii() or "&" in line) and _SUSPECT.search(line):
            lines[index] = ftfy.fix_text(line, uncurl_quotes=False, normalization="NFC")
    return "\n".join(lines)


def normalise_line(line: str) -> str:
    """One line: NFC, straight quotes, no invisible characters, single spaces, dash runs as one em dash."""
    if not line.isascii():
        for mark, plain in _QUOTE_PAIRS:  # 24 substring searches cost a tenth of one translate's lookup a character
            if mark in line:
                line = line.replace(mark, plain)
        if not unicodedata.is_normalized("NFC", line):
            line = unicodedata.normalize("NFC", line)
    line = _CONTROL.sub("", line)
    if "  " in line or "\t" in line or "\f" in line or "\v" in line:  # otherwise the sub changes nothing
        line = _SPACES.sub(" ", line)
    line = line.strip()
    if "-" in line or "\u2013" in line or "\u2014" in line:
        line = _DASH_RUN.sub("\u2014", line)
    return line


def is_boilerplate(line: str) -> bool:
    return _BOILERPLATE_OPENING.match(line) is not None or any(p.search(line) for p in _BOILERPLATE_ELSEWHERE)


def clean_lines(lines: list[str]) -> list[str]:
    """Normalised, non-empty, non-boilerplate lines."""
    out = []
    for raw in lines:
        line = normalise_line(raw)
        if (not line.isascii() or "&" in line) and _SUSPECT.search(line):
            # Normalising can complete a mojibake pair (a collapsed space after "Â"): repair once more, so that
            # cleaning clean text changes nothing.
            line = normalise_line(repair_encoding(line))
        if line[-1:] in _TAIL_ENDS and (tail := _TEASER_TAIL.search(line, max(0, len(line) - _TAIL_CHARS))):
            line = line[: tail.start()] + ("…" if "…" in tail.group() or "..." in tail.group() else "")
        if line and not is_boilerplate(line):
            out.append(line)
    return out


_LIST_ITEM = re.compile(r"^(?:[-*\u2022#>]|\d{1,3}[.)])\s")  # a list item or heading starts a line of its own
_TABLE_ROW = re.compile(r"^\|")
_FENCE = "```"
_WRAP_MAX_CHARS = 100  # hard wrapping is at 60-80 columns; a longer line is a paragraph written on one line


def unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines (text wrapped at a fixed width, paragraphs apart by blank lines) back into one
    line a paragraph, which is what the rest of the pipeline takes a line to be: a wrapped article was read
    as dozens of one-line paragraphs, and its summary began mid-sentence.

    Only a text that shows the shape is joined: blank-line paragraphs, lines no longer than
    ``_WRAP_MAX_CHARS``, the lines inside paragraphs mostly near the longest and mostly not ending a
    sentence. One paragraph a line (the seed's format), one sentence a line and lists stay as they are;
    table rows and code between fences are kept line by line, and left out of the shape's measure.
    """
    if len(lines) < 4:
        return lines
    blocks: list[list[tuple[str, bool]]] = [[]]  # per paragraph: (line, verbatim)
    in_code = False
    for line in lines:
        stripped = line.strip()
        fence = stripped.startswith(_FENCE)
        verbatim = in_code or fence or bool(_TABLE_ROW.match(stripped))
        in_code ^= fence
        if stripped:
            if len(stripped) > _WRAP_MAX_CHARS and not verbatim:
                return lines
            blocks[-1].append((stripped, verbatim))
        elif blocks[-1] and not in_code:
            blocks.append([])
    inner = [line for block in blocks for line, verbatim in block[:-1] if not verbatim and not _LIST_ITEM.match(line)]
    if len(blocks) < 2 or len(inner) < 3:
        return lines
    widths = sorted(len(line) for line in inner)
    if widths[len(widths) // 2] < 0.6 * widths[-1] or widths[len(widths) // 2] < 40:
        return lines
    if sum(line.endswith((".", "!", "?", ":", '"', "\u201d")) for line in inner) > len(inner) / 2:
        return lines
    out: list[str] = []
    for block in blocks:
        joined: list[str] = []
        previous_verbatim = True
        for line, verbatim in block:
            if not verbatim and not previous_verbatim and not _LIST_ITEM.match(line):
                joined[-1] += " " + line
            else:
                joined.append(line)
            previous_verbatim = verbatim
        out += [*joined, ""]
    return out


def clean_text(text: str) -> str:
    """A body of text → paragraphs separated by a blank line."""
    text = repair_encoding(_CONTROL.sub("", text))  # (NEL is "…" in cp1252 mojibake: line breaks after)
    if not text.isascii() or "\r" in text:
        text = _LINE_BREAK.sub("\n", text).replace("\u2029", "\n\n")
    return "\n\n".join(clean_lines(text.split("\n")))


def clean_inline(text: str | None) -> str:
    """A title, author or name: one clean line."""
    if not text:
        return ""
    text = repair_encoding(_CONTROL.sub("", text.replace("\n", " ")))  # (NEL is "…" in cp1252 mojibake: after)
    if not text.isascii() or "\r" in text or "\n" in text:  # (ftfy's repair turns U+2028 into "\n")
        text = _INLINE_BREAK.sub(" ", text)
    return normalise_line(text)
