"""olares-auth-mcp: Olares login identity for AI agents, on olares-cli's own on-disk state."""

__version__ = "0.1.0"
