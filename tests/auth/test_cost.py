"""Cost that stays flat, without serving anything stale: the shared TLS context, the vault's read
cache, the JWT decode cache and the redactor's pattern (bench/README.md has the figures)."""

from __future__ import annotations

import datetime
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from olares_auth_mcp.auth.errors import JWTError, NoExpClaim, TokenNotFound, VaultError
from olares_auth_mcp.auth.jwt import expires_at
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.redact import REDACTED, Redactor
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import BlobVault, file_vault
from olares_auth_mcp.auth.vault._files import FileCache
from olares_auth_mcp.auth.wire import default_http_factory, tls_context
from tests.helpers import make_jwt

ALICE = "alice@olares.com"


# --- one TLS context per process ---------------------------------------------------------------


def _context_of(client: httpx.Client) -> ssl.SSLContext:  # httpx keeps it on the connection pool
    transport: Any = client._transport  # private to httpx: an HTTPTransport
    context: ssl.SSLContext = transport._pool._ssl_context
    return context


def test_every_client_shares_one_verifying_context() -> None:
    with default_http_factory() as first, default_http_factory(timeout=5.0) as second:
        assert _context_of(first) is _context_of(second) is tls_context()
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_insecure_clients_share_their_own_non_verifying_context() -> None:
    with default_http_factory(insecure=True) as first, default_http_factory(insecure=True) as second:
        assert _context_of(first) is _context_of(second) is tls_context(insecure=True)
        assert first._trust_env is False  # as Go's bare transport: no proxy from the environment
    context = tls_context(insecure=True)
    assert context is not tls_context()
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def _self_signed_pem() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "olares test ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_the_shared_context_honours_ssl_cert_file_as_httpx_does(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(_self_signed_pem())
    probe = (
        "import json; from olares_auth_mcp.auth.wire import tls_context\n"
        "print(json.dumps([c['subject'] for c in tls_context().get_ca_certs()]))"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(bundle)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [[[["commonName", "olares test ca"]]]]


# --- the vault's read cache ----------------------------------------------------------------------


def _same_size_record(access: str) -> TokenRecord:
    return TokenRecord(ALICE, access_token=access, refresh_token="rt-0123456789abcdef")


Read = Callable[[BlobVault, str], TokenRecord]


def _get_many(vault: BlobVault, olares_id: str) -> TokenRecord:
    (found,) = vault.get_many([olares_id])
    if isinstance(found, VaultError):
        raise found
    if found is None:
        raise TokenNotFound
    return found


@pytest.fixture(params=["get", "get_many"])
def read(request: pytest.FixtureRequest) -> Read:
    """Both ways a record is read: ``get`` (one profile) and ``get_many`` (a listing's single pass)."""
    return BlobVault.get if request.param == "get" else _get_many


def test_a_rewrite_by_another_vault_is_seen_on_the_next_read(vault: BlobVault, paths: Paths, read: Read) -> None:
    vault.set(_same_size_record("access-one-aaaa"))
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    file_vault(paths).set(_same_size_record("access-two-bbbb"))  # a second vault object: another writer
    assert read(vault, ALICE).access_token == "access-two-bbbb"


def test_a_write_from_another_process_is_seen_on_the_next_call(vault: BlobVault, paths: Paths, read: Read) -> None:
    vault.set(_same_size_record("access-one-aaaa"))
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    writer = (
        "import sys; from pathlib import Path\n"
        "from olares_auth_mcp.auth.paths import Paths\n"
        "from olares_auth_mcp.auth.tokens import TokenRecord\n"
        "from olares_auth_mcp.auth.vault import file_vault\n"
        "paths = Paths(home=Path(sys.argv[1]), keychain_dir=Path(sys.argv[2]), platform='linux')\n"
        "file_vault(paths).set(TokenRecord(sys.argv[3], access_token='access-two-bbbb', "
        "refresh_token='rt-0123456789abcdef'))"
    )
    argv = [sys.executable, "-c", writer, str(paths.home), str(paths.keychain_dir), ALICE]
    subprocess.run(argv, check=True, timeout=60)
    assert read(vault, ALICE).access_token == "access-two-bbbb"


def test_an_in_place_rewrite_keeping_size_and_mtime_is_seen(vault: BlobVault, paths: Paths, read: Read) -> None:
    """Same inode, same size, mtime restored: the ctime (or, inside its tick, the bytes) gives it away."""
    vault.set(_same_size_record("access-one-aaaa"))
    target = vault.store.path_for(ALICE)  # type: ignore[attr-defined]
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    other = file_vault(Paths(home=paths.home, keychain_dir=paths.keychain_dir, platform="linux"))
    other.set(_same_size_record("access-two-bbbb"))
    new_bytes = target.read_bytes()
    other.set(_same_size_record("access-one-aaaa"))  # back to the first name on disk...
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    st = os.stat(target)
    with open(target, "r+b") as handle:  # ...then overwrite that inode in place with the second record
        handle.write(new_bytes)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(target)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    assert read(vault, ALICE).access_token == "access-two-bbbb"


@pytest.mark.parametrize("one_pass", [False, True], ids=["get", "get_all"])
def test_the_identity_includes_ctime(tmp_path: Path, one_pass: bool) -> None:
    """With the racy window off, only the ctime tells an in-place, mtime-restoring rewrite apart."""
    target = tmp_path / "blob"
    target.write_bytes(b"first-version")
    cache: FileCache[bytes] = FileCache(racy_ns=0)
    decoded: list[bytes] = []

    def decode(raw: bytes) -> bytes:
        decoded.append(raw)
        return raw

    def get() -> bytes | OSError | None:
        return cache.get_all([str(target)], decode)[0] if one_pass else cache.get(target, decode)

    assert get() == b"first-version"
    assert get() == b"first-version"
    assert decoded == [b"first-version"]  # read and decoded once per identity
    cached = os.stat(target)
    for _ in range(100_000):  # bounded: rewrite until the coarse clock has ticked past the cached ctime
        with open(target, "r+b") as handle:
            handle.write(b"other-version")
        os.utime(target, ns=(cached.st_atime_ns, cached.st_mtime_ns))
        if os.stat(target).st_ctime_ns != cached.st_ctime_ns:
            break
    after = os.stat(target)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (cached.st_ino, cached.st_size, cached.st_mtime_ns)
    assert after.st_ctime_ns != cached.st_ctime_ns
    assert get() == b"other-version"


def test_a_removed_file_is_not_served_from_the_cache(vault: BlobVault, paths: Paths, read: Read) -> None:
    vault.set(_same_size_record("access-one-aaaa"))
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    vault.store.path_for(ALICE).unlink()  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="token not found"):
        read(vault, ALICE)


def test_a_replaced_master_key_is_not_masked_by_the_cache(vault: BlobVault, paths: Paths, read: Read) -> None:
    vault.set(_same_size_record("access-one-aaaa"))
    assert read(vault, ALICE).access_token == "access-one-aaaa"
    key_file = paths.keychain_dir / "master.key"
    replacement = key_file.with_name("master.key.new")
    replacement.write_bytes(os.urandom(32))
    os.replace(replacement, key_file)
    with pytest.raises(VaultError, match="message authentication failed"):
        read(vault, ALICE)


# --- each JWT decoded once ------------------------------------------------------------------------


def test_repeated_decodes_give_the_same_answers_and_errors() -> None:
    token = make_jwt({"exp": 4102444800})
    assert expires_at(token) == expires_at(token) == 4102444800
    no_exp = make_jwt({"sub": "x"})
    for _ in range(2):
        with pytest.raises(NoExpClaim):
            expires_at(no_exp)
    for bad in ("", "a.b", "eyJ.!!!.x"):
        messages = []
        for _ in range(2):
            with pytest.raises(JWTError) as caught:
                expires_at(bad)
            assert type(caught.value) is JWTError
            messages.append(str(caught.value))
        assert messages[0] == messages[1] and messages[0]


# --- redaction ------------------------------------------------------------------------------------


def test_the_trie_pattern_prefers_the_longest_secret() -> None:
    secrets = ["abcdefgh12", "abcdefgh1234", "abcdefgh99", "zzzzzzzz.with+regex*chars", "eyJhbGciOiJIUzUxMiJ9.x.y"]
    redactor = Redactor(lambda: secrets)
    text = "x abcdefgh1234 y abcdefgh12 z abcdefgh9 w zzzzzzzz.with+regex*chars"
    assert redactor.text(text) == f"x {REDACTED} y {REDACTED} z abcdefgh9 w {REDACTED}"
    assert redactor.value({"a": [text, ("abcdefgh99!",)]}) == {
        "a": [f"x {REDACTED} y {REDACTED} z abcdefgh9 w {REDACTED}", [f"{REDACTED}!"]]
    }


def test_many_secrets_sharing_a_prefix_are_all_redacted() -> None:
    secrets = [make_jwt({"exp": 4102444800, "n": n}) for n in range(300)] + [f"rt-{n:04d}-tail" for n in range(300)]
    redactor = Redactor(lambda: secrets)
    text = " | ".join(secrets[::7])
    cleaned = redactor.text(text)
    assert not any(secret in cleaned for secret in secrets)
    assert cleaned == " | ".join([REDACTED] * len(secrets[::7]))


def test_the_pattern_is_rebuilt_only_when_the_secret_set_changes() -> None:
    current = ["secret-one-0001", "secret-two-0002"]
    redactor = Redactor(lambda: current)
    first = redactor._pattern(redactor.known())
    assert redactor._pattern(redactor.known()) is first
    current = ["secret-two-0002", "secret-one-0001"]  # a new list, the same set
    assert redactor._pattern(redactor.known()) is first
    current = ["secret-one-0001", "secret-three-0003"]
    changed = redactor._pattern(redactor.known())
    assert changed is not first
    assert redactor.text("secret-three-0003 secret-two-0002") == f"{REDACTED} secret-two-0002"


def test_clean_json_is_true_only_when_nothing_would_be_redacted() -> None:
    secrets = ["rt-secret-000111", "other-secret-2222"]
    redactor = Redactor(lambda: secrets)
    assert redactor.clean_json(json.dumps({"rows": [{"name": "alice", "note": "fine"}]}))
    assert not redactor.clean_json(json.dumps({"rows": [{"note": "x rt-secret-000111 y"}]}))
    assert not redactor.clean_json(json.dumps({"rows": [{"note": "a JWT eyJhbGciOi.eyJzdWIi.sig"}]}))
    assert not Redactor(lambda: ['with"quote-secret']).clean_json(json.dumps({"a": "nothing here"}))
    assert not Redactor(lambda: ["non-ascii-sécret"]).clean_json(json.dumps({"a": "nothing here"}))
    assert Redactor(list).clean_json('{"a": "no secrets known"}')


# --- a cache re-stamped within the same second is not rewritten ---------------------------------


def test_an_unchanged_role_cache_is_not_rewritten_but_a_change_is(paths: Paths) -> None:
    from olares_auth_mcp.auth.config import ConfigStore, Profile
    from olares_auth_mcp.auth.profiles import cache_owner_role

    store = ConfigStore(paths)
    store.mutate(lambda c: c.upsert(Profile(ALICE)))
    cache_owner_role(store, ALICE, "owner", now=1_800_000_000.2)
    inode = os.stat(paths.config_file).st_ino  # every write is a rename of a new file
    cache_owner_role(store, ALICE, "owner", now=1_800_000_000.7)  # same role, same second: same bytes
    assert os.stat(paths.config_file).st_ino == inode
    cache_owner_role(store, ALICE, "owner", now=1_800_000_001.0)  # a new second is a new stamp
    assert os.stat(paths.config_file).st_ino != inode
    assert store.load().profiles[0].whoami_refreshed_at == 1_800_000_001
    inode = os.stat(paths.config_file).st_ino
    cache_owner_role(store, ALICE, "admin", now=1_800_000_001.5)
    assert os.stat(paths.config_file).st_ino != inode
    assert store.load().profiles[0].owner_role == "admin"
