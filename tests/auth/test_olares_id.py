"""Olares ID parsing and URL derivation (beclab/Olares `cli/pkg/olares/id.go`)."""

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


@pytest.mark.parametrize(
    "raw",
    [
        "alice@оlares.com",  # Cyrillic о
        "alice@oIares.com",  # capital I for l
        "Alice@olares.com",
        "alice@xn--lares-iye.com",
        "two-factor code for b@olares.com",
        "alice_olares.com",
        "alice#olares.com",
        "alice",
        "<olares-id>",
        " alice@olares.com",
        "alice@olares",
        "-alice@olares.com",
        "alice@olares.com\u202e",
        "a@" + "b" * 64 + ".com",
    ],
)
def test_agent_ids_are_lower_case_ascii_hostname_labels(raw: str) -> None:
    with pytest.raises(InvalidOlaresID) as caught:
        OlaresID.validated(raw, agent=True)
    assert str(caught.value).isascii()


@pytest.mark.parametrize("raw", ["alice@olares.com", "bob-2@my-box.example.org", "x1@olares.cn"])
def test_valid_ids_pass_for_agents_and_humans(raw: str) -> None:
    assert OlaresID.validated(raw, agent=True) == OlaresID.validated(raw) == OlaresID.parse(raw)


def test_humans_may_use_case_and_punycode_but_not_non_hostnames() -> None:
    assert OlaresID.validated("Alice@xn--lares-iye.com").local == "Alice"
    for raw in ("alice_olares.com", "alice@olares", "a b@olares.com", "alice@оlares.com"):
        with pytest.raises(InvalidOlaresID):
            OlaresID.validated(raw)
