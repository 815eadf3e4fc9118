"""-a/--attach PATH|URL: images and documents as content parts of the user message.

Images (png, jpeg, webp, gif) become `image_url` parts, documents (pdf, doc, docx, txt, rtf)
`file_url` parts with a `file_name`. A local file is read and sent inline: an image as a
base64 data URI, a document as bare base64, which is what the API documents for
`file_url` ("without any prefix"). A URL is passed on as it is; its type comes from the
name, since looking inside would mean fetching it. A local file's type comes from its
first bytes, with the name as a tie-breaker for plain text. Anything else is exit 2.
"""

from __future__ import annotations

import base64
import io
import os
import stat
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from perplex_cli.errors import UsageError

MAX_BYTES = 50 * 1024 * 1024
IMAGES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
    "rtf": "application/rtf",
}
DOCUMENTS = ("pdf", "doc", "docx", "txt", "rtf")
SUPPORTED = "png, jpeg, webp, gif images; pdf, doc, docx, txt, rtf documents"

EXTENSIONS = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
    ".gif": "gif",
    ".pdf": "pdf",
    ".doc": "doc",
    ".docx": "docx",
    ".txt": "txt",
    ".rtf": "rtf",
}
# Names under which plain text is still plain text; other text files (.svg, .html, .py)
# are not among the API's document types and are refused rather than guessed at.
TEXT_NAMES = frozenset({"", ".txt", ".text", ".md", ".markdown", ".log", ".csv", ".tsv"})

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc files


def content_parts(sources: list[str]) -> list[dict[str, Any]]:
    """One content part per -a value, in order."""
    return [content_part(source) for source in sources]


def content_part(source: str) -> dict[str, Any]:
    if "://" in source:
        return _url_part(source)
    return _file_part(source)


def _part(kind: str, url: str, name: str) -> dict[str, Any]:
    if kind in IMAGES:
        return {"type": "image_url", "image_url": {"url": url}}
    return {"type": "file_url", "file_url": {"url": url}, "file_name": name}


def _url_part(url: str) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UsageError(f"-a/--attach {url}: only http(s) URLs and local files can be attached")
    name = PurePosixPath(urllib.parse.unquote(parts.path)).name
    kind = EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        raise UsageError(
            f"-a/--attach {url}: cannot tell the type from the URL's name; "
            f"attachable are {SUPPORTED} (download it and attach the file instead)"
        )
    return _part(kind, url, name)


def _file_part(source: str) -> dict[str, Any]:
    path = Path("stdin") if source == "-" else Path(source).expanduser()
    data = stdin_attachment() if source == "-" else read_file(path, source)
    kind = sniff(data, path.suffix.lower())
    if kind is None:
        expected = EXTENSIONS.get(path.suffix.lower())
        if expected and expected != "txt":
            raise UsageError(
                f"-a/--attach {source}: the name says {expected}, but the content is not {expected}"
            )
        raise UsageError(f"-a/--attach {source}: unknown file type; attachable are {SUPPORTED}")
    # Every local file travels as a base64 data URI (docs/request-options.md), documents too.
    mime = IMAGES.get(kind) or DOCUMENT_TYPES[kind]
    encoded = base64.b64encode(data).decode("ascii")
    name = f"stdin.{kind}" if source == "-" else path.name
    return _part(kind, f"data:{mime};base64,{encoded}", name)


def stdin_attachment() -> bytes:
    """`-a -`: stdin is the one attached file (its type sniffed); the prompt is in argv."""
    from perplex_cli.request.prompt import claim_stdin

    data = claim_stdin("-a -", MAX_BYTES)
    if not data:
        raise UsageError("-a/--attach -: stdin is empty")
    return data


def read_file(path: Path, source: str) -> bytes:
    """The file's bytes; refuses a directory, a missing file and anything over MAX_BYTES."""
    where = f"-a/--attach {source}"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except NotADirectoryError:
        raise UsageError(f"{where}: no such file (a part of the path is not a directory)") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{where}: is a directory; attach files one at a time")
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        raise UsageError(f"{where}: is a device, not a file")
    limit = f"larger than {MAX_BYTES // (1024 * 1024)} MB, the API's limit per file"
    if info.st_size > MAX_BYTES:
        raise UsageError(f"{where}: {limit}")
    try:
        with open(path, "rb") as handle:
            # Read one byte past the limit: a pipe (-a <(cmd)) has no size to check first.
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{where}: {limit}")
    if not data:
        raise UsageError(f"{where}: the file is empty")
    return data


def sniff(data: bytes, suffix: str) -> str | None:
    """The attachment kind from the content's first bytes; None when unsupported."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_OLE2):
        return "doc"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(data) else None
    if suffix in TEXT_NAMES and _is_text(data):
        return "txt"
    return None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
