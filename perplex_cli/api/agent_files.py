"""--save-files DIR: download the files an Agent API run delivered (`share_file`).

After the answer, when the run announced files: `GET /v1/agent/{id}/files` lists them
({data: [{id, filename, bytes, ...}]}) and `GET /v1/agent/{id}/files/{file_id}/content`
sends each one's bytes. The ids travel percent-encoded, so an id cannot name another path.

What the server says a file is called never decides where it goes:
- the name is reduced to its last path component (`../x`, `/etc/passwd` and `a\\b` keep
  `x`, `passwd` and `b`), control characters (NUL included) become `_`, and a name with
  nothing left (`..`, empty) becomes `file-ID`;
- the file is created inside DIR through a descriptor of DIR (`dir_fd`), with `O_CREAT |
  O_EXCL | O_NOFOLLOW`: it is never an existing file, and never a symlink's target, even
  one planted in DIR;
- a name that is taken is never replaced: the file gets the first free name of
  `NAME-2.EXT`, `NAME-3.EXT`, ... (up to 1000), and stderr says which;
- a download that breaks, or sends more than the listing announced (or 1 GiB), leaves
  no file behind.

A file that cannot be written is exit 2 naming DIR; the API's and the network's failures
keep their own exit codes. The answer has been shown by then, and stays shown.
"""

from __future__ import annotations

import os
import unicodedata
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from perplex_cli.errors import ProtocolError, UsageError

if TYPE_CHECKING:
    from perplex_cli.transport.client import Transport

FILES_PATH = "/v1/agent/{id}/files"
MAX_BYTES = 1 << 30
MAX_TRIES = 1000
NAME_LIMIT = 200  # bytes of UTF-8, leaving room for "-NNN" under the usual 255


def safe_name(name: Any, file_id: str) -> str:
    """A file name that stays inside the directory it is created in."""
    text = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    if len(text) > NAME_LIMIT:  # keep a short extension, cut the rest (in bytes, below)
        stem, dot, ext = text.rpartition(".")
        ext = "." + ext if dot and stem and len(ext) < 16 else ""
        text = text[: NAME_LIMIT - len(ext)] + ext
    text = "".join("_" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    text = text.strip()
    if len(text.encode("utf-8")) > NAME_LIMIT:
        stem, dot, ext = text.rpartition(".")
        ext = "." + ext if dot and stem and len(ext) < 16 else ""
        room = NAME_LIMIT - len(ext.encode("utf-8"))
        head = stem if ext else text
        text = head.encode("utf-8")[:room].decode("utf-8", "ignore") + ext
    if text in ("", ".", ".."):
        return safe_name(f"file-{file_id}", "file") if file_id else "file"
    return text


def candidates(name: str) -> list[str]:
    """NAME, then NAME-2.EXT, NAME-3.EXT ...: the names tried in turn."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    else:
        ext = "." + ext
    return [name] + [f"{stem}-{n}{ext}" for n in range(2, MAX_TRIES + 1)]


def save_files(transport: Transport, response_id: str, directory: str, err: IO[str]) -> int:
    """Download every file of the run into `directory`; the number saved."""
    from perplex_cli.api.jsonapi import fetch

    base = FILES_PATH.format(id=quote(response_id, safe=""))
    listed = fetch(transport, "GET", base).get("data")
    files = [f for f in listed if isinstance(f, dict)] if isinstance(listed, list) else []
    if not files:
        return 0
    dir_fd = _open_dir(directory)
    try:
        for entry in files:
            file_id = str(entry.get("id") or "")
            if not file_id:
                raise ProtocolError(f"the file list of {response_id} has a file without an id")
            size = entry.get("bytes")
            wanted = safe_name(entry.get("filename"), file_id)
            path = f"{base}/{quote(file_id, safe='')}/content"
            got, written = _download(transport, path, dir_fd, wanted, directory, size)
            shown = os.path.join(directory, got)
            renamed = "" if got == wanted else f" ({wanted} exists)"
            err.write(f"perplex: saved {shown} ({written} bytes){renamed}\n")
            err.flush()
    finally:
        os.close(dir_fd)
    return len(files)


def _open_dir(directory: str) -> int:
    try:
        os.makedirs(directory, exist_ok=True)
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(f"--save-files {directory}: {exc.strerror or exc}") from None


def _create(dir_fd: int, wanted: str, directory: str) -> tuple[str, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for name in candidates(wanted):
        try:
            return name, os.open(name, flags, 0o666, dir_fd=dir_fd)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(
                f"--save-files {directory}: cannot create {name}: {exc.strerror or exc}"
            ) from None
    raise UsageError(f"--save-files {directory}: no free name for {wanted}")


def _download(
    transport: Transport, path: str, dir_fd: int, wanted: str, directory: str, size: Any
) -> tuple[str, int]:
    """One file's bytes into a new file of DIR: (its name, bytes written)."""
    from perplex_cli.transport.client import body_reads

    limit = size if type(size) is int and 0 <= size < MAX_BYTES else MAX_BYTES
    response = transport.request("GET", path, stream=True)
    name, fd = "", -1
    written = 0
    try:
        name, fd = _create(dir_fd, wanted, directory)
        for piece in body_reads(response):
            written += len(piece)
            if written > limit:
                raise ProtocolError(f"{wanted}: more bytes than the file list announced ({limit})")
            _write_all(fd, piece, directory, name)
    except BaseException:
        if fd >= 0:
            os.close(fd)
            fd = -1
            os.unlink(name, dir_fd=dir_fd)
        raise
    finally:
        response.close()
        if fd >= 0:
            os.close(fd)
    return name, written


def _write_all(fd: int, data: bytes, directory: str, name: str) -> None:
    view = memoryview(data)
    while view:
        try:
            done = os.write(fd, view)
        except OSError as exc:
            raise UsageError(
                f"--save-files {directory}: cannot write {name}: {exc.strerror or exc}"
            ) from None
        view = view[done:]


def save_announced(transport: Transport, acc: Any, directory: str, err: IO[str]) -> None:
    """save_files for an answer whose run announced files (agent runs only have `files`)."""
    if getattr(acc, "files", None) and getattr(acc, "id", None):
        save_files(transport, str(acc.id), directory, err)
