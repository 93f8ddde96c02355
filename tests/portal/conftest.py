"""Portal fixtures: a real local system (anvil on 1-second blocks, rc-east's node under uvicorn) and
Debian's Chromium driven by Playwright, headless (the ``browser`` fixture, in ``tests/conftest.py``).
Screenshots go to ``build/portal-screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, _serve

SHOTS = Path(__file__).resolve().parents[2] / "build" / "portal-screenshots"
NID = "110105196001011239"  # the demo's invented resident Zhang Wei (rc-east: household, social assistance)


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """rc-east's node on SQLite, with the demo consortium, its keystores and anvil mining a block a second."""
    yield from _serve(tmp_path_factory.mktemp("portal") / "home", None)


@pytest.fixture(scope="session")
def keystores(system: Api) -> Path:
    return system.settings.home / "keystores"


@dataclass
class Portal:
    url: str
    keystores: Path
    browser: Any

    def page(self, *, lang: str | None = "en", width: int = 1100, height: int = 900, **kw: Any) -> Any:
        """A fresh browser context (its own storage) and page; JavaScript errors fail the test."""
        context = self.browser.new_context(viewport={"width": width, "height": height}, **kw)
        if lang:
            context.add_init_script(
                f"window.localStorage.getItem('cl.lang') || window.localStorage.setItem('cl.lang', '{lang}')"
            )
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        page.set_default_timeout(30_000)
        return page

    def sign_in(self, page: Any, path: str, keystore: str) -> None:
        """Opens a staff page and signs in with a demo keystore file (password ``demo``), in the browser."""
        page.goto(self.url + path)
        unlock(page, self.keystores / keystore)

    def shot(self, page: Any, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def unlock(page: Any, keystore: Path) -> None:
    """Signs in with the keystore file and its password; after a reload in the same tab, the page keeps the
    (encrypted) file and asks for the password alone."""
    page.wait_for_selector("#password")
    if page.locator("#keystore").count():
        page.set_input_files("#keystore", str(keystore))
    page.fill("#password", "demo")
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_selector("#password", state="detached")


@pytest.fixture(scope="session")
def portal(system: Api, keystores: Path, browser: Any) -> Portal:
    return Portal(system.url, keystores, browser)
