"""-a/--attach: images and documents become content parts of the user message."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest
from replay import Reply
from streams import answer, sse

pytestmark = pytest.mark.api("chat")  # these answers are chat completions recordings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(40))
GIF = b"GIF89a" + bytes(range(40))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(40))
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
RTF = b"{\\rtf1\\ansi Hello}"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)
TEXT = "plain notes, caf\u00e9\n".encode()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DOCX = docx()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_part(mime: str, data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{b64(data)}"}}


DOC_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".txt": "text/plain",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".rtf": "application/rtf",
    ".md": "text/plain",
    "": "text/plain",
}


def file_part(name: str, data: bytes) -> dict:
    mime = DOC_TYPES.get(Path(name).suffix.lower(), "text/plain")
    return {
        "type": "file_url",
        "file_url": {"url": f"data:{mime};base64,{b64(data)}"},
        "file_name": name,
    }


# (file name, content, the part expected): the type comes from the content
LOCAL = [
    ("photo.png", PNG, lambda: image_part("image/png", PNG)),
    ("photo.jpg", JPEG, lambda: image_part("image/jpeg", JPEG)),
    ("anim.gif", GIF, lambda: image_part("image/gif", GIF)),
    ("pic.webp", WEBP, lambda: image_part("image/webp", WEBP)),
    ("mislabelled.png", JPEG, lambda: image_part("image/jpeg", JPEG)),
    ("no-extension", PNG, lambda: image_part("image/png", PNG)),
    ("report.pdf", PDF, lambda: file_part("report.pdf", PDF)),
    ("letter.rtf", RTF, lambda: file_part("letter.rtf", RTF)),
    ("old.doc", DOC, lambda: file_part("old.doc", DOC)),
    ("new.docx", DOCX, lambda: file_part("new.docx", DOCX)),
    ("notes.txt", TEXT, lambda: file_part("notes.txt", TEXT)),
    ("README.md", TEXT, lambda: file_part("README.md", TEXT)),
    ("README", TEXT, lambda: file_part("README", TEXT)),
]


def user_content(server) -> list:
    [request] = server.requests
    return request.json()["messages"][-1]["content"]


@pytest.mark.parametrize("name,data,part", LOCAL, ids=[c[0] for c in LOCAL])
def test_local_file_becomes_an_inline_content_part(server, cli, tmp_path, name, data, part):
    server.reply(Reply(body=sse(*answer("ok"))))
    path = tmp_path / name
    path.write_bytes(data)
    result = cli("-a", str(path), "describe", "it")
    assert result.code == 0, result.stderr
    assert user_content(server) == [{"type": "text", "text": "describe it"}, part()]


def test_attachments_keep_their_order_after_the_text(server, cli, tmp_path):
    server.reply(Reply(body=sse(*answer("ok"))))
    (tmp_path / "a.pdf").write_bytes(PDF)
    (tmp_path / "b.png").write_bytes(PNG)
    result = cli(
        "--attach",
        str(tmp_path / "a.pdf"),
        "-a",
        str(tmp_path / "b.png"),
        "-a",
        "https://example.com/c.jpg",
        "compare",
    )
    assert result.code == 0, result.stderr
    assert [p["type"] for p in user_content(server)] == [
        "text",
        "file_url",
        "image_url",
        "image_url",
    ]


@pytest.mark.parametrize(
    "url,part",
    [
        (
            "https://example.com/img/cat.JPG",
            {"type": "image_url", "image_url": {"url": "https://example.com/img/cat.JPG"}},
        ),
        (
            "https://example.com/a/paper.pdf?dl=1",
            {
                "type": "file_url",
                "file_url": {"url": "https://example.com/a/paper.pdf?dl=1"},
                "file_name": "paper.pdf",
            },
        ),
        (
            "http://example.com/notes%20v2.docx",
            {
                "type": "file_url",
                "file_url": {"url": "http://example.com/notes%20v2.docx"},
                "file_name": "notes v2.docx",
            },
        ),
    ],
)
def test_url_is_passed_on_with_its_type_from_the_name(server, cli, url, part):
    server.reply(Reply(body=sse(*answer("ok"))))
    assert cli("-a", url, "q").code == 0
    assert user_content(server)[1] == part


def test_dry_run_shows_the_attachment_without_sending(server, cli, tmp_path):
    (tmp_path / "r.pdf").write_bytes(PDF)
    result = cli("--dry-run", "-a", str(tmp_path / "r.pdf"), "q")
    assert result.code == 0, result.stderr
    body = json.loads(result.stdout.split("\n\n", 1)[1])
    assert body["messages"][-1]["content"][1] == file_part("r.pdf", PDF)
    assert server.requests == []


def refusals(tmp_path: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "dir").mkdir()
    (tmp_path / "fake.pdf").write_text("this is not a pdf")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    (tmp_path / "drawing.svg").write_text("<svg/>")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "archive.zip").write_bytes(b"PK\x03\x04" + bytes(40))
    (tmp_path / "file").write_text("x")
    big = tmp_path / "huge.pdf"
    with open(big, "wb") as handle:  # sparse: no 50 MB written
        handle.truncate(50 * 1024 * 1024 + 1)
    return {
        "directory": (str(tmp_path / "dir"), "is a directory"),
        "missing": (str(tmp_path / "nope.png"), "no such file"),
        "parent is a file": (str(tmp_path / "file" / "x.png"), "no such file"),
        "over 50 MB": (str(big), "larger than 50 MB"),
        "content contradicts name": (str(tmp_path / "fake.pdf"), "the name says pdf"),
        "unknown binary": (str(tmp_path / "blob.bin"), "unknown file type"),
        "text of another kind": (str(tmp_path / "drawing.svg"), "unknown file type"),
        "zip that is not docx": (str(tmp_path / "archive.zip"), "unknown file type"),
        "empty": (str(tmp_path / "empty.png"), "empty"),
        "URL without a type": ("https://example.com/image?id=3", "cannot tell the type"),
        "URL of another scheme": ("ftp://example.com/a.pdf", "http(s) URLs"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "directory",
        "missing",
        "parent is a file",
        "over 50 MB",
        "content contradicts name",
        "unknown binary",
        "text of another kind",
        "zip that is not docx",
        "empty",
        "URL without a type",
        "URL of another scheme",
    ],
)
def test_unusable_attachment_is_exit_2_and_nothing_is_sent(server, cli, tmp_path, case):
    source, words = refusals(tmp_path)[case]
    result = cli("-a", source, "q")
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith(f"perplex: error: -a/--attach {source}") and words in line
    assert len(line.splitlines()) == 1
    assert server.requests == []
