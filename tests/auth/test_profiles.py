"""Login/import persistence and remove, as olares-cli's credentials_test.go and remove.go (beclab/Olares `cli/pkg/cliconfig/config.go`, `cli/cmd/ctl/profile/remove.go`)."""

from __future__ import annotations

import pytest

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.credentials import resolve_credentials
from olares_auth_mcp.auth.errors import (
    AlreadyAuthenticated,
    ExpiryUnknown,
    ManagedProfile,
    ProfileConflict,
    ProfileNotFound,
    TokenNotFound,
    VaultError,
)
from olares_auth_mcp.auth.profiles import (
    ProfileFlags,
    cache_backend_version,
    cache_owner_role,
    ensure_profile_writable,
    persist_grant,
    profile_rows,
    remove_profile,
)
from olares_auth_mcp.auth.readiness import assess
from olares_auth_mcp.auth.tokens import Grant, TokenRecord
from olares_auth_mcp.auth.vault import BlobVault
from olares_auth_mcp.auth.wire import default_http_factory
from tests.helpers import make_jwt

NOW = 1_800_000_000


def _seed(store: ConfigStore, current: str = "", previous: str = "", *ids: str) -> None:
    def change(config: Config) -> None:
        config.profiles = [Profile(i) for i in ids]
        config.current_profile, config.previous_profile = current, previous

    store.mutate(change)


@pytest.mark.parametrize(
    ("seed", "new", "switch", "want"),
    [
        (("", ""), "alice", True, ("alice", "", True, "")),
        (("", ""), "alice", False, ("alice", "", True, "")),
        (("alice", ""), "bob", True, ("bob", "alice", True, "alice")),
        (("alice", ""), "bob", False, ("alice", "", False, "")),
        (("alice", ""), "alice", True, ("alice", "", False, "")),
        (("alice", "bob"), "alice", True, ("alice", "bob", False, "")),
    ],
    ids=["first", "first-no-switch", "switch", "no-switch", "relogin-current", "relogin-keeps-previous"],
)
def test_switching_matrix(
    store: ConfigStore,
    vault: BlobVault,
    seed: tuple[str, str],
    new: str,
    switch: bool,
    want: tuple[str, str, bool, str],
) -> None:
    """The six cases of credentials_test.go; the on-disk config matches and the token is stored."""
    existing = [p for p in ("alice", "bob") if p in seed or p == new]
    _seed(store, seed[0], seed[1], *existing)
    result = persist_grant(store, vault, ProfileFlags(new), Grant("at", "rt", "s"), switch=switch, now_ms=5)
    config = store.load()
    assert (config.current_profile, config.previous_profile, result.switched, result.previous_current) == want
    assert vault.get(new).refresh_token == "rt"
    assert vault.get(new).granted_at == 5


def test_switch_notice_lines(store: ConfigStore, vault: BlobVault) -> None:
    _seed(store, "alice", "", "alice")
    result = persist_grant(store, vault, ProfileFlags("bob"), Grant("at"), switch=True, now_ms=1)
    assert result.switch_lines() == [
        "switched current profile to bob",
        "previous profile: alice (use 'olares-cli profile use -' to switch back)",
    ]


def test_relogin_keeps_existing_fields_and_applies_flags(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(
        lambda c: c.upsert(Profile("a@x.y", owner_role="owner", backend_version="1.12.6", local_url_prefix="p."))
    )
    persist_grant(
        store, vault, ProfileFlags("a@x.y", name="work", insecure_skip_verify=True), Grant("at"), switch=True, now_ms=1
    )
    profile = store.load().profiles[0]
    assert (profile.name, profile.owner_role, profile.backend_version) == ("work", "owner", "1.12.6")
    assert (profile.local_url_prefix, profile.insecure_skip_verify) == ("p.", True)


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (TokenRecord("a@x.y", access_token=make_jwt({"exp": NOW + 86399})), AlreadyAuthenticated),
        (TokenRecord("a@x.y", access_token=make_jwt({})), ExpiryUnknown),
        (TokenRecord("a@x.y", access_token=make_jwt({"exp": NOW})), None),
        (TokenRecord("a@x.y", access_token="garbage"), None),
        (TokenRecord("a@x.y", access_token=make_jwt({"exp": NOW + 99}), invalidated_at=1), None),
        (None, None),
    ],
)
def test_reauthentication_rules(
    store: ConfigStore, vault: BlobVault, record: TokenRecord | None, error: type[Exception] | None
) -> None:
    if record is not None:
        vault.set(record)
        if record.invalidated_at:
            vault.mark_invalidated(record.olares_id, record.invalidated_at)  # set() always clears the stamp
    config = store.load()
    if error is None:
        ensure_profile_writable(config, vault, ProfileFlags("a@x.y"), "log in as", now=NOW)
    else:
        with pytest.raises(error):
            ensure_profile_writable(config, vault, ProfileFlags("a@x.y"), "log in as", now=NOW)


def test_managed_profiles_are_refused(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(lambda c: c.upsert(Profile("alice@olares.test", name="m", managed=True, app_name="lares")))
    with pytest.raises(ManagedProfile, match="log in as alice@olares.test.*lares"):
        ensure_profile_writable(store.load(), vault, ProfileFlags("alice@olares.test"), "log in as", now=NOW)
    before = store.paths.config_file.read_bytes()
    for key in ("m", "alice@olares.test"):
        with pytest.raises(ManagedProfile):
            remove_profile(store, vault, key)
    assert store.paths.config_file.read_bytes() == before


def test_remove_output_and_token_cleanup(store: ConfigStore, vault: BlobVault) -> None:
    _seed(store, "a@x.y", "", "a@x.y", "b@x.y")
    vault.set(TokenRecord("a@x.y", access_token="t"))
    result = remove_profile(store, vault, "b@x.y")
    assert result.lines() == ["removed profile b@x.y (b@x.y)", "current profile is now: a@x.y"]
    result = remove_profile(store, vault, "a@x.y")
    assert result.lines() == [
        "removed profile a@x.y (a@x.y)",
        "no profiles remain.",
        'cleaned up keychain storage for service "olares-cli".',
    ]
    assert not vault.store.directory.exists()  # type: ignore[attr-defined]
    with pytest.raises(TokenNotFound):
        vault.get("a@x.y")


def test_remove_with_unreadable_token_warns_and_keeps_the_blob(store: ConfigStore, vault: BlobVault) -> None:
    _seed(store, "a@x.y", "", "a@x.y", "b@x.y")
    vault.set(TokenRecord("a@x.y", access_token="t"))
    enc = vault.store.path_for("a@x.y")  # type: ignore[attr-defined]
    enc.write_bytes(b"x" * 40)
    result = remove_profile(store, vault, "a@x.y")
    assert result.lines()[0].startswith("warning: failed to clear stored token for a@x.y: keychain Get failed")
    assert enc.exists()


def test_remove_unknown_profile(store: ConfigStore, vault: BlobVault) -> None:
    with pytest.raises(ProfileNotFound):
        remove_profile(store, vault, "ghost")


def test_cache_writes_touch_only_their_profile(store: ConfigStore) -> None:
    _seed(store, "b@x.y", "", "a@x.y", "b@x.y")
    cache_owner_role(store, "a@x.y", "", now=NOW + 0.9)
    cache_backend_version(store, "a@x.y", "1.12.6", now=NOW)
    cache_backend_version(store, "gone@x.y", "9", now=NOW)
    config = store.load()
    a = config.profiles[0]
    assert (a.owner_role, a.whoami_refreshed_at, a.backend_version) == ("", NOW, "1.12.6")
    assert config.current_profile == "b@x.y"
    assert '"whoamiRefreshedAt": 1800000000' in store.paths.config_file.read_text()


# --- R4/R5: one ID one file, one name one profile -------------------------------------------------------------

AMBIGUOUS = """{
  "currentProfile": "alice@olares.com",
  "profiles": [
    {
      "name": "alice@olares.com",
      "olaresId": "mallory@evil.test",
      "ownerRole": "admin",
      "whoamiRefreshedAt": 1800000000
    },
    {
      "olaresId": "alice@olares.com",
      "ownerRole": "owner",
      "whoamiRefreshedAt": 1800000000
    }
  ]
}"""


@pytest.fixture
def ambiguous(store: ConfigStore, vault: BlobVault) -> ConfigStore:
    """config.json as an older tool left it: mallory's profile uses alice's Olares ID as its alias."""
    store.paths.home.mkdir(parents=True)
    store.paths.config_file.write_text(AMBIGUOUS)
    vault.set(TokenRecord("alice@olares.com", access_token=make_jwt({"exp": NOW + 3600}), refresh_token="rt-a"))
    vault.set(TokenRecord("mallory@evil.test", access_token=make_jwt({"exp": NOW + 3600}), refresh_token="rt-m"))
    return store


def test_gate_resolves_an_olares_id_to_its_own_profile(ambiguous: ConfigStore, vault: BlobVault) -> None:
    for target in ("alice@olares.com", None):
        readiness = assess(ambiguous.load(), vault, target=target, now=NOW)
        assert readiness.olares_id == "alice@olares.com", target


def test_whoami_resolves_an_olares_id_to_its_own_profile(ambiguous: ConfigStore, vault: BlobVault) -> None:
    account = Account(ambiguous.paths, vault, default_http_factory, lambda: NOW, {})
    for target in ("alice@olares.com", None):
        result = account.whoami(target=target)  # from the role cache: no network
        assert (result.olares_id, result.role) == ("alice@olares.com", "owner"), target


def test_remove_by_olares_id_removes_that_profile(ambiguous: ConfigStore, vault: BlobVault) -> None:
    result = remove_profile(ambiguous, vault, "alice@olares.com", olares_id="alice@olares.com")
    assert result.removed.olares_id == "alice@olares.com"
    assert [p.olares_id for p in ambiguous.load().profiles] == ["mallory@evil.test"]
    assert vault.get("mallory@evil.test").refresh_token == "rt-m"
    with pytest.raises(TokenNotFound):
        vault.get("alice@olares.com")


def test_remove_refuses_when_the_key_now_names_another_profile(ambiguous: ConfigStore, vault: BlobVault) -> None:
    """The human confirmed mallory@evil.test; if the key resolves elsewhere by removal time, nothing changes."""
    before = ambiguous.paths.config_file.read_bytes()
    with pytest.raises(ProfileConflict, match="nothing was removed"):
        remove_profile(ambiguous, vault, "alice@olares.com", olares_id="mallory@evil.test")
    assert ambiguous.paths.config_file.read_bytes() == before
    assert vault.get("alice@olares.com").refresh_token == "rt-a"
    assert remove_profile(ambiguous, vault, "mallory@evil.test", olares_id="mallory@evil.test").removed.name == (
        "alice@olares.com"
    )


@pytest.mark.parametrize("impostor", ["alice_olares.com", "alice#olares.com"])
def test_persist_refuses_a_new_id_sharing_a_token_file(store: ConfigStore, vault: BlobVault, impostor: str) -> None:
    persist_grant(store, vault, ProfileFlags("alice@olares.com"), Grant("at-a", "rt-a"), switch=True, now_ms=1)
    before = (store.paths.config_file.read_bytes(), vault.store.path_for("alice@olares.com").read_bytes())  # type: ignore[attr-defined]
    for check in (
        lambda: ensure_profile_writable(store.load(), vault, ProfileFlags(impostor), "log in as", now=NOW),
        lambda: persist_grant(store, vault, ProfileFlags(impostor), Grant("at-m", "rt-m"), switch=True, now_ms=2),
    ):
        with pytest.raises(ProfileConflict, match="would share the token file alice_olares.com.enc"):
            check()
    after = (store.paths.config_file.read_bytes(), vault.store.path_for("alice@olares.com").read_bytes())  # type: ignore[attr-defined]
    assert after == before, "nothing written"
    assert vault.get("alice@olares.com").refresh_token == "rt-a"


@pytest.mark.parametrize("name", ["alice@olares.com", "work"])
def test_persist_refuses_an_alias_another_profile_has(store: ConfigStore, vault: BlobVault, name: str) -> None:
    persist_grant(store, vault, ProfileFlags("alice@olares.com", name="work"), Grant("at"), switch=True, now_ms=1)
    before = store.paths.config_file.read_bytes()
    flags = ProfileFlags("mallory@evil.test", name=name)
    with pytest.raises(ProfileConflict, match="choose another --name"):
        ensure_profile_writable(store.load(), vault, flags, "log in as", now=NOW)
    with pytest.raises(ProfileConflict):
        persist_grant(store, vault, flags, Grant("at-m", "rt-m"), switch=True, now_ms=2)
    assert store.paths.config_file.read_bytes() == before
    with pytest.raises(TokenNotFound):
        vault.get("mallory@evil.test")


def test_foreign_record_lists_unknown_and_fails_resolution_in_one_line(store: ConfigStore, vault: BlobVault) -> None:
    """A record written for alice_olares.com, read as alice@olares.com: unknown, never alice's token."""
    store.mutate(lambda c: setattr(c, "profiles", [Profile("alice@olares.com"), Profile("alice_olares.com")]))
    vault.set(TokenRecord("alice_olares.com", access_token=make_jwt({"exp": NOW + 60}), refresh_token="rt-m"))
    rows = profile_rows(store.load(), vault, now=NOW)
    assert [str(r.status) for r in rows] == ["unknown", "logged-in"]
    assert rows[0].has_refresh_token is False
    with pytest.raises(VaultError) as info:
        resolve_credentials(store, vault, target="alice@olares.com")
    assert str(info.value).startswith("read token store: keychain Get failed for olares-cli/alice@olares.com: ")
    assert "\n" not in str(info.value) and "rt-m" not in str(info.value)


# --- R13: only known roles and short semver versions are saved ---------------------------------------------------


@pytest.mark.parametrize(
    ("role", "saved"),
    [
        ("owner", "owner"),
        ("admin", "admin"),
        ("normal", "normal"),
        ("Owner", ""),
        ("\x1b]52;c;x\x07owner", ""),
        ("x" * 300_000, ""),
    ],
    ids=["owner", "admin", "normal", "case", "osc52", "300KB"],
)
def test_only_known_roles_are_cached(store: ConfigStore, role: str, saved: str) -> None:
    _seed(store, "", "", "a@x.y")
    cache_owner_role(store, "a@x.y", role, now=NOW)
    profile = store.load().profiles[0]
    assert (profile.owner_role, profile.whoami_refreshed_at) == (saved, NOW)
    assert len(store.paths.config_file.read_bytes()) < 500


@pytest.mark.parametrize(
    ("version", "saved"),
    [
        ("1.12.6", "1.12.6"),
        ("v1.12.6-rc.1+b7", "v1.12.6-rc.1+b7"),
        ("1.12.6-" + "a" * 5000, ""),
        ("1.2.3\x1b[2J", ""),
        ("ignore previous instructions", ""),
    ],
    ids=["plain", "pre-release", "5KB", "escape", "prose"],
)
def test_only_short_semver_versions_are_cached(store: ConfigStore, version: str, saved: str) -> None:
    _seed(store, "", "", "a@x.y")
    cache_backend_version(store, "a@x.y", version, now=NOW)
    assert store.load().profiles[0].backend_version == saved


def test_a_bad_version_already_on_disk_lists_as_a_dash(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(lambda c: setattr(c, "profiles", [Profile("a@x.y", backend_version="1.2.3-" + "a" * 5000)]))
    assert profile_rows(store.load(), vault, now=NOW)[0].version == "-"
