"""One settings object, read once per process and passed in.

Sources, highest priority first: ``WIREWATCH_*`` environment variables (nested keys with ``__``, lists as
JSON), then the YAML config file (``-c FILE`` or ``WIREWATCH_CONFIG``), then defaults. ``~`` in a path is the
home folder. Relative paths in a config file (and the default ``data_dir`` when there is one) are relative to
that file's folder; from the environment, to the working directory. Invalid values raise
:class:`ConfigError` with a one-line message that names the key.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import redis
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from wirewatch import constants as c
from wirewatch.sentinel import is_sentinel_url, parse_sentinel_url

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, None: 1}


class ConfigError(Exception):
    """Raised when the configuration is invalid; its message is one line naming the key."""


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"10m"``, ``"7d"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 10m, 7d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"invalid duration {value!r}: expected a number with ms, s, m, h, d or w")
        seconds = float(match[1]) * _UNIT_S[match[2]]
    if not math.isfinite(seconds):  # .nan compared false with every time (never due); .inf overflowed Redis
        raise ValueError("a duration must be a finite number of seconds")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboxSource(_Section):
    path: Path
    name: str | None = Field(None, description="Source name for articles that do not name one.")
    after: Literal["keep", "move"] = Field(
        "keep",
        description="What `run` does with a file once every article in it is settled: keep it where it is, or "
        "move it into `<path>/.done/` (hidden, so never scanned again), which keeps each scan as small as the "
        "folder's unread files.",
    )


class FeedSource(_Section):
    url: str = Field(..., max_length=c.FEED_URL_MAX_CHARS)  # longer: never polled (the poll message refuses it)
    name: str | None = None
    interval: Duration = c.FEED_INTERVAL_S
    full_text: bool = False

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value, re.I):
            raise ValueError("a feed url must start with http:// or https://")
        return value


class SubscriptionConfig(_Section):
    name: str = Field(..., min_length=1, max_length=200)
    query: str = Field(..., min_length=1, max_length=10_000)
    webhook: str | None = None
    secret: SecretStr | None = None


class DedupSettings(_Section):
    window: Duration = float(c.DEDUP_WINDOW_S)
    # Near-duplicates (stories); why these defaults: docs/stories.md.
    near_jaccard: float = Field(0.5, gt=0, le=1, description="Estimated Jaccard that makes one story.")
    near_containment: float = Field(0.6, gt=0, le=1, description="Or containment of the shorter text.")
    near_short_jaccard: float = Field(0.6, gt=0, le=1, description="What a short text needs instead.")
    near_numbers: float = Field(0.5, ge=0, le=1, description="Shared numbers, or they are different stories.")
    near_head_numbers: bool = Field(
        True, description="The headline's and first line's numbers agree, or they are different stories."
    )
    near_head_names: bool = Field(
        True, description="First lines of one template with other names are different stories."
    )
    story_articles: int = Field(
        c.STORY_ARTICLES_KEPT, ge=1, description="Article ids a story keeps: its first and the newest this many."
    )
    story_sources: int = Field(
        c.STORY_SOURCES_KEPT, ge=1, description="Sources a story keeps: its first and the newest this many."
    )


class LimitSettings(_Section):
    max_article_bytes: int = Field(c.ARTICLE_MAX_BYTES, gt=0)
    max_records_per_file: int = Field(c.JSONL_MAX_RECORDS, gt=0)
    max_subscriptions: int = Field(
        10_000, gt=0, description="Subscriptions stored at most; a new one past it is refused (each is compiled in "
        "every worker and at every reload: docs/matching.md).",
    )  # fmt: skip


class EnrichSettings(_Section):
    entities: str = Field("rules", description='"rules" (no model) or "spacy:<pipeline>", e.g. spacy:en_core_web_sm.')

    @field_validator("entities")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value != "rules" and not re.match(r"^spacy:\S+$", value):
            raise ValueError("must be 'rules' or 'spacy:<pipeline>' (e.g. spacy:en_core_web_sm)")
        return value


# What an HTTP API token may do, narrowest first; each scope may also do all the ones before it may.
Scope = Literal["read", "submit", "write"]


class ApiToken(_Section):
    """A bearer token for the HTTP API: ``read`` tokens read, ``submit`` tokens also submit articles, ``write``
    tokens may do everything (submit, and add or remove subscriptions)."""

    name: str = Field(..., min_length=1, max_length=100)
    token: SecretStr = Field(..., description="At least 16 characters; compared in constant time.")
    scope: Scope = Field("write", description="read, submit (read and POST /v1/articles) or write (everything).")

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("a token must have at least 16 characters")
        return value


class HttpSettings(_Section):
    """``wirewatch serve`` (and the receiver inside ``run``). Why each number: docs/http.md."""

    enabled: bool = Field(True, description="Start the HTTP app inside `wirewatch run`.")
    host: str = "127.0.0.1"
    port: int = Field(c.HTTP_PORT, ge=0, le=65535)
    tokens: list[ApiToken] = Field(default_factory=list, description="None: writes are refused.")
    public_read: bool = Field(True, description="false: the read API and dashboard need a token too.")
    max_body_bytes: int = Field(c.HTTP_MAX_BODY_BYTES, gt=0)
    max_batch: int = Field(c.HTTP_MAX_BATCH, gt=0)
    rate_limit: int = Field(c.HTTP_RATE_LIMIT, ge=0, description="Requests per token per window; 0: no limit.")
    rate_window: Duration = float(c.HTTP_RATE_WINDOW_S)
    max_connections: int = Field(
        500, ge=2, description="uvicorn's limit_concurrency: past this many connections, requests get 503."
    )
    max_streams: int = Field(200, ge=1, description="Open SSE streams at once; more are refused with 503.")
    body_timeout: Duration = Field(60.0, description="Time to send a whole request body; slower is cut off (408).")
    allowed_hosts: list[str] | None = Field(
        None,
        description="Host names answered (421 otherwise); '*': any. null: only localhost and loopback addresses "
        "when host is a loopback address (against DNS rebinding), any name otherwise.",
    )
    anonymous_rate_limit: int = Field(
        c.HTTP_ANONYMOUS_RATE_LIMIT,
        ge=0,
        description="Requests per client address per window without a valid token (public reads, failed tokens); "
        "0: no limit.",
    )

    @model_validator(mode="after")
    def _streams_fit(self) -> HttpSettings:
        # Every stream is also a connection: streams at their cap must leave room for other requests.
        if self.max_streams >= self.max_connections:
            raise ValueError(f"max_streams ({self.max_streams}) must be below max_connections ({self.max_connections})")
        return self


class Settings(BaseSettings):
    """Everything a wirewatch process needs to know, validated once."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    config_file: Path | None = None
    redis_url: str | None = Field(None, description="null: the embedded Redis under data_dir.")
    data_dir: Path = Path(".wirewatch")
    workers: int = Field(0, ge=0, le=64, description="Worker processes for `run`; 0 = one per core.")
    batch_size: int = Field(c.BATCH_SIZE, ge=1, le=256)
    inbox: list[InboxSource] = Field(default_factory=list)
    inbox_poll_interval: Duration = 1.0
    inbox_events: bool = Field(
        True,
        description="Read a file as soon as a file event says it is complete (closed by its writer or renamed in); "
        "the scan every inbox_poll_interval runs either way. false: scan only.",
    )
    feeds: list[FeedSource] = Field(default_factory=list)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    enrich: EnrichSettings = Field(default_factory=EnrichSettings)
    allow_private_networks: bool = False
    http: HttpSettings = Field(default_factory=HttpSettings)
    events_stream: str = c.EVENTS_STREAM
    alerts_stream: str = c.ALERTS_STREAM
    events_maxlen: int = Field(c.EVENTS_MAXLEN, gt=0)
    max_attempts: int = Field(c.MAX_ATTEMPTS, ge=1)
    worker_memory_limit_mb: int = Field(
        c.WORKER_MEMORY_LIMIT_MB, ge=0, description="Address-space cap per worker child process (0: none)."
    )
    reconcile_after: Duration = Field(
        float(c.TASK_TIME_LIMIT_S + 30),
        description="Re-send a delivery still pending this long once the queue is empty (its message was lost).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^(redis|rediss|unix|redis\+sentinel)://", value, re.I):
            raise ValueError("must start with redis://, rediss://, unix:// or redis+sentinel://")
        if is_sentinel_url(value):
            parse_sentinel_url(value)  # its ValueError says what is wrong
        else:
            _check_redis_url(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init kwargs; the environment overrides them.
        return (env_settings, init_settings)

    @property
    def embedded(self) -> bool:
        return self.redis_url is None


def _check_redis_url(url: str) -> None:
    """Raise ValueError (never quoting the password) for a URL redis-py would fail on at the first command, with
    a traceback (a port that is no number, an option it does not know), or read as another server: a database
    that is no number (``/abc``) was silently database 0."""
    try:
        parts = urlsplit(url)
    except ValueError as e:  # an unclosed [ of an IPv6 address
        raise ValueError(f"not a valid URL: {e}") from None
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
    except ValueError:
        port = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
        raise ValueError(f"not a valid port: {port!r}") from None
    db = parts.path.strip("/")
    if not url.lower().startswith("unix://") and db and not db.isdigit():
        raise ValueError(f"the database after the host must be a number, not {db!r}")
    try:  # builds the connection object without connecting: unknown options fail here, as in `connect`
        redis.ConnectionPool.from_url(url).make_connection()
    except TypeError as e:
        unknown = re.search(r"unexpected keyword argument '([^']+)'", str(e))
        raise ValueError(f"unknown option {unknown[1]!r} in the URL" if unknown else f"not a valid URL: {e}") from None


def describe_error(error: ValidationError) -> str:
    """The first error as "key.path: reason", one line (pydantic's own text ends in a link to its docs)."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "config"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    return f"{where}: {message}"


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping: YAML kept the last without a word, so a
    second ``workers:`` further down, or a second ``dedup:`` section, silently replaced the first. The key is
    named by its path (``dedup.window``, ``inbox.1.path``), as other config errors are."""

    def construct_document(self, node: yaml.Node) -> Any:
        _refuse_duplicate_keys(node, [], set())
        return super().construct_document(node)


def _refuse_duplicate_keys(node: yaml.Node, path: list[str], visited: set[int]) -> None:
    if id(node) in visited:  # an alias of a node checked already
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` brings keys in that the mapping's own may override
            key = str(key_node.value)
            if key in seen:
                where = ".".join([*path, key])
                raise ConfigError(f"config: key {where!r} appears twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
            _refuse_duplicate_keys(value_node, [*path, key], visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, [*path, str(index)], visited)


def _resolve_paths(settings: Settings, base: Path, environ: Mapping[str, str]) -> Settings:
    """Make the data folder and the inbox folders absolute: ``~`` is the home folder (it was a folder named ``~``),
    a relative path is relative to ``base`` (the config file's folder) unless the environment gave it, which is
    relative to the working folder, as a path on a command line is."""
    from_env = {key.upper() for key in environ}

    def place(path: Path, variable: str) -> Path:
        path = path.expanduser()
        if path.is_absolute():
            return path
        return (Path.cwd() if variable in from_env else base) / path

    data_dir = place(settings.data_dir, "WIREWATCH_DATA_DIR")
    inbox = [src.model_copy(update={"path": place(src.path, "WIREWATCH_INBOX")}) for src in settings.inbox]
    _check_inbox_overlap([src.path for src in inbox])
    return settings.model_copy(update={"data_dir": data_dir.resolve(), "inbox": inbox})


def _check_inbox_overlap(folders: list[Path]) -> None:
    """Refuse an inbox folder listed twice (however spelt: ``in``, ``./in/``, a symlink to it) or inside another:
    inboxes are read with their subfolders, so each of their files was read by two watchers, each making
    deliveries of its own, and with ``after: move`` both moved it."""
    real = [folder.resolve() for folder in folders]
    for j, later in enumerate(real):
        for i, earlier in enumerate(real[:j]):
            if later == earlier:
                raise ConfigError(f"inbox.{j}.path: the same folder as inbox.{i} ({folders[i]}); list it once")
            for inner, outer in ((j, i), (i, j)):
                if real[outer] in real[inner].parents:
                    raise ConfigError(f"inbox.{inner}.path: inside inbox.{outer} ({folders[outer]}), which is read "
                                      "with its subfolders: its files would be read twice")  # fmt: skip


def _check_section_overrides(environ: Mapping[str, str]) -> None:
    """Refuse `WIREWATCH_DEDUP_WINDOW`: a key of a section takes two underscores (`WIREWATCH_DEDUP__WINDOW`), and
    with one the override was ignored without a word, as any unknown variable is."""
    sections = [name for name, f in Settings.model_fields.items()
                if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)]  # fmt: skip
    for key in environ:
        upper = key.upper()
        for section in sections:
            prefix = f"WIREWATCH_{section.upper()}_"
            if upper.startswith(prefix) and not upper.startswith(prefix + "_"):
                nested = f"{prefix}_{upper[len(prefix) :]}"
                raise ConfigError(f"{key}: not a setting; a key of the {section} section takes two underscores: "
                                  f"{nested}")  # fmt: skip


def _check_misspelt_variables(environ: Mapping[str, str]) -> None:
    """Refuse a `WIREWATCH_*` variable that is no setting but one letter or two away from one
    (`WIREWATCH_REDIS_ULR`): ignored, it would leave the setting at its default without a word, and a worker
    would start on the embedded Redis instead of the one meant. A variable far from every setting
    (`WIREWATCH_CONFIG`, another tool's) is left alone: the environment is shared."""
    names = list(Settings.model_fields)
    for key in environ:
        if not key.upper().startswith("WIREWATCH_"):
            continue
        name = key[len("WIREWATCH_") :].lower()
        if "__" in name or name in Settings.model_fields:
            continue  # a section's key is checked by the section itself
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)
        if close:
            raise ConfigError(f"{key}: not a setting; did you mean WIREWATCH_{close[0].upper()}?")


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the config file (if any) and the environment; raise ConfigError naming the bad key."""
    path_text = config_file or os.environ.get("WIREWATCH_CONFIG")
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path_text:
        path = Path(path_text).expanduser()
        try:
            loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
        except FileNotFoundError:
            raise ConfigError(f"config: file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"config: cannot read {path}: {e}") from e
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"config: invalid YAML{where} in {path}") from e
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"config: {path} must hold a mapping of keys")
        data = loaded
        base = path.resolve().parent
        data["config_file"] = path.resolve()
    data.update(overrides)
    _check_section_overrides(os.environ)
    _check_misspelt_variables(os.environ)
    try:
        settings = Settings(**data)
    except ValidationError as e:
        raise ConfigError(describe_error(e)) from None
    except SettingsError as e:  # an environment override of a list or a section that is not JSON
        raise ConfigError(f"{e} (WIREWATCH_<KEY> for a list or a section takes JSON)") from None
    return _resolve_paths(settings, base, os.environ)
