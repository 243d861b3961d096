"""mvcpy's own words in the visitor's language: validation errors beside form fields and
in JSON, CSRF refusals, error pages; English stays as pydantic and HTTP write it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from mvcpy import App, Controller, ValidationError
from mvcpy.sessions.csrf import CSRFProtect
from mvcpy.testing import TestClient


class Event(BaseModel):
    title: str = Field(min_length=3, max_length=10)
    seats: int = Field(gt=0)
    price: float
    day: dt.date
    starts: dt.datetime
    public: bool
    tags: list[str] = Field(min_length=2)


class Events(Controller):
    def create(self) -> Any:
        try:
            self.bind(Event)
        except ValidationError as exc:
            return {"fields": exc.field_errors}
        return {"fields": {}}


BAD = {
    "title": "ab",
    "seats": "0",
    "price": "cheap",
    "day": "soon",
    "starts": "later",
    "public": "maybe",
    "tags": "one",
}


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    app = make_app(i18n={"locales": ["en", "fr"], "url_prefix": True})
    app.router("/events", Events, "post:create", name="events")
    return app


def test_form_errors_are_shown_in_french(app: App) -> None:
    with TestClient(app) as client:
        french = client.post("/fr/events", data=BAD).json()["fields"]
        english = client.post("/en/events", data={**BAD, "title": "x" * 11}).json()["fields"]
        missing = client.post("/fr/events", data={}).json()["fields"]
    assert french == {
        "title": ["Le texte doit contenir au moins 3 caractères"],
        "seats": ["La valeur doit être supérieure à 0"],
        "price": ["Saisissez un nombre"],
        "day": ["Saisissez une date valide"],
        "starts": ["Saisissez une date et une heure valides"],
        "public": ["Saisissez oui ou non"],
        "tags": ["Au moins 2 éléments attendus"],
    }
    assert english == {
        "title": ["String should have at most 10 characters"],
        "seats": ["Input should be greater than 0"],
        "price": ["Input should be a valid number"],
        "day": ["Input should be a valid date"],
        "starts": ["Input should be a valid date and time"],
        "public": ["Input should be a valid boolean"],
        "tags": ["Should have at least 2 items"],
    }
    assert len(missing) == 7
    assert all(messages == ["Champ obligatoire"] for messages in missing.values())


def test_json_validation_answers_speak_the_locale(make_app: Callable[..., App]) -> None:
    app = make_app(i18n={"locales": ["en", "fr"]})

    def create(ctx: Any, event: Event) -> dict[str, str]:
        return {"title": event.title}

    app.route("/api/events", create, methods=["POST"], name="api.events")
    with TestClient(app) as client:
        answer = client.post("/api/events", json={"title": "a"}, headers={"accept-language": "fr"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith("Saisie refusée : title: Le texte doit contenir")
    assert {"field": "seats", "message": "Champ obligatoire"}.items() <= error["errors"][1].items()


def test_csrf_refusals_and_error_pages_are_in_french(make_app: Callable[..., App]) -> None:
    app = make_app(i18n={"locales": ["en", "fr"]})
    app.use(CSRFProtect())
    app.route("/form", lambda ctx: {"ok": True}, methods=["POST"], name="form")
    french = {"accept-language": "fr", "accept": "text/html"}
    with TestClient(app) as client:
        refused = client.post("/form", headers=french)
        missing = client.get("/nowhere", headers={**french, "x-request-id": "abc"})
        english = client.get("/nowhere", headers={"accept": "text/html"})
    assert refused.status_code == 403
    assert "Jeton CSRF absent : envoyez le champ csrf_token" in refused.text
    assert '<h1><span class="status">403</span> Accès refusé</h1>' in refused.text
    assert missing.status_code == 404
    assert '<html lang="fr">' in missing.text and "404</span> Page introuvable" in missing.text
    assert "<p>Not Found</p>" not in missing.text and "<p>Page introuvable</p>" not in missing.text
    assert '<html lang="en">' in english.text and "404</span> Not Found" in english.text


def test_the_project_error_page_gets_the_translated_reason(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    (tmp_path / "views" / "errors").mkdir(parents=True)
    (tmp_path / "views" / "errors" / "404.html").write_text(
        "{{ status }} {{ reason }}: {{ _('There is no page at this address.') }}"
    )
    app = make_app(i18n={"locales": ["en", "fr"], "url_prefix": True})
    with TestClient(app) as client:
        page = client.get("/fr/nowhere", headers={"accept": "text/html"}).text
    assert page == "404 Page introuvable: Il n\u2019y a pas de page à cette adresse."
    assert re.search(r"\S", page)
