"""The live page: notes reach every open page, and the counter follows who is here."""


def test_the_page_connects_to_the_socket(client, app):
    page = client.get(app.url_for("live.show"))
    assert page.status_code == 200
    assert f'data-mvcpy-live="{app.url_for("live.socket")}"' in page.text
    assert client.get(app.url_for("mvcpy.live")).status_code == 200


def test_a_note_reaches_everyone_on_the_page(client, app):
    path = app.url_for("live.socket")
    with client.websocket_connect(path) as ann:
        assert "1 here now" in ann.receive_json()["html"]
        with client.websocket_connect(path) as bob:
            assert "2 here now" in ann.receive_json()["html"]
            assert "2 here now" in bob.receive_json()["html"]
            bob.send_json({"name": "Bob", "text": "<hello>"})
            for socket in (ann, bob):
                note = socket.receive_json()
                assert (note["action"], note["target"]) == ("prepend", "notes")
                html = note["html"].strip()
                assert html == '<li class="note"><b>Bob</b>: &lt;hello&gt;</li>'
        assert "1 here now" in ann.receive_json()["html"]  # Bob left
