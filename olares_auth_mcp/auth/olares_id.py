"""Olares IDs and the service URLs derived from them (olares-cli-compat.md §2).

``OLARES_AUTH_MCP_SERVICE_URL`` is a test-rig setting: when set, every service
URL this package derives points at that origin instead (the simulator serves
every route on one port). It changes where requests go, never what they say:
login bodies still carry the URLs derived from the Olares ID (clarifications §3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from olares_auth_mcp.auth.errors import InvalidOlaresID

__all__ = ["DEFAULT_DOMAIN", "SERVICE_URL_ENV", "OlaresID", "service_origin"]

DEFAULT_DOMAIN: Final = "olares.com"
SERVICE_URL_ENV: Final = "OLARES_AUTH_MCP_SERVICE_URL"


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


def service_origin(url: str, env: Mapping[str, str] | None = None) -> str:
    """Where a request for ``url`` is actually sent: ``url`` itself unless the test rig redirects it."""
    env = os.environ if env is None else env
    override = env.get(SERVICE_URL_ENV, "").rstrip("/")
    return override or url
