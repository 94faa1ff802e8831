"""Where a webhook may point: in production, https to public addresses only.

``WEBHOOKS_ALLOW_HTTP`` and ``WEBHOOKS_ALLOW_PRIVATE`` (both on in development, off in
production) decide. When private addresses are refused, the host is resolved and every
address it resolves to must be public: not loopback, private, link-local (the cloud
metadata address 169.254.169.254 among them), shared, reserved, multicast or
unspecified, in IPv4 or IPv6. The check runs when a webhook is saved and again before
each send, and the send connects to the very address checked (``Target.ip``), so a
name that resolves elsewhere a second later (DNS rebinding) cannot slip past.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import DomainError


class AddressRefused(DomainError):
    code = "address_refused"

    def __init__(self, message: str):
        super().__init__(message, field="url")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query string
    ip: str


def _ip_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified or not ip.is_global
    )


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(
            f"We could not find the server {host}. Check the address is right."
        ) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(url: str, *, connecting: bool = True) -> Target:
    """The address to connect to for ``url``, or ``AddressRefused`` saying why not.

    When a webhook is saved (``connecting=False``) and private addresses are allowed,
    the host is not looked up: a name unknown today is a failed delivery later, not a
    refusal (in production it is looked up, to refuse private addresses).
    """
    allow_http = settings.WEBHOOKS_ALLOW_HTTP
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("Enter a web address like https://example.org/webhook") from None
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("http", "https") or not host:
        raise AddressRefused("Enter a web address like https://example.org/webhook")
    if scheme != "https" and not allow_http:
        raise AddressRefused("The address must start with https:// so what is sent is "
                             "encrypted.")
    if parts.username or parts.password:
        raise AddressRefused("The address must not contain a user name or password. Check "
                             "the signature instead (see the API documentation).")
    port = port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise AddressRefused("The address must be on the internet, not on this service's "
                             "own machine or network.")
    if allow_private and not connecting:
        return Target(scheme=scheme, host=host, port=port, path=path, ip="")
    ips = _resolve(host, port)
    if not ips:
        raise AddressRefused(f"We could not find the server {host}. Check the address is "
                             "right.")
    if not allow_private:
        for ip in ips:
            if _ip_refused(ipaddress.ip_address(ip.split("%", 1)[0])):
                raise AddressRefused("The address must be on the internet, not on this "
                                     "service's own machine or a private network.")
    return Target(scheme=scheme, host=host, port=port, path=path, ip=ips[0])
