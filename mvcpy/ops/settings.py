"""The settings of the operations page: ``[ops]``."""

from __future__ import annotations

from pydantic import Field, PositiveFloat

from mvcpy.config.section import Section, StrList

__all__ = ["OpsSettings"]


class OpsSettings(Section):
    """``[ops]``: the operations page (docs/operations.md). Off by default; when on, only
    the addresses of ``allow`` reach it, and only users holding ``permission``."""

    enabled: bool = False
    #: where
    path: str = "/-/ops"
    #: the client addresses (or networks) that may open it; others get 403
    allow: StrList = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: the permission a user needs ("" lets in anyone ``allow`` lets through)
    permission: str = "ops.view"
    #: where each worker leaves its numbers for the others (shared by a machine's workers)
    state_dir: str = "instance/ops"
    #: seconds between two snapshots of a worker's numbers
    interval: PositiveFloat = 2.0
    #: the longest profile one request may ask for, in seconds
    profile_max_seconds: PositiveFloat = 30.0
    #: the project's template the pages extend (its ``content`` block); "" for their own
    layout: str = "layout.html"
