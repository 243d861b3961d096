"""Tests of the API's index."""


def test_index_answers_json(client):
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.json() == {"name": "{{ project }}", "status": "ok"}


def test_unknown_path_answers_a_json_404(client):
    answer = client.get("/no-such-path")
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == 404
