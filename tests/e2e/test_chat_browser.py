"""The chat example in headless Chromium: two tabs talk, a third watches over server-sent events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ._browser import wait_for
from ._servers import REPO_ROOT, ServerProcess, uvicorn_argv

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = pytest.mark.e2e

CHAT = REPO_ROOT / "examples" / "chat"


def open_room(browser: Chrome, url: str) -> str:
    """Open ``url`` in a new tab, wait until its socket is open; return the tab's handle."""
    browser.switch_to.new_window("tab")
    browser.get(url)
    wait_for(
        lambda: browser.execute_script(
            "var el = document.querySelector('[data-mvcpy-state]');"
            "return el && el.dataset.mvcpyState === 'open';"
        ),
        what=f"the live connection of {url} to open",
    )
    return str(browser.current_window_handle)


def say(browser: Chrome, tab: str, name: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    browser.switch_to.window(tab)
    name_field = browser.find_element(By.NAME, "name")
    name_field.clear()
    name_field.send_keys(name)
    text_field = browser.find_element(By.NAME, "text")
    text_field.send_keys(text)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for(lambda: text_field.get_attribute("value") == "", what="the form to be sent")


def messages(browser: Chrome, tab: str) -> list[str]:
    from selenium.webdriver.common.by import By

    browser.switch_to.window(tab)
    return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#messages li")]


def presence(browser: Chrome, tab: str) -> str:
    from selenium.webdriver.common.by import By

    browser.switch_to.window(tab)
    return str(browser.find_element(By.ID, "presence").text)


def test_two_tabs_exchange_messages_and_a_watcher_sees_them(
    start_server: Callable[..., ServerProcess], browser: Chrome, tmp_path: Path
) -> None:
    server = start_server(
        "uvicorn-chat",
        uvicorn_argv("chat.app:app"),
        {"MVCPY_ENV": "test", "PYTHONPATH": f"{CHAT}:{REPO_ROOT}"},
        ready_path="/rooms/lobby",
    )
    room = f"{server.base_url}/rooms/lobby"
    first = open_room(browser, room)
    second = open_room(browser, room)
    wait_for(lambda: presence(browser, first) == "2 here", what="both tabs counted")
    third = open_room(browser, room)
    wait_for(lambda: presence(browser, first) == "3 here", what="a third tab counted")
    browser.switch_to.window(third)
    browser.close()  # a tab goes away: the room is cleaned up and the others are told
    wait_for(lambda: presence(browser, first) == "2 here", what="presence back to 2")
    watcher = open_room(browser, room + "/watch")  # server-sent events, same room

    say(browser, first, "ann", "hello from the first tab")
    wait_for(
        lambda: messages(browser, second) == ["ann hello from the first tab"],
        what="the second tab to show the first tab's message",
    )
    say(browser, second, "bob", "<b>hi</b> back")  # shown as text, never as markup
    for tab in (first, second, watcher):
        wait_for(
            lambda tab=tab: (
                messages(browser, tab) == ["ann hello from the first tab", "bob <b>hi</b> back"]
            ),
            what="every tab to show both messages in order",
        )
    browser.switch_to.window(first)
    bold = browser.find_elements("css selector", "#messages li b")
    assert [b.text for b in bold] == ["ann", "bob"]  # the names only: the text was escaped
    # The form kept the name for the next line and emptied the message field.
    assert browser.find_element("name", "name").get_attribute("value") == "ann"
    shot = tmp_path / "chat.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
