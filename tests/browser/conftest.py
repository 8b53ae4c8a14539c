"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright never downloads a browser here: we launch /usr/bin/chromium. Without it the browser
tests are skipped locally and fail in CI (REQUIRE_SERVICES=1), through tests.conftest.skip_or_fail.

Fixtures:
    browser     one Chromium for the whole session
    page        a fresh browser context (own cookies) per test, its base_url the live server.
                Parametrise it indirectly to change the context, for example without JavaScript:
                    @pytest.mark.parametrize("page", [{"java_script_enabled": False}], indirect=True)
    demo_hubs   the demo's Dorset and Manchester hubs, with organisations that suggest them

And `assert_accessible(page)`, which runs axe-core (node_modules/axe-core, pinned in package.json)
on the page as it is and fails with a readable list of WCAG 2.2 A/AA violations.
"""

import json
import os
from pathlib import Path

import pytest

from hubportal.models import HubOrganisation
from tests.conftest import skip_or_fail
from tests.factories import HubFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Best-practice rules run as well as the WCAG tags: all content inside landmarks.
AXE_EXTRA_RULES = ["region"]
# WCAG 1.4.10 Reflow: content fits 320 CSS pixels wide without scrolling sideways.
REFLOW_WIDTH = 320

# Playwright's default timeouts are 30s; our pages are local, so fail sooner with the same errors.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items):
    """Every test in tests/browser is a browser test (`-m "not browser"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(request, browser, live_server):
    """A page in a new context per test. Indirect parameters are passed to browser.new_context()."""
    options = {
        "java_script_enabled": True,
        "base_url": live_server.url,
        "locale": "en-GB",
        **getattr(request, "param", {}),
    }
    page, violations = new_page(browser, **options)
    yield page
    page.context.close()
    assert_no_csp_refusals(violations)


def new_page(browser, **options):
    """A page in a new context, with axe-core loaded and the console watched for CSP refusals.

    axe-core goes in as an init script: Playwright adds it through DevTools, which the page's
    Content-Security-Policy does not govern, so the policy stays on (no bypass_csp) and is tested too.
    Returns the page and the list the CSP refusals reported in its console are added to.
    """
    context = browser.new_context(**{"locale": "en-GB", **options})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(script=_axe())
    page = context.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page, violations


def assert_no_csp_refusals(violations):
    assert not violations, "the Content-Security-Policy refused something:\n" + "\n".join(violations)


@pytest.fixture
def demo_hubs(transactional_db):
    """The demo's hubs (load_demo), each with an organisation in its area."""
    dorset = HubFactory(
        name="Dorset Innovation Hub",
        code="DOR",
        slug="dorset",
        email="innovation.dorset@example.nhs.uk",
    )
    manchester = HubFactory(
        name="Manchester Innovation Hub",
        code="MAN",
        slug="manchester",
        email="innovation.manchester@example.nhs.uk",
    )
    for name in (
        "Dorset County Hospital NHS Foundation Trust",
        "University Hospitals Dorset NHS Foundation Trust",
    ):
        HubOrganisation.objects.create(hub=dorset, name=name)
    for name in ("Manchester University NHS Foundation Trust", "The Christie NHS Foundation Trust"):
        HubOrganisation.objects.create(hub=manchester, name=name)
    return {"DOR": dorset, "MAN": manchester}


_axe_source = None


def _axe():
    global _axe_source
    if _axe_source is None:
        if not AXE_JS.exists():
            skip_or_fail(
                f"axe-core is not installed at {AXE_JS.relative_to(REPO_ROOT)} (run npm ci)"
            )
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    return _axe_source


def _describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(
                json.dumps(part) if not isinstance(part, str) else part for part in node["target"]
            )
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            if node.get("failureSummary"):
                summary = " ".join(node["failureSummary"].split())
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page):
    """Runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page; fails listing every violation."""
    # The page fixture's init script loaded axe-core into every document (see `new_page`). Wait for the
    # document first, as add_script_tag used to: just after a click the next page may not be parsed yet.
    page.wait_for_load_state("domcontentloaded")
    assert page.evaluate("() => typeof window.axe !== 'undefined'"), "axe-core was not injected"
    results = page.evaluate(
        """async ([tags, extra]) => {
            const rules = Object.fromEntries(extra.map(id => [id, {enabled: true}]));
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules});
            const ran = [...results.passes, ...results.violations, ...results.incomplete, ...results.inapplicable];
            return {ran: ran.map(r => r.id), violations: results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary})),
            }))};
        }""",
        [AXE_TAGS, AXE_EXTRA_RULES],
    )
    assert set(AXE_EXTRA_RULES) <= set(results["ran"]), "axe did not run the extra rules"
    assert_accessible.pages_checked += 1
    violations = results["violations"]
    if violations:
        pytest.fail(
            f"axe found {len(violations)} accessibility violation(s) on {page.url} "
            f"({page.title()!r}):\n{_describe(violations)}",
            pytrace=False,
        )
    # Every state axe checks is checked for reflow too.
    assert_no_horizontal_scroll(page)


assert_accessible.pages_checked = 0


def assert_no_horizontal_scroll(page):
    """WCAG 1.4.10: at 320 CSS pixels wide the page does not scroll sideways (document width <= viewport
    width). Names the widest elements when it does. The viewport is put back as it was afterwards."""
    size = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:
        result = page.evaluate(
            """() => {
                const root = document.documentElement;
                const view = root.clientWidth;
                const culprits = [...document.body.querySelectorAll('*')]
                    .filter(el => el.getBoundingClientRect().right > view + 0.5 && el.getClientRects().length)
                    .slice(-5)
                    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                         + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                         + ' right=' + Math.round(el.getBoundingClientRect().right));
                return {width: root.scrollWidth, view, culprits};
            }"""
        )
    finally:
        page.set_viewport_size(size)
    assert_no_horizontal_scroll.pages_checked += 1
    if result["width"] > result["view"]:
        pytest.fail(
            f"{page.url} ({page.title()!r}) scrolls sideways at {REFLOW_WIDTH}px: the document is "
            f"{result['width']}px wide. Widest elements:\n  " + "\n  ".join(result["culprits"]),
            pytrace=False,
        )


assert_no_horizontal_scroll.pages_checked = 0


def pytest_terminal_summary(terminalreporter):
    if assert_accessible.pages_checked:
        terminalreporter.write_line(
            f"axe-core checked {assert_accessible.pages_checked} page state(s); "
            f"{assert_no_horizontal_scroll.pages_checked} checked for reflow at {REFLOW_WIDTH}px"
        )
