"""A login form app for the browser-style end-to-end flow: CSRF, flash, a protected page.

Served by uvicorn in prod mode; views live in ``login_views/`` beside this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mvcpy import App, Controller
from mvcpy.auth import hash_password, login_required, safe_next, verify_password
from mvcpy.sessions import CSRFProtect

USERS = {1: {"id": 1, "name": "ann", "password": hash_password("s3cret!")}}

app = App(__name__, config={"views": [str(Path(__file__).parent / "login_views")]})
app.use(CSRFProtect())
app.user_loader(USERS.get)


class SessionController(Controller):
    def new(self) -> None:
        self.tpl_name = "login.html"

    def create(self) -> Any:
        name, password = self.get_string("name"), self.get_string("password")
        user = next((u for u in USERS.values() if u["name"] == name), None)
        if user is None or not verify_password(user["password"], password):
            self.flash("Wrong name or password", "error")
            return self.redirect("login")
        self.login(user["id"])
        self.flash(f"Welcome, {user['name']}")
        return self.redirect(safe_next(self.ctx, "/dashboard"))

    def destroy(self) -> Any:
        self.logout()
        self.flash("Signed out")
        return self.redirect("login")


class DashboardController(Controller):
    def get(self) -> None:
        self.tpl_name = "dashboard.html"


app.router("/login", SessionController, "get:new;post:create", name="login")
app.router("/logout", SessionController, "post:destroy", name="logout")
app.router("/dashboard", DashboardController, name="dashboard", filters=[login_required])
