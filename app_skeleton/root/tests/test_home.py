"""Tests of the home page."""


def test_home_page(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.template == "home/get.html"
    assert "Welcome to {{ project }}" in page.text
    assert "This project" not in page.text  # the start page is for development only


def test_unknown_page_renders_the_404_view(client):
    page = client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "There is no page at this address." in page.text
