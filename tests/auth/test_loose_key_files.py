"""R17: key material other users can read, or that another user owns, is reported with its fix (never refused)."""

from __future__ import annotations

import os
import shlex

import pytest

from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.readiness import environment_hints, loose_key_hints
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, memory_vault


@pytest.fixture
def stored(vault: BlobVault, paths: Paths) -> BlobVault:
    vault.set(TokenRecord("alice@olares.com", access_token="at", refresh_token="rt"))
    return vault


def test_private_files_give_no_hint(stored: BlobVault, paths: Paths) -> None:
    assert sorted(os.listdir(paths.keychain_dir)) == ["alice_olares.com.enc", "master.key"]
    assert loose_key_hints(stored) == []
    assert environment_hints({"logged-in"}, stored, False) == []


@pytest.mark.parametrize(("name", "mode"), [("master.key", 0o644), ("alice_olares.com.enc", 0o640)])
def test_a_loose_file_is_reported_with_chmod_600_and_still_read(
    stored: BlobVault, paths: Paths, name: str, mode: int
) -> None:
    path = paths.keychain_dir / name
    path.chmod(mode)
    hints = environment_hints({"logged-in"}, stored, False)
    assert len(hints) == 1
    assert hints[0].startswith(f"{path} is accessible to other users (mode {mode:04o}): ")
    assert hints[0].endswith(f"Fix: chmod 600 {shlex.quote(str(path))}")
    assert stored.get("alice@olares.com").refresh_token == "rt", "warned, not refused"
    path.chmod(0o600)
    assert environment_hints({"logged-in"}, stored, False) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_file_another_user_owns_is_reported(stored: BlobVault, paths: Paths) -> None:
    path = paths.keychain_dir / "master.key"
    os.chown(path, 4242, -1)
    try:
        hints = loose_key_hints(stored)
    finally:
        os.chown(path, 0, -1)
    assert len(hints) == 1
    assert hints[0].startswith(f"{path} is owned by uid 4242, not by you (uid 0): ")
    assert hints[0].endswith(f"Fix: sudo chown $(id -u) {path} && chmod 600 {path}")


def test_backends_without_files_have_no_such_hint() -> None:
    assert loose_key_hints(memory_vault()) == []


def test_a_loose_file_that_appears_moves_in_or_goes_away_is_seen_on_the_next_look(
    stored: BlobVault, paths: Paths
) -> None:
    """The directory is scanned again only when its entries may have changed: each way they change is seen."""
    assert loose_key_hints(stored) == []
    stray = paths.keychain_dir / "stray_olares.com.enc"
    stray.write_bytes(b"x")
    stray.chmod(0o644)
    assert [h.split(" is ")[0] for h in loose_key_hints(stored)] == [str(stray)]
    moved = paths.keychain_dir / "moved_olares.com.enc"
    os.rename(stray, moved)
    assert [h.split(" is ")[0] for h in loose_key_hints(stored)] == [str(moved)]
    outside = paths.home / "outside.enc"
    outside.parent.mkdir(parents=True, exist_ok=True)
    os.rename(moved, outside)
    assert loose_key_hints(stored) == []
    os.rename(outside, moved)  # the same inode back under the same name
    assert [h.split(" is ")[0] for h in loose_key_hints(stored)] == [str(moved)]
    moved.unlink()
    assert loose_key_hints(stored) == []
