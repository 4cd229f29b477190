"""Olares IDs and the service URLs derived from them (beclab/Olares `cli/pkg/olares/id.go`).

``OLARES_AUTH_MCP_SERVICE_URL`` is a test-rig setting: when the environment mapping
the caller passes sets it (the entry points read the process environment once and
hand it down, e.g. as ``Account.env``; nothing here reads ``os.environ``), every
service URL derived here points at that origin instead (the simulator serves every
route on one port). It changes where requests go, never what they say: login
bodies still carry the URLs derived from the Olares ID (docs/compatibility.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from olares_auth_mcp.auth.errors import InvalidOlaresID

__all__ = ["DEFAULT_DOMAIN", "SERVICE_URL_ENV", "OlaresID", "service_origin"]

DEFAULT_DOMAIN: Final = "olares.com"
SERVICE_URL_ENV: Final = "OLARES_AUTH_MCP_SERVICE_URL"
# A hostname label (RFC 1123): letters, digits, inner hyphens, 1-63 characters.
_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_AGENT_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_HOST_LENGTH: Final = 253


@dataclass(frozen=True)
class OlaresID:
    """A parsed Olares ID. ``raw`` is the flag value as given; URLs use the trimmed form."""

    raw: str
    local: str
    domain: str

    @classmethod
    def parse(cls, raw: str) -> OlaresID:
        """olares-cli ``ParseID``: trim, reject empty and more than one ``@``; nothing is lower-cased.

        Raises:
            InvalidOlaresID: with olares-cli's exact message.
        """
        trimmed = raw.strip()
        if trimmed == "":
            raise InvalidOlaresID(raw)
        if trimmed.count("@") > 1:
            raise InvalidOlaresID(raw)
        local, sep, domain = trimmed.partition("@")
        return cls(raw=raw, local=local, domain=domain if sep else DEFAULT_DOMAIN)

    @classmethod
    def validated(cls, raw: str, *, agent: bool = False) -> OlaresID:
        """``parse``, then the rule every Olares ID obeys: the local part is one hostname label and the
        domain is two or more, so ``auth.<local>.<domain>`` is a real host name.

        ``agent=True`` is for IDs an AI agent hands us (MCP tool arguments): exactly as typed (no
        surrounding space), lower-case ASCII only, and no punycode (``xn--``) label, so a look-alike
        (``alice@оlares.com`` with a Cyrillic о, ``alice@oIares.com``) can never pass for a real ID.
        A human may still use such an ID through the CLI.

        Raises:
            InvalidOlaresID: the ID is empty, has more than one ``@``, or breaks the rule (the message
                says which, with the ID ASCII-escaped).
        """
        parsed = cls.parse(raw)
        text = raw.strip()
        if agent and text != raw:
            raise InvalidOlaresID(raw, "remove the surrounding spaces")
        if "@" not in text:
            raise InvalidOlaresID(raw, "write it in full, as name@domain (e.g. alice@olares.com)")
        if agent and not (text.isascii() and text == text.lower()):
            raise InvalidOlaresID(raw, "use lower-case ASCII letters, digits and hyphens only (name@domain)")
        label = _AGENT_LABEL if agent else _LABEL
        labels = parsed.domain.split(".")
        if not label.fullmatch(parsed.local) or len(labels) < 2 or not all(label.fullmatch(x) for x in labels):
            raise InvalidOlaresID(raw, "the name and each part of the domain must be letters, digits and inner hyphens")
        if agent and any(x.startswith("xn--") for x in [parsed.local, *labels]):
            raise InvalidOlaresID(raw, "punycode (xn--) names are not accepted here; the human can use the CLI")
        if len("auth." + parsed.terminus_name) > MAX_HOST_LENGTH:
            raise InvalidOlaresID(raw, "too long for a host name")
        return parsed

    @property
    def terminus_name(self) -> str:
        return f"{self.local}.{self.domain}"

    def service_url(self, service: str, prefix: str = "") -> str:
        """``https://<service>.<prefix><terminus>``: desktop, settings, files, market, …"""
        return f"https://{service}.{prefix}{self.terminus_name}"

    def auth_url(self, prefix: str = "") -> str:
        return self.service_url("auth", prefix)

    def desktop_url(self, prefix: str = "") -> str:
        return self.service_url("desktop", prefix)

    def vault_url(self, prefix: str = "") -> str:
        return self.service_url("vault", prefix) + "/server"


def service_origin(url: str, env: Mapping[str, str]) -> str:
    """Where a request for ``url`` is actually sent: ``url`` itself unless ``env`` redirects it to the test rig."""
    override = env.get(SERVICE_URL_ENV, "").rstrip("/")
    return override or url
