"""config.json bytes, parsing and the profile operations (beclab/Olares `cli/pkg/cliconfig/config.go`, `cli/cmd/ctl/profile/remove.go`, docs/compatibility.md).

Expected bytes are written out by hand from the spec, never produced by our writer.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.errors import ConfigError, NoPreviousProfile, ProfileConflict, ProfileNotFound
from olares_auth_mcp.auth.paths import Paths

SPEC_EXAMPLE = """{
  "currentProfile": "alice@olares.com",
  "profiles": [
    {
      "olaresId": "alice@olares.com",
      "ownerRole": "owner",
      "whoamiRefreshedAt": 1777040990,
      "backendVersion": "1.12.6",
      "backendVersionRefreshedAt": 1777040990
    }
  ]
}"""


def test_writer_produces_the_spec_example_bytes(store: ConfigStore, paths: Paths) -> None:
    """Key order, omitempty, two-space indent and no trailing newline, as Go's MarshalIndent."""

    def first_login(config: Config) -> None:
        config.upsert(
            Profile(
                olares_id="alice@olares.com",
                owner_role="owner",
                whoami_refreshed_at=1777040990,
                backend_version="1.12.6",
                backend_version_refreshed_at=1777040990,
            )
        )
        config.current_profile = "alice@olares.com"

    store.mutate(first_login)
    assert paths.config_file.read_text() == SPEC_EXAMPLE


def test_files_and_directories_are_private(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: c.upsert(Profile("a@b.c")))
    assert stat.S_IMODE(paths.config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.home.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.locks.stat().st_mode) == 0o700
    assert [p.name for p in paths.home.iterdir() if p.name.startswith(".tmp-")] == []


def test_empty_config_is_literally_braces(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: None)
    assert paths.config_file.read_text() == "{}"


def test_olares_cli_layout_is_read_with_every_field(store: ConfigStore, paths: Paths) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(
        '{"currentProfile":"work","previousProfile":"bob@olares.com","profiles":['
        '{"name":"work","olaresId":"alice@olares.com","userUid":"u1","authUrlOverride":"https://a",'
        '"localUrlPrefix":"dev.","insecureSkipVerify":true,"ownerRole":"admin","whoamiRefreshedAt":1,'
        '"clusterContext":{"username":"alice","workspaces":["w"]},"clusterContextRefreshedAt":2,'
        '"backendVersion":"1.12.6","backendVersionRefreshedAt":3,"managed":true,"appName":"lares"},'
        '{"olaresId":"bob@olares.com"}]}'
    )
    config = store.load()
    alice = config.profiles[0]
    assert (alice.display_name, alice.local_url_prefix, alice.insecure_skip_verify) == ("work", "dev.", True)
    assert (alice.owner_role, alice.backend_version, alice.source) == ("admin", "1.12.6", "platform(lares)")
    assert config.current() is alice
    assert config.profiles[1].display_name == "bob@olares.com"


def test_round_trip_of_a_full_profile_is_byte_identical(store: ConfigStore, paths: Paths) -> None:
    text = """{
  "currentProfile": "work",
  "previousProfile": "bob@olares.com",
  "profiles": [
    {
      "name": "work",
      "olaresId": "alice@olares.com",
      "authUrlOverride": "https://auth.example/\\u003cx\\u003e?a=1\\u0026b=2",
      "insecureSkipVerify": true,
      "clusterContext": {
        "username": "alice",
        "workspaces": [
          "w"
        ]
      },
      "backendVersion": "1.12.6",
      "managed": true,
      "appName": "l\u00e4res\\u2028"
    },
    {
      "olaresId": "bob@olares.com"
    }
  ]
}"""
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(text, encoding="utf-8")
    store.mutate(lambda c: None)
    assert paths.config_file.read_text(encoding="utf-8") == text


def test_unknown_keys_survive_a_read_modify_write(store: ConfigStore, paths: Paths) -> None:
    """A newer olares-cli's keys are kept (olares-cli itself drops them; this is our one deliberate difference)."""
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(
        '{"profiles":[{"olaresId":"a@b.c","location":"lan","locationProbedAt":5}],"futureTop":{"x":[1,2]}}'
    )
    store.mutate(lambda c: c.set_current("a@b.c"))
    config = store.load()
    assert config.profiles[0].extra == [("location", "lan"), ("locationProbedAt", 5)]
    text = paths.config_file.read_text()
    assert '"location": "lan"' in text
    assert '"futureTop": {' in text
    assert text.index('"currentProfile"') < text.index('"profiles"') < text.index('"futureTop"')


def test_keys_match_case_insensitively_and_last_duplicate_wins(store: ConfigStore, paths: Paths) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_text('{"PROFILES":[{"OlaresId":"x@y.z","name":"a","name":"b"}]}')
    profile = store.load().profiles[0]
    assert (profile.olares_id, profile.name) == ("x@y.z", "b")


@pytest.mark.parametrize("content", [b"", b"null"])
def test_empty_file_is_an_empty_config(store: ConfigStore, paths: Paths, content: bytes) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_bytes(content)
    assert store.load() == Config()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"profiles":[{"olaresId":"a@b.c","name":7}]}',
        '{"profiles":[{"olaresId":"a@b.c","whoamiRefreshedAt":1.5}]}',
        '{"profiles":[{"olaresId":"a@b.c","insecureSkipVerify":"yes"}]}',
        '{"profiles":{"olaresId":"a@b.c"}}',
        "[]",
    ],
)
def test_bad_config_is_a_clear_error_and_is_not_rewritten(store: ConfigStore, paths: Paths, content: str) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(content)
    with pytest.raises(ConfigError) as info:
        store.mutate(lambda c: c.upsert(Profile("new@b.c")))
    assert str(info.value).startswith(f"parse {paths.config_file}: ")
    assert "\n" not in str(info.value)
    assert paths.config_file.read_text() == content


def test_unwritable_config_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ConfigStore(Paths(home=blocker / "home", keychain_dir=tmp_path / "k"))
    with pytest.raises(ConfigError) as info:
        store.mutate(lambda c: c.upsert(Profile("a@b.c")))
    assert "\n" not in str(info.value)
    assert blocker.read_text() == ""


def test_failed_change_writes_nothing(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: c.upsert(Profile("a@b.c")))
    before = paths.config_file.read_bytes()
    with pytest.raises(ProfileNotFound):
        store.mutate(lambda c: c.set_current("nobody"))
    with pytest.raises(NoPreviousProfile):
        store.mutate(lambda c: c.set_current("-"))
    assert paths.config_file.read_bytes() == before


def _config(*profiles: Profile, current: str = "", previous: str = "") -> Config:
    return Config(current_profile=current, previous_profile=previous, profiles=list(profiles))


def test_an_olares_id_is_never_shadowed_by_another_profiles_alias() -> None:
    """olares-cli looks aliases up first; an older tool's alias "a@x.y" on b@x.y must not steer to b (R5)."""
    config = _config(Profile("b@x.y", name="a@x.y"), Profile("a@x.y"), current="a@x.y")
    assert config.find_profile("a@x.y") is config.profiles[1]
    assert config.find_by_olares_id("a@x.y") is config.profiles[1]
    assert config.current() is config.profiles[1]


def test_alias_still_resolves_when_it_shadows_nothing() -> None:
    config = _config(Profile("a@x.y"), Profile("b@x.y", name="bee"), Profile("c@x.y", name="bee"))
    assert config.find_profile("bee") is config.profiles[1]
    assert config.find_profile("nobody") is None


def test_current_falls_back_to_first_and_stale_pointer_is_none() -> None:
    assert _config(Profile("a@x.y")).current() is not None
    assert _config(Profile("a@x.y"), current="gone").current() is None
    assert _config().current() is None


def test_use_toggles_between_two_profiles() -> None:
    config = _config(Profile("a@x.y"), Profile("b@x.y", name="bee"), current="a@x.y")
    config.set_current("bee")
    assert (config.current_profile, config.previous_profile) == ("bee", "a@x.y")
    config.set_current("-")
    assert (config.current_profile, config.previous_profile) == ("a@x.y", "bee")
    config.set_current("a@x.y")
    assert (config.current_profile, config.previous_profile) == ("a@x.y", "bee"), "same target leaves previous alone"


@pytest.mark.parametrize(
    ("current", "previous", "key", "want_current", "want_previous"),
    [
        ("a@x.y", "b@x.y", "a@x.y", "b@x.y", ""),  # current removed -> previous, previous cleared
        ("a@x.y", "", "a@x.y", "b@x.y", ""),  # no previous -> first remaining
        ("a@x.y", "gone", "a@x.y", "b@x.y", "gone"),  # previous stale -> first remaining
        ("a@x.y", "b@x.y", "b@x.y", "a@x.y", ""),  # previous removed -> cleared
        ("a@x.y", "c@x.y", "b@x.y", "a@x.y", "c@x.y"),  # unrelated removal leaves both
        ("alias", "", "alias", "b@x.y", ""),  # current referenced by alias
    ],
)
def test_remove_pointer_fallback(current: str, previous: str, key: str, want_current: str, want_previous: str) -> None:
    config = _config(
        Profile("a@x.y", name="alias" if current == "alias" else ""),
        Profile("b@x.y"),
        Profile("c@x.y"),
        current=current,
        previous=previous,
    )
    config.remove(key)
    assert (config.current_profile, config.previous_profile) == (want_current, want_previous)


def test_remove_by_an_olares_id_removes_that_profile_not_the_one_shadowing_it() -> None:
    """olares-cli removes the first name-or-ID match (here a@x.y); we remove b@x.y, the profile that is "b@x.y"."""
    config = _config(Profile("a@x.y", name="b@x.y"), Profile("b@x.y"))
    removed = config.remove("b@x.y")
    assert removed.olares_id == "b@x.y"
    assert [p.olares_id for p in config.profiles] == ["a@x.y"]


@pytest.mark.parametrize(
    ("existing", "new", "message"),
    [
        (
            Profile("alice@olares.com"),
            Profile("alice_olares.com"),
            'olaresId "alice_olares.com" would share the token file alice_olares.com.enc with profile '
            '"alice@olares.com"; they are different IDs, so it is refused',
        ),
        (Profile("alice@olares.com"), Profile("alice#olares.com"), "alice_olares.com.enc"),
        (Profile("alice_olares.com"), Profile("alice@olares.com"), "alice_olares.com.enc"),
        (Profile("alice@olares.com"), Profile("Alice@olares.com"), "Alice_olares.com.enc"),
        (
            Profile("mallory@evil.test", name="alice@olares.com"),
            Profile("alice@olares.com"),
            'olaresId "alice@olares.com" is already the name of profile "mallory@evil.test"; '
            "rename or remove that profile first",
        ),
        (
            Profile("alice@olares.com"),
            Profile("mallory@evil.test", name="alice@olares.com"),
            'name "alice@olares.com" is already the Olares ID of profile "alice@olares.com"; choose another --name',
        ),
        (
            Profile("alice@olares.com", name="work"),
            Profile("mallory@evil.test", name="work"),
            'name "work" is already the name of profile "alice@olares.com"; choose another --name',
        ),
        (Profile("alice@olares.com", name="work"), Profile("bob@olares.com", name="\x1b]52;c;x\x07"), None),
    ],
    ids=["at-vs-underscore", "hash", "reverse", "case", "id-is-alias", "alias-is-id", "alias-is-alias", "distinct"],
)
def test_one_name_one_profile_one_id_one_file(existing: Profile, new: Profile, message: str | None) -> None:
    config = _config(existing)
    if message is None:
        config.upsert(new)
        assert len(config.profiles) == 2
        return
    with pytest.raises(ProfileConflict) as info:
        config.upsert(new)
    assert message in str(info.value)
    assert config == _config(existing), "nothing changed"


def test_existing_profile_may_keep_or_set_its_own_names() -> None:
    config = _config(Profile("a@x.y", name="work"), Profile("b@x.y"))
    config.upsert(Profile("a@x.y", name="work", owner_role="owner"))  # re-login keeps its alias
    config.upsert(Profile("b@x.y", name="b@x.y"))  # an alias equal to its own ID shadows nothing
    with pytest.raises(ProfileConflict):
        config.upsert(Profile("b@x.y", name="a@x.y"))


def test_remove_last_profile_empties_pointers() -> None:
    config = _config(Profile("a@x.y"), current="a@x.y")
    config.remove("a@x.y")
    assert config == Config()


def test_concurrent_writer_is_not_lost(store: ConfigStore, paths: Paths) -> None:
    """mutate re-reads under the lock, so a change made after our load survives our save (mutate_test.go)."""
    store.mutate(lambda c: c.upsert(Profile("a@x.y")))
    ConfigStore(paths).mutate(lambda c: c.upsert(Profile("b@x.y")))
    store.mutate(lambda c: c.set_current("a@x.y"))
    assert [p.olares_id for p in store.load().profiles] == ["a@x.y", "b@x.y"]


def test_lock_file_is_left_in_place(store: ConfigStore, paths: Paths) -> None:
    store.mutate(lambda c: None)
    assert paths.config_lock.exists()
    assert os.stat(paths.config_lock).st_size == 0


@pytest.mark.parametrize(
    "content",
    [
        '{"profiles":[{"olaresId":"a@b.c"}],"x":' + "[" * 500 + "]" * 500 + "}",
        '{"profiles":[{"olaresId":"a@b.c","name":' + '{"k":' * 500 + "1" + "}" * 500 + "}]}",
        '{"profiles":[{"olaresId":"a@b.c"}],"pad":"' + "a" * (5 * 2**20) + '"}',
    ],
    ids=["nested-500", "nested-in-a-profile", "5MiB"],
)
def test_hostile_config_is_a_config_error_not_a_crash(store: ConfigStore, paths: Paths, content: str) -> None:
    """A key nested 500 deep or a 5 MiB file: a one-line ConfigError for load and mutate; nothing rewritten."""
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(content)
    for action in (store.load, store.snapshot, lambda: store.mutate(lambda c: None)):
        with pytest.raises(ConfigError) as info:
            action()
        assert str(info.value).startswith(f"parse {paths.config_file}: ")
        assert "\n" not in str(info.value)
    assert paths.config_file.read_text() == content


def test_depth_limit_is_not_fooled_by_brackets_in_strings(store: ConfigStore, paths: Paths) -> None:
    paths.home.mkdir(parents=True)
    paths.config_file.write_text('{"profiles":[{"olaresId":"a@b.c","name":"' + "[{" * 200 + '\\"]"}]}')
    assert store.load().profiles[0].name == "[{" * 200 + '"]'


def test_numbers_in_unknown_keys_are_written_back_as_they_were_read(store: ConfigStore, paths: Paths) -> None:
    """Python would write 1e999 as Infinity (a file neither tool could read again) and 1e5 as 100000.0."""
    text = '{\n  "profiles": [\n    {\n      "olaresId": "a@b.c",\n      "future": [\n        1e999,\n        1e5,\n        -0.0,\n        1.50\n      ]\n    }\n  ]\n}'
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(text)
    store.mutate(lambda c: None)
    assert paths.config_file.read_text() == text


def test_cluster_context_is_written_as_go_writes_it(store: ConfigStore, paths: Paths) -> None:
    """Go's field order, keys matched case-insensitively, empty fields omitted, ``{}`` kept (a non-nil pointer)."""
    paths.home.mkdir(parents=True)
    paths.config_file.write_text(
        '{"profiles":[{"olaresId":"a@b.c","clusterContext":{"Workspaces":["w"],"email":"","username":"u",'
        '"grantedClusters":[],"later":1}},{"olaresId":"d@e.f","clusterContext":{}}]}'
    )
    store.mutate(lambda c: None)
    assert paths.config_file.read_text() == (
        '{\n  "profiles": [\n    {\n      "olaresId": "a@b.c",\n      "clusterContext": {\n'
        '        "username": "u",\n        "workspaces": [\n          "w"\n        ],\n        "later": 1\n'
        '      }\n    },\n    {\n      "olaresId": "d@e.f",\n      "clusterContext": {}\n    }\n  ]\n}'
    )
