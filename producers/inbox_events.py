"""File events for the inbox: a file is read as soon as its writer has closed it or it was renamed in.

The scan (`producers.inbox.InboxWatcher.poll`, every ``inbox_poll_interval``) stays the source of truth, and
its rule stays: a file it finds is read once its size and mtime held still across two scans. Events are a fast
path beside it, through watchdog (inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows):

- a file closed after writing, or renamed into the folder, is *complete* by its writer's word, so it is read
  without waiting for two scans — once it has not been modified for ``QUIET_S``, which keeps a writer that
  closes and reopens a file within moments from being read half-way;
- bind mounts, network shares and Docker Desktop volumes may deliver no events, and a new subfolder's first
  files can be written before its watch exists: the scan finds those files as before, so nothing is missed,
  and a file is read once either way (the watcher remembers what it read, by its stamp: size, mtime,
  inode, ctime and digest);
- a folder that cannot be watched (missing at start, or the system's watch limit reached) is logged once as
  ``inbox_events_unavailable`` and left to the scan.

macOS reports no close events, only renames: there a file written in place waits for the scan, and one
renamed in (the documented way to drop a file) is read at once.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from watchdog.events import (
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from wirewatch.logs import get_logger

log = get_logger("wirewatch.inbox")

QUIET_S = 0.05  # a reported file is read once it has not been modified for this long
MAX_PENDING = 100_000  # reported paths held at once; past it, the scan picks up the rest
# A file written to and not closed since is left alone by the scan, however still it holds (a writer that
# pauses mid-file), until its writer closes it or has been silent this long.
WRITING_STALE_S = 300.0


# Partial uploads and editor droppings: never read, refused or moved, in a file's name or a folder's on its way.
# Each is what a writer names a file (or, Safari, a folder) until it renames it to its real name: WinSCP
# `.filepart`, Firefox and curl-like tools `.part`/`.partial`, Chrome `.crdownload`, Safari `.download`, Resilio
# `.!sync`, Emacs `#name#`. A `.filepart` held still across two scans (a stalled upload, no file events on a
# share) was refused as an unsupported type and, with `after: move`, moved away mid-upload: the upload was lost.
IGNORED = re.compile(r"^\.|~$|^#.*#$|\.(?:part|partial|filepart|tmp|temp|swp|crdownload|download|!sync)$", re.I)


def _path(raw: str | bytes) -> Path:
    return Path(os.fsdecode(raw))


def wanted(folder: Path, path: Path) -> bool:
    """Whether a path under ``folder`` is one the inbox reads: not hidden or partial, nor in such a folder."""
    return not any(IGNORED.search(part) for part in path.relative_to(folder).parts)


class InboxEvents(FileSystemEventHandler):
    """Collects the paths that file events report complete, and wakes the runner's loop.

    Creations and modifications do not make a file complete: they say it is being written, not that it is done.
    A write marks the file as being written until it is closed (`being_written`), which keeps the scan from
    reading a file whose writer has paused mid-way, however long its size and mtime hold still.
    Paths the inbox never reads (hidden or partial names, such as the temporary name a file is written under
    before its rename) are not collected, so the count of reported files is a count of files to read.
    """

    def __init__(self, wake: threading.Event, folder: Path) -> None:
        self.wake = wake
        self.folder = folder
        self._lock = threading.Lock()
        self._paths: dict[Path, None] = {}  # ordered: files are read in the order they completed
        self._writing: dict[Path, float] = {}  # written to and not closed since: when it was last written
        self.dropped = 0

    def on_modified(self, event: DirModifiedEvent | FileModifiedEvent) -> None:  # a write, not a chmod or touch
        if not event.is_directory:
            path = _path(event.src_path)
            if path.is_relative_to(self.folder) and wanted(self.folder, path):
                with self._lock:
                    if len(self._writing) >= MAX_PENDING:
                        self._forget_stale_writers()
                    if len(self._writing) < MAX_PENDING:  # else the scan's own rule is all there is
                        self._writing[path] = time.monotonic()

    def on_closed(self, event: FileClosedEvent) -> None:  # closed after writing (not closed_no_write)
        self._report(event.src_path)

    def on_moved(self, event: DirMovedEvent | FileMovedEvent) -> None:
        if not event.is_directory:  # a folder renamed in holds files the scan will find
            with self._lock:
                self._writing.pop(_path(event.src_path), None)
            self._report(event.dest_path)

    def on_deleted(self, event: DirDeletedEvent | FileDeletedEvent) -> None:
        with self._lock:
            self._writing.pop(_path(event.src_path), None)

    def being_written(self, path: Path) -> bool:
        """Whether ``path`` was written to and neither closed nor silent for ``WRITING_STALE_S`` since: its
        writer may only be pausing, so it is not to be read (nor moved away) yet."""
        with self._lock:
            last = self._writing.get(path)
        return last is not None and time.monotonic() - last < WRITING_STALE_S

    def _forget_stale_writers(self) -> None:
        cutoff = time.monotonic() - WRITING_STALE_S
        for path in [p for p, last in self._writing.items() if last < cutoff]:
            del self._writing[path]

    def _report(self, raw: str | bytes) -> None:
        path = _path(raw)
        if not path.is_relative_to(self.folder) or not wanted(self.folder, path):
            return
        with self._lock:
            self._writing.pop(path, None)
            if len(self._paths) >= MAX_PENDING:
                self.dropped += 1
                return
            self._paths[path] = None
        self.wake.set()

    def take(self) -> list[Path]:
        """The paths reported since the last call, oldest first."""
        with self._lock:
            paths, self._paths = list(self._paths), {}
            dropped, self.dropped = self.dropped, 0
        if dropped:
            log.warning("inbox_events_dropped", events=dropped, reason=f"more than {MAX_PENDING} files waiting; "
                        "the scan reads them")  # fmt: skip
        return paths

    @property
    def pending(self) -> int:
        """How many reported paths wait for `take`."""
        with self._lock:
            return len(self._paths)

    def put_back(self, paths: Sequence[Path]) -> None:
        """Paths to look at again on the next call of `take` (modified too recently to read yet)."""
        with self._lock:
            for path in paths:
                self._paths.setdefault(path, None)


@contextmanager
def watching(folders: Sequence[Path], wake: threading.Event) -> Iterator[dict[Path, InboxEvents]]:
    """Watch ``folders`` (recursively) for the duration; yields each watched folder's event collector."""
    observer = Observer()
    found: dict[Path, InboxEvents] = {}
    for folder in folders:
        if not folder.is_dir():
            log.warning("inbox_events_unavailable", path=str(folder), reason="not a folder yet; the scan covers it")
            continue
        handler = InboxEvents(wake, folder)
        try:
            observer.schedule(handler, str(folder), recursive=True)
        except OSError as e:  # e.g. the inotify watch limit (fs.inotify.max_user_watches)
            log.warning("inbox_events_unavailable", path=str(folder), reason=str(e))
            continue
        found[folder] = handler
    if found:
        try:
            observer.start()
        except OSError as e:
            log.warning("inbox_events_unavailable", reason=str(e))
            found = {}
    try:
        yield found
    finally:
        if observer.is_alive():
            observer.stop()
            observer.join(timeout=5)
