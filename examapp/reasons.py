"""The rule for the reasons, notes and comments people write into the record: at most 500 characters.

One home for the limit, its message and its check, used by the forms (so a browser refuses a
longer text before it is sent) and by the services (so a script or a forged post is refused too).
"""

from .errors import DomainError

MAX_REASON_LENGTH = 500


def too_long(label="原因", limit=MAX_REASON_LENGTH):
    return f"{label}不能超过 {limit} 个字"


def clean_reason(value, label="原因", required=False, field="reason", limit=MAX_REASON_LENGTH):
    """``value`` stripped; refused when required and empty, or when longer than the limit."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"请填写{label}", field=field)
    if len(text) > limit:
        raise DomainError(too_long(label, limit), field=field)
    return text
