"""``doctor``: one run that finds why auth is broken on this machine, with one fix per cause.

``run_doctor`` is shared by the MCP tool (``auth_doctor``) and the CLI (``olares-auth-mcp doctor``).
Local checks read files only; live checks (``live=True``) contact the one profile's hosts, as the
profile on disk and the server's environment direct. Every finding is redacted against the stored
tokens before it is returned: no token, password or key ever appears in a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from olares_auth_mcp.auth.account import Account
from olares_auth_mcp.auth.commands import installed_cli
from olares_auth_mcp.auth.config import Config
from olares_auth_mcp.auth.doctor._live import live_checks
from olares_auth_mcp.auth.doctor._local import local_checks, login_fix
from olares_auth_mcp.auth.doctor._model import (
    Audience,
    DoctorOptions,
    DoctorReport,
    Finding,
    FindingStatus,
    clean,
    escape,
)
from olares_auth_mcp.auth.doctor._reach import (
    ConfirmRoute,
    LoginRoute,
    SessionReach,
    reach_finding,
    routes,
    session_json,
)
from olares_auth_mcp.auth.profiles import lookup_record
from olares_auth_mcp.auth.redact import Redactor

__all__ = [
    "Audience",
    "ConfirmRoute",
    "DoctorOptions",
    "DoctorReport",
    "Finding",
    "FindingStatus",
    "LoginRoute",
    "SessionReach",
    "clean",
    "escape",
    "login_fix",
    "routes",
    "run_doctor",
]


def _stored_secrets(account: Account, config: Config | None) -> list[str]:
    secrets: list[str] = []
    for profile in config.profiles if config is not None else []:
        record, _ = lookup_record(account.vault, profile.olares_id)
        if record is not None:
            secrets.extend(s for s in (record.access_token, record.refresh_token, record.session_id) if s)
    return secrets


def _redacted(findings: Iterable[Finding], redactor: Redactor) -> list[Finding]:
    """Stored token values and JWT shapes cut out; any non-printable character left shown as an escape."""
    known = redactor.known()

    def safe(text: str) -> str:
        return escape(redactor.text(text, known))

    return [Finding(safe(f.check), f.status, safe(f.detail), None if f.fix is None else safe(f.fix)) for f in findings]


def run_doctor(
    account: Account,
    *,
    profile: str | None = None,
    live: bool = False,
    session: SessionReach | None = None,
    audience: Audience = "human",
    options: DoctorOptions | None = None,
) -> DoctorReport:
    """Every local check, the session's reach, and (``live``) the network checks for ``profile``
    (a name or Olares ID on disk; the current profile by default). Never raises for what it finds.
    """
    opts = options or DoctorOptions()
    if not opts.cli:
        opts = replace(opts, cli=installed_cli(account.env))
    findings, config = local_checks(
        account.paths, account.vault, account.env, audience=audience, now=account.clock(), opts=opts
    )
    findings.append(reach_finding(session, audience, opts.cli))
    checked: str | None = None
    secrets = _stored_secrets(account, config)
    if live:
        live_findings, checked = live_checks(account, profile, config, audience=audience, opts=opts)
        findings.extend(live_findings)
        secrets += _stored_secrets(account, config)  # a refresh may have rotated them meanwhile
    else:
        how = "live=true" if audience == "agent" else "--live"
        findings.append(Finding("live", "skipped", f"network checks not run (pass {how})"))
    redactor = Redactor(lambda: secrets)
    shown = None if checked is None else escape(checked)
    return DoctorReport(_redacted(findings, redactor), live=live, profile=shown, session=session_json(session))
