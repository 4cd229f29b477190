"""What an AI agent's arguments may decide when it asks for a login or an import, and what they may not.

The agent names an Olares ID, an alias and (for an import) an environment variable. It never
chooses where a secret is sent or whether TLS is verified: those come from the Olares ID and
from the profile's own settings on disk, which only a human sets (with the CLI flags
``--auth-url-override``, ``--local-url-prefix``, ``--insecure-skip-verify``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from olares_auth_mcp.auth.account import Account, LoginOutcome
from olares_auth_mcp.auth.config import Config, Profile
from olares_auth_mcp.auth.errors import UsageError
from olares_auth_mcp.auth.olares_id import OlaresID
from olares_auth_mcp.auth.profiles import ProfileFlags
from olares_auth_mcp.auth.wire import Endpoints

__all__ = [
    "DEFAULT_IMPORT_ENV",
    "IMPORT_ENV_ENV",
    "AgentImport",
    "AgentLogin",
    "agent_alias",
    "agent_flags",
    "agent_olares_id",
    "import_env_names",
    "prepare_agent_import",
    "prepare_agent_login",
    "read_import_token",
    "run_agent_import",
]

DEFAULT_IMPORT_ENV: Final = "OLARES_REFRESH_TOKEN"
IMPORT_ENV_ENV: Final = "OLARES_AUTH_MCP_IMPORT_ENV"
"""The operator's comma-separated list of further variables an MCP import may read."""

_MAX_ALIAS: Final = 128


def agent_olares_id(raw: str) -> str:
    """The Olares ID as an agent gave it, if it is one a human can read (lower-case ASCII labels).

    Raises:
        InvalidOlaresID: a placeholder (``<olares-id>``), a bare name (``alice``), a look-alike or
            any other malformed ID; the message shows it ASCII-escaped.
    """
    return OlaresID.validated(raw, agent=True).raw


def agent_alias(name: str | None) -> str:
    """An alias an agent chose, if it has no control, bidi or zero-width characters ("" when none).

    Raises:
        UsageError: the alias is too long or has an invisible or control character.
    """
    if not name:
        return ""
    if len(name) > _MAX_ALIAS:
        raise UsageError(f"the profile name is longer than {_MAX_ALIAS} characters")
    if name != name.strip() or any(unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" for c in name):
        raise UsageError(
            f"the profile name {name!a} has control, bidi, zero-width or surrounding space characters; "
            "use visible characters only"
        )
    return name


def agent_flags(config: Config, olares_id: str, name: str) -> tuple[ProfileFlags, Profile | None]:
    """The flags an agent-started login or import runs with, and the existing profile if any.

    The Olares ID and alias are the agent's (validated by the caller); the auth URL override,
    local URL prefix and TLS setting are the existing profile's on disk, or none for a new one.
    """
    existing = config.find_by_olares_id(olares_id)
    if existing is None:
        return ProfileFlags(olares_id, name), None
    flags = ProfileFlags(
        olares_id,
        name,
        existing.auth_url_override,
        existing.local_url_prefix,
        existing.insecure_skip_verify,
    )
    return flags, existing


def import_env_names(env: Mapping[str, str]) -> list[str]:
    """The variables an MCP import may read: ``OLARES_REFRESH_TOKEN`` and the operator's list."""
    extra = [n.strip() for n in env.get(IMPORT_ENV_ENV, "").split(",")]
    return [DEFAULT_IMPORT_ENV, *(n for n in extra if n and n != DEFAULT_IMPORT_ENV)]


def read_import_token(name: str, env: Mapping[str, str]) -> str:
    """The refresh token in the allowed variable ``name``; any other variable is refused unread.

    Raises:
        UsageError: ``name`` is not allowed, or the variable is empty or not set.
    """
    allowed = import_env_names(env)
    if name not in allowed:
        raise UsageError(
            f"Refused: profile_import reads only {', '.join(allowed)} (the operator may allow more variables "
            f"with {IMPORT_ENV_ENV} in the MCP server's environment). Nothing was read or sent."
        )
    token = env.get(name, "").strip()
    if not token:
        raise UsageError(
            f"The environment variable {name} is not set in the MCP server's environment. Ask the human to set it "
            "where the server is launched (the client's MCP config `env`) and restart the server; never paste the "
            "token into the chat."
        )
    return token


@dataclass(frozen=True)
class AgentLogin:
    """A login an agent asked for, checked: its flags, where the password goes, the profile it updates."""

    flags: ProfileFlags
    endpoints: Endpoints
    existing: Profile | None

    @property
    def destination_host(self) -> str:
        """The auth host the secret is sent to, as a human should read it (``auth.alice.olares.com``)."""
        return self.endpoints.destination_host


@dataclass(frozen=True)
class AgentImport(AgentLogin):
    """An import an agent asked for, checked, with the token read from the allowed variable."""

    env_name: str = ""
    token: str = field(default="", repr=False)


def prepare_agent_login(account: Account, olares_id: str, name: str | None) -> AgentLogin:
    """Validate an agent's login request before anything runs: ID, alias, then the re-login rule.

    Raises:
        InvalidOlaresID, UsageError: a bad ID or alias (nothing was read or started).
        AlreadyAuthenticated, ExpiryUnknown, ManagedProfile, VaultError: as ``Account.check_writable``.
    """
    valid_id, alias = agent_olares_id(olares_id), agent_alias(name)
    flags, existing = agent_flags(account.store.load(), valid_id, alias)
    return AgentLogin(flags, account.check_writable(flags, "log in as"), existing)


def prepare_agent_import(account: Account, olares_id: str, name: str | None, env_name: str) -> AgentImport:
    """Validate an agent's import request before anything is sent: ID, alias, variable, re-login rule.

    Raises:
        InvalidOlaresID, UsageError: a bad ID, alias or variable (a refused variable is never read).
        AlreadyAuthenticated, ExpiryUnknown, ManagedProfile, VaultError: as ``Account.check_writable``.
    """
    valid_id, alias = agent_olares_id(olares_id), agent_alias(name)
    token = read_import_token(env_name, account.env)
    flags, existing = agent_flags(account.store.load(), valid_id, alias)
    endpoints = account.check_writable(flags, "import credentials for")
    return AgentImport(flags, endpoints, existing, env_name=env_name, token=token)


def run_agent_import(account: Account, plan: AgentImport, *, switch: bool) -> LoginOutcome:
    """Exactly one ``/api/refresh`` to the planned host, then store the grant like olares-cli."""
    grant = account.redeem_refresh_token(plan.flags, plan.endpoints, plan.token)
    headline = f"imported credentials for {plan.flags.olares_id} (profile: {{name}})"
    return account.persist(plan.flags, grant, switch=switch, headline=headline)
