"""The local log: every exchange in SQLite, with a full-text index over prompts and answers.

Where: `PERPLEX_LOG_DB`, else `$XDG_DATA_HOME/perplex/logs.db` (`~/.local/share` by default).
The directory is created 0700 and the file 0600, since the log holds every prompt; SQLite
gives its `-wal` and `-shm` files the mode of the database file.

The schema and its migrations are in `schema.py`. Migrations and writes run in `BEGIN
IMMEDIATE` transactions and the database is in WAL mode with a busy timeout, so two perplex
processes can open, migrate and write the same log at once. `sqlite3` is imported only by the functions that open the database (docs/decisions.md).
Exchanges enter the full-text index when the log is next searched (migration 3), so an
answer's write costs the same whatever its length.

`Store` is the database as the `logs` command reads and edits it (its errors are fatal);
`Log` is the log as the asking commands write it (its errors warn once and never fail the
answer).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from perplex_cli import signals
from perplex_cli.errors import LogError, UsageError
from perplex_cli.local.records import Exchange, ResearchRun, record
from perplex_cli.local.schema import BUSY_TIMEOUT, migrate, transaction, use_wal
from perplex_cli.local.snippet import snippet
from perplex_cli.request.choices import LOG_STATUSES
from perplex_cli.request.conversation import Conversation

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")

STATUSES = LOG_STATUSES

INDEX_BATCH = 32  # exchanges indexed per transaction when the log is searched


def log_path() -> Path:
    """The log database: PERPLEX_LOG_DB, else $XDG_DATA_HOME/perplex/logs.db."""
    override = os.environ.get("PERPLEX_LOG_DB")
    if override:
        return Path(override).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data) / "perplex" / "logs.db"


def create_private_file(path: Path) -> None:
    """Make sure path exists, creating it 0600 (and its directory 0700) when it does not."""
    directory = path.parent
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class Store:
    """An open log database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store | None:
        """Open (and migrate) the log; None when it does not exist and create is false."""
        import sqlite3

        if create:
            create_private_file(path)
        elif not path.is_file():
            return None
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            use_wal(conn)
            # In WAL mode this syncs at checkpoints, not at every commit: a crash loses
            # nothing, a power cut at most the last exchanges, and a batch that logs
            # hundreds of answers does not wait for the disk once per answer.
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def add(self, exchange: Exchange) -> int:
        row = exchange.row()
        names = ", ".join(row)
        marks = ", ".join(":" + name for name in row)
        with transaction(self.conn):
            cursor = self.conn.execute(
                f"INSERT INTO exchanges ({names}, indexed) VALUES ({marks}, 0)", row
            )
        return int(cursor.lastrowid or 0)

    def add_run(self, run: ResearchRun) -> None:
        """Keep a submitted research run (a run seen again keeps its question, takes its status)."""
        with transaction(self.conn):
            # Two statements, not an upsert: that needs SQLite 3.24, older than some Pythons ship.
            self.conn.execute(
                "UPDATE research_runs SET status = :status, updated = :submitted WHERE id = :id",
                run.__dict__,
            )
            self.conn.execute(
                "INSERT OR IGNORE INTO research_runs"
                " (id, question, engine, status, submitted, updated)"
                " VALUES (:id, :question, :engine, :status, :submitted, :submitted)",
                run.__dict__,
            )

    def set_run_status(self, run_id: str, status: str) -> None:
        """The latest status seen for a recorded run; an id never recorded is left alone."""
        import time

        with transaction(self.conn):
            self.conn.execute(
                "UPDATE research_runs SET status = ?, updated = ? WHERE id = ?",
                (status, time.time(), run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        """The recorded research runs, in the order they were submitted."""
        sql = "SELECT * FROM research_runs ORDER BY submitted, rowid"
        return [dict(row) for row in self.conn.execute(sql)]

    def index(self) -> None:
        """Add the exchanges written since the last search to the full-text index.

        One exchange per FTS5 insert, a few per transaction: FTS5 writes its pending terms
        out between rows, so memory stays that of the largest answer, not of them all.
        """
        while True:
            with transaction(self.conn):
                rows = self.conn.execute(
                    "SELECT id, prompt, answer FROM exchanges WHERE indexed = 0 ORDER BY id"
                    f" LIMIT {INDEX_BATCH}"
                ).fetchall()
                for row in rows:
                    self.conn.execute(
                        "INSERT INTO exchanges_text (rowid, prompt, answer) VALUES (?, ?, ?)",
                        (row["id"], row["prompt"], row["answer"]),
                    )
                    self.conn.execute("UPDATE exchanges SET indexed = 1 WHERE id = ?", (row["id"],))
            if len(rows) < INDEX_BATCH:
                return

    def get(self, exchange_id: int | None = None) -> dict[str, Any] | None:
        """One exchange by id, or the latest one."""
        if exchange_id is None:
            row = self.conn.execute("SELECT * FROM exchanges ORDER BY id DESC LIMIT 1").fetchone()
        elif not 0 <= exchange_id < 2**63:  # no such row, and SQLite cannot take the number
            return None
        else:
            row = self.conn.execute(
                "SELECT * FROM exchanges WHERE id = ?", (exchange_id,)
            ).fetchone()
        return None if row is None else record(row)

    def exchanges(
        self,
        *,
        limit: int = 0,
        model: str | None = None,
        since: float | None = None,
        status: str | None = None,
        conversation: str | None = None,
    ) -> list[dict[str, Any]]:
        """Exchanges, newest first, filtered; limit 0 means all."""
        where, args = [], []
        for clause, value in (
            ("model = ?", model),
            ("started >= ?", since),
            ("status = ?", status),
            ("conversation = ?", conversation),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        sql = "SELECT * FROM exchanges"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if 0 < limit < 2**63:  # SQLite's integers are 64-bit; more is all of them
            sql += f" LIMIT {int(limit)}"
        return [record(row) for row in self.conn.execute(sql, args)]

    def search(self, words: list[str], *, limit: int = 0) -> list[dict[str, Any]]:
        """Exchanges whose prompt or answer holds every word (stemmed), best match first."""
        query = " ".join('"' + w.replace('"', '""') + '"' for w in words if w.strip())
        if not query:
            raise UsageError("nothing to search for: give one or more words")
        self.index()
        sql = (
            "SELECT e.* FROM exchanges_text JOIN exchanges e ON e.id = exchanges_text.rowid "
            "WHERE exchanges_text MATCH ? ORDER BY bm25(exchanges_text, 2.0, 1.0), e.id DESC"
        )
        if 0 < limit < 2**63:  # SQLite's integers are 64-bit; more is all of them
            sql += f" LIMIT {int(limit)}"
        found = [record(row) for row in self.conn.execute(sql, (query,))]
        for rec in found:  # FTS5's snippet() is quadratic in a word's repeats: ours is not
            rec["snippet"] = snippet(words, rec.get("prompt"), rec.get("answer"))
        return found

    def latest_conversation(self) -> str | None:
        row = self.conn.execute(
            "SELECT conversation FROM exchanges ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation with its complete turns, or None when the log has no such id."""
        rows = self.conn.execute(
            "SELECT prompt, answer, status, system, request FROM exchanges"
            " WHERE conversation = ? ORDER BY id",
            (conversation_id,),
        ).fetchall()
        if not rows:
            return None
        found = Conversation(id=conversation_id, system=rows[-1]["system"])
        for row in rows:
            if row["status"] == "ok":
                found.add(row["prompt"], row["answer"])
            if row["request"]:
                found.request = record(row)["request"]
        return found

    def stats(self, *, since: float | None = None) -> dict[str, Any]:
        """Counts, tokens and cost in total, by model and by local day."""
        where = "" if since is None else " WHERE started >= :since"
        sums = (
            "COUNT(*) AS exchanges, "
            "SUM(status = 'ok') AS ok, "
            "COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, "
            "COALESCE(SUM(completion_tokens), 0) AS completion_tokens, "
            "COALESCE(SUM(total_tokens), 0) AS total_tokens, "
            "COALESCE(SUM(cost), 0.0) AS cost"
        )
        args = {"since": since}

        def rows(group: str, key: str) -> list[dict[str, Any]]:
            sql = f"SELECT {group} AS {key}, {sums} FROM exchanges{where} GROUP BY 1 ORDER BY 1"
            return [dict(row) for row in self.conn.execute(sql, args)]

        total = dict(self.conn.execute(f"SELECT {sums} FROM exchanges{where}", args).fetchone())
        total["ok"] = total["ok"] or 0
        return {
            "total": total,
            "by_model": rows("COALESCE(model, '')", "model"),
            "by_day": rows("date(started, 'unixepoch', 'localtime')", "day"),
        }

    def remove(self, ids: list[int], conversations: list[str]) -> int:
        """Delete the given exchanges and whole conversations; returns how many exchanges went."""
        with self._deleting():
            count = 0
            for exchange_id in ids:
                count += self.conn.execute(
                    "DELETE FROM exchanges WHERE id = ?", (exchange_id,)
                ).rowcount
            for conversation_id in conversations:
                count += self.conn.execute(
                    "DELETE FROM exchanges WHERE conversation = ?", (conversation_id,)
                ).rowcount
        return count

    def prune(self, before: float) -> int:
        """Delete every exchange started before the given time, and the research runs
        submitted before it (their questions are prompts too); returns how many exchanges went."""
        with self._deleting():
            count = self.conn.execute("DELETE FROM exchanges WHERE started < ?", (before,)).rowcount
            self.conn.execute("DELETE FROM research_runs WHERE submitted < ?", (before,))
        return int(count)

    def has_conversation(self, conversation_id: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM exchanges WHERE conversation = ? LIMIT 1", (conversation_id,)
        ).fetchone()
        return row is not None

    @contextmanager
    def _deleting(self) -> Iterator[None]:
        """A deleting transaction that leaves no copy of the deleted text behind.

        secure_delete overwrites freed pages; merging the full-text index drops the deleted
        entries from its segments; the checkpoint empties the write-ahead log.
        """
        self.conn.execute("PRAGMA secure_delete = ON")
        with transaction(self.conn):
            yield
            self.conn.execute("INSERT INTO exchanges_text (exchanges_text) VALUES ('optimize')")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Log:
    """The log as `ask` and `chat` write it: a failure warns once and never fails the answer."""

    def __init__(self, path: Path, *, enabled: bool, warn: Callable[[str], None]) -> None:
        self.path = path
        self.enabled = enabled
        self.warn = warn
        self.source: str | None = None  # stamped on every exchange recorded (`perplex mcp`)
        self._store: Store | None = None
        self._warned = False

    def record(self, exchange: Exchange) -> int | None:
        """Write one exchange; the id, or None when the log is off or could not be written."""
        if self.source is not None:
            exchange = replace(exchange, source=self.source)
        return self.write(lambda store: store.add(exchange))

    def write(self, change: Callable[[Store], T]) -> T | None:
        """Apply one change to the store; None when the log is off or could not be written."""
        if not self.enabled:
            return None
        try:
            if self._store is None:
                self._store = Store.open(self.path)
            assert self._store is not None
            with signals.deferred():  # a second Ctrl-C must not cut the write short
                return change(self._store)
        except Exception as exc:  # sqlite3, OS and log errors, and bugs: all warn once
            self._failed(exc)
            return None

    def conversation(self, conversation_id: str | None) -> Conversation:
        """The given conversation, or the latest one; unknown is a usage error (exit 2)."""
        import sqlite3

        try:
            store = Store.open(self.path, create=False)
            if store is None:
                found = None
            else:
                try:
                    if conversation_id is None:
                        conversation_id = store.latest_conversation()
                    found = None if conversation_id is None else store.conversation(conversation_id)
                finally:
                    store.close()
        except (sqlite3.Error, OSError) as exc:
            raise LogError(f"cannot read the log {self.path}: {_reason(exc)}") from None
        if found is not None:
            return found
        if conversation_id is None:
            raise UsageError(
                "no conversation to continue: the log is empty", hint="ask without -c first"
            )
        raise UsageError(
            f"unknown conversation id {conversation_id!r}", hint="perplex logs lists them"
        )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _failed(self, exc: BaseException) -> None:
        import sqlite3

        if self._store is not None:
            with suppress(sqlite3.Error):  # closing a broken connection: nothing more to learn
                self._store.close()
            self._store = None
        if not self._warned:
            self._warned = True
            if isinstance(exc, LogError):
                message = exc.message
            elif isinstance(exc, (sqlite3.Error, OSError)):
                message = _reason(exc)
            else:
                message = f"{type(exc).__name__}: {exc} (a bug; please report it)"
            self.warn(f"perplex: warning: not logged ({self.path}): {message}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
