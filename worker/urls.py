"""Canonical URLs: one spelling per article, whatever tracking decorations a link carries."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that identify a click, a campaign or a session, not a page. Conservative on purpose:
# dropping a parameter that does name a page would merge two articles into one (a missed article).
_TRACKING_EXACT = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid",
        "mc_eid", "guccounter", "guce_referrer", "guce_referrer_sig", "_hsenc", "_hsmi", "ocid", "cmpid",
        "cmp", "ito", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "smid", "smtyp",
        "sr_share", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "ref", "ref_src", "ref_url", "spm", "xtor", "mbid", "icid", "soc_src", "soc_trk", "taid",
        "__twitter_impression", "s_cid", "trk", "trkcampaign",
        "maca", "traffic_source",  # DW's and Al Jazeera's feed links: ?maca=en-rss-en-all-1573-rdf
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "ga_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "__s", "_ga")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DOUBLE_SLASH = re.compile(r"/{2,}")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters; None if not http(s)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _DOUBLE_SLASH.sub("/", quote(unquote(parts.path), safe="/%:@!$&'()*+,;=-._~")) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def domain_of(url: str | None) -> str | None:
    """The host name of a URL, lower-case, or None."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None
