"""Numbers as an office reads them: a Decimal without trailing zeros, a share as a percentage."""

from decimal import Decimal


def plain_decimal(value):
    """``value`` as a Decimal with no trailing zeros and no exponent: 95.50 -> 95.5, 100.00 -> 100."""
    value = Decimal(value)
    if not value:
        return Decimal(0)  # no "-0" and no "0E-2"
    return Decimal(f"{value.normalize():f}")


def plain(value):
    """``value`` as text without trailing zeros or exponent ("95.5", "100", "0.25"); other values as str."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return f"{plain_decimal(value if not isinstance(value, float) else repr(value)):f}"
    return str(value)


def percent(share):
    """A share (0.3) as a percentage text ("30%")."""
    return f"{plain(Decimal(str(share)) * 100)}%"
