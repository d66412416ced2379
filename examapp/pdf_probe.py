"""Tell whether a file is a PDF, in a child process: ``python -I pdf_probe.py PATH MEMORY_BYTES``.

Run by ``examapp.uploads.check_pdf`` under a timeout, never imported by the app (it imports
nothing of examapp). Prints one word: ``ok``, ``html`` (an HTML page outside the PDF's streams),
``encrypted`` (a password is needed to open it) or ``broken`` (pypdf cannot read its
cross-reference table, trailer and page tree, or finds no page).
"""

import io
import logging
import re
import resource
import sys
import warnings

#: tags of an HTML page; none can begin a PDF hex string (their second letter is not a hex digit)
_HTML = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frameset|frame|object|embed|svg|meta|link|style|form|img)"
    rb"[\s>/]",
    re.IGNORECASE,
)


def outside_streams(data):
    """The PDF's text without the bodies of its streams (compressed bytes match anything by chance)."""
    parts, position = [], 0
    while True:
        start = data.find(b"stream", position)
        if start < 0:
            parts.append(data[position:])
            break
        parts.append(data[position:start])
        end = data.find(b"endstream", start + 6)
        if end < 0:
            break
        position = end + 9
    return b"\n".join(parts)


def verdict(data):
    if not data.startswith(b"%PDF-"):
        return "broken"
    if _HTML.search(outside_streams(data)):
        return "html"
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return "encrypted"
            except DependencyError:
                # AES without a cryptography library: the cross-reference table and trailer were
                # read, and a password that only restricts printing or copying is common
                return "ok"
        if len(reader.pages) < 1:
            return "broken"
    except Exception:  # noqa: BLE001 (any failure of the parser means: not a PDF we can keep)
        return "broken"
    return "ok"


def main(argv):
    path, memory = argv[1], int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    with open(path, "rb") as fh:
        data = fh.read()
    print(verdict(data))


if __name__ == "__main__":
    main(sys.argv)
