"""Every Office upload goes through the imports' zip checks, and a PDF is parsed, not only sniffed
(issue 17, item 7): the hostile files are built here, as an outsider would build them."""

import functools
import io
import struct
import time
import zipfile
import zlib

import openpyxl
import pytest
from pypdf import PdfWriter
from sqlalchemy import func, select

from examapp import uploads
from examapp.accreditation.recommend.models import RecommendationMaterial
from examapp.accreditation.storage import UploadRefused
from examapp.extensions import db
from examapp.imports.models import ImportBatch
from examapp.org import importing as unit_importing
from examapp.spreadsheets import SpreadsheetError, read_table

from .test_accreditation_storage import MAIN_TYPES, PDF, files_in, ole, pdf_bytes, store
from .test_imports import problems, upload
from .test_recommendations import _upload, cycle_open, district_client, prepare  # noqa: F401 (a fixture)

UNIT_HEADER = list(unit_importing.COLUMNS)


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "ACCREDITATION_UPLOAD_FOLDER", str(path))
    return path


# --- hostile zips, written by hand ------------------------------------------------------------


def _deflate(data):
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@functools.cache
def deflated_zeros(size):
    """``size`` zero bytes deflated as tightly as zlib can (about 1000 : 1), with their CRC."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    chunk, parts, crc = bytes(1024 * 1024), [], 0
    for _ in range(size // len(chunk)):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc


def hand_zip(members):
    """A zip of ``members``: (name, bytes) or (name, (deflated bytes, crc, unpacked size))."""
    out, central = bytearray(), bytearray()
    for name, content in members:
        packed, crc, size = (
            content if isinstance(content, tuple) else (_deflate(content), zlib.crc32(content), len(content))
        )
        encoded, offset = name.encode(), len(out)
        fields = (20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded), 0)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + encoded + packed
        central += struct.pack("<4sH", b"PK\x01\x02", 20) + struct.pack("<HHHHHIIIHH", *fields)
        central += struct.pack("<HHHII", 0, 0, 0, 0, offset) + encoded
    start = len(out)
    out += central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), start, 0)
    return bytes(out)


def office_members(kind, extra=(), part_text=None):
    """The members of a minimal Office Open XML package of ``kind`` (docx, xlsx, pptx)."""
    part, main_type = MAIN_TYPES[kind]
    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    )
    return [("[Content_Types].xml", content_types.encode()), (part, (part_text or "<x/>").encode()), *extra]


def bomb(kind, unpacked=300 * 1024 * 1024):
    """The red team's file: a few hundred KB of Office package whose one part unpacks to ``unpacked``."""
    folder = MAIN_TYPES[kind][0].split("/")[0]
    return hand_zip(office_members(kind, extra=[(f"{folder}/media/blank.xml", (*deflated_zeros(unpacked), unpacked))]))


#: a document type declaration placed past the first 5 KB of a part (the old check read 4 KB)
LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
LATE_DECLARATIONS = {
    "after a long comment": '<?xml version="1.0"?><!--' + "说明" * 2000 + "-->" + LAUGHS,
    "after 5 KB of whitespace": '<?xml version="1.0"?>' + " " * 6000 + LAUGHS,
    "an XML declaration after 5 KB of whitespace": " " * 6000 + '<?xml version="1.0"?>' + LAUGHS,
    "a misplaced XML declaration alone": "\n" * 6000 + '<?xml version="1.0" encoding="UTF-8"?>',
}


# --- accreditation materials: the Office zip checks --------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "docx", "pptx"])
def test_a_small_office_file_that_unpacks_to_300_mb_is_refused_at_once(ctx, folder, kind):
    data = bomb(kind)
    assert len(data) < 320 * 1024  # the red team's 310 KB
    started = time.perf_counter()
    with pytest.raises(UploadRefused) as refused:
        store(data, f"台账.{kind}", max_bytes=8 * 1024 * 1024)
    assert time.perf_counter() - started < 1
    assert refused.value.message == f"文件“台账.{kind}”解压后异常膨胀（疑似压缩炸弹），已拒绝"
    assert files_in(folder) == []


def test_one_inflated_part_is_refused_by_its_ratio_below_the_total_limit(ctx, folder):
    data = hand_zip(office_members("docx", extra=[("word/media/zeros.xml", (*deflated_zeros(4 << 20), 4 << 20))]))
    with pytest.raises(UploadRefused, match="疑似压缩炸弹"):
        store(data, "汇报.docx")
    assert files_in(folder) == []


def test_the_total_unpacked_size_is_capped(ctx, folder, monkeypatch):
    text = "".join(f"<p>{n}</p>" for n in range(20000)).encode()  # 230 KB that deflate only ~4 : 1
    data = hand_zip(office_members("docx", extra=[(f"word/part{n}.xml", text) for n in range(3)]))
    assert store(data, "汇报.docx").file_type == "docx"
    monkeypatch.setattr(uploads, "DOCUMENT_LIMITS", uploads.ZipLimits(entries=1000, unpacked_bytes=600_000, ratio=150))
    with pytest.raises(UploadRefused, match="疑似压缩炸弹"):
        store(data, "汇报.docx")


def test_too_many_members_are_refused(ctx, folder):
    many = [(f"ppt/media/image{n}.png", b"x") for n in range(uploads.DOCUMENT_LIMITS.entries)]
    with pytest.raises(UploadRefused) as refused:
        store(hand_zip(office_members("pptx", extra=many)), "汇报.pptx")
    assert refused.value.message == "文件“汇报.pptx”结构异常（内部文件过多），已拒绝"
    assert files_in(folder) == []
    # a presentation of a few hundred pictures is not a bomb
    assert store(hand_zip(office_members("pptx", extra=many[:500])), "汇报.pptx").file_type == "pptx"


@pytest.mark.parametrize("case", list(LATE_DECLARATIONS))
@pytest.mark.parametrize("where", ["[Content_Types].xml", "part"])
def test_a_late_xml_declaration_in_a_document_is_refused(ctx, folder, case, where):
    members = office_members("docx")
    if where == "part":
        members[1] = (members[1][0], (LATE_DECLARATIONS[case] + "<x/>").encode())
    else:  # the content type that makes it a docx stays in the part, past the padding
        name, content = members[0]
        members[0] = (name, LATE_DECLARATIONS[case].encode() + content.split(b"?>", 1)[1])
    with pytest.raises(UploadRefused) as refused:
        store(hand_zip(members), "汇报.docx")
    assert refused.value.message == "文件“汇报.docx”含有不允许的 XML 声明，已拒绝"
    assert files_in(folder) == []


def test_a_declaration_in_a_utf16_part_is_found(ctx, folder):
    part = ('\ufeff<?xml version="1.0" encoding="UTF-16"?><!-- 说明 -->' + LAUGHS + "<x/>").encode("utf-16-le")
    members = office_members("docx")
    members[1] = (members[1][0], part)
    with pytest.raises(UploadRefused, match="XML 声明"):
        store(hand_zip(members), "汇报.docx")


def test_long_comments_and_instructions_alone_are_fine(ctx, folder):
    # each longer than the 64 KB the check reads at a time
    prolog = '<?xml version="1.0"?>\n<!--' + "注释-" * 30000 + "-->\n<?mso-application " + "?" * 70000 + "?>\n"
    members = office_members("docx", part_text=prolog + "<w:document><!DOCTYPE-looking text/></w:document>")
    assert store(hand_zip(members), "汇报.docx").file_type == "docx"


def test_old_office_documents_with_macros_are_refused(ctx, folder):
    for data, name in (
        (ole("WordDocument", "Macros", "VBA"), "宏.doc"),
        (ole("Workbook", "_VBA_PROJECT_CUR"), "宏.xls"),
    ):
        with pytest.raises(UploadRefused, match="含宏的 Office 文档"):
            store(data, name)
    assert files_in(folder) == []


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        (office_members("xlsx", extra=[("xl/vbaProject.bin", b"\x00" * 64)]), "macro"),
        (
            [
                (
                    "[Content_Types].xml",
                    b'<Types><Default ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
                )
            ],
            "macro",
        ),
        (office_members("xlsx", extra=[("xl/sheet.xml", (*deflated_zeros(4 << 20), 4 << 20))]), "bomb"),
        (office_members("xlsx", part_text=LATE_DECLARATIONS["after a long comment"] + "<x/>"), "xml"),
    ],
)
def test_the_shared_check_names_its_reason(members, reason):
    with pytest.raises(uploads.UnsafeUpload) as refused:
        uploads.check_office_zip(io.BytesIO(hand_zip(members)), subject="文件", limits=uploads.SPREADSHEET_LIMITS)
    assert refused.value.reason == reason
    with pytest.raises(uploads.UnsafeUpload) as refused:
        uploads.check_office_zip(io.BytesIO(b"PK\x03\x04 broken"), subject="文件", limits=uploads.SPREADSHEET_LIMITS)
    assert (refused.value.reason, refused.value.message) == ("corrupt", "文件已损坏，无法打开")


# --- accreditation materials: a PDF is parsed ----------------------------------------------------


HTML_PAGE = b"<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n"


def encrypted_pdf(user_password):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.4\n" + HTML_PAGE, id="the red team's file"),
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"<!DOCTYPE html>\n" + HTML_PAGE, id="doctype"),
        # a PDF that parses, with a page in a comment a browser would render
        pytest.param(pdf_bytes(header=b"%PDF-1.4\n%" + HTML_PAGE), id="polyglot"),
    ],
)
def test_a_pdf_header_on_an_html_page_is_refused(ctx, folder, data):
    with pytest.raises(UploadRefused) as refused:
        store(data, "申请报告.pdf")
    assert refused.value.message == "文件“申请报告.pdf”虽以 PDF 标记开头，实际内容是网页（HTML），不是 PDF 文档"
    assert files_in(folder) == []


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n" + b"\x00" * 200,
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        PDF[: len(PDF) // 2],  # cut short in the upload
        pdf_bytes().replace(b"/Count 1", b"/Count 0").replace(b"/Kids [3 0 R]", b"/Kids []"),  # no page
    ],
    ids=["zeros", "no cross-reference", "truncated", "no page"],
)
def test_a_file_that_does_not_parse_as_pdf_is_refused(ctx, folder, data):
    with pytest.raises(UploadRefused) as refused:
        store(data, "申请报告.pdf")
    assert refused.value.message.startswith("文件“申请报告.pdf”不是有效的 PDF 文档：无法按 PDF 格式读取")
    assert files_in(folder) == []


def test_a_pdf_with_a_binary_stream_is_not_mistaken_for_html(ctx, folder):
    noise = b"<html <body <script> " * 20
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(noise) + 1, noise)
    data = pdf_bytes(extra_objects=[stream])
    assert store(data, "扫描件.pdf").file_type == "pdf"


def test_a_pdf_that_needs_a_password_is_refused_and_a_restricted_one_kept(ctx, folder):
    with pytest.raises(UploadRefused) as refused:
        store(encrypted_pdf("secret"), "加密.pdf")
    assert refused.value.message == "文件“加密.pdf”是加密的 PDF 文档，请去掉打开密码后上传"
    assert store(encrypted_pdf(""), "禁止复制.pdf").file_type == "pdf"  # only an owner password


def test_the_pdf_parser_has_a_time_limit(ctx, folder, monkeypatch):
    monkeypatch.setattr(uploads, "PDF_CHECK_SECONDS", 0.001)
    with pytest.raises(UploadRefused) as refused:
        store(PDF, "申请报告.pdf")
    assert "无法在 0.001 秒内核验为 PDF 文档" in refused.value.message
    assert files_in(folder) == []


def test_the_pages_refuse_the_red_teams_files_and_keep_nothing(app, world, cycle_open, folder):  # noqa: F811
    with app.app_context():
        rec_id = prepare(world, world.communities["a"].id, files=0).id
        db.session.commit()
    client = district_client(app)
    for data, name, message in (
        (bomb("xlsx"), "台账.xlsx", "文件“台账.xlsx”解压后异常膨胀（疑似压缩炸弹），已拒绝"),
        (b"%PDF-1.4\n" + HTML_PAGE, "申请报告.pdf", "实际内容是网页（HTML），不是 PDF 文档"),
    ):
        response = _upload(client, rec_id, data, name)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert _upload(client, rec_id, PDF, "申请报告.pdf").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(RecommendationMaterial.filename)).all() == ["申请报告.pdf"]
    assert len(files_in(folder)) == 1


# --- imports: the same checks, and the specific message for a late declaration --------------------


def workbook_members(sheet_prolog="", content_types_prolog=""):
    """The members of a real unit-import workbook, with text put before a part's root element."""
    book = openpyxl.Workbook()
    book.active.append(UNIT_HEADER)
    book.active.append(["41010502", "金水区第二街道", "街道", "410105"])
    buffer = io.BytesIO()
    book.save(buffer)
    members = []
    with zipfile.ZipFile(buffer) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            prolog = {"xl/worksheets/sheet1.xml": sheet_prolog, "[Content_Types].xml": content_types_prolog}.get(name)
            if prolog:
                content = prolog.encode() + (content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content)
            members.append((name, content))
    return members


def read_units(data):
    return read_table("units.xlsx", data, unit_importing.COLUMNS, max_bytes=8 * 1024 * 1024, max_rows=100)


@pytest.mark.parametrize("case", list(LATE_DECLARATIONS))
@pytest.mark.parametrize("where", ["sheet_prolog", "content_types_prolog"])
def test_a_late_xml_declaration_in_an_import_gets_its_own_message(case, where):
    data = hand_zip(workbook_members(**{where: LATE_DECLARATIONS[case]}))
    with pytest.raises(SpreadsheetError) as refused:
        read_units(data)
    assert [p.message for p in refused.value.problems] == ["Excel 文件含有不允许的 XML 声明，已拒绝"]


def test_an_import_with_a_long_comment_and_no_declaration_still_reads():
    prolog = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--' + "说明" * 3000 + "-->\n"
    rows = read_units(hand_zip(workbook_members(sheet_prolog=prolog)))
    assert [row["单位编码"] for row in rows] == ["41010502"]


def test_the_import_page_names_the_late_declaration_and_the_bomb(app, world, as_role):
    admin = as_role("exam_admin")
    late = hand_zip(workbook_members(sheet_prolog=LATE_DECLARATIONS["after a long comment"]))
    for data, message in (
        (late, "Excel 文件含有不允许的 XML 声明，已拒绝"),
        (bomb("xlsx"), "Excel 文件解压后异常膨胀（疑似压缩炸弹），已拒绝"),
    ):
        response = upload(admin, "/units/import", (io.BytesIO(data), "units.xlsx"))
        assert response.status_code == 422
        assert [found for _, _, found in problems(response)] == [message]
        assert "无法读取文件内容" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
