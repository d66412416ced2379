"""Whether a link printed for residents can only be opened on the server's own computer."""

import ipaddress
from urllib.parse import urlsplit


def only_this_computer(url):
    """True when ``url`` points at this computer itself (127.0.0.1, localhost, ::1): a QR code
    with such a link does nothing on a resident's phone."""
    if not url:
        return False
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
