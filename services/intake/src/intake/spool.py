"""A local durable spool for submissions accepted while the broker is away.

Each submission is one file holding exactly the message body that will be
published (the encoded `Submission` event). It is written under a temporary
name, fsync'd, renamed to its final name and the directory fsync'd, all
before the client gets its 202, so an accepted submission survives a crash
or a power cut. File names sort in the order the submissions were accepted:
`<unix time ns>-<sequence>-<submission id>.json`, and `.danger.json` for one
the danger pre-screen flagged.

`SpoolForwarder` (forwarder.py) publishes the files once the broker is back,
those that mention danger first, each kind oldest first (`next_entry`), and
deletes each one only after the broker confirmed it. A
publish whose confirm was merely late, or a crash between the confirm and
the delete, publishes the message a second time: delivery is at least once,
and the submission id (the AMQP message_id) is the dedupe key downstream.

One spool per process: the folder is locked (flock on `.lock`), so a second
process pointed at the same folder gets no spool instead of forwarding the
same files twice. Bounded by a total size and a file count; past either, or
when the folder cannot be written, `put` raises `SpoolUnavailable` and the
intake answers 503 as it would without a spool. The last `reserve` share of
both bounds takes only submissions the danger pre-screen flags, so a flood
during a broker outage fills the spool for everyone but a person in crisis.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import heapq
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

SUFFIX = ".json"
DANGER_SUFFIX = ".danger" + SUFFIX
TEMP_SUFFIX = ".tmp"
QUARANTINE_SUFFIX = ".bad"
LOCK_NAME = ".lock"


class SpoolUnavailable(Exception):
    """The spool cannot take this submission: it is full or cannot be written."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, order=True)
class SpoolEntry:
    name: str
    size: int

    @property
    def danger(self) -> bool:
        """The pre-screen flagged it when it was accepted (files from versions
        before the mark count as routine)."""
        return _marked_danger(self.name)


class Spool:
    def __init__(
        self, directory: Path, *, max_bytes: int, max_files: int, reserve: float = 0.0
    ) -> None:
        self.directory = directory
        self._max_bytes = max_bytes
        self._max_files = max_files
        self._routine_bytes = max_bytes - int(max_bytes * reserve)
        self._routine_files = max_files - int(max_files * reserve)
        self._sizes: dict[str, int] = {}
        # Names waiting, by whether they mention danger (True: forwarded first).
        self._heaps: dict[bool, list[str]] = {True: [], False: []}
        self._bytes = 0
        self._reserved_bytes = 0
        self._reserved_files = 0
        self._lock_fd: int | None = None
        self._sequence = itertools.count()
        self._last_ns = 0

    @property
    def depth(self) -> int:
        """Files waiting to be forwarded."""
        return len(self._sizes)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    @property
    def pending(self) -> int:
        """Files waiting, plus those being written now."""
        return len(self._sizes) + self._reserved_files

    @property
    def is_open(self) -> bool:
        return self._lock_fd is not None

    def open(self) -> None:
        """Create and lock the folder, and index what a previous run left. Raises OSError."""
        if self._lock_fd is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        try:
            found = self._scan()
        except OSError:
            os.close(fd)
            raise
        self._lock_fd = fd
        for name, size in found:
            self._index(name, size)
        if found:
            log.info("spool.found", depth=self.depth, bytes=self._bytes)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    async def put(self, submission_id: str, body: bytes, *, urgent: bool = False) -> SpoolEntry:
        """Store one message durably (fsync'd) before returning; `urgent` (it
        mentions danger) may use the reserve."""
        if self._lock_fd is None:
            # Opening failed at start-up (or never ran): the folder may be back.
            try:
                await asyncio.to_thread(self.open)
            except OSError as exc:
                raise SpoolUnavailable(f"unwritable: {type(exc).__name__}") from None
        size = len(body)
        if self.pending + 1 > (self._max_files if urgent else self._routine_files):
            raise SpoolUnavailable("full: too many files")
        max_bytes = self._max_bytes if urgent else self._routine_bytes
        if self._bytes + self._reserved_bytes + size > max_bytes:
            raise SpoolUnavailable("full: too many bytes")
        self._reserved_files += 1
        self._reserved_bytes += size
        suffix = DANGER_SUFFIX if urgent else SUFFIX
        name = f"{self._next_ns():020d}-{next(self._sequence):08d}-{submission_id}{suffix}"
        # Shielded: once started, the write completes and is indexed even if
        # the request is cancelled, so no file is left that only a restart finds.
        stored = asyncio.ensure_future(self._store(name, body))
        try:
            return await asyncio.shield(stored)
        except OSError as exc:
            raise SpoolUnavailable(f"unwritable: {type(exc).__name__}") from None

    def next_entry(self) -> SpoolEntry | None:
        """The next file to forward: the oldest that mentions danger, else the
        oldest. After an outage that spooled a flood, 2,000 routine files
        ahead held an emergency back 7.8 s (bench/RESULTS.md, sixth session)."""
        for heap in (self._heaps[True], self._heaps[False]):
            while heap:
                name = heap[0]
                if name in self._sizes:
                    return SpoolEntry(name, self._sizes[name])
                heapq.heappop(heap)
        return None

    async def read(self, entry: SpoolEntry) -> bytes:
        return await asyncio.to_thread((self.directory / entry.name).read_bytes)

    async def remove(self, entry: SpoolEntry) -> None:
        """Delete a forwarded file (the delete is fsync'd too)."""
        await asyncio.to_thread(self._unlink, entry.name)
        self._forget(entry.name)

    async def quarantine(self, entry: SpoolEntry) -> None:
        """Set aside a file that can never be published; kept for a person to look at."""
        target = entry.name.removesuffix(SUFFIX) + QUARANTINE_SUFFIX
        await asyncio.to_thread(os.replace, self.directory / entry.name, self.directory / target)
        self._forget(entry.name)

    async def _store(self, name: str, body: bytes) -> SpoolEntry:
        try:
            await asyncio.to_thread(self._write, name, body)
            self._index(name, len(body))
        finally:
            self._reserved_files -= 1
            self._reserved_bytes -= len(body)
        return SpoolEntry(name, len(body))

    def _write(self, name: str, body: bytes) -> None:
        temp = self.directory / (name.removesuffix(SUFFIX) + TEMP_SUFFIX)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, self.directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        self._sync_directory()

    def _unlink(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / name).unlink()
        self._sync_directory()

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _scan(self) -> list[tuple[str, int]]:
        found = []
        for path in self.directory.iterdir():
            if path.name.endswith(TEMP_SUFFIX):
                # Never renamed, so never acknowledged to a client: a crash mid-write.
                with contextlib.suppress(OSError):
                    path.unlink()
            elif path.name.endswith(SUFFIX) and path.is_file():
                found.append((path.name, path.stat().st_size))
        return found

    def _index(self, name: str, size: int) -> None:
        self._sizes[name] = size
        self._bytes += size
        heapq.heappush(self._heaps[_marked_danger(name)], name)

    def _forget(self, name: str) -> None:
        size = self._sizes.pop(name, None)
        if size is not None:
            self._bytes -= size

    def _next_ns(self) -> int:
        # Never backwards within a process, even if the wall clock is.
        self._last_ns = max(self._last_ns + 1, time.time_ns())
        return self._last_ns


def _marked_danger(name: str) -> bool:
    return name.endswith(DANGER_SUFFIX)
