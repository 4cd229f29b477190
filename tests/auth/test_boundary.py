"""What an agent's arguments may decide (auth.boundary): IDs, aliases, import variables, destinations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from olares_auth_mcp.auth.boundary import (
    agent_alias,
    agent_flags,
    agent_olares_id,
    import_env_names,
    read_import_token,
)
from olares_auth_mcp.auth.config import Config, ConfigStore, Profile
from olares_auth_mcp.auth.errors import InvalidOlaresID, ProfileNotFound, UsageError
from olares_auth_mcp.auth.profiles import ProfileFlags, remove_profile
from olares_auth_mcp.auth.vault import BlobVault


class Watched(Mapping[str, str]):
    """An environment that records every variable read from it."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self.read: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.read.append(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def test_agent_ids_must_be_readable() -> None:
    assert agent_olares_id("alice@olares.com") == "alice@olares.com"
    for raw in ("<olares-id>", "alice", "Alice@olares.com", "alice@xn--lares-iye.com", " alice@olares.com"):
        with pytest.raises(InvalidOlaresID):
            agent_olares_id(raw)


@pytest.mark.parametrize("name", ["a\u202eb", "a\u200bb", "a\u2060b", "a\ufeffb", "a\x1bb", "a\nb", " a", "x" * 129])
def test_aliases_with_invisible_characters_or_padding_are_refused(name: str) -> None:
    with pytest.raises(UsageError) as caught:
        agent_alias(name)
    message = str(caught.value)
    assert message.isascii() and message.isprintable(), "the alias is shown escaped, never raw"


def test_plain_aliases_pass() -> None:
    assert agent_alias(None) == "" and agent_alias("work laptop") == "work laptop" and agent_alias("Büro") == "Büro"


def test_a_refused_variable_is_never_read() -> None:
    env = Watched({"AWS_SECRET_ACCESS_KEY": "secret", "OLARES_AUTH_MCP_IMPORT_ENV": "MY_RT, ,OTHER"})
    with pytest.raises(UsageError, match="reads only OLARES_REFRESH_TOKEN, MY_RT, OTHER"):
        read_import_token("AWS_SECRET_ACCESS_KEY", env)
    assert "AWS_SECRET_ACCESS_KEY" not in env.read


def test_allowed_variables() -> None:
    env = {"OLARES_REFRESH_TOKEN": " rt-1 ", "MY_RT": "rt-2", "OLARES_AUTH_MCP_IMPORT_ENV": "MY_RT"}
    assert import_env_names(env) == ["OLARES_REFRESH_TOKEN", "MY_RT"]
    assert read_import_token("OLARES_REFRESH_TOKEN", env) == "rt-1"
    assert read_import_token("MY_RT", env) == "rt-2"
    with pytest.raises(UsageError, match="is not set"):
        read_import_token("OLARES_REFRESH_TOKEN", {})


def test_destinations_come_from_the_profile_on_disk_only() -> None:
    human_set = Profile("alice@olares.com", local_url_prefix="dev.", insecure_skip_verify=True)
    config = Config(profiles=[human_set])
    flags, existing = agent_flags(config, "alice@olares.com", "work")
    assert existing is human_set
    assert flags == ProfileFlags("alice@olares.com", "work", "", "dev.", True)
    assert agent_flags(config, "bob@olares.com", "")[0] == ProfileFlags("bob@olares.com")


def test_removal_by_olares_id_never_hits_an_alias(store: ConfigStore, vault: BlobVault) -> None:
    store.mutate(
        lambda c: c.profiles.extend([Profile("alice@olares.com"), Profile("m@olares.com", name="alice@olares.com")])
    )
    result = remove_profile(store, vault, "m@olares.com", olares_id="m@olares.com")
    assert result.removed.olares_id == "m@olares.com"
    assert [p.olares_id for p in store.load().profiles] == ["alice@olares.com"]
    with pytest.raises(ProfileNotFound):
        remove_profile(store, vault, "alice@olares.com-alias", olares_id="alice@olares.com-alias")
