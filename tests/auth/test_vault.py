"""Token vaults: the shared contract for every backend, then the on-disk format olares-cli shares with us.

The olares-cli fixtures are built from the spec (beclab/Olares `cli/pkg/auth/token_store.go`) with the AES-GCM primitive directly,
not with our writer.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from olares_auth_mcp.auth.errors import TokenDecodeError, TokenNotFound, VaultError, VaultLocked
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import (
    BlobVault,
    EncryptedFileStore,
    MacKeychainKey,
    TokenVault,
    default_vault,
    file_vault,
    memory_vault,
    safe_file_name,
)
from tests.auth.vault_contract import CONTRACT, RECORD


class DictKeyring:
    """A keyring backend object (get/set/delete_password), injected instead of the macOS keychain."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class HangingKeyring(DictKeyring):
    """A locked keychain that never answers until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(10)
        return None

    set_password = get_password  # type: ignore[assignment]


class FailingKeyring(DictKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("no keychain in this sandbox")

    set_password = get_password  # type: ignore[assignment]


def _mac_paths(tmp_path: Path) -> Paths:
    return Paths(
        home=tmp_path / "home", keychain_dir=tmp_path / "Library/Application Support/olares-cli", platform="darwin"
    )


BACKENDS: dict[str, Callable[[Path], TokenVault]] = {
    "linux-file": lambda tmp: file_vault(Paths(home=tmp / "h", keychain_dir=tmp / "k", platform="linux")),
    "macos-keychain": lambda tmp: default_vault(_mac_paths(tmp), keyring_backend=DictKeyring()),
    "macos-file-fallback": lambda tmp: default_vault(_mac_paths(tmp), keyring_backend=FailingKeyring()),
    "memory": lambda tmp: memory_vault(),
}


@pytest.fixture(params=sorted(BACKENDS))
def any_vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TokenVault]:
    yield BACKENDS[request.param](tmp_path)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_vault_contract(any_vault: TokenVault, check: Callable[[TokenVault], None]) -> None:
    check(any_vault)


def test_record_json_is_compact_in_struct_order() -> None:
    assert RECORD.to_json() == (
        '{"olaresId":"alice@olares.com","accessToken":"at-1","refreshToken":"rt-1","sessionId":"s-1",'
        '"grantedAt":1777040985123}'
    )
    assert TokenRecord("a", invalidated_at=5, managed=True).to_json() == (
        '{"olaresId":"a","accessToken":"","invalidatedAt":5,"managed":true}'
    )


def test_record_repr_hides_tokens() -> None:
    assert "at-1" not in repr(RECORD)
    assert "rt-1" not in repr(RECORD)


def _olares_cli_blob(key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def test_reads_what_olares_cli_wrote(vault: BlobVault, paths: Paths) -> None:
    """master.key = 32 raw bytes; alice_olares.com.enc = nonce ‖ ciphertext ‖ tag; missing olaresId is filled."""
    key = os.urandom(32)
    paths.keychain_dir.mkdir(parents=True)
    (paths.keychain_dir / "master.key").write_bytes(key)
    plaintext = b'{"accessToken":"eyJ.x.y","refreshToken":"rt","grantedAt":1777040985123,"invalidatedAt":7}'
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(_olares_cli_blob(key, plaintext))
    record = vault.get("alice@olares.com")
    assert record == TokenRecord(
        "alice@olares.com", access_token="eyJ.x.y", refresh_token="rt", granted_at=1777040985123, invalidated_at=7
    )


def test_writes_what_olares_cli_reads(vault: BlobVault, paths: Paths) -> None:
    vault.set(RECORD)
    key = (paths.keychain_dir / "master.key").read_bytes()
    blob = (paths.keychain_dir / "alice_olares.com.enc").read_bytes()
    assert len(key) == 32
    assert AESGCM(key).decrypt(blob[:12], blob[12:], None) == RECORD.to_json().encode()
    for name in ("master.key", "alice_olares.com.enc"):
        assert stat.S_IMODE((paths.keychain_dir / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.keychain_dir.stat().st_mode) == 0o700
    assert sorted(p.name for p in paths.keychain_dir.iterdir()) == ["alice_olares.com.enc", "master.key"]


@pytest.mark.parametrize(
    ("account", "name"),
    [("alice@olares.com", "alice_olares.com.enc"), ("a/b\\c d", "a_b_c_d.enc"), ("x-y_z.1", "x-y_z.1.enc")],
)
def test_safe_file_names(account: str, name: str) -> None:
    assert safe_file_name(account) == name


def test_tampered_blob_is_an_error_and_is_kept(vault: BlobVault, paths: Paths) -> None:
    vault.set(RECORD)
    enc = paths.keychain_dir / "alice_olares.com.enc"
    blob = bytearray(enc.read_bytes())
    blob[-1] ^= 0x01
    enc.write_bytes(bytes(blob))
    with pytest.raises(VaultError) as info:
        vault.get(RECORD.olares_id)
    assert str(info.value).startswith("keychain Get failed for olares-cli/alice@olares.com: ")
    with pytest.raises(VaultError):
        vault.delete(RECORD.olares_id)
    assert enc.read_bytes() == bytes(blob), "nothing is deleted because it could not be read"


@pytest.mark.parametrize("blob", [b"", b"x" * 27])
def test_truncated_blob_is_an_error(vault: BlobVault, paths: Paths, blob: bytes) -> None:
    vault.set(RECORD)
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(blob)
    with pytest.raises(VaultError):
        vault.get(RECORD.olares_id)


def test_master_key_of_wrong_length_is_corrupted(vault: BlobVault, paths: Paths) -> None:
    vault.set(RECORD)
    (paths.keychain_dir / "master.key").write_bytes(b"short")
    with pytest.raises(VaultError) as info:
        vault.get(RECORD.olares_id)
    assert str(info.value) == "keychain Get failed for olares-cli/alice@olares.com: keychain is corrupted"
    with pytest.raises(VaultError):
        vault.set(RECORD)
    assert (paths.keychain_dir / "master.key").read_bytes() == b"short"


def test_blob_without_master_key_is_not_initialized(vault: BlobVault, paths: Paths) -> None:
    vault.set(RECORD)
    (paths.keychain_dir / "master.key").unlink()
    with pytest.raises(VaultError, match="keychain not initialized"):
        vault.get(RECORD.olares_id)


def test_undecodable_record_is_a_decode_error(vault: BlobVault, paths: Paths) -> None:
    key = os.urandom(32)
    paths.keychain_dir.mkdir(parents=True)
    (paths.keychain_dir / "master.key").write_bytes(key)
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(_olares_cli_blob(key, b"{not-json"))
    with pytest.raises(TokenDecodeError, match="^decode stored token for alice@olares.com: "):
        vault.get("alice@olares.com")


def test_get_never_creates_a_master_key(vault: BlobVault, paths: Paths) -> None:
    with pytest.raises(VaultError):
        vault.get("x@y.z")
    assert not (paths.keychain_dir / "master.key").exists()


def test_purge_removes_the_directory(vault: BlobVault, paths: Paths) -> None:
    vault.set(RECORD)
    vault.purge()
    assert not paths.keychain_dir.exists()


def test_concurrent_first_writes_agree_on_one_master_key(paths: Paths) -> None:
    """Many writers racing to create master.key all end up encrypting with the winner's key."""
    vaults = [file_vault(paths) for _ in range(8)]
    barrier = threading.Barrier(8)

    def write(index: int) -> None:
        barrier.wait(5)
        vaults[index].set(TokenRecord(f"u{index}@x.y", access_token=f"t{index}"))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for index in range(8):
        assert file_vault(paths).get(f"u{index}@x.y").access_token == f"t{index}"


def test_macos_master_key_lives_in_the_keychain(tmp_path: Path) -> None:
    """Service olares-cli, account master.key, base64 of 32 bytes (go-keyring's base64 wrapper accepted too)."""
    keyring = DictKeyring()
    vault = default_vault(_mac_paths(tmp_path), keyring_backend=keyring)
    vault.set(RECORD)
    assert vault.backend == "system-keychain"
    secret = keyring.items[("olares-cli", "master.key")]
    assert secret.startswith("go-keyring-base64:")
    key = base64.b64decode(base64.b64decode(secret.removeprefix("go-keyring-base64:")))
    blob = (_mac_paths(tmp_path).keychain_dir / "alice_olares.com.enc").read_bytes()
    assert json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], None))["accessToken"] == "at-1"


def test_macos_reads_a_plain_base64_key_olares_cli_wrote(tmp_path: Path) -> None:
    key = os.urandom(32)
    keyring = DictKeyring()
    keyring.items[("olares-cli", "master.key")] = base64.b64encode(key).decode()
    paths = _mac_paths(tmp_path)
    paths.keychain_dir.mkdir(parents=True)
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(_olares_cli_blob(key, RECORD.to_json().encode()))
    assert default_vault(paths, keyring_backend=keyring).get(RECORD.olares_id) == RECORD


def test_macos_falls_back_to_master_key_file(tmp_path: Path) -> None:
    paths = _mac_paths(tmp_path)
    vault = default_vault(paths, keyring_backend=FailingKeyring())
    vault.set(RECORD)
    assert vault.backend == "file-fallback"
    assert len((paths.keychain_dir / "master.key.file").read_bytes()) == 32


def test_hanging_keychain_does_not_hang_the_caller(tmp_path: Path) -> None:
    """A locked keychain becomes 'keychain access blocked' after the timeout instead of blocking forever."""
    keyring = HangingKeyring()
    paths = _mac_paths(tmp_path)
    key = os.urandom(32)
    paths.keychain_dir.mkdir(parents=True)
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(_olares_cli_blob(key, b"{}"))
    vault = BlobVault(EncryptedFileStore(paths.keychain_dir, MacKeychainKey(paths.keychain_dir, keyring, timeout=0.2)))
    try:
        with pytest.raises(VaultError) as info:
            vault.get(RECORD.olares_id)
        assert isinstance(info.value.__cause__, VaultLocked)
        assert str(info.value).endswith("keychain access blocked")
    finally:
        keyring.release.set()


def test_record_written_for_a_look_alike_id_is_not_alices_token(vault: BlobVault, paths: Paths) -> None:
    """alice_olares.com's record lands in alice_olares.com.enc; read as alice@olares.com it is unreadable."""
    vault.set(TokenRecord("alice_olares.com", access_token="at-mallory", refresh_token="rt-mallory"))
    assert (paths.keychain_dir / "alice_olares.com.enc").exists()
    with pytest.raises(VaultError) as info:
        vault.get("alice@olares.com")
    assert str(info.value) == (
        'keychain Get failed for olares-cli/alice@olares.com: the stored record is for olaresId "alice_olares.com", '
        "not this one (two IDs share one token file)"
    )
    assert vault.get("alice_olares.com").access_token == "at-mallory"


def test_record_without_olares_id_still_reads_as_the_asked_id(vault: BlobVault, paths: Paths) -> None:
    """olares-cli fills a missing olaresId with the requested one; only a *different* stored ID is refused."""
    key = os.urandom(32)
    paths.keychain_dir.mkdir(parents=True)
    (paths.keychain_dir / "master.key").write_bytes(key)
    (paths.keychain_dir / "alice_olares.com.enc").write_bytes(_olares_cli_blob(key, b'{"accessToken":"at"}'))
    assert vault.get("alice@olares.com").access_token == "at"


def _break_key_by_length(paths: Paths) -> None:
    (paths.keychain_dir / "master.key").write_bytes(b"short")


def _break_key_by_removal(paths: Paths) -> None:
    (paths.keychain_dir / "master.key").unlink()


def _break_key_as_a_directory(paths: Paths) -> None:  # open() fails with an OSError, even for root
    (paths.keychain_dir / "master.key").unlink()
    (paths.keychain_dir / "master.key").mkdir()


def _tamper_bobs_blob(paths: Paths) -> None:
    enc = paths.keychain_dir / "bob_olares.com.enc"
    enc.write_bytes(enc.read_bytes()[:-1] + b"\x00")


@pytest.mark.parametrize(
    "damage", [_break_key_by_length, _break_key_by_removal, _break_key_as_a_directory, _tamper_bobs_blob]
)
def test_get_many_gives_each_id_gets_own_error_and_never_fails_as_a_whole(
    vault: BlobVault, paths: Paths, damage: Callable[[Paths], None]
) -> None:
    """A listing reads every record in one pass: whatever breaks, each row is what ``get`` says of it."""
    vault.set(RECORD)
    vault.set(TokenRecord("bob@olares.com", access_token="at-b", refresh_token="rt-b"))
    ids = [RECORD.olares_id, "bob@olares.com", "carol@olares.com"]
    assert vault.get_many(ids)[:2] == [RECORD, TokenRecord("bob@olares.com", access_token="at-b", refresh_token="rt-b")]
    damage(paths)
    expected: list[object] = []
    for olares_id in ids:
        try:
            expected.append(vault.get(olares_id))
        except TokenNotFound:
            expected.append(None)
        except VaultError as err:
            expected.append(str(err))
    found = vault.get_many(ids)
    assert [str(f) if isinstance(f, VaultError) else f for f in found] == expected
    assert found[2] is None  # carol has no token file: no key is needed to say so
    assert any(isinstance(f, VaultError) for f in found)
