"""A local Olares auth-server simulator over real HTTP on loopback.

`Simulator` serves the Authelia login/refresh routes and the desktop API that olares-cli
talks to (beclab/Olares `cli/pkg/auth/login.go`, `refresh.go`, `jwt_test.go`), with knobs for
revocation, expiry, fault injection and hit counting. `main` is the ``olares-auth-mcp sim`` command.
"""

from __future__ import annotations

from olares_auth_mcp.sim._cli import main
from olares_auth_mcp.sim._server import Simulator
from olares_auth_mcp.sim._state import SimUser

__all__ = ["SimUser", "Simulator", "main"]
