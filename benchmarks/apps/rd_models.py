"""The pydantic model every framework validates (FastAPI and mvcpy share it)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$")
    age: int = Field(ge=0, le=150)
    score: float
    active: bool
    tags: list[str]
    country: str = Field(min_length=2, max_length=2)
    city: str
    zip_code: str
    notes: str = ""
