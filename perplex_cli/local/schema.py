"""The local log's schema: its versioned migrations, and how a connection is brought to them.

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[n]` brings version n to
n + 1, inside one `BEGIN IMMEDIATE` transaction that re-reads the version under the write
lock, so two perplex processes opening an old log at once migrate it once. `sqlite3` is
imported only where a connection is used (start-up imports no database code).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from perplex_cli.errors import LogError

if TYPE_CHECKING:
    import sqlite3

BUSY_TIMEOUT = 5.0  # seconds a writer waits for another process's transaction

# Each migration is a list of statements; index n brings the schema from version n to n + 1.
MIGRATIONS: list[list[str]] = [
    # 1: the exchanges
    [
        """CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY,
            conversation TEXT NOT NULL,
            started REAL NOT NULL,
            model TEXT,
            system TEXT,
            prompt TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            request TEXT,
            response_id TEXT,
            finish_reason TEXT,
            citations TEXT,
            search_results TEXT,
            images TEXT,
            related_questions TEXT,
            usage TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            total_tokens INTEGER,
            cost REAL,
            first_token REAL,
            duration REAL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'error', 'interrupted')),
            error TEXT
        )""",
        "CREATE INDEX exchanges_by_conversation ON exchanges (conversation, id)",
        "CREATE INDEX exchanges_by_start ON exchanges (started)",
    ],
    # 2: full-text search over prompts and answers, kept in step by triggers
    [
        """CREATE VIRTUAL TABLE exchanges_text USING fts5 (
            prompt, answer, content='exchanges', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        )""",
        "INSERT INTO exchanges_text (exchanges_text) VALUES ('rebuild')",
        """CREATE TRIGGER exchanges_text_insert AFTER INSERT ON exchanges BEGIN
            INSERT INTO exchanges_text (rowid, prompt, answer)
            VALUES (new.id, new.prompt, new.answer);
        END""",
        """CREATE TRIGGER exchanges_text_delete AFTER DELETE ON exchanges BEGIN
            INSERT INTO exchanges_text (exchanges_text, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, old.answer);
        END""",
        """CREATE TRIGGER exchanges_text_update AFTER UPDATE OF prompt, answer ON exchanges BEGIN
            INSERT INTO exchanges_text (exchanges_text, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, old.answer);
            INSERT INTO exchanges_text (rowid, prompt, answer)
            VALUES (new.id, new.prompt, new.answer);
        END""",
    ],
    # 3: index new exchanges when the log is searched, not while the answer is written
    # (`indexed` = 0 until then). FTS5 builds a row's whole term list in memory before it
    # writes any: 24 MB for an answer of 200,000 distinct words, on every ask.
    [
        "ALTER TABLE exchanges ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1",
        "CREATE INDEX exchanges_to_index ON exchanges (id) WHERE indexed = 0",
        "DROP TRIGGER exchanges_text_insert",
        "DROP TRIGGER exchanges_text_delete",
        "DROP TRIGGER exchanges_text_update",
        """CREATE TRIGGER exchanges_text_delete AFTER DELETE ON exchanges WHEN old.indexed BEGIN
            INSERT INTO exchanges_text (exchanges_text, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, old.answer);
        END""",
        """CREATE TRIGGER exchanges_text_update AFTER UPDATE OF prompt, answer ON exchanges
        WHEN old.indexed BEGIN
            INSERT INTO exchanges_text (exchanges_text, rowid, prompt, answer)
            VALUES ('delete', old.id, old.prompt, old.answer);
            INSERT INTO exchanges_text (rowid, prompt, answer)
            VALUES (new.id, new.prompt, new.answer);
        END""",
    ],
    # 4: the research runs submitted to the Agent API, which has no list endpoint of its own
    [
        """CREATE TABLE research_runs (
            id TEXT PRIMARY KEY,
            question TEXT NOT NULL,
            engine TEXT,
            status TEXT NOT NULL,
            submitted REAL NOT NULL,
            updated REAL NOT NULL
        )""",
    ],
    # 5: where an exchange came from: NULL for the command line, 'mcp' for `perplex mcp`
    ["ALTER TABLE exchanges ADD COLUMN source TEXT"],
]
SCHEMA_VERSION = len(MIGRATIONS)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the write lock at once (no deadlock on upgrade)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch the database to WAL mode, waiting for other processes like a write does.

    The switch needs every other connection out of the file, and SQLite answers "database
    is locked" at once instead of calling the busy handler, so two perplex processes opening
    a new log together would lose an exchange. WAL mode is stored in the file: once one
    process has switched it, the others find it set and skip the switch.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION; the version is re-read under the write lock."""
    version = _version(conn)
    if version == SCHEMA_VERSION:
        return
    if version < SCHEMA_VERSION:
        with transaction(conn):
            version = _version(conn)
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return
    raise LogError(
        f"the log {path} has schema version {version}, newer than this perplex knows "
        f"({SCHEMA_VERSION})",
        hint="upgrade perplex, or point PERPLEX_LOG_DB at another file",
    )


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
