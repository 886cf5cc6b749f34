"""One headless Chromium per test process (Debian's package, driven by Playwright).

Reports and surveys share it: Playwright's sync API allows one instance per thread, so a second
`sync_playwright()` in the same worker would fail. If Chromium or Playwright is missing, setup tries
to install them (apt-get as root, pip into the running interpreter) and skips the browser tests,
saying why, only when that fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """pytest-xdist workers share one machine: one installer at a time."""
    with open(Path(tempfile.gettempdir()) / "helpdesk-test-install.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        return subprocess.run(command, capture_output=True, env=env, timeout=900).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def ensure_chromium() -> str | None:
    """None when Chromium is there (or could be installed); otherwise why not."""
    if CHROMIUM.exists():
        return None
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return f"{CHROMIUM} is missing and apt-get is not available as root to install the 'chromium' package"
    with _install_lock():
        if not CHROMIUM.exists():
            install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
            if not _run(install):
                _run([apt, "update"])
                _run(install)
    return None if CHROMIUM.exists() else "apt-get install chromium failed"


def ensure_playwright() -> str | None:
    try:
        importlib.import_module("playwright.sync_api")
        return None
    except ImportError:
        pass
    with _install_lock():
        _run([sys.executable, "-m", "pip", "install", "--quiet", "playwright"])
    importlib.invalidate_caches()
    try:
        importlib.import_module("playwright.sync_api")
        return None
    except ImportError:
        return "the Python package 'playwright' is not installed and pip could not install it"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A launched Playwright Browser on Debian's Chromium (never a browser download)."""
    reason = ensure_chromium() or ensure_playwright()
    if reason:
        print(f"SKIP browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # An installed Chromium that will not start is a failure, not a skip.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
