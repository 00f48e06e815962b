"""The append-only raw-record store of one model, and what is still missing from it.

One JSONL file per model, one JSON object per session attempt
(``src/valueaudit/schemas/raw_record.schema.yaml``). The file is only ever appended
to: every record is written with one ``write`` of the whole line, then
``fsync``, and a collector counts a record as written only once its
``fsync`` has returned, so a process killed at any moment (``kill -9``)
loses at most the calls still in flight. Between runs the file is read-only (the
write bits are cleared, as Snakemake's ``protected()`` does); a run restores
the owner's write bit while it appends and clears it again when it closes.
An exclusive ``flock`` stops two collectors from appending to one file.

A line cut short by a crash (a power loss during ``write``) is the only thing
ever removed: it is not a record (it was never completely written), and it
is moved to ``<file>.torn`` before the file is truncated to its last
complete line, so the next run can append valid JSONL.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import stat
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RawStore",
    "StoreLockedError",
    "SessionTask",
    "read_records",
    "session_keys",
    "plan_sessions",
    "recollect_tag",
    "has_answer",
    "answer_text",
    "is_empty_reply",
    "record_tries",
    "session_states",
    "given_up_sessions",
    "SessionState",
    "REFUSAL_FINISH",
    "GroupCommitWriter",
]

log = logging.getLogger("valueaudit.collect")

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class StoreLockedError(RuntimeError):
    """Another process is appending to the same raw-record file."""


def read_records(path: str | Path) -> list[dict]:
    """Every complete record in ``path`` (``[]`` if the file does not exist).

    A torn last line (no newline) is ignored here and repaired by
    :class:`RawStore` when a collector opens the file; any other line that is
    not a JSON object raises ``ValueError`` naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    return _parse_lines(data, path)


def _parse_lines(data: bytes, path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: line {n} is not valid UTF-8 JSON ({exc})") from None
        if not isinstance(rec, dict):
            raise ValueError(f"{path}: line {n} is not a JSON object")
        out.append(rec)
    return out


class RawStore:
    """Exclusive, append-only access to one model's raw-record file.

    Use as a context manager::

        with RawStore(path) as store:
            existing = store.records
            store.append([record])        # write + flush + fsync
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.records: list[dict] = []
        self._fd: int | None = None
        self._write_lock = threading.Lock()
        self.torn_bytes = 0

    def __enter__(self) -> RawStore:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            mode = self.path.stat().st_mode
            if not mode & stat.S_IWUSR:
                os.chmod(self.path, stat.S_IMODE(mode) | stat.S_IWUSR)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self._protect()
            raise StoreLockedError(
                f"{self.path}: another collection is appending to this file; wait for it to "
                "finish (a collector killed with kill -9 releases the file at once; what stays "
                "behind is Snakemake's own lock: `snakemake --unlock`, then run again)"
            ) from None
        self._fd = fd
        try:
            self._recover_tail()
            self.records = read_records(self.path)
        except BaseException:
            self.close()
            raise
        return self

    def _recover_tail(self) -> None:
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        data = self.path.read_bytes()
        if data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        fragment = data[keep:]
        torn = self.path.with_name(self.path.name + ".torn")
        with open(torn, "ab") as fh:
            fh.write(fragment + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.ftruncate(self._fd, keep)
        os.fsync(self._fd)
        self.torn_bytes = len(fragment)
        log.warning("%s: an incomplete last line (%d bytes, interrupted write) was moved to %s",
                    self.path, len(fragment), torn)

    @staticmethod
    def encode(record: dict) -> bytes:
        """One record as its JSONL line (UTF-8, sorted keys, newline-terminated)."""
        return (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")

    def append(self, records: list[dict]) -> None:
        """Append records (one line each) with a single write, then fsync."""
        self.append_lines(records, [self.encode(r) for r in records])

    def append_lines(self, records: list[dict], lines: list[bytes]) -> None:
        """Append the encoded ``lines`` of ``records`` with a single write, then fsync.

        Safe to call from several threads at once: the writes are serialised
        (one whole batch after another, never interleaved), the fsyncs are
        not, so one batch's fsync need not wait for another's. A batch is
        durable when its call returns.
        """
        if self._fd is None:
            raise RuntimeError("RawStore is not open")
        if not records:
            return
        data = memoryview(b"".join(lines))
        with self._write_lock:
            while data:
                n = os.write(self._fd, data)
                data = data[n:]
        os.fsync(self._fd)
        self.records.extend(records)

    def _protect(self) -> None:
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            os.chmod(self.path, mode & ~_WRITE_BITS)
        except FileNotFoundError:  # pragma: no cover
            pass

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.fsync(self._fd)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
                self._protect()

    def __exit__(self, *exc) -> None:
        self.close()


class GroupCommitWriter:
    """Asynchronous front of a :class:`RawStore`: ``await write(rec)`` returns once
    the record is on disk (written and fsynced).

    The record is serialised on the event loop; the ``write`` + ``fsync`` run in
    worker threads, which then hold the interpreter lock only to start and to
    report back. Records that arrive while the writers are busy are written
    together (one write + one fsync: group commit), and up to ``syncs`` batches
    are in fsync at once, so a record that arrives during another batch's fsync
    is written and synced at once instead of waiting for that fsync to end.
    Durability therefore caps neither throughput nor, by much, latency.
    """

    def __init__(self, store: RawStore, syncs: int = 2):
        self.store = store
        self.syncs = max(1, int(syncs))
        self._pending: list[tuple[dict, bytes, asyncio.Future]] = []
        self._active = 0  # flushers running (counted down before they return)
        self._idle: asyncio.Event | None = None
        self._tasks: set[asyncio.Task] = set()  # the loop keeps only weak references

    async def write(self, record: dict) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((record, RawStore.encode(record), fut))
        if self._active < self.syncs:
            self._active += 1
            if self._idle is None:
                self._idle = asyncio.Event()
            self._idle.clear()
            task = asyncio.create_task(self._flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await fut

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await loop.run_in_executor(None, self.store.append_lines,
                                               [r for r, _, _ in batch],
                                               [b for _, b, _ in batch])
                except BaseException as exc:  # disk full, ...: every waiter sees the error
                    for _, _, f in batch:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                for _, _, f in batch:
                    if not f.done():
                        f.set_result(None)
        finally:
            # no await between the empty queue and this: a record that arrives later
            # finds the count down and starts a flusher
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def drain(self) -> None:
        """Wait until every record handed to :meth:`write` is on disk."""
        while self._active:
            await asyncio.shield(self._idle.wait())


# ---------------------------------------------------------------------------
# planning: which sessions still need a call
# ---------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class SessionTask:
    """One session to query: task, 1-based session index, attempt number to record,
    and the tries it may still use (``None``: no cap, only ``max_retries``)."""

    task: str
    session: int
    attempt: int
    tries_left: int | None = None


def session_keys(spec: dict) -> list[tuple[str, int]]:
    """Every (task, session) a live-model config entry asks for."""
    keys = []
    for task in spec.get("tasks", ["rating", "ranking", "open"]):
        n = spec.get("open_sessions", 4) if task == "open" else spec.get("sessions", 10)
        keys.extend((task, s) for s in range(1, int(n) + 1))
    return keys


def recollect_tag(spec: dict) -> str | None:
    """The recollection round a config entry asks for (``None``: no recollection).

    ``recollect: true`` is the round ``"true"``; a string names a round, so a
    model can be recollected again later by naming a new round.
    """
    r = spec.get("recollect", False)
    if r is False or r is None or r == "":
        return None
    return "true" if r is True else str(r)


#: finish reasons with which a provider reports that it declined to answer: such a
#: reply is an answer (status ``refused``) even when it carries no text
REFUSAL_FINISH = ("refusal", "content_filter")


def answer_text(record: dict) -> tuple[str | None, str | None]:
    """(answer text, finish reason) of a record's response body."""
    from ..parse import response_text

    return response_text(record.get("api", ""), record.get("response_body"))


def is_empty_reply(api: str, body) -> bool:
    """A 200 that carries no answer: no choices, ``content: []``, empty or blank text
    (a provider-reported refusal without text is an answer, not an empty reply)."""
    from ..parse import response_text

    text, finish = response_text(api, body)
    if text is not None and str(text).strip():
        return False
    return finish not in REFUSAL_FINISH


def has_answer(record: dict) -> bool:
    """Did this attempt get an answer back: a response with text (whatever the text
    says: refusals and unparseable text are answers), and no error?"""
    if record.get("error") is not None or record.get("response_body") is None:
        return False
    return not is_empty_reply(record.get("api", ""), record["response_body"])


def record_tries(record: dict) -> int:
    """HTTP tries one record's session attempt used (retries included; 0 for imports)."""
    if record.get("api") == "file":
        return 0
    coll = record.get("collection") or {}
    if isinstance(coll.get("tries"), int):
        return int(coll["tries"])
    err = record.get("error") or {}
    if isinstance(err.get("tries"), int):
        return int(err["tries"])
    return 1 + len(record.get("retries") or [])


@dataclass(frozen=True)
class SessionState:
    """Where one configured session stands in the current round."""

    task: str
    session: int
    answered: bool
    tries: int  # tries spent in the current round (recollect tag)
    next_attempt: int


def session_states(spec: dict, records: list[dict]) -> list[SessionState]:
    """One :class:`SessionState` per configured (task, session), in config order."""
    tag = recollect_tag(spec)
    by_key: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in records:
        if r.get("model_id") == spec["id"]:
            by_key[(r["task"], int(r["session"]))].append(r)
    out = []
    for task, s in session_keys(spec):
        recs = by_key.get((task, s), [])
        relevant = recs if tag is None else [
            r for r in recs if (r.get("collection") or {}).get("recollect") == tag]
        answered = bool(relevant) and has_answer(max(relevant, key=lambda r: int(r["attempt"])))
        out.append(SessionState(task, s, answered, sum(record_tries(r) for r in relevant),
                                1 + max((int(r["attempt"]) for r in recs), default=0)))
    return out


def plan_sessions(spec: dict, records: list[dict],
                  max_attempts: int | None = None) -> list[SessionTask]:
    """Sessions to query now, in (task, session) order.

    A session is queried when it has no record yet, or when its last attempt
    ended without an answer with text (an API or transport error, or an empty
    reply). Sessions with an answer - whatever the answer says (refusals,
    unparseable text) - are never queried again, except in a recollection
    round (``recollect``), where a session is queried once more unless it
    already has an answer from that round. With ``max_attempts``, a session
    whose tries in the current round (every HTTP try, retries included, over
    all runs) have reached it is not queried again, and one that is gets at
    most the tries left. The attempt number continues from the highest one on
    file, so old records are kept and the newest attempt is the one analysed.
    """
    out = []
    for st in session_states(spec, records):
        if st.answered:
            continue
        left = None if not max_attempts else int(max_attempts) - st.tries
        if left is not None and left <= 0:
            continue
        out.append(SessionTask(st.task, st.session, st.next_attempt, left))
    return out


def given_up_sessions(spec: dict, records: list[dict], max_attempts: int | None) -> list[tuple[str, int]]:
    """Sessions without an answer whose tries in the current round reached ``max_attempts``."""
    if not max_attempts:
        return []
    return [(st.task, st.session) for st in session_states(spec, records)
            if not st.answered and st.tries >= int(max_attempts)]
