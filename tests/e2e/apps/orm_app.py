"""The ORM under a real server: ``tests.e2e.apps.orm_app:app``.

The database comes from ``MVCPY_DATABASE__URL``; the test creates the tables.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy import App, Controller
from mvcpy.orm import IdMixin, Model


class Counter(Model):
    __tablename__ = "e2e_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Hit(IdMixin, Model):
    __tablename__ = "e2e_hits"

    tag: Mapped[str] = mapped_column(String(40))
    pid: Mapped[int]


class CounterController(Controller):
    def increment(self, name: str) -> Any:
        # One atomic UPDATE: concurrent requests in two processes never lose a count.
        self.db.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
        return {"ok": True}

    def show(self, name: str) -> Any:
        return {"value": self.db.get_or_404(Counter, name).value}


class HitsController(Controller):
    def create(self) -> Any:
        self.db.add(Hit(tag="sync", pid=os.getpid()))
        return {"pid": os.getpid()}

    async def create_async(self) -> Any:
        self.adb.add(Hit(tag="async", pid=os.getpid()))
        return {"pid": os.getpid()}

    def fail(self) -> Any:
        self.db.add(Hit(tag="failed", pid=os.getpid()))
        self.db.flush()
        raise RuntimeError("the row above must not survive")

    def count(self) -> Any:
        rows = self.db.execute(select(Hit.tag, func.count()).group_by(Hit.tag)).all()
        return {tag: n for tag, n in rows}


app = App(__name__, config={"app_name": "e2e-orm"})
app.router("/counters/{name}", CounterController, "get:show;post:increment")
app.router("/hits", HitsController, "get:count;post:create")
app.router("/hits/async", HitsController, "post:create_async")
app.router("/hits/fail", HitsController, "post:fail")
