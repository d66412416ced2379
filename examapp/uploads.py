"""Checks that every uploaded Office document and PDF goes through, whichever page takes it.

An Office Open XML file (xlsx, docx, pptx) is a zip: before anything unpacks or parses it, its
directory must hold few enough members, unpack to a bounded size at a plausible ratio (a few
hundred KB that unpack to hundreds of MB is a zip bomb), carry no macros, and no XML part may
declare a document type (where entity expansions live), wherever in the part's prolog it stands.

A PDF is a PDF only if a real parser (pypdf) reads its cross-reference table, trailer and page
tree; its first bytes prove nothing. The parser runs in a child process with a time and memory
limit, so a hostile file cannot hold a request or a worker.
"""

import codecs
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path


class UnsafeUpload(Exception):
    """An upload is refused; ``message`` says why, in Chinese, naming the file as the caller asked.

    ``reason`` is one of: corrupt, entries, bomb, macro, xml (an Office zip); html, encrypted,
    broken, timeout (a PDF), for a caller that words one of them its own way.
    """

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- Office Open XML (zip) ------------------------------------------------------


@dataclass(frozen=True)
class ZipLimits:
    #: members in the zip's directory
    entries: int
    #: sum of the members' unpacked sizes
    unpacked_bytes: int
    #: unpacked / packed size of one member larger than 1 MB
    ratio: int


#: a spreadsheet to import: one workbook, a few sheets
SPREADSHEET_LIMITS = ZipLimits(entries=200, unpacked_bytes=200 * 1024 * 1024, ratio=150)
#: a document kept as material (a presentation of many slides and pictures has many members)
DOCUMENT_LIMITS = ZipLimits(entries=1000, unpacked_bytes=200 * 1024 * 1024, ratio=150)

_RATIO_FLOOR = 1024 * 1024
#: streams of a compound file (Office 97-2003) that hold VBA macros
OLE_MACRO_STREAMS = frozenset({"Macros", "_VBA_PROJECT_CUR", "_VBA_PROJECT", "VBA"})


def has_macros(names, content_types):
    """Whether an Office Open XML package carries macros (a VBA project, or a macro-enabled type)."""
    return any(name.lower().endswith("vbaproject.bin") for name in names) or b"macroenabled" in content_types.lower()


def check_office_zip(source, *, subject, limits):
    """Refuse an unsafe Office Open XML package; returns the names of its members.

    ``source`` is a path or a binary file; ``subject`` names the file in the messages
    ("Excel 文件", "文件“台账.xlsx”"). Raises ``UnsafeUpload``. Nothing is unpacked beyond the
    prologs of the XML parts, and those only after the sizes passed.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsafeUpload("corrupt", f"{subject}已损坏，无法打开") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.entries:
            raise UnsafeUpload("entries", f"{subject}结构异常（内部文件过多），已拒绝")
        total = 0
        for entry in entries:
            total += entry.file_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if total > limits.unpacked_bytes or (entry.file_size > _RATIO_FLOOR and ratio > limits.ratio):
                raise UnsafeUpload("bomb", f"{subject}解压后异常膨胀（疑似压缩炸弹），已拒绝")
        names = [entry.filename for entry in entries]
        try:
            content_types = _read_small(archive, "[Content_Types].xml") if "[Content_Types].xml" in names else b""
            if has_macros(names, content_types):
                raise UnsafeUpload("macro", f"{subject}含宏（VBA 代码），不予接受，请另存为不含宏的格式后上传")
            for entry in entries:
                if entry.filename.lower().endswith((".xml", ".rels", ".vml")) and not entry.is_dir():
                    with archive.open(entry) as part:
                        if declares_document_type(part):
                            raise UnsafeUpload("xml", f"{subject}含有不允许的 XML 声明，已拒绝")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise UnsafeUpload("corrupt", f"{subject}已损坏，无法打开") from exc
    return names


def _read_small(archive, name, limit=1024 * 1024):
    with archive.open(name) as part:
        return part.read(limit)


_CHUNK = 64 * 1024


def _decoder_for(head):
    """An incremental decoder for an XML part, by its byte-order mark or first characters."""
    if head.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        encoding = "utf-16-le"
    elif head.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"  # and every encoding that spells markup in ASCII
    return codecs.getincrementaldecoder(encoding)(errors="replace")


def declares_document_type(part):
    """Whether an XML part (a binary file) has a document type declaration, or an XML declaration
    anywhere but at its very start, before its root element.

    Only the prolog is read: whitespace, comments and processing instructions, however long,
    up to the first element. Any ``<!`` there that opens no comment is a declaration (DOCTYPE,
    ENTITY), which an XML parser would refuse or, worse, expand.
    """
    head = part.read(_CHUNK)
    decoder = _decoder_for(head)
    text = decoder.decode(head).lstrip("\ufeff")
    at_start, closing = True, None  # closing: the end of a comment or instruction we are inside
    while True:
        done = not head
        while True:
            if closing is not None:
                end = text.find(closing)
                if end < 0:
                    text = text[-(len(closing) - 1) :]  # keep what may begin the closing mark
                    break
                text, closing = text[end + len(closing) :], None
                continue
            stripped = text.lstrip(" \t\r\n")
            at_start = at_start and len(stripped) == len(text)
            text = stripped
            if len(text) < 9 and not done:
                break  # too short to tell what comes next
            if text.startswith("<!--"):
                text, closing, at_start = text[4:], "-->", False
            elif text.startswith("<?"):
                if text[2:5].lower() == "xml" and text[5:6] in (" ", "\t", "\r", "\n", "?") and not at_start:
                    return True  # an XML declaration that is not the first thing in the part
                text, closing, at_start = text[2:], "?>", False
            else:
                # "<!" opens a declaration (DOCTYPE, ENTITY); anything else is the root element,
                # or text that a parser refuses on its own
                return text.startswith("<!")
        if done:
            return False
        head = part.read(_CHUNK)
        text += decoder.decode(head, final=not head)


# --- PDF ------------------------------------------------------------------------

#: seconds the parser may take over one file, and the memory it may use
PDF_CHECK_SECONDS = 10
PDF_CHECK_MEMORY = 512 * 1024 * 1024
_PROBE = Path(__file__).with_name("pdf_probe.py")


def check_pdf(path, *, subject):
    """Refuse a file that starts like a PDF but is not one, or is an HTML page; raises ``UnsafeUpload``."""
    try:
        finished = subprocess.run(  # noqa: S603 (our own script and a path we chose, no shell)
            [sys.executable, "-I", str(_PROBE), str(path), str(PDF_CHECK_MEMORY)],
            capture_output=True,
            timeout=PDF_CHECK_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise UnsafeUpload(
            "timeout",
            f"{subject}无法在 {PDF_CHECK_SECONDS} 秒内核验为 PDF 文档（结构异常或已损坏），请重新导出 PDF 后上传",
        ) from exc
    verdict = finished.stdout.decode("ascii", "replace").strip() if finished.returncode == 0 else "broken"
    if verdict == "ok":
        return
    if verdict == "html":
        raise UnsafeUpload("html", f"{subject}虽以 PDF 标记开头，实际内容是网页（HTML），不是 PDF 文档")
    if verdict == "encrypted":
        raise UnsafeUpload("encrypted", f"{subject}是加密的 PDF 文档，请去掉打开密码后上传")
    raise UnsafeUpload(
        "broken",
        f"{subject}不是有效的 PDF 文档：无法按 PDF 格式读取（文件已损坏，或只是以 PDF 标记开头），请重新导出 PDF 后上传",
    )
