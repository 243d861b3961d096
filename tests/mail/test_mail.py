"""Mail: messages from templates, the four backends, background delivery and its retries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.mail import Attachment, Mailer, Message, MessageError
from mvcpy.mail.backends import MemoryBackend
from mvcpy.readiness import run_checks
from mvcpy.testing import TestClient
from tests.smtp_server import self_signed_context, smtp_server


def _views(root: Path) -> None:
    mail = root / "views" / "mail"
    mail.mkdir(parents=True)
    (mail / "layout.html").write_text(
        "<html><body><h1>Blog</h1>{% block content %}{% endblock %}</body></html>"
    )
    (mail / "welcome.html").write_text(
        '{% extends "mail/layout.html" %}{% block content %}<p>Hello {{ name }}</p>'
        '<a href="{{ url_for("home", _external=True) }}">home</a>{% endblock %}'
    )
    (mail / "welcome.txt").write_text(
        "Hello {{ name }}, {{ subject }}: {{ url_for('home', _external=True) }}"
    )
    (mail / "only_text.txt").write_text("plain {{ n }}")


def _app(tmp_path: Path, **mail: Any) -> App:
    _views(tmp_path)
    config: dict[str, Any] = {"server_name": "blog.example", "mail": mail}
    app = App(root_path=tmp_path, env="test", config=config)
    app.route("/", lambda ctx: "home", name="home")
    return app


def _mailer(app: App) -> Mailer:
    mailer: Mailer = app.services["mail"]
    return mailer


def test_messages_render_both_parts_from_templates_with_absolute_urls(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.start()
    message = _mailer(app).message("mail/welcome", to="ann@example.com", subject="Hi", name="Ann")
    assert message.text == "Hello Ann, Hi: http://blog.example/"
    assert message.html is not None
    assert "<h1>Blog</h1><p>Hello Ann</p>" in message.html
    assert 'href="http://blog.example/"' in message.html
    only = _mailer(app).message("mail/only_text", to="a@example.com", subject="s", n=3)
    assert (only.text, only.html) == ("plain 3", None)
    with pytest.raises(LookupError, match=r"mail/nothing\.txt or mail/nothing\.html"):
        _mailer(app).message("mail/nothing", to="a@example.com", subject="s")


def test_a_message_is_checked_before_it_is_sent() -> None:
    with pytest.raises(MessageError, match="no recipient"):
        Message(to=[], subject="s").build("from@example.com")
    with pytest.raises(MessageError, match="line break in the Subject"):
        Message(to="a@example.com", subject="hi\r\nBcc: all@example.com").build("f@example.com")
    with pytest.raises(MessageError, match="line break in the address"):
        Message(to="a@example.com\nBcc: x@example.com", subject="s").build("f@example.com")
    with pytest.raises(MessageError, match="no sender"):
        Message(to="a@example.com", subject="s").build("")
    built = Message(
        to=["Ann <ann@example.com>"], cc="bob@example.com", bcc="eve@example.com",
        subject="s", text="t", html="<p>h</p>", from_="Blog <noreply@blog.example>",
        attachments=[Attachment("report.csv", b"a,b\n")],
    ).build("unused@example.com")  # fmt: skip
    assert built["From"] == "Blog <noreply@blog.example>"
    assert "Bcc" not in built  # bcc goes in the envelope only
    assert built["Message-ID"].endswith("@blog.example>")
    names = [(p.get_filename(), p.get_content_type()) for p in built.iter_attachments()]
    assert names == [("report.csv", "text/csv")]


def test_actions_send_mail_that_the_outbox_sees_when_the_response_ends(tmp_path: Path) -> None:
    class Signup(Controller):
        def post(self) -> str:  # a sync action: runs on a worker thread
            mail: Mailer = self.app.services["mail"]
            mail.deliver_later(mail.message("mail/welcome", to="s@example.com", subject="sync",
                                            ctx=self.ctx, name="Sync"))  # fmt: skip
            return "ok"

        async def put(self) -> str:
            mail: Mailer = self.app.services["mail"]
            await mail.send(
                mail.message("mail/only_text", to="a@example.com", subject="async", n=1)
            )
            return "ok"

    app = _app(tmp_path)
    app.router("/signup", Signup)
    backend = _mailer(app).backend
    assert isinstance(backend, MemoryBackend)  # the test environment's default
    with TestClient(app, base_url="http://shop.example") as client:
        assert client.post("/signup").text == "ok"
        assert [m.subject for m in backend.outbox] == ["sync"]
        assert client.put("/signup").text == "ok"
    sync, async_ = backend.outbox
    assert sync.to == "s@example.com" and sync.recipients == ("s@example.com",)
    assert "http://shop.example/" in sync.text  # the request's host, not server_name
    assert sync.html is not None and "Hello Sync" in sync.html
    assert (async_.subject, async_.text.strip()) == ("async", "plain 1")


def test_the_file_and_console_backends(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = _app(tmp_path, backend="file", file_path="instance/outgoing")
    _mailer(app).deliver_later(Message(to="a@example.com", subject="filed", text="body"))
    (written,) = (tmp_path / "instance" / "outgoing").glob("*.eml")
    assert b"Subject: filed" in written.read_bytes()

    app = App(root_path=tmp_path, env="dev", config={"mail": {"backend": "console"}})
    with caplog.at_level(logging.INFO, "mvcpy.mail"):
        _mailer(app).deliver_later(Message(to="b@example.com", subject="shown", text="body"))
    assert "mail to b@example.com (console backend, not sent)" in caplog.text
    assert "Subject: shown" in caplog.text


def _smtp_app(tmp_path: Path, port: int, **mail: Any) -> App:
    settings = {"backend": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
                "default_from": "Blog <noreply@blog.example>", **mail}  # fmt: skip
    return App(root_path=tmp_path, env="test", config={"mail": settings})


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_smtp_delivers_with_each_kind_of_security_and_login(
    tmp_path: Path, security: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = self_signed_context(tmp_path) if security != "none" else None
    login = ("mailer", "s3cret") if security != "none" else None
    server_options: dict[str, Any] = {"login": login}
    if security == "tls":
        server_options["tls"] = context
    elif security == "starttls":
        server_options["starttls"] = context
    with smtp_server(**server_options) as server:
        options: dict[str, Any] = {"security": security}
        if login:
            options.update(username=login[0], password=login[1], validate_certs=False)
        app = _smtp_app(tmp_path, server.port, **options)
        message = Message(to="Ann <ann@example.com>", subject="Report", text="see attached",
                          html="<p>see attached</p>", bcc="audit@example.com")  # fmt: skip
        message.attach("report.txt", b"numbers")
        _mailer(app).send_sync(message)
        (received,) = server.wait_for(1)
    assert received.sender == "noreply@blog.example"
    assert sorted(received.recipients) == ["ann@example.com", "audit@example.com"]
    assert received.message["Subject"] == "Report"
    assert received.part("plain").strip() == "see attached"
    assert received.part("html").strip() == "<p>see attached</p>"
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_payload(decode=True) == b"numbers"


def test_a_wrong_smtp_password_is_a_mail_error(tmp_path: Path) -> None:
    from mvcpy.mail import MailError

    context = self_signed_context(tmp_path)
    with smtp_server(starttls=context, login=("mailer", "right")) as server:
        app = _smtp_app(tmp_path, server.port, security="starttls", username="mailer",
                        password="wrong", validate_certs=False)  # fmt: skip
        with pytest.raises(MailError, match=f"127.0.0.1:{server.port}"):
            _mailer(app).send_sync(Message(to="a@example.com", subject="s", text="t"))


def test_deliver_later_answers_before_a_slow_server_has_the_message(tmp_path: Path) -> None:
    class Contact(Controller):
        async def post(self) -> str:
            mail: Mailer = self.app.services["mail"]
            mail.deliver_later(Message(to="owner@example.com", subject="contact", text="hi"))
            return "queued"

    with smtp_server() as server:
        server.gate = threading.Event()  # the server holds every message until released
        app = _smtp_app(tmp_path, server.port)
        app.router("/contact", Contact)
        with TestClient(app) as client:
            assert client.post("/contact").text == "queued"
            assert server.messages == [] and _mailer(app).pending == 1
            server.gate.set()
            (received,) = server.wait_for(1)
        assert received.message["Subject"] == "contact"


def test_failures_are_logged_with_the_recipient_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Contact(Controller):
        async def post(self) -> str:
            self.app.services["mail"].deliver_later(
                Message(to="owner@example.com", subject="retry me", text="hi")
            )
            return "queued"

    with smtp_server() as server:
        server.refuse = True  # 451 until the test says otherwise
        app = _smtp_app(tmp_path, server.port, retries=5, retry_delay=0.05)
        app.router("/contact", Contact)
        with caplog.at_level(logging.WARNING, "mvcpy.mail"), TestClient(app) as client:
            client.post("/contact")
            _wait(lambda: "attempt 2 of 6" in caplog.text)
            server.refuse = False
            (received,) = server.wait_for(1)
    assert received.message["Subject"] == "retry me"
    assert "mail to owner@example.com ('retry me') failed (attempt 1 of 6" in caplog.text


def test_a_message_that_never_leaves_is_logged_as_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.silent_server import free_port

    app = _smtp_app(tmp_path, free_port(), retries=1, retry_delay=0.01)  # nobody listens
    with caplog.at_level(logging.WARNING, "mvcpy.mail"):
        _mailer(app).deliver_later(Message(to="lost@example.com", subject="s", text="t"))
    assert "mail to lost@example.com ('s') not sent after 2 attempt(s)" in caplog.text


def test_production_refuses_a_backend_that_sends_nothing(make_app: Callable[..., App]) -> None:
    secret = "x" * 40
    for backend, ok, words in [
        ("memory", False, "sends no mail in production"),
        ("smtp", True, "default_from"),
    ]:
        app = make_app(env="prod", secret_key=secret, mail={"backend": backend})
        (result,) = [r for r in run_checks(app) if r.name == "mail"]
        assert result.ok is ok and words in result.message


def _wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
