"""settings: YAML plus environment, relative paths, and one-line errors that name the key (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wirewatch.settings import ConfigError, Settings, load_settings, parse_duration


def test_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values come from the file, the environment overrides them, relative paths follow the file."""
    config = tmp_path / "conf" / "ww.yml"
    config.parent.mkdir()
    config.write_text("data_dir: state\ninbox:\n  - path: in\nfeeds:\n  - url: https://e.com/rss\n    interval: 10m\n")
    monkeypatch.setenv("WIREWATCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("WIREWATCH_DEDUP__WINDOW", "3d")
    s = load_settings(config)
    assert s.redis_url == "redis://127.0.0.1:6379/3"
    assert s.data_dir == (config.parent / "state").resolve()
    assert s.inbox[0].path == config.parent / "in"
    assert s.feeds[0].interval == 600.0
    assert s.dedup.window == 3 * 86_400
    assert not s.embedded


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workers: lots\n", "workers: Input should be a valid integer"),
        ("feeds:\n  - url: ftp://x\n", "feeds.0.url: a feed url must start with http:// or https://"),
        ("feeds:\n  - url: https://x.org/rss\n    interval: soon\n", "feeds.0.interval: invalid duration 'soon'"),
        ("colour: blue\n", "colour: unknown key"),
        (
            "http:\n  tokens:\n    - {name: p, token: 0123456789abcdef, scope: admin}\n",
            "http.tokens.0.scope: Input should be 'read', 'submit' or 'write'",
        ),
        ("redis_url: http://x\n", "redis_url: must start with redis://, rediss://, unix:// or redis+sentinel://"),
        ("inbox: [1, 2\n", "config: invalid YAML at line"),
        ("- just\n- a list\n", "must hold a mapping of keys"),
        # durations that are no length of time: NaN compared false with everything (never due), inf overflowed
        ("reconcile_after: .nan\n", "reconcile_after: a duration must be a finite number of seconds"),
        ("dedup:\n  window: .inf\n", "dedup.window: a duration must be a finite number of seconds"),
        # a key written twice: YAML kept the last without a word (a second `dedup:` replaced the whole first one)
        ("workers: 1\nbatch_size: 8\nworkers: 4\n", "config: key 'workers' appears twice (line 3)"),
        ("dedup:\n  window: 1d\n  window: 2d\n", "config: key 'dedup.window' appears twice (line 3)"),
        (
            "inbox:\n  - path: a\n    after: keep\n    after: move\n",
            "config: key 'inbox.0.after' appears twice (line 4)",
        ),
        # a Redis URL redis-py cannot read was a traceback at the first command, or (a database that is no
        # number) silently database 0
        ("redis_url: redis://bob:s3cret-pw@127.0.0.1:notaport/0\n", "redis_url: not a valid port: 'notaport'"),
        ("redis_url: redis://127.0.0.1:70000/0\n", "redis_url: not a valid port: '70000'"),
        ("redis_url: 'redis://[::1/0'\n", "redis_url: not a valid URL: Invalid IPv6 URL"),
        (
            "redis_url: redis://127.0.0.1:6379/abc\n",
            "redis_url: the database after the host must be a number, not 'abc'",
        ),
        ("redis_url: redis://127.0.0.1:6379/0?db=x\n", "redis_url: Invalid value for 'db' in connection URL."),
        ("redis_url: unix:///tmp/r.sock?db=x\n", "redis_url: Invalid value for 'db' in connection URL."),
        ("redis_url: redis://127.0.0.1:6379/0?tiemout=5\n", "redis_url: unknown option 'tiemout' in the URL"),
    ],
)
def test_invalid_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Each bad value raises ConfigError whose one-line message names the key."""
    config = tmp_path / "bad.yml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert "s3cret" not in str(info.value)  # a password in the URL is never repeated


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "redis://:pw@127.0.0.1:6379/3", "rediss://h:6380",
                                 "redis://h/", "redis://[::1]:6379/0?socket_timeout=5&password=pw",
                                 "unix:///tmp/r.sock?db=2", "redis+sentinel://h1,h2:26380/mymaster/1"])  # fmt: skip
def test_valid_redis_urls_are_taken(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The URLs redis-py reads, options included, pass the stricter check."""
    monkeypatch.delenv("WIREWATCH_REDIS_URL", raising=False)
    assert Settings(redis_url=url).redis_url == url


def test_an_unreadable_redis_url_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    """A port that is no number was a ValueError traceback from redis-py, exit 1, at the first read command."""
    config = tmp_path / "bad.yml"
    config.write_text("redis_url: redis://bob:s3cret-pw@127.0.0.1:notaport/0\n")
    proc = subprocess.run([sys.executable, "-m", "wirewatch", "events", "-c", str(config)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == ["wirewatch: config error: redis_url: not a valid port: 'notaport'"]


def test_cli_config_error_exits_2(tmp_path: Path) -> None:
    """The command line prints one line naming the key and exits 2."""
    config = tmp_path / "bad.yml"
    config.write_text("workers: -3\n")
    proc = subprocess.run([sys.executable, "-m", "wirewatch", "run", "--once", "-c", str(config)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "wirewatch: config error: workers: Input should be greater than or equal to 0"
    ]


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    """A config file that does not exist is a config error too."""
    proc = subprocess.run([sys.executable, "-m", "wirewatch", "events", "-c", str(tmp_path / "nope.yml")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "file not found" in proc.stderr


@pytest.mark.parametrize(("value", "seconds"), [(90, 90.0), ("90s", 90.0), ("10m", 600.0), ("7d", 604_800.0),
                                                ("250ms", 0.25), ("1.5h", 5400.0)])  # fmt: skip
def test_parse_duration(value: object, seconds: float) -> None:
    """Durations accept units."""
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 0, "0s", "-5s", "10 minutes", True])
def test_parse_duration_refuses_what_is_no_length_of_time(value: object) -> None:
    """NaN and infinity are refused like zero, negatives and unknown units."""
    with pytest.raises(ValueError):
        parse_duration(value)


def test_a_section_key_with_one_underscore_is_refused_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """WIREWATCH_DEDUP_WINDOW (one underscore) used to be ignored without a word, like any unknown variable."""
    from wirewatch.settings import ConfigError, load_settings

    monkeypatch.setenv("WIREWATCH_DEDUP_WINDOW", "3d")
    with pytest.raises(ConfigError, match="takes two underscores: WIREWATCH_DEDUP__WINDOW"):
        load_settings(None)
    monkeypatch.delenv("WIREWATCH_DEDUP_WINDOW")
    monkeypatch.setenv("WIREWATCH_DEDUP__WINDOW", "3d")
    assert load_settings(None).dedup.window == 3 * 86400


@pytest.mark.parametrize(("variable", "meant"), [("WIREWATCH_REDIS_ULR", "WIREWATCH_REDIS_URL"),
                                                 ("WIREWATCH_DATADIR", "WIREWATCH_DATA_DIR"),
                                                 ("wirewatch_batchsize", "WIREWATCH_BATCH_SIZE")])  # fmt: skip
def test_a_misspelt_setting_variable_is_refused_not_ignored(
    monkeypatch: pytest.MonkeyPatch, variable: str, meant: str
) -> None:
    """A variable a letter or two away from a setting would leave that setting at its default without a word
    (a worker on the embedded Redis instead of the shared one); one far from every setting is another tool's."""
    from wirewatch.settings import ConfigError, load_settings

    monkeypatch.setenv(variable, "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match=f"{variable}: not a setting; did you mean {meant}\\?"):
        load_settings(None)
    monkeypatch.delenv(variable)
    monkeypatch.setenv("WIREWATCH_CORPUS", "/elsewhere")
    monkeypatch.setenv("WIREWATCH_WEBHOOK_SECRET", "s" * 20)
    assert load_settings(None).redis_url is None


def test_a_merge_key_may_be_overridden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The duplicate-key check leaves YAML merge keys alone: a mapping's own key overrides one merged in."""
    monkeypatch.delenv("WIREWATCH_FEEDS", raising=False)
    config = tmp_path / "ww.yml"
    config.write_text(
        "feeds:\n  - &bbc {url: https://a.org/rss, interval: 10m}\n  - <<: *bbc\n    url: https://b.org/rss\n"
    )
    assert [(f.url, f.interval) for f in load_settings(config).feeds] == [("https://a.org/rss", 600.0),
                                                                           ("https://b.org/rss", 600.0)]  # fmt: skip


def test_a_home_folder_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`~/inbox` in the file (or the environment) was taken as a folder named `~` beside the config file: the
    inbox a user meant was never watched, and the data went to `conf/~/…`."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    config = tmp_path / "conf" / "ww.yml"
    config.parent.mkdir()
    config.write_text("data_dir: ~/state\ninbox:\n  - path: ~/news\n")
    s = load_settings(config)
    assert s.data_dir == tmp_path / "home" / "state"
    assert s.inbox[0].path == tmp_path / "home" / "news"
    monkeypatch.setenv("WIREWATCH_DATA_DIR", "~/elsewhere")
    assert load_settings(config).data_dir == tmp_path / "home" / "elsewhere"
    monkeypatch.setenv("WIREWATCH_CONFIG", "~/../conf/ww.yml")
    assert load_settings(None).inbox[0].path == tmp_path / "home" / "news"


def test_relative_paths_from_the_environment_follow_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docstring and README say a relative path is relative to the file only where the file gives it; one
    from WIREWATCH_DATA_DIR or WIREWATCH_INBOX was resolved against the config file's folder too. A path the
    file leaves at its default (data_dir) still follows the file."""
    config = tmp_path / "conf" / "ww.yml"
    config.parent.mkdir()
    config.write_text("inbox:\n  - path: in\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert load_settings(config).data_dir == config.parent / ".wirewatch"
    monkeypatch.setenv("WIREWATCH_DATA_DIR", "state")
    monkeypatch.setenv("WIREWATCH_INBOX", '[{"path": "drop"}]')
    s = load_settings(config)
    assert s.data_dir == work / "state"
    assert s.inbox[0].path == work / "drop"


@pytest.mark.parametrize(
    ("inbox", "message"),
    [
        ("[{path: in}, {path: ./in/}]", "inbox.1.path: the same folder as inbox.0"),
        ("[{path: in, name: a}, {path: in/sub, name: b}]", "inbox.1.path: inside inbox.0"),
        ("[{path: in/sub}, {path: in}]", "inbox.0.path: inside inbox.1"),
        ("[{path: in}, {path: link}]", "inbox.1.path: the same folder as inbox.0"),
    ],
)
def test_an_inbox_folder_listed_twice_or_inside_another_is_refused(tmp_path: Path, inbox: str, message: str) -> None:
    """Inboxes are scanned with their subfolders: a folder listed twice, or one inside another, had every file
    read by two watchers, each making deliveries of its own (and with `after: move` two movers raced)."""
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "in")
    config = tmp_path / "ww.yml"
    config.write_text(f"inbox: {inbox}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(config)
    config.write_text("inbox: [{path: in/sub}, {path: insider}]\n")  # a name that starts alike is no overlap
    assert len(load_settings(config).inbox) == 2
