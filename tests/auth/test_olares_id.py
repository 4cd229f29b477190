"""Olares ID parsing and URL derivation (compat §2)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.errors import InvalidOlaresID
from olares_auth_mcp.auth.olares_id import OlaresID, service_origin


def test_urls_of_a_full_id() -> None:
    oid = OlaresID.parse("alice@olares.com")
    assert (oid.local, oid.domain, oid.terminus_name) == ("alice", "olares.com", "alice.olares.com")
    assert oid.auth_url() == "https://auth.alice.olares.com"
    assert oid.desktop_url() == "https://desktop.alice.olares.com"
    assert oid.vault_url() == "https://vault.alice.olares.com/server"
    assert oid.service_url("control-hub") == "https://control-hub.alice.olares.com"
    assert oid.auth_url("dev.") == "https://auth.dev.alice.olares.com"


def test_id_without_at_uses_default_domain_and_keeps_case() -> None:
    oid = OlaresID.parse("  Bob ")
    assert (oid.raw, oid.local, oid.domain) == ("  Bob ", "Bob", "olares.com")


@pytest.mark.parametrize("raw", ["", "   ", "a@b@c", "@@"])
def test_bad_ids_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidOlaresID):
        OlaresID.parse(raw)


def test_service_url_env_redirects_requests_only() -> None:
    assert service_origin("https://auth.alice.olares.com", {}) == "https://auth.alice.olares.com"
    env = {"OLARES_AUTH_MCP_SERVICE_URL": "http://127.0.0.1:9/"}
    assert service_origin("https://auth.alice.olares.com", env) == "http://127.0.0.1:9"
