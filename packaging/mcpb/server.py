"""The bundle's entry point: serve MCP over stdio from the package shipped beside this file."""

import sys
from pathlib import Path

# the bundled package beside this file wins over any installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))

from olares_auth_mcp.__main__ import main

if __name__ == "__main__":
    sys.exit(main([]))
