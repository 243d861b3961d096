"""Litestar side of the request-data benchmark (its pydantic plugin validates the model)."""

from __future__ import annotations

from litestar import Litestar, post

from .rd_models import Person


def make_app() -> Litestar:
    @post("/people", status_code=200)
    async def create(data: Person) -> dict[str, str]:
        return {"name": data.name}

    return Litestar([create], logging_config=None)
