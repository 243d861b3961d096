"""Flask's signed cookie session (served as WSGI)."""

from __future__ import annotations

from flask import Flask, jsonify, session

from benchmarks.apps.sessions_spec import PATH, SECRET

app = Flask(__name__)
app.secret_key = SECRET


@app.get(PATH)
def counter() -> object:
    n = session.get("n", 0) + 1
    session["n"] = n
    return jsonify(n=n)
