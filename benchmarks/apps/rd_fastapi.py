"""FastAPI side of the request-data benchmark."""

from __future__ import annotations

from fastapi import FastAPI

from .rd_models import Person


def make_app() -> FastAPI:
    app = FastAPI()

    @app.post("/people")
    async def create(person: Person) -> dict[str, str]:
        return {"name": person.name}

    return app
