"""The local services later tests rely on answer through the drivers the extras install."""

import socket

import pytest
from sqlalchemy import create_engine, text


@pytest.mark.parametrize("url_fixture", ["postgres_url", "mariadb_url"])
def test_database_answers(url_fixture: str, request: pytest.FixtureRequest) -> None:
    engine = create_engine(request.getfixturevalue(url_fixture))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1 + 1")).scalar() == 2
    finally:
        engine.dispose()


def test_redis_answers(redis_url: str) -> None:
    with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16).startswith(b"+PONG")
