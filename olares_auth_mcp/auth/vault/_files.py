"""AES-256-GCM token files, as olares-cli's ``aesgcm.go`` writes them.
Upstream: beclab/Olares `cli/pkg/auth/token_store.go`, `cli/pkg/auth/token_store_keychain.go`.

``<dir>/<safe-name>.enc`` is ``nonce(12) ‖ ciphertext ‖ tag(16)`` under a
32-byte master key, no associated data. On Linux the key is the raw file
``<dir>/master.key``; on macOS it lives in the login keychain (``MacKeychainKey``).

Reads are cached by file identity (device, inode, size, mtime_ns, ctime_ns): a listing of n profiles
costs n ``stat`` calls, not n reads of the key and n decryptions (and inside ``stat_once()``, one
listing, each file is ``stat``-ed once, however many readers look at it). Every write here is a rename
of a new file (a new inode), and an in-place rewrite that restores the mtime still moves the ctime. A
file changed within ``RACY_NS`` of being cached could be replaced again inside one timestamp tick by a
same-sized file on a recycled inode; such "racy" entries (as git calls them) are confirmed by
comparing the bytes on disk until they age out of that window.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Final, Generic, NamedTuple, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from olares_auth_mcp.auth._fs import atomic_write, make_private_dirs
from olares_auth_mcp.auth.errors import VaultCorrupted, VaultError

__all__ = [
    "EncryptedFileStore",
    "FileCache",
    "KeySource",
    "ParsedFile",
    "RawKeyFile",
    "change_witness",
    "safe_file_name",
    "stat_once",
]

KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
MIN_BLOB: Final = NONCE_SIZE + 16
_UNSAFE: Final = re.compile(r"[^a-zA-Z0-9._-]")
RACY_NS: Final = 2_000_000_000
T = TypeVar("T")


def safe_file_name(account: str) -> str:
    """``alice@olares.com`` → ``alice_olares.com.enc`` (``@`` is replaced, despite a Go comment)."""
    return _UNSAFE.sub("_", account) + ".enc"


class KeySource(Protocol):
    @property
    def backend(self) -> str: ...

    def load(self) -> bytes | None:
        """The master key, None when none exists yet. Never creates one."""
        ...

    def load_or_create(self) -> bytes: ...

    def purge(self) -> None: ...


Identity = tuple[int, int, int, int, int]


def file_identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# path → its stat result, for the duration of one ``stat_once()`` block in this context (thread/task)
_STATS: ContextVar[dict[str, os.stat_result] | None] = ContextVar("olares_stat_once", default=None)


@contextlib.contextmanager
def stat_once() -> Iterator[None]:
    """Within the block, each file is ``stat``-ed at most once (in this thread or task): one listing asks
    about the key file once per row and about every token file twice (its record, its permissions).

    The answers describe the files as they were during the block, like any read that takes a moment;
    nothing survives the block, so the next call looks again. Nested blocks share the outer one.
    """
    if _STATS.get() is not None:
        yield
        return
    token = _STATS.set({})
    try:
        yield
    finally:
        _STATS.reset(token)


def _stat(path: str) -> os.stat_result:
    """``os.stat(path)``, answered once per path inside ``stat_once()``. ``OSError`` propagates (not memoised)."""
    seen = _STATS.get()
    if seen is None:
        return os.stat(path)
    st = seen.get(path)
    if st is None:
        st = seen[path] = os.stat(path)
    return st


def _racy(st: os.stat_result, now_ns: int, racy_ns: int) -> bool:
    """Changed so recently that another change inside the same timestamp tick could keep every stamp."""
    return now_ns - max(st.st_ctime_ns, st.st_mtime_ns) < racy_ns


def change_witness(path: str | Path, *, racy_ns: int = RACY_NS) -> object:
    """A value that compares unequal after any change to ``path`` (a file, or a directory's entries).

    Every write here and by olares-cli is a rename of a new file, which moves the directory's mtime and
    ctime; a file changed in place moves its own ctime. Within ``racy_ns`` of the last change a second
    change could keep every stamp (one timestamp tick), so then a directory adds its entries' names and
    inodes (``readdir``'s ``d_ino``, no ``stat`` per entry) and a file gives a fresh object that equals
    nothing. None when ``path`` is missing. Without a recent change: one ``stat``, whatever the number
    of entries.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    identity = file_identity(st)
    if not _racy(st, time.time_ns(), racy_ns):
        return identity
    if not os.path.isdir(path):
        return object()
    try:
        with os.scandir(path) as entries:
            return (identity, tuple(sorted((entry.name, entry.inode()) for entry in entries)))
    except OSError:
        return object()


class _Cached(NamedTuple, Generic[T]):
    identity: Identity
    raw: bytes
    value: T
    racy: bool


class FileCache(Generic[T]):
    """``path`` → what ``decode`` made of its bytes, re-read only when the file's identity changes."""

    def __init__(self, *, racy_ns: int = RACY_NS) -> None:
        self._entries: dict[str, _Cached[T]] = {}
        self._racy_ns = racy_ns

    def get(self, file: str | Path, decode: Callable[[bytes], T]) -> T | None:
        """``decode(bytes of file)``, or None when the file does not exist. ``decode``'s errors propagate."""
        path = os.fspath(file)
        try:
            st = _stat(path)
        except FileNotFoundError:
            self._entries.pop(path, None)
            return None
        return self._seen(path, st, decode)

    def _seen(self, path: str, st: os.stat_result, decode: Callable[[bytes], T]) -> T | None:
        """``get`` once ``path`` was ``stat``-ed (``st``): the kept value when that identity is cached, else a read."""
        entry = self._entries.get(path)
        if entry is not None and entry.identity == file_identity(st):
            if not entry.racy:
                return entry.value
            with contextlib.suppress(FileNotFoundError):
                if _read(path)[1] == entry.raw:
                    if time.time_ns() - st.st_ctime_ns >= self._racy_ns:  # old enough now: identity suffices
                        self._entries[path] = entry._replace(racy=False)
                    return entry.value
        try:
            st, raw = _read(path)
        except FileNotFoundError:
            self._entries.pop(path, None)
            return None
        value = decode(raw)
        self._entries[path] = _Cached(file_identity(st), raw, value, time.time_ns() - st.st_ctime_ns < self._racy_ns)
        return value

    def get_all(self, files: Sequence[str], decode: Callable[[bytes], T]) -> list[T | OSError | None]:
        """``get`` for each file in order (its value, None, or the ``OSError`` reading it raised), in one pass:
        a file that did not change since it was cached costs one ``stat``. ``decode``'s errors propagate."""
        entries = self._entries
        out: list[T | OSError | None] = []
        for path in files:
            try:
                st = _stat(path)
            except FileNotFoundError:
                entries.pop(path, None)
                out.append(None)
                continue
            except OSError as err:
                out.append(err)
                continue
            entry = entries.get(path)
            if entry is not None and not entry.racy and entry.identity == file_identity(st):
                out.append(entry.value)
                continue
            try:
                out.append(self._seen(path, st, decode))  # not ``get``: that would stat the file again
            except OSError as err:
                out.append(err)
        return out

    def forget(self, file: str | Path | None = None) -> None:
        if file is None:
            self._entries.clear()
        else:
            self._entries.pop(os.fspath(file), None)


class ParsedFile(Generic[T]):
    """One file's parsed value, re-parsed only when the file's identity changes (``ConfigStore.snapshot``).

    ``load`` reads and parses the file itself (with its own size cap and error wording); its result is
    kept under the identity ``stat`` gave just before, and only when the file was not racy then: a file
    changed within ``racy_ns`` is parsed on every call until it is older, so a second change inside the
    same timestamp tick (same size, mtime and ctime) can never hide behind the cache. A file that changes
    between the ``stat`` and the read leaves a value newer than its key, which the next ``stat`` replaces.
    Errors are not kept: a broken file is read again on the next call.
    """

    def __init__(self, *, racy_ns: int = RACY_NS, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._entry: tuple[Identity, T] | None = None
        self._racy_ns = racy_ns
        self._clock_ns = clock_ns

    def get(self, file: str | Path, load: Callable[[], T]) -> T:
        try:
            st = os.stat(file)
        except OSError:  # missing or unreadable: ``load`` gives the answer (an empty value, or its error)
            self._entry = None
            return load()
        identity = file_identity(st)
        entry = self._entry
        if entry is not None and entry[0] == identity:
            return entry[1]
        value = load()
        self._entry = None if _racy(st, self._clock_ns(), self._racy_ns) else (identity, value)
        return value


def _read(path: str) -> tuple[os.stat_result, bytes]:
    """The file's bytes and the identity of exactly the file they came from."""
    with open(path, "rb") as handle:
        return os.fstat(handle.fileno()), handle.read()


def _check_key(key: bytes) -> bytes:
    if len(key) != KEY_SIZE:
        raise VaultCorrupted
    return key


def read_key_file(path: str | Path, cache: FileCache[bytes] | None = None) -> bytes | None:
    if cache is not None:
        return cache.get(path, _check_key)
    try:
        key = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    return _check_key(key)


def create_key_file(path: Path) -> bytes:
    """Create ``path`` with 32 random bytes unless it exists; a lost race reads the winner's key."""
    make_private_dirs(path.parent)
    tmp = path.parent / f"{path.name}.{os.urandom(16).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, os.urandom(KEY_SIZE))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # unlike rename, link never replaces a key another process already wrote
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    key = read_key_file(path)
    if key is None:
        raise VaultError(f"master key {path} vanished after creation")
    return key


class RawKeyFile:
    """Linux: ``<dir>/master.key``, 32 raw bytes, 0600, created on the first write."""

    backend = "file"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "master.key"
        self._file = os.fspath(self.path)
        self._cache: FileCache[bytes] = FileCache()

    def load(self) -> bytes | None:
        return read_key_file(self._file, self._cache)

    def load_or_create(self) -> bytes:
        return self.load() or create_key_file(self.path)

    def purge(self) -> None:
        """The key file goes with the directory."""


_KEY_FILES: Final = ("master.key", "master.key.file")


class EncryptedFileStore:
    """A ``BlobStore`` of AES-GCM ``.enc`` files in one directory."""

    def __init__(self, directory: Path, keys: KeySource) -> None:
        self.directory = directory
        self.keys = keys
        self._cache: FileCache[bytes] = FileCache()  # file → its ciphertext
        self._plain: dict[str, tuple[bytes, bytes, bytes]] = {}  # account → (ciphertext, key, plaintext)
        self._files: dict[str, str] = {}
        self._names: tuple[object, frozenset[str]] | None = None  # (directory's change witness, key material)

    @property
    def backend(self) -> str:
        return self.keys.backend

    def path_for(self, account: str) -> Path:
        return self.directory / safe_file_name(account)

    def _file_for(self, account: str) -> str:
        """``path_for`` as a string, memoised: a listing asks for every account on every call."""
        file = self._files.get(account)
        if file is None:
            file = self._files[account] = os.fspath(self.path_for(account))
        return file

    def get_blob(self, account: str) -> bytes | None:
        (found,) = self.get_blobs([account])
        if isinstance(found, (VaultError, OSError)):
            raise found
        return found

    def get_blobs(self, accounts: Sequence[str]) -> list[bytes | VaultError | OSError | None]:
        """For each account in order: its decrypted blob, None when absent, or the error reading it (``get_blob``
        raises it). The key is loaded at most once: a listing costs one ``stat`` per token file that did not change."""
        key: bytes | VaultError | OSError | None = None
        out: list[bytes | VaultError | OSError | None] = []
        blobs = self._cache.get_all([self._file_for(account) for account in accounts], bytes)
        for account, blob in zip(accounts, blobs, strict=True):
            if blob is None or isinstance(blob, OSError):
                if blob is None:
                    self._plain.pop(account, None)
                out.append(blob)
                continue
            if key is None:  # loaded once, and only once a token file exists (as get_blob does)
                try:
                    key = self.keys.load() or VaultError("keychain not initialized")
                except (VaultError, OSError) as err:  # every row with a token file gets get_blob's error
                    key = err
            if isinstance(key, (VaultError, OSError)):
                out.append(key)
                continue
            try:
                out.append(self._decrypt(account, blob, key))
            except VaultError as err:
                out.append(err)
        return out

    def _decrypt(self, account: str, blob: bytes, key: bytes) -> bytes:
        if len(blob) < MIN_BLOB:
            raise VaultCorrupted("ciphertext too short")
        known = self._plain.get(account)
        if known is not None and known[0] == blob and known[1] == key:  # same bytes, same key: same plaintext
            return known[2]
        try:
            plain = AESGCM(key).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], None)
        except InvalidTag as err:
            raise VaultCorrupted("cipher: message authentication failed") from err
        self._plain[account] = (blob, key, plain)
        return plain

    def put_blob(self, account: str, data: bytes) -> None:
        key = self.keys.load_or_create()
        nonce = os.urandom(NONCE_SIZE)
        blob = nonce + AESGCM(key).encrypt(nonce, data, None)
        target = self.path_for(account)
        atomic_write(target, blob, f"{target.name}.{os.urandom(16).hex()}.tmp")

    def remove_blob(self, account: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(account).unlink()
        self._cache.forget(self._file_for(account))
        self._plain.pop(account, None)

    def purge(self) -> None:
        self._cache.forget()
        self._plain.clear()
        self.keys.purge()
        if self.directory.exists():
            import shutil  # with bz2 and lzma: only the last profile's removal needs it

            shutil.rmtree(self.directory)

    def _key_material(self, directory: str) -> frozenset[str] | None:
        """The names of the key and token files in ``directory`` (None when it cannot be read), scanned again
        only when its entries may have changed: any create, delete or rename in it moves its witness."""
        witness = change_witness(directory)
        kept = self._names
        if kept is not None and witness is not None and kept[0] == witness:
            return kept[1]
        try:
            with os.scandir(directory) as entries:
                names = frozenset(e.name for e in entries if e.name.endswith(".enc") or e.name in _KEY_FILES)
        except OSError:
            return None
        self._names = None if witness is None else (witness, names)
        return names

    def loose_files(self, accounts: Collection[str] | None = None) -> list[tuple[Path, str]]:
        """Ours: key material (``master.key``, ``master.key.file``, ``*.enc``) that group or others can
        access, or that another user owns, each with the reason. olares-cli reads such files anyway,
        so this is for a warning, never a refusal.

        ``accounts`` limits the token files looked at to those accounts' (the gate asks about one
        profile: a few ``stat`` calls, not a scan of the directory).
        """
        directory = os.fspath(self.directory)
        names = (
            self._key_material(directory)
            if accounts is None
            else frozenset({*_KEY_FILES, *(safe_file_name(account) for account in accounts)})
        )
        if names is None:
            return []
        found = []
        me = os.geteuid()
        prefix = os.path.join(directory, "")
        for name in names:
            try:
                st = _stat(prefix + name)  # follows a symlink, as every reader does
            except OSError:
                continue
            if st.st_uid != me:
                found.append((self.directory / name, f"is owned by uid {st.st_uid}, not by you (uid {me})"))
            elif st.st_mode & 0o077:
                why = f"is accessible to other users (mode {st.st_mode & 0o777:04o})"
                found.append((self.directory / name, why))
        found.sort()
        return found
