"""``Guard.run_data``, the listing's path: data dumped once (compact) as the text content, redacted exactly as
``Guard.run`` redacts a model, whichever way a secret got into it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from olares_auth_mcp.auth.config import ConfigStore, Profile
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.runtime import Runtime
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.tools._guard import Guard
from olares_auth_mcp.tools.deps import Deps
from tests.tools.conftest import block_text

STORED = "stored-refresh-token-0123456789"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture
def guard(paths: Paths, vault: BlobVault) -> Guard:
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("alice@olares.com")))
    vault.set(TokenRecord("alice@olares.com", access_token="access-0001", refresh_token=STORED))
    return Guard(Deps(Runtime.build(paths, vault, audit_path=paths.audit_log)))


def test_clean_data_is_its_own_structured_content_and_its_compact_dump_the_text(guard: Guard) -> None:
    data: dict[str, Any] = {"rows": [{"name": "bücher@olares.com", "n": 1, "ok": True, "v": None}], "table": "a\tb\n"}
    result = guard.run_data("profile_list", {}, lambda: data)
    assert result.structured_content is data
    text = block_text(result.content[0])
    assert text == '{"rows":[{"name":"bücher@olares.com","n":1,"ok":true,"v":null}],"table":"a\\tb\\n"}'
    assert json.loads(text) == data


@pytest.mark.parametrize(
    "text", ['q"uote', "back\\slash", "tab\tnl\ncr\r\x00\x1f\x7f", "\u2028\u2029", "bücher 🎉 \ud7ff", "</script>"]
)
def test_the_text_is_what_json_dumps_would_write(guard: Guard, text: str) -> None:
    """Only quotes, backslashes and control characters are escaped: what the redaction pre-check relies on."""
    data: dict[str, Any] = {"k": [text, {"n": -1.5, "t": text}]}
    result = guard.run_data("profile_list", {}, lambda: data)
    assert block_text(result.content[0]) == json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("leak", [STORED, f"see {STORED} here", JWT, f"Bearer {JWT}"])
def test_a_secret_anywhere_in_the_data_is_redacted_in_both_forms(guard: Guard, leak: str) -> None:
    data = {"rows": [{"name": "alice", "warning": leak}], "hints": [leak]}
    result = guard.run_data("profile_list", {}, lambda: data)
    text = block_text(result.content[0])
    assert STORED not in text and JWT not in text and "[redacted]" in text
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content, "the text is still the dump of the structured content"
    shown = json.dumps(result.structured_content)
    assert STORED not in shown and JWT not in shown


def test_a_token_the_call_itself_stored_is_redacted(guard: Guard, vault: BlobVault) -> None:
    fresh = "fresh-refresh-token-9876543210"
    guard.known_secrets()

    def stores_then_echoes() -> dict[str, Any]:
        vault.set(TokenRecord("alice@olares.com", access_token="x", refresh_token=fresh))
        return {"lines": [f"stored {fresh}"]}

    result = guard.run_data("profile_list", {}, stores_then_echoes)
    assert result.structured_content == {"lines": ["stored [redacted]"]}
    assert fresh not in block_text(result.content[0])
