"""Refreshing one profile's access token: at most once per stale token, across threads and processes.
Upstream: beclab/Olares `cli/pkg/auth/refresh.go`.

``Refresher.refresh`` follows olares-cli's order exactly: in-process lock → re-read
the store (someone may have refreshed already) → ``flock`` on
``locks/<id>.refresh.lock`` → re-read again → ``POST /api/refresh`` → persist →
release. Threads of this process that ask while a refresh of the same stale token
runs join it (``_Flight``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from olares_auth_mcp.auth.errors import (
    AuthError,
    LockTimeout,
    NotLoggedIn,
    RefreshRejected,
    TokenInvalidated,
    TokenNotFound,
    VaultError,
)
from olares_auth_mcp.auth.locks import try_flock_exclusive, wait_while_locked
from olares_auth_mcp.auth.paths import Paths
from olares_auth_mcp.auth.tokens import TokenRecord
from olares_auth_mcp.auth.vault import TokenVault
from olares_auth_mcp.auth.wire import HttpFactory, refresh_grant

__all__ = ["REFRESH_TIMEOUT", "Refresher"]

log = logging.getLogger("olares_auth_mcp.auth")

REFRESH_TIMEOUT = 15.0


class Refresher:
    """Refreshes one profile's access token, at most once per stale token.

    In a process: threads asking to refresh the same stale token while a refresh of it runs join that
    refresh (single-flight); other callers take the per-ID lock. Across processes: the flock.
    """

    def __init__(
        self,
        paths: Paths,
        vault: TokenVault,
        http: HttpFactory,
        clock: Callable[[], float],
        *,
        lock_timeout: float = 30.0,
        request_timeout: float = REFRESH_TIMEOUT,
    ) -> None:
        self.paths = paths
        self.vault = vault
        self.http = http
        self.clock = clock
        self.lock_timeout = lock_timeout
        self.request_timeout = request_timeout
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._flights: dict[str, _Flight] = {}

    def _lock_for(self, olares_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(olares_id, threading.Lock())

    def _already_fresh(self, olares_id: str, current: str) -> str | None:
        """The stored token when a peer already replaced ``current``; raises when refreshing is pointless."""
        try:
            stored = self.vault.get(olares_id)
        except TokenNotFound as err:
            raise NotLoggedIn(olares_id) from err
        except VaultError as err:
            raise VaultError(f"read token store: {err}") from err
        if stored.invalidated_at > 0:
            raise TokenInvalidated(olares_id, stored.invalidated_at)
        if stored.access_token and stored.access_token != current:
            return stored.access_token
        return None

    def refresh(self, olares_id: str, auth_url: str, current: str, *, insecure: bool = False) -> str:
        """A valid access token for ``olares_id``, given that ``current`` was found stale.

        Raises:
            NotLoggedIn: no record, or no refresh token.
            TokenInvalidated: the grant was rejected (now, or earlier by anyone).
            LockTimeout: another process held the refresh lock past the timeout.
            RefreshFailed: transient failure; nothing is stamped.
        """
        with self._guard:
            joined = self._flights.get(olares_id)
            if joined is None or joined.stale != current:
                # Announced before queueing for the per-ID lock: threads that arrive with the same stale token
                # while this one waits join it, instead of queueing too and re-reading the store one by one.
                joined, own = None, _Flight(current)
                self._flights[olares_id] = own
        if joined is not None:
            return joined.wait(self.lock_timeout + self.request_timeout + 5, olares_id)
        outcome: str | AuthError = AuthError("refresh failed: interrupted")
        try:
            with self._lock_for(olares_id):
                outcome = self._refresh_serialized(olares_id, auth_url, current, insecure)
                return outcome
        except AuthError as err:
            outcome = err
            raise
        except Exception as err:  # e.g. OSError on the lock file: joined threads must not hang on it
            outcome = AuthError(f"refresh failed: {err}")
            raise
        finally:
            own.finish(outcome)  # always, so threads that joined this flight wake up
            with self._guard:
                if self._flights.get(olares_id) is own:
                    del self._flights[olares_id]

    def _refresh_serialized(self, olares_id: str, auth_url: str, current: str, insecure: bool) -> str:
        lock = self.paths.refresh_lock(olares_id)
        deadline = time.monotonic() + self.lock_timeout
        while True:
            fresh = self._already_fresh(olares_id, current)
            if fresh is not None:
                return fresh
            with try_flock_exclusive(lock) as held:
                if held:
                    fresh = self._already_fresh(olares_id, current)
                    if fresh is not None:
                        return fresh
                    return self._refresh_locked(olares_id, auth_url, insecure)
            # Another process is refreshing. Wait for it alongside every other waiter (a shared lock,
            # taken and dropped), then look again: all of them wake together and find the new token,
            # instead of queueing for the exclusive lock and re-reading one after another.
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait_while_locked(lock, remaining):
                raise LockTimeout(olares_id)

    def _refresh_locked(self, olares_id: str, auth_url: str, insecure: bool) -> str:
        record = self.vault.get(olares_id)
        if not record.refresh_token:
            raise NotLoggedIn(olares_id)
        with self.http(insecure=insecure, timeout=self.request_timeout) as client:
            try:
                grant = refresh_grant(
                    client, auth_url, record.refresh_token, record.access_token, seconds=self.request_timeout
                )
            except RefreshRejected as err:
                stamp = int(self.clock() * 1000)
                try:
                    self.vault.mark_invalidated(olares_id, stamp)
                except VaultError as mark_err:
                    log.warning(
                        "warning: failed to persist invalidated marker for %s: %s "
                        "(refresh attempt will repeat next run)",
                        olares_id,
                        mark_err,
                    )
                raise TokenInvalidated(olares_id, stamp) from err
        renewed = TokenRecord(
            olares_id=olares_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            session_id=grant.session_id,  # from the response only, as olares-cli
            granted_at=int(self.clock() * 1000),
        )
        try:
            self.vault.set(renewed)
        except VaultError as err:
            raise AuthError(f"persist refreshed token: {err}") from err
        return grant.access_token


class _Flight:
    """One refresh of one stale token in this process; threads that arrive meanwhile share its outcome.

    Only callers that arrive while it waits for the per-ID lock or runs join it, so what they get was
    computed after they asked: never staler than re-reading the store themselves. Later callers re-read
    the store as usual.
    """

    def __init__(self, stale: str) -> None:
        self.stale = stale
        self._done = threading.Event()
        self._outcome: str | AuthError | None = None

    def finish(self, outcome: str | AuthError) -> None:
        self._outcome = outcome
        self._done.set()

    def wait(self, timeout: float, olares_id: str) -> str:
        if not self._done.wait(timeout):
            raise LockTimeout(olares_id)
        if isinstance(self._outcome, AuthError):
            raise self._outcome
        assert isinstance(self._outcome, str)  # noqa: S101 - finish() always sets one of the two
        return self._outcome
