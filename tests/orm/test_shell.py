"""``mvcpy shell``: a REPL with the app, a session and the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = """\
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy import App
from mvcpy.orm import IdMixin, Model


class Widget(IdMixin, Model):
    __tablename__ = "shell_widgets"

    name: Mapped[str] = mapped_column(String(40))


app = App(__name__)
"""

SESSION = """\
Widget.metadata.create_all(db.get_bind())
db.add(Widget(name="sprocket"))
db.commit()
print("found:", db.scalars(select(Widget.name)).all(), app.config["app_name"])
"""


def test_the_shell_has_the_app_a_session_and_the_models(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
    env["MVCPY_DATABASE__URL"] = f"sqlite:///{tmp_path / 'shell.sqlite3'}"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mvcpy"), "shell"],
        cwd=tmp_path,
        env=env,
        input=SESSION,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "found: ['sprocket'] mvcpy" in done.stdout
    assert "mvcpy shell: Widget, app, db, select" in done.stderr
    assert (tmp_path / "shell.sqlite3").is_file()
