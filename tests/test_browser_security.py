"""The content security policy in a real browser (tests/browser.py): Chromium, on pages of
`rsme-kg serve` (`live`), refuses a script slipped into a page (inline, from another host,
or from a `javascript:` address) and reports the violation, while the site's own scripts run
(the editor draws, the documentation pages draw: tests/test_browser_editor.py and
tests/test_browser_docs.py load them with no console error).

This is the second line of defence: values that reach a page are escaped
(tests/test_hostile.py); the policy holds should one ever not be."""

from __future__ import annotations

from typing import Any

import pytest

from tests.apiserver import ApiServer
from tests.browser import Tab

# In the page: listen for violations, then try three ways of running a script; resolve with
# what ran and which directives refused what, once the browser has reported them.
ATTEMPTS = """
async () => {
  const refused = [];
  document.addEventListener("securitypolicyviolation",
    (e) => refused.push([e.effectiveDirective, e.blockedURI]));
  window.ran = [];
  const inline = document.createElement("script");
  inline.textContent = "window.ran.push('inline')";
  document.body.append(inline);
  const remote = document.createElement("script");
  remote.src = "http://127.0.0.2:9/evil.js";
  document.body.append(remote);
  const link = document.createElement("a");
  link.href = "javascript:window.ran.push('javascript-url')";
  document.body.append(link);
  link.click();
  await new Promise((done) => setTimeout(done, 500));
  return {ran: window.ran, refused};
}
"""


@pytest.mark.parametrize(
    "path", ["/", "/explore/factors/business-networking", "/sparql", "/docs", "/redoc"]
)
def test_a_script_slipped_into_a_page_is_refused(live: ApiServer, tab: Tab, path: str) -> None:
    response = tab.goto(f"{live.base}{path}")
    assert response is not None and response.status == 200
    found: dict[str, Any] = tab.page.evaluate(ATTEMPTS)
    assert found["ran"] == []
    # Chromium reports the javascript: address as an inline script too
    refused = {directive for directive, _ in found["refused"]}
    assert refused == {"script-src-elem"}, found
    blocked = sorted(uri for _, uri in found["refused"])
    assert blocked == ["http://127.0.0.2:9/evil.js", "inline", "inline"], found
    # the browser says so in the console; nothing else went wrong on the page
    assert tab.errors and all("Content Security Policy" in e for e in tab.errors), tab.errors


def test_a_page_may_not_be_framed_by_another_site(live: ApiServer, tab: Tab) -> None:
    """frame-ancestors 'none': a page of another origin that frames the site shows nothing."""
    tab.page.set_content(f'<iframe src="{live.base}/" title="framed"></iframe>')
    tab.page.wait_for_timeout(1000)
    frame = tab.page.frames[-1]
    assert frame.url in ("about:blank", f"{live.base}/", "chrome-error://chromewebdata/")
    text = frame.evaluate("document.body ? document.body.innerText : ''") if frame else ""
    assert "rsme-kg" not in text
