"""Where the fixture files live and how to read them."""

import json
import os
from pathlib import Path


def fixtures_dir() -> Path:
    """HD_FIXTURES_DIR, or the repository's fixtures/ folder."""
    return Path(
        os.environ.get("HD_FIXTURES_DIR") or Path(__file__).resolve().parents[2] / "fixtures"
    )


def read_json(name: str):
    """Parse one fixture file."""
    return json.loads((fixtures_dir() / name).read_text(encoding="utf-8"))
