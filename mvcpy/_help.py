"""Help text of the ``mvcpy`` commands: every command's ``--help`` ends with examples."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["examples"]


def examples(*lines: str) -> dict[str, Any]:
    """Return ``add_parser`` keywords that end the command's help with ``lines`` as examples.

    A line may end with ``  # comment``; the description keeps its own line breaks.
    """
    text = "\n".join(f"  {line}" for line in lines)
    return {"epilog": f"examples:\n{text}", "formatter_class": argparse.RawDescriptionHelpFormatter}
