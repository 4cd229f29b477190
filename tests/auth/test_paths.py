"""Where state lives (beclab/Olares `cli/pkg/cliconfig/paths.go`, `cli/pkg/auth/token_store.go`, `cli/pkg/auth/refresh.go`) and olares-cli's lock-name sanitizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from olares_auth_mcp.auth.paths import Paths, sanitize_lock_name


def test_home_precedence() -> None:
    """OLARES_CLI_HOME wins over OLARES_CLI_CACHE_DIR/config, which wins over ~/.olares-cli (paths_test.go)."""
    base = {"HOME": "/h"}
    assert Paths.resolve(base, platform="linux").home == Path("/h/.olares-cli")
    assert Paths.resolve({**base, "OLARES_CLI_CACHE_DIR": "/c"}, platform="linux").home == Path("/c/config")
    both = {**base, "OLARES_CLI_CACHE_DIR": "/c", "OLARES_CLI_HOME": "rel/home"}
    assert Paths.resolve(both, platform="linux").home == Path("rel/home")


def test_keychain_dir_precedence_and_absolute_rule() -> None:
    base = {"HOME": "/h"}
    assert Paths.resolve(base, platform="linux").keychain_dir == Path("/h/.local/share/olares-cli")
    data = Paths.resolve({**base, "OLARES_CLI_DATA_DIR": "/d/./x/.."}, platform="linux")
    assert data.keychain_dir == Path("/d/olares-cli")
    relative = Paths.resolve({**base, "OLARES_CLI_DATA_DIR": "rel"}, platform="linux")
    assert relative.keychain_dir == Path("/h/.local/share/olares-cli")
    cache = Paths.resolve({**base, "OLARES_CLI_CACHE_DIR": "/c"}, platform="linux")
    assert cache.keychain_dir == Path("/c/keychain/olares-cli")
    assert Paths.resolve({**base, "OLARES_CLI_HOME": "/x"}, platform="linux").keychain_dir == Path(
        "/h/.local/share/olares-cli"
    ), "OLARES_CLI_HOME does not move the keychain directory"


def test_macos_has_no_env_overrides() -> None:
    mac = Paths.resolve({"HOME": "/Users/a", "OLARES_CLI_DATA_DIR": "/d"}, platform="darwin")
    assert mac.keychain_dir == Path("/Users/a/Library/Application Support/olares-cli")


def test_unresolvable_home_falls_back_to_tmpdir_with_a_warning() -> None:
    paths = Paths.resolve({"TMPDIR": "/t"}, platform="linux")
    assert paths.keychain_dir == Path("/t/olares-cli/keychain/olares-cli")
    assert paths.warning is not None
    assert paths.warning.startswith("warning: home directory unresolvable (")


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("alice@olares.com", "alice@olares.com"),
        ("weird/id", "weird_id"),
        ("with\x00null", "with_null"),
        ("../../escape", ".._.._escape"),
        ("", "_"),
    ],
)
def test_lock_name_sanitizer_table(raw: str, safe: str) -> None:
    """lockfile_test.go's table."""
    assert sanitize_lock_name(raw) == safe


def test_refresh_lock_path(paths: Paths) -> None:
    assert paths.refresh_lock("alice@olares.com") == paths.home / "locks" / "alice@olares.com.refresh.lock"
