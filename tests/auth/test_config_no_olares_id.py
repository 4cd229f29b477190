"""A profile written without an ``olaresId`` (or with an empty one, or ``null`` in the list), as olares-cli
handles it: listed as ``unknown`` with an empty OLARES-ID cell, kept on every write, found by its alias only,
never by an Olares ID and never mapped to a token file (beclab/Olares `cli/pkg/cliconfig/config.go`
``FindProfile``/``FindByOlaresID``, `cli/cmd/ctl/profile/list.go`, `cli/pkg/auth/token_store_keychain.go` ``Get``).
"""

from __future__ import annotations

import time

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.doctor import run_doctor
from olares_auth_mcp.auth.errors import ProfileConflict, ProfileNotFound, VaultError
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.profiles import lookup_record, profile_rows, remove_profile, use_profile
from olares_auth_mcp.auth.readiness import NO_OLARES_ID, assess
from olares_auth_mcp.auth.status import Status
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.wire import default_http_factory
from tests.helpers import make_jwt

NOW = 1_800_000_000

# As olares-cli's MarshalIndent writes it: olaresId has no omitempty, so an empty one is written out.
GO_WRITTEN = """{
  "currentProfile": "alice@olares.com",
  "profiles": [
    {
      "olaresId": "alice@olares.com"
    },
    {
      "name": "ghost",
      "olaresId": "",
      "backendVersion": "1.12.6"
    },
    {
      "olaresId": ""
    }
  ]
}"""


def _write(paths: Paths, text: str) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "content",
    [
        '{"currentProfile":"alice@olares.com","profiles":[{"olaresId":"alice@olares.com"},'
        '{"name":"ghost","backendVersion":"1.12.6"},null]}',
        '{"currentProfile":"alice@olares.com","profiles":[{"olaresId":"alice@olares.com"},'
        '{"name":"ghost","olaresId":null,"backendVersion":"1.12.6"},{}]}',
        GO_WRITTEN,
    ],
    ids=["missing-and-null", "null-and-empty-object", "go-written"],
)
def test_it_is_read_and_written_back_as_olares_cli_writes_it(store: ConfigStore, paths: Paths, content: str) -> None:
    _write(paths, content)
    config = store.load()
    assert [(p.name, p.olares_id) for p in config.profiles] == [("", "alice@olares.com"), ("ghost", ""), ("", "")]
    store.mutate(lambda c: None)
    assert paths.config_file.read_text(encoding="utf-8") == GO_WRITTEN


def test_no_lookup_by_olares_id_ever_finds_it() -> None:
    config = Config(profiles=[Profile("", name="ghost"), Profile(""), Profile("a@x.y")])
    assert config.find_by_olares_id("") is None
    assert config.find_profile("") is None  # olares-cli: FindProfile("") is nil, not the first alias-less profile
    assert config.find_profile("ghost") is config.profiles[0]  # its alias still names it
    with pytest.raises(ProfileNotFound):
        config.set_current("")
    with pytest.raises(ProfileNotFound):
        config.remove("")
    assert len(config.profiles) == 3


def test_it_never_blocks_a_new_profile_by_a_shared_token_file() -> None:
    """safe_file_name("") is "_": a profile without an ID has no file, so "_" (or anything) is not taken by it."""
    config = Config(profiles=[Profile("", name="ghost")])
    config.upsert(Profile("_"))
    with pytest.raises(ProfileConflict):
        config.upsert(Profile("x@y.z", name="ghost"))  # its alias is still its own


def test_it_never_maps_to_a_token_file(vault: BlobVault, paths: Paths) -> None:
    """olares-cli's Get refuses an empty olaresID; a record stored as "_" (the file "" would map to) stays unread."""
    vault.set(TokenRecord("_", access_token=make_jwt({"exp": NOW * 2}), refresh_token="rt"))
    with pytest.raises(VaultError, match=r"^olaresID is required$"):
        vault.get("")
    with pytest.raises(VaultError, match=r"^olaresID is required$"):
        vault.delete("")
    with pytest.raises(VaultError, match=r"^olaresID is required$"):
        vault.mark_invalidated("", 1)
    with pytest.raises(VaultError, match=r"^StoredToken.OlaresID is required$"):
        vault.set(TokenRecord("", access_token="a"))
    record, error = lookup_record(vault, "")
    assert record is None and str(error) == "olaresID is required"
    assert vault.get("_").refresh_token == "rt"


def test_it_is_listed_as_unknown_without_breaking_the_others(
    store: ConfigStore, vault: BlobVault, paths: Paths
) -> None:
    _write(paths, GO_WRITTEN)
    vault.set(TokenRecord("alice@olares.com", access_token=make_jwt({"exp": NOW * 2})))
    rows = profile_rows(store.load(), vault, now=NOW)
    assert [(r.name, r.olares_id, r.status, r.version, r.current) for r in rows] == [
        ("alice@olares.com", "alice@olares.com", Status.LOGGED_IN, "-", True),
        ("ghost", "", Status.UNKNOWN, "1.12.6", False),
        ("", "", Status.UNKNOWN, "-", False),
    ]
    assert rows[1].warning == 'warning: profile "ghost" has no olaresId in config.json, so no token can belong to it'
    assert rows[2].warning == "warning: profile has no olaresId in config.json, so no token can belong to it"


def test_as_current_it_alone_is_marked(store: ConfigStore, vault: BlobVault, paths: Paths) -> None:
    """Ours: olares-cli compares Olares IDs, so it would star every profile without one; we star only the current."""
    _write(paths, '{"profiles":[{"name":"ghost"},{"olaresId":"a@x.y"},{"name":"other"}]}')
    rows = profile_rows(store.load(), vault, now=NOW)
    assert [r.current for r in rows] == [True, False, False]


def test_use_and_remove_by_its_alias(store: ConfigStore, vault: BlobVault, paths: Paths) -> None:
    _write(paths, GO_WRITTEN)
    vault.set(TokenRecord("alice@olares.com", access_token="a"))
    assert use_profile(store, "ghost").message == "switched to profile ghost ()"
    assert store.load().current_profile == "ghost"
    result = remove_profile(store, vault, "ghost")
    assert result.lines() == [
        "warning: failed to clear stored token for : olaresID is required",  # olares-cli's Delete(""), verbatim
        "removed profile ghost ()",
        "current profile is now: alice@olares.com",
    ]
    assert [p.olares_id for p in store.load().profiles] == ["alice@olares.com", ""]
    assert vault.get("alice@olares.com").access_token == "a", "no other token touched"


def test_the_gate_stops_with_a_login_not_a_retry(store: ConfigStore, vault: BlobVault, paths: Paths) -> None:
    _write(paths, '{"profiles":[{"name":"ghost"},{"olaresId":"a@x.y"}]}')
    for target in (None, "ghost"):
        readiness = assess(store.load(), vault, target=target, now=NOW)
        assert (readiness.decision, readiness.status, readiness.reason) == ("stop", "unknown", NO_OLARES_ID)
        assert readiness.profile == "ghost" and readiness.olares_id is None
        action = readiness.next_action
        assert action is not None and action.tool == "start_login" and action.arguments == {}
        assert action.ask_human and "Olares ID" in action.ask_human


def test_doctor_reports_it_and_carries_on(store: ConfigStore, vault: BlobVault, paths: Paths) -> None:
    _write(paths, '{"profiles":[{"name":"ghost"},{"olaresId":"a@x.y"}]}')
    vault.set(TokenRecord("a@x.y", access_token=make_jwt({"exp": NOW * 2})))
    account = Account(paths, vault, default_http_factory, time.time, {"PATH": ""})
    report = run_doctor(account)
    tokens = {f.check: f for f in report.findings if f.check.startswith("token")}
    assert tokens["token:a@x.y"].status == "ok"
    assert tokens["token:"].status == "fail" and "olaresID is required" in tokens["token:"].detail
    assert tokens["token:"].fix is not None and "<your Olares ID>" in tokens["token:"].fix  # never `--olares-id ''`


def test_live_doctor_on_it_contacts_nothing_and_asks_for_the_olares_id(
    store: ConfigStore, vault: BlobVault, paths: Paths
) -> None:
    _write(paths, '{"profiles":[{"name":"ghost"}]}')
    account = Account(paths, vault, default_http_factory, time.time, {"PATH": ""})
    report = run_doctor(account, live=True, audience="agent")
    profile = next(f for f in report.findings if f.check == "live.profile")
    assert profile.status == "fail" and profile.fix is not None
    assert "ask the human for their Olares ID" in profile.fix
