"""Headless Chromium for the browser tests (JupyterLab: test_browser_lab, JupyterLite: test_site).

One launch path for both: the OS's ``/usr/bin/chromium`` driven by Playwright (``playwright
install`` is never run), the same flags, the same window size. Without Chromium or Playwright a
browser test is skipped — under CI (the environment variable ``CI`` set) it fails instead, so a
CI machine missing them cannot pass by skipping.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox (containers), no GPU, and nothing Chromium would fetch on its own.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}


def need(ok: object, reason: str) -> None:
    """Skip without a requirement; under CI (the env var ``CI`` is set) fail instead."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser test must run", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (a Playwright ``Browser``), closed at the end.

    Each test opens its own ``browser.new_context(...)``: fresh storage, so nothing one test
    leaves (a JupyterLab workspace that reopens its tabs, their kernels) reaches the next.
    """
    need(CHROMIUM.exists(), f"{CHROMIUM} is not installed")
    need(importlib.util.find_spec("playwright"), "Playwright (Python) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def loopback_only(context: Any) -> list[str]:
    """Abort every request of ``context`` that leaves 127.0.0.1; the list of those aborted."""
    blocked: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)
    return blocked
