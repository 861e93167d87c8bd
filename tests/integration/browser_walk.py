"""Walking the site in real Chromium: the checks every page must pass (title, one heading,
labelled fields, errors, and axe-core's accessibility rules) and a screenshot of each page.

axe-core is the npm package `make test` installs into .tools/ (the Makefile's $(AXE) target).
It is evaluated in each page and `axe.run()` must report no serious or critical violation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import in_ci
from tests.integration.harness import ROOT

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js; a missing file skips the browser tests locally and fails them in CI."""
    if not AXE.exists():
        message = "axe-core is not installed: run `make test` (it installs it into .tools/ with npm)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


def readable(violations: list[dict]) -> str:
    """axe's violations as lines a person reads: rule, impact, what to fix, and where."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines += [f"    at {node['target']}: {' '.join(node['summary'].split())}" for node in violation["nodes"]]
    return "\n".join(lines)


def accessibility_violations(page, axe_source: str) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)  # evaluated by the debugger protocol, so the site's CSP does not block it
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in FAILING_IMPACTS]


class Walk:
    """One browser page plus the checks every page must pass, and a screenshot of each."""

    def __init__(self, page, origin: str, shots: Path, axe_source: str, prefix: str = ""):
        self.page, self.origin, self.shots, self.axe_source, self.prefix = page, origin, shots, axe_source, prefix
        self.taken: list[str] = []

    def looks_right(self, name: str, heading: str, *texts: str, refused: bool = False) -> None:
        """The page has a <title>, one <h1> reading `heading`, every label tied to a field, the
        `texts` visible, one error sentence if `refused` (else none), no serious or critical
        accessibility violation; and a screenshot named `name`."""
        page = self.page
        page.wait_for_load_state()
        assert page.title().strip(), f"{name}: no <title>"
        assert "<" not in page.title(), f"{name}: markup in the <title>: {page.title()!r}"
        assert page.locator("h1").all_inner_texts() == [heading], page.locator("h1").all_inner_texts()
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(field => !field.closest('.trap') && field.labels.length === 0)
                 .map(field => field.name)"""
        )
        assert unlabelled == [], f"{name}: fields without a label: {unlabelled}"
        errors = self.errors()
        if refused:
            assert len(errors) == 1 and errors[0].strip().endswith("."), f"{name}: {errors}"
        else:
            assert errors == [], f"{name}: unexpected errors {errors}"
        body = page.inner_text("body")
        for text in texts:
            assert text in body, f"{name}: {text!r} not shown in:\n{body}"
        violations = accessibility_violations(page, self.axe_source)
        assert not violations, f"{name} ({page.url}): accessibility violations:\n{readable(violations)}"
        page.screenshot(path=str(self.shots / f"{self.prefix}{len(self.taken):02d}-{name}.png"), full_page=True)
        self.taken.append(name)
        self.focus_is_visible(name)

    def focus_is_visible(self, name: str) -> None:
        """Tab lands on an element that is on screen and outlined (visible focus): on most pages the
        skip link, which shows once focused; after an autofocused field, the next control."""
        self.page.keyboard.press("Tab")
        focused = self.page.evaluate(
            """() => { const el = document.activeElement, style = getComputedStyle(el);
                       const box = el.getBoundingClientRect();
                       return {text: el.innerText, outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                               shown: box.left >= 0 && box.width > 0}; }""")
        assert focused["shown"], f"{name}: Tab went to something off screen: {focused}"
        assert focused["outline"] != "none" and focused["width"] >= 2, f"{name}: focus not visible: {focused}"
        self.page.evaluate("() => document.activeElement.blur()")

    def click(self, name: str) -> None:
        self.page.locator("main").get_by_role("button", name=name, exact=True).click()

    def link(self, name: str, within: str = "main") -> None:
        self.page.locator(within).get_by_role("link", name=name, exact=True).click()

    def type_in(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def errors(self) -> list[str]:
        """The error messages shown (each should be one clear sentence)."""
        return self.page.locator(".error:visible, .field-error:visible").all_inner_texts()

    def log_out(self) -> None:
        self.page.locator("header").get_by_role("button", name="Log out").click()
        self.page.wait_for_url(f"{self.origin}/")
        assert "Log in" in self.page.locator("header").inner_text()

    def log_in_with_password(self, username: str, password: str) -> None:
        self.link("Log in", within="header")
        self.looks_right("login", "Log in")
        self.type_in("Username", username)
        self.type_in("Password", password)
        self.click("Log in")

    def shot_names(self) -> list[str]:
        """The screenshot file names this walk should have left, in order."""
        return [f"{self.prefix}{index:02d}-{name}.png" for index, name in enumerate(self.taken)]
