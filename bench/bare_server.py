"""The baseline: a bare MCPServer (same SDK) with one no-op tool, served over stdio."""

from mcp.server import MCPServer

mcp = MCPServer("bare")


@mcp.tool()
def noop() -> str:
    """Do nothing."""
    return "ok"


if __name__ == "__main__":
    mcp.run()
