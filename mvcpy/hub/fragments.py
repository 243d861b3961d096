"""HTML fragments pushed to pages: the message the client script applies by element id."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["ACTIONS", "fragment_message"]

#: What the client script does with a fragment and the element whose id is ``target``.
ACTIONS = ("replace", "update", "append", "prepend", "before", "after", "remove")

# The id of the fragment's first element: <li id="msg-3" class="...">
_FIRST_ID = re.compile(
    r"""\A\s*(?:<!--.*?-->\s*)*<[A-Za-z][\w:-]*\b[^>]*?\sid\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>"']+))""",
    re.DOTALL,
)


def fragment_message(html: str, target: str | None, action: str) -> dict[str, Any]:
    """Return the fragment message for ``html``; ``target`` defaults to its first element's id."""
    if action not in ACTIONS:
        raise ValueError(f"fragment action {action!r} is not one of {', '.join(ACTIONS)}")
    if target is None:
        found = _FIRST_ID.match(html)
        if found is None:
            raise ValueError(
                "push_fragment needs target=...: the fragment's first element has no id"
            )
        target = next(group for group in found.groups() if group)
    return {"mvcpy": "fragment", "action": action, "target": target, "html": html}
