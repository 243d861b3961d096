"""mvcpy side of the request-data benchmark: validated POST, upload, download."""

from __future__ import annotations

import os

from mvcpy import App, Controller, UploadedFile

from .rd_models import Person

DOWNLOAD = os.environ.get("RD_DOWNLOAD", "/dev/null")


class PeopleController(Controller):
    async def create(self, person: Person) -> dict[str, str]:
        return {"name": person.name}

    async def upload(self, file: UploadedFile) -> dict[str, int]:
        return {"size": file.size}

    async def download(self):  # type: ignore[no-untyped-def]
        return self.send_file(DOWNLOAD)


def make_app(download: str) -> App:
    global DOWNLOAD
    DOWNLOAD = download
    app = App(
        root_path=os.path.dirname(__file__),
        env="prod",
        config={
            "secret_key": "benchmark-secret-key-not-the-default",
            "max_body_size": 1 << 30,
            "form": {"max_file_size": 1 << 30},
        },
    )
    app.router("/people", PeopleController, "post:create")
    app.router("/upload", PeopleController, "post:upload")
    app.router("/download", PeopleController, "get:download")
    return app
