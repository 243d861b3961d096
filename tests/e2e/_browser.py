"""Headless Chromium for the end-to-end tests, driven through chromedriver with Selenium.

Chromium and chromedriver come from Debian's ``chromium`` and ``chromium-driver``
packages (``make test`` installs them when it can). Locally a test that needs them skips
when they are absent; under CI (``MVCPYTEST_REQUIRE_SERVICES=1``) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "start_chromium", "wait_for"]

#: The flags every browser is started with: headless, and no background traffic, which
#: this machine's closed network would refuse over and over.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def find_chromium() -> tuple[str, str]:
    """Return the paths of chromium and chromedriver, or skip (fail under CI) without them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    message = "Chromium and chromedriver are not installed (Debian: chromium chromium-driver)"
    if os.environ.get("MVCPYTEST_REQUIRE_SERVICES"):
        pytest.fail(f"{message}, and CI requires them (make test installs them)")
    pytest.skip(f"{message}; install them to run the browser tests")


def start_chromium(profile: Path) -> Chrome:
    """Start a headless Chromium with an empty profile under ``profile``; return the driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(30)
    chrome.set_script_timeout(30)
    return chrome


T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` otherwise.

    An element that goes stale while the condition reads it (the page it was found on
    has just been replaced by the next one) counts as "not yet". Chromium reports that
    race as a stale element, or at times as an unknown error: a node that "does not
    belong to the document".
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except StaleElementReferenceException:
            last = None
        except WebDriverException as exc:
            if "does not belong to the document" not in str(exc):
                raise
            last = None
        if last:
            return last
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what or condition!r}: {last!r}")
