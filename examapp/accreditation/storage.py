"""Uploaded files of the accreditation (recommendation materials, inspection photos).

A file is judged by its content, never by its name or the browser's content type: the first
bytes (and, for office documents, the zip's or the compound file's directory) say what it is,
and a name whose extension says otherwise is refused. A file of an allowed type is then checked
through ``examapp.uploads``, as every import is: an Office zip for its size once unpacked,
macros and XML declarations, a PDF by a real parser. Files live in a folder outside the web
root under random names, are written atomically (temporary file, then rename) and leave only
through ``send_stored``, as attachments.

The database row that names a stored file commits with the request; the file must follow it.
``store_upload`` therefore removes its file again if the session rolls back, and
``delete_after_commit`` removes a file only once the row's deletion has committed, so no
transaction outcome leaves a row without its file.
"""

import hashlib
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import abort, current_app, has_app_context, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import uploads
from ..errors import DomainError
from ..extensions import db

#: what each kind of upload admits (the types found in the content)
KINDS = {
    "pdf": ("pdf",),
    "image": ("png", "jpeg"),
    "office": ("docx", "xlsx", "pptx", "doc", "xls", "ppt"),
}
KIND_LABELS = {"pdf": "PDF", "image": "图片（PNG、JPEG）", "office": "Office 文档（Word、Excel、PowerPoint）"}

#: file type -> (MIME type, extensions a file of that type may carry, label)
TYPES = {
    "pdf": ("application/pdf", (".pdf",), "PDF 文档"),
    "png": ("image/png", (".png",), "PNG 图片"),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"), "JPEG 图片"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word 文档"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel 表格"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (".pptx",),
        "PowerPoint 演示文稿",
    ),
    "doc": ("application/msword", (".doc",), "Word 97-2003 文档"),
    "xls": ("application/vnd.ms-excel", (".xls",), "Excel 97-2003 表格"),
    "ppt": ("application/vnd.ms-powerpoint", (".ppt",), "PowerPoint 97-2003 演示文稿"),
}

_CHUNK = 64 * 1024
_STORAGE_NAME = re.compile(r"^[0-9a-f]{32}$")
_NEW_FILES = "accreditation_new_files"
_DOOMED_FILES = "accreditation_doomed_files"


class UploadRefused(DomainError):
    """The upload is refused (type, size, name); nothing was stored."""

    def __init__(self, message):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    #: the type found in the content: a key of TYPES
    file_type: str
    content_type: str
    size: int
    sha256: str
    #: the uploader's name for the file, cleaned (shown and offered on download, never a path)
    filename: str


def upload_folder():
    """The folder of stored files: ACCREDITATION_UPLOAD_FOLDER, or <instance>/uploads/accreditation."""
    folder = current_app.config.get("ACCREDITATION_UPLOAD_FOLDER") or os.path.join(
        current_app.instance_path, "uploads", "accreditation"
    )
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def stored_path(storage_name):
    """The path of a stored file; None for a name this module could not have given."""
    if not isinstance(storage_name, str) or not _STORAGE_NAME.match(storage_name):
        return None
    return upload_folder() / storage_name


def size_label(size):
    """A size for people: "8 MB", "1.5 MB", "100 KB"."""
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.1f}"
        return (text[:-2] if text.endswith(".0") else text) + " MB"
    return f"{max(1, size // 1024)} KB"


def clean_filename(raw):
    """The uploader's file name without any folder part or control characters, at most 255 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 255 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name


def allowed_types(allowed_kinds):
    types = []
    for kind in allowed_kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown upload kind {kind!r}")
        types.extend(KINDS[kind])
    return types


def describe_kinds(allowed_kinds):
    return "、".join(KIND_LABELS[kind] for kind in allowed_kinds)


def store_upload(file_storage, *, allowed_kinds, max_bytes):
    """Check an uploaded file (werkzeug ``FileStorage``) and keep it; returns a ``StoredFile``.

    Raises ``UploadRefused`` with the reason in Chinese (empty, too large, a type not allowed,
    a name whose extension differs from the content, an Office zip that unpacks out of bounds or
    declares XML entities, a PDF that does not parse or carries an HTML page); nothing is kept then. The stored file is
    removed again if the current database session rolls back.
    """
    types = allowed_types(allowed_kinds)
    filename = clean_filename(getattr(file_storage, "filename", None))
    if not filename:
        raise UploadRefused("请选择要上传的文件")
    folder = upload_folder()
    storage_name = secrets.token_hex(16)
    temporary = folder / f".upload-{storage_name}.tmp"
    digest, size = hashlib.sha256(), 0
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = file_storage.stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused(f"文件“{filename}”过大：单个文件不能超过 {size_label(max_bytes)}")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise UploadRefused(f"文件“{filename}”是空文件")
        file_type = sniff(temporary)
        _check_type(filename, file_type, types, allowed_kinds)
        _check_content(temporary, file_type, filename)
        os.replace(temporary, folder / storage_name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _remember(_NEW_FILES, storage_name)
    return StoredFile(
        storage_name=storage_name,
        file_type=file_type,
        content_type=TYPES[file_type][0],
        size=size,
        sha256=digest.hexdigest(),
        filename=filename,
    )


def _check_type(filename, file_type, types, allowed_kinds):
    allowed = describe_kinds(allowed_kinds)
    if file_type not in types:
        found = TYPES[file_type][2] if file_type in TYPES else _FOREIGN.get(file_type, "无法识别的格式")
        raise UploadRefused(f"文件“{filename}”的实际内容是{found}，不是允许的类型（{allowed}）")
    extension = os.path.splitext(filename)[1].lower()
    if extension not in TYPES[file_type][1]:
        shown = extension or "（无扩展名）"
        raise UploadRefused(
            f"文件“{filename}”的扩展名 {shown} 与其内容（{TYPES[file_type][2]}）不符，"
            f"请确认文件后以 {TYPES[file_type][1][0]} 结尾上传"
        )


#: types kept as a zip of XML parts (Office Open XML)
_ZIP_TYPES = ("docx", "xlsx", "pptx")


def _check_content(path, file_type, filename):
    """A file of an allowed type is what it claims through and through (see ``examapp.uploads``)."""
    subject = f"文件“{filename}”"
    try:
        if file_type in _ZIP_TYPES:
            uploads.check_office_zip(path, subject=subject, limits=uploads.DOCUMENT_LIMITS)
        elif file_type == "pdf":
            uploads.check_pdf(path, subject=subject)
    except uploads.UnsafeUpload as exc:
        raise UploadRefused(exc.message) from exc


# --- what a file is, from its content -----------------------------------------

#: types found in content that are never accepted, for a clear message
_FOREIGN = {
    "exe": "可执行程序",
    "html": "网页（HTML）",
    "xml": "XML / SVG 文件",
    "script": "脚本",
    "zip": "压缩包",
    "rar": "压缩包",
    "7z": "压缩包",
    "gif": "GIF 图片",
    "ole": "无法识别的 Office 97-2003 格式（或安装包）",
    "encrypted": "加密的 Office 文档（请去掉密码后上传）",
    "macro": "含宏的 Office 文档（请另存为不含宏的格式）",
    "ooxml": "无法识别的 Office 文档",
    "unknown": "无法识别的格式",
}

_OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


def sniff(path):
    """The type of the file at ``path`` from its content: a key of TYPES, or of _FOREIGN."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    if head.startswith(_OLE_SIGNATURE):
        return _sniff_ole(path)
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return "exe"
    if head.startswith(b"Rar!"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"#!"):
        return "script"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")):
        return "html"
    if text.startswith((b"<?xml", b"<svg")):
        return "xml"
    return "unknown"


#: Office Open XML: the part that makes the document, and its content type in [Content_Types].xml
_OOXML = {
    "docx": ("word/", b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/", b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}
_CONTENT_TYPES_LIMIT = 1024 * 1024


def _sniff_zip(path):
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" not in names:
                return "zip"
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return "ooxml"
            with archive.open(info) as fh:
                content_types = fh.read(_CONTENT_TYPES_LIMIT + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, NotImplementedError, RuntimeError, EOFError):
        return "zip"
    if uploads.has_macros(names, content_types):
        return "macro"
    for file_type, (folder, main_type) in _OOXML.items():
        if main_type in content_types and any(name.startswith(folder) for name in names):
            return file_type
    return "ooxml"


def _sniff_ole(path):
    """A compound file (Office 97-2003): which document by the streams in its directory."""
    try:
        names = ole_stream_names(path)
    except (ValueError, OSError, struct.error):
        return "ole"
    if "EncryptedPackage" in names:
        return "encrypted"
    if uploads.OLE_MACRO_STREAMS.intersection(names):
        return "macro"
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    if "PowerPoint Document" in names:
        return "ppt"
    return "ole"


_FREESECT, _ENDOFCHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def ole_stream_names(path, limit=100_000):
    """The names in a compound file's directory (MS-CFB), read through its FAT."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 512 or not data.startswith(_OLE_SIGNATURE):
        raise ValueError("not a compound file")
    sector_shift = struct.unpack_from("<H", data, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    sector_size = 1 << sector_shift
    fat_sectors, first_dir = struct.unpack_from("<II", data, 0x2C)[0], struct.unpack_from("<I", data, 0x30)[0]
    first_difat, difat_count = struct.unpack_from("<II", data, 0x44)

    def sector(number):
        start = (number + 1) * sector_size
        if number >= _ENDOFCHAIN - 16 or start + sector_size > len(data) + sector_size:
            raise ValueError("sector out of range")
        return data[start : start + sector_size]

    fat_locations = [n for n in struct.unpack_from("<109I", data, 0x4C) if n != _FREESECT]
    seen = set()
    next_difat = first_difat
    for _ in range(difat_count):
        if next_difat in (_FREESECT, _ENDOFCHAIN) or next_difat in seen:
            break
        seen.add(next_difat)
        entries = struct.unpack(f"<{sector_size // 4}I", sector(next_difat))
        fat_locations.extend(n for n in entries[:-1] if n != _FREESECT)
        next_difat = entries[-1]
    fat_locations = fat_locations[:fat_sectors]
    fat = []
    for number in fat_locations:
        fat.extend(struct.unpack(f"<{sector_size // 4}I", sector(number).ljust(sector_size, b"\xff")))
    names, current, steps = [], first_dir, 0
    while current not in (_ENDOFCHAIN, _FREESECT):
        steps += 1
        if steps > limit or current >= len(fat):
            raise ValueError("broken directory chain")
        block = sector(current)
        for offset in range(0, len(block) - 127, 128):
            length = struct.unpack_from("<H", block, offset + 0x40)[0]
            kind = block[offset + 0x42]
            if kind in (1, 2, 5) and 2 <= length <= 64:
                names.append(block[offset : offset + length - 2].decode("utf-16-le", "replace"))
        current = fat[current]
    return names


# --- sending and deleting -------------------------------------------------------


def _ascii_fallback(name):
    stem, ext = os.path.splitext(name)
    simple = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    simple = re.sub(r"[^A-Za-z0-9._-]+", "_", simple).strip("._") or "file"
    ext = re.sub(r"[^A-Za-z0-9.]", "", ext)
    return simple + ext


def send_stored(storage_name, download_name, content_type):
    """A stored file as a download (404 when it is missing): always an attachment, never sniffed."""
    path = stored_path(storage_name)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=download_name, etag=False)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_ascii_fallback(download_name)}"; '
        f"filename*=UTF-8''{quote(download_name, safe='!#$&+-.^_`|~')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def delete_stored(storage_name):
    """Remove a stored file now (nothing happens for a name that is not there)."""
    path = stored_path(storage_name)
    if path is not None:
        path.unlink(missing_ok=True)


def delete_after_commit(storage_name):
    """Remove a stored file once the current transaction commits (kept if it rolls back)."""
    _remember(_DOOMED_FILES, storage_name)


def _remember(key, storage_name):
    if not has_app_context():
        return
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any query, is seen and cleans up
    session.info.setdefault(key, []).append(stored_path(storage_name))


def _unlink_all(paths):
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    session.info.pop(_NEW_FILES, None)
    _unlink_all(session.info.pop(_DOOMED_FILES, ()))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    if session.in_nested_transaction():
        return
    session.info.pop(_DOOMED_FILES, None)
    _unlink_all(session.info.pop(_NEW_FILES, ()))
