"""The one rule for a staff member's 手机号: a mainland mobile number.

11 digits, starting 1 and then 3-9. People write them with spaces or hyphens
("138 0013 8000", "138-0013-8000"); those are accepted and stored without.
"""

import re

#: what people put between the digit groups: spaces (also full-width) and hyphens
_SEPARATORS = re.compile(r"[\s\u3000\-－‐–—]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")

PHONE_HELP = "11 位手机号码，例如 138 0013 8000（可含空格或短横线）"
PHONE_PROBLEM = "手机号格式不正确：应为 11 位手机号码，以 13–19 开头，例如 13800138000（可含空格或短横线）"


class InvalidPhone(ValueError):
    """The text is not a mainland mobile number; ``str(exc)`` says so in Chinese."""

    def __init__(self):
        super().__init__(PHONE_PROBLEM)


def normalise_phone(text):
    """The 11 digits of a mobile number, or None for an empty one; raises InvalidPhone."""
    text = (text or "").strip()
    if not text:
        return None
    digits = _SEPARATORS.sub("", text)
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone()
    return digits
