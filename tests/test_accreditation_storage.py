"""Uploaded files: the type comes from the content, the size is capped, the folder is outside the
web root, the name is random, and the file follows the database transaction."""

import io
import struct
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

from examapp.accreditation import storage
from examapp.accreditation.storage import UploadRefused, store_upload
from examapp.extensions import db

ALL_KINDS = ("pdf", "image", "office")


def pdf_bytes(*, extra_objects=(), header=b"%PDF-1.4\n"):
    """A small valid PDF: one empty A4 page, with a cross-reference table of the objects' true offsets
    (and ``extra_objects`` after the page, numbered from 4)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *extra_objects,
    ]
    out, offsets = bytearray(header), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = pdf_bytes()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 50 + b"This program cannot be run in DOS mode"
HTML = b"\xef\xbb\xbf  <!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'

MAIN_TYPES = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def ooxml(kind, *, macro=False, content_types=True):
    part, main_type = MAIN_TYPES[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if content_types:
            archive.writestr(
                "[Content_Types].xml",
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>',
            )
        archive.writestr(part, "<x/>")
        if macro:
            archive.writestr(part.split("/")[0] + "/vbaProject.bin", b"\x00" * 8)
    return buffer.getvalue()


def real_xlsx():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "推荐材料"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def ole(*stream_names, per_sector=4):
    """A minimal compound file (MS-CFB, 512-byte sectors) whose directory holds ``stream_names``;
    the directory spans several sectors when there are more than ``per_sector`` entries."""
    entries = [("Root Entry", 5), *((name, 2) for name in stream_names)]
    dir_sectors = [entries[i : i + per_sector] for i in range(0, len(entries), per_sector)]
    # sector 0: the FAT; sectors 1..n: the directory, chained in reverse order to exercise the FAT
    order = list(range(len(dir_sectors), 0, -1))
    fat = [0xFFFFFFFF] * 128
    fat[0] = 0xFFFFFFFD
    for here, there in zip(order, order[1:], strict=False):
        fat[here] = there
    fat[order[-1]] = 0xFFFFFFFE
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 0x2C, 1, order[0], 0)
    struct.pack_into("<IIIII", header, 0x38, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([0xFFFFFFFF] * 108))
    sectors = {0: struct.pack("<128I", *fat)}
    for position, chunk in zip(order, dir_sectors, strict=True):
        block = bytearray(512)
        for i, (name, kind) in enumerate(chunk):
            encoded = name.encode("utf-16-le") + b"\x00\x00"
            block[i * 128 : i * 128 + len(encoded)] = encoded
            struct.pack_into("<H", block, i * 128 + 0x40, len(encoded))
            block[i * 128 + 0x42] = kind
        sectors[position] = bytes(block)
    return bytes(header) + b"".join(sectors[i] for i in range(len(sectors)))


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "ACCREDITATION_UPLOAD_FOLDER", str(path))
    return path


def upload(data, filename, content_type="application/octet-stream"):
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def store(data, filename, kinds=ALL_KINDS, max_bytes=1024 * 1024):
    return store_upload(upload(data, filename), allowed_kinds=kinds, max_bytes=max_bytes)


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "filename", "file_type", "content_type"),
    [
        (PDF, "申请报告.pdf", "pdf", "application/pdf"),
        (PNG, "门牌.PNG", "png", "image/png"),
        (JPEG, "办公室.jpg", "jpeg", "image/jpeg"),
        (JPEG, "办公室.jpeg", "jpeg", "image/jpeg"),
        (ooxml("docx"), "汇报.docx", "docx", storage.TYPES["docx"][0]),
        (ooxml("xlsx"), "台账.xlsx", "xlsx", storage.TYPES["xlsx"][0]),
        (real_xlsx(), "台账（openpyxl）.xlsx", "xlsx", storage.TYPES["xlsx"][0]),
        (ooxml("pptx"), "汇报.pptx", "pptx", storage.TYPES["pptx"][0]),
        (ole("WordDocument", "1Table"), "旧文档.doc", "doc", "application/msword"),
        (ole("Workbook"), "旧表格.xls", "xls", "application/vnd.ms-excel"),
        (ole("Book"), "更旧的表格.xls", "xls", "application/vnd.ms-excel"),
        (ole("Current User", "PowerPoint Document"), "旧演示.ppt", "ppt", "application/vnd.ms-powerpoint"),
        # the stream sits in the third sector of the directory, reached only through the FAT
        (ole("a", "b", "c", "d", "e", "f", "g", "h", "WordDocument"), "长目录.doc", "doc", "application/msword"),
    ],
)
def test_accepted_types_are_found_in_the_content(ctx, folder, data, filename, file_type, content_type):
    stored = store(data, filename)
    assert (stored.file_type, stored.content_type, stored.size) == (file_type, content_type, len(data))
    assert stored.filename == filename
    assert (folder / stored.storage_name).read_bytes() == data
    assert len(stored.storage_name) == 32 and int(stored.storage_name, 16) >= 0
    import hashlib

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert files_in(folder) == [stored.storage_name]  # no temporary file left behind


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (EXE, "申请报告.pdf", "可执行程序"),
        (EXE, "setup.exe", "可执行程序"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "a.pdf", "可执行程序"),
        (HTML, "申请报告.pdf", "网页（HTML）"),
        (b"<html><body>x</body></html>", "photo.jpg", "网页（HTML）"),
        (SVG, "图标.png", "XML / SVG 文件"),
        (b"#!/bin/sh\nrm -rf /\n", "run.doc", "脚本"),
        (GIF, "动图.gif", "GIF 图片"),
        (plain_zip(), "材料.docx", "压缩包"),
        (b"PK\x03\x04 not really a zip", "材料.xlsx", "压缩包"),
        (ooxml("docx", macro=True), "带宏.docx", "含宏的 Office 文档"),
        (ooxml("xlsx", content_types=False), "无类型.xlsx", "压缩包"),
        (ole("EncryptedInfo", "EncryptedPackage"), "加密.docx", "加密的 Office 文档"),
        (ole("SummaryInformation"), "安装包.doc", "无法识别的 Office 97-2003 格式"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100, "坏文件.xls", "无法识别的 Office 97-2003 格式"),
        (b"just some text", "说明.pdf", "无法识别的格式"),
    ],
)
def test_refused_types_are_named_and_nothing_is_kept(ctx, folder, data, filename, words):
    with pytest.raises(UploadRefused) as refused:
        store(data, filename)
    assert words in refused.value.message and filename in refused.value.message
    assert "不是允许的类型" in refused.value.message
    assert refused.value.field == "file"
    assert files_in(folder) == []


@pytest.mark.parametrize(
    ("data", "filename", "extension"),
    [
        (PNG, "申请报告.pdf", ".pdf"),
        (PDF, "照片.jpg", ".jpg"),
        (ooxml("xlsx"), "汇报.docx", ".docx"),
        (ole("WordDocument"), "表格.xls", ".xls"),
        (PDF, "没有扩展名", "（无扩展名）"),
    ],
)
def test_an_extension_that_differs_from_the_content_is_refused(ctx, folder, data, filename, extension):
    with pytest.raises(UploadRefused) as refused:
        store(data, filename)
    assert f"扩展名 {extension} 与其内容" in refused.value.message
    assert files_in(folder) == []


def test_only_the_allowed_kinds_are_taken(ctx, folder):
    assert store(PNG, "现场.png", kinds=("image",)).file_type == "png"
    with pytest.raises(UploadRefused) as refused:
        store(PDF, "现场.pdf", kinds=("image",))
    assert "PDF 文档" in refused.value.message and "图片（PNG、JPEG）" in refused.value.message
    with pytest.raises(ValueError, match="unknown upload kind"):
        store(PDF, "x.pdf", kinds=("video",))


def test_the_size_cap_is_exact(ctx, folder):
    data = PDF + b"0" * (1000 - len(PDF))
    assert store(data, "恰好.pdf", max_bytes=1000).size == 1000
    with pytest.raises(UploadRefused) as refused:
        store(data + b"0", "超出.pdf", max_bytes=1000)
    assert "过大" in refused.value.message and "超出.pdf" in refused.value.message
    assert len(files_in(folder)) == 1


def test_an_empty_file_or_no_file_is_refused(ctx, folder):
    with pytest.raises(UploadRefused, match="空文件"):
        store(b"", "空.pdf")
    with pytest.raises(UploadRefused, match="请选择"):
        store(PDF, "")
    assert files_in(folder) == []


def test_the_client_path_is_cut_from_the_name(ctx, folder):
    assert store(PDF, "C:\\Users\\张三\\桌面\\申请.pdf").filename == "申请.pdf"
    assert store(PDF, "../../etc/申请\x00\x07.pdf").filename == "申请.pdf"


def test_the_default_folder_is_under_the_instance_not_the_web_root(app, monkeypatch):
    monkeypatch.delitem(app.config, "ACCREDITATION_UPLOAD_FOLDER", raising=False)
    monkeypatch.setattr(app, "instance_path", str(app.instance_path) + "-storage-test")
    with app.app_context():
        folder = storage.upload_folder()
    try:
        assert str(folder).startswith(app.instance_path)
        assert not str(folder).startswith(app.static_folder)
        assert folder.parts[-2:] == ("uploads", "accreditation")
    finally:
        import shutil

        shutil.rmtree(app.instance_path, ignore_errors=True)


def test_a_rolled_back_upload_leaves_no_file(ctx, folder):
    stored = store(PDF, "a.pdf")
    db.session.rollback()
    assert files_in(folder) == []
    kept = store(PDF, "b.pdf")
    db.session.commit()
    db.session.rollback()  # a later rollback never touches a committed file
    assert files_in(folder) == [kept.storage_name] and stored.storage_name != kept.storage_name


def test_a_deletion_waits_for_the_commit(ctx, folder):
    stored = store(PDF, "a.pdf")
    db.session.commit()
    storage.delete_after_commit(stored.storage_name)
    db.session.rollback()
    assert files_in(folder) == [stored.storage_name]  # the row's deletion rolled back: the file stays
    storage.delete_after_commit(stored.storage_name)
    db.session.commit()
    assert files_in(folder) == []


def test_send_stored_is_an_attachment_with_a_chinese_name(app, folder):
    with app.test_request_context():
        stored = store(PDF, "申请报告（金水区）.pdf")
        db.session.commit()
        response = storage.send_stored(stored.storage_name, stored.filename, stored.content_type)
        response.direct_passthrough = False
        body = response.get_data()
        response.close()
    assert body == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E7%94%B3%E8%AF%B7%E6%8A%A5%E5%91%8A" in disposition
    assert '.pdf"' in disposition  # an ASCII fallback that keeps the extension
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["../../secret", "ABCDEF", "0" * 31, "0" * 32 + "/x", "", None])
def test_send_stored_refuses_names_it_never_gave(app, folder, name):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        storage.send_stored(name, "x.pdf", "application/pdf")


def test_send_stored_answers_404_for_a_missing_file(app, folder):
    from werkzeug.exceptions import NotFound

    with app.test_request_context(), pytest.raises(NotFound):
        storage.send_stored("0" * 32, "x.pdf", "application/pdf")


def test_delete_stored(ctx, folder):
    stored = store(PDF, "a.pdf")
    db.session.commit()
    storage.delete_stored(stored.storage_name)
    storage.delete_stored(stored.storage_name)  # twice is harmless
    storage.delete_stored("../../etc/passwd")
    assert files_in(folder) == []
