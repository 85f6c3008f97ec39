"""The SPARQL editor in a real browser (tests/browser.py): YASGUI loads from `rsme-kg serve`
(`live`) with nothing from elsewhere, opens with the example and analysis queries as named tabs,
runs a query against /sparql and shows the answer in its table, stays free of grave axe-core
violations before and after, and fits a phone."""

from __future__ import annotations

import re
from typing import Any

from api.sparql import editor_tabs
from kg.namespaces import PREFIXES
from tests.apiserver import ApiServer
from tests.browser import Tab, axe_violations, fits_width, only_this_server, screenshot
from tests.corpus import corpus

COUNT = "SELECT (COUNT(?c) AS ?n) WHERE { ?c a <https://w3id.org/rsme-kg/ontology#Code> }"
ACTIVE = ".tabPanel.active"


def open_editor(tab: Tab, live: ApiServer) -> list[str]:
    elsewhere = only_this_server(tab, live.base)
    response = tab.goto(f"{live.base}/sparql")
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    tab.page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    return elsewhere


def tab_names(tab: Tab) -> list[str]:
    names: list[str] = tab.page.locator('.tabsList [role="tab"] > span').all_inner_texts()
    return names


def run(tab: Tab, live: ApiServer) -> Any:
    """Run the active tab's query; its results table once drawn."""
    page = tab.page
    with page.expect_response(
        lambda r: r.url.startswith(f"{live.base}/sparql") and r.request.method == "POST"
    ) as answered:
        page.locator(f"{ACTIVE} .yasqe_queryButton").click()
    assert answered.value.status == 200
    page.wait_for_selector(f"{ACTIVE} .yasr_results table tbody tr td")
    page.wait_for_load_state("networkidle")
    return page.locator(f"{ACTIVE} .yasr_results table")


def test_the_editor_opens_with_the_queries_as_named_tabs(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    names = tab_names(tab)
    assert names == [t["name"] for t in editor_tabs()]
    assert names[0] == "Evidence for factor"
    assert {"Factors by studies", "Analysis: Codes", "Analysis: Taxonomy"} <= set(names)
    # the first tab is open on its query, with the query's comment
    text = tab.page.locator(f"{ACTIVE} .CodeMirror").evaluate("e => e.CodeMirror.getValue()")
    assert text == editor_tabs()[0]["query"] and text.startswith("# All evidence")
    # a tab shows the query's summary when pointed at
    first = tab.page.locator('.tabsList [role="tab"]').first
    assert first.get_attribute("title") == editor_tabs()[0]["summary"]
    assert axe_violations(tab.page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_a_query_typed_in_a_new_tab_shows_its_answer(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    page = tab.page
    before = len(tab_names(tab))
    page.get_by_role("button", name="Add a new tab").click()
    assert len(tab_names(tab)) == before + 1
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    editor = page.locator(f"{ACTIVE} .CodeMirror")
    # typing where a class or a property goes: YASQE's own completers would ask an outside
    # service here (Linked Open Vocabularies); only prefixes and variables are completed
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT * WHERE { ?s a rsme:Co")
    page.keyboard.type("de ; rsme:quo", delay=20)
    page.keyboard.press("Control+Space")  # ask for completions (LOV's, were they on)
    page.wait_for_timeout(500)
    page.keyboard.press("Escape")
    assert editor.evaluate("e => e.CodeMirror.getValue()").startswith("SELECT * WHERE { ?s a ")
    completers = page.evaluate("rsmeYasgui.getTab().getYasqe().config.autocompleters")
    assert completers == ["prefixes", "variables"]
    editor.evaluate("(e, q) => e.CodeMirror.setValue(q)", COUNT)
    table = run(tab, live)
    assert table.locator("thead th").all_inner_texts()[-1].strip() == "n"
    cell = table.locator("tbody tr td").last.inner_text()
    number = re.match(r"\D*(\d+)", cell)
    assert number is not None, cell
    assert int(number.group(1)) == len(corpus().codes) == 79
    assert axe_violations(page) == []
    screenshot(page, "sparql-editor-answer-desktop")
    # closing the tab leaves the others, and the page as accessible as before
    page.locator(".tabsList .tab.active .closeTab").click()
    assert len(tab_names(tab)) == before
    assert axe_violations(page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_a_preloaded_tab_runs_on_this_server(live: ApiServer, tab: Tab) -> None:
    elsewhere = open_editor(tab, live)
    page = tab.page
    page.get_by_role("tab", name="Factors by studies").click()
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    table = run(tab, live)
    assert table.locator("tbody tr").count() >= 10
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert "factor" in headers
    # the results' controls (page size, paging) and a second tab panel pass too
    assert axe_violations(page) == []
    assert tab.errors == []
    assert elsewhere == []


def test_the_editor_fits_a_phone(live: ApiServer, phone: Tab) -> None:
    elsewhere = open_editor(phone, live)
    assert fits_width(phone.page)
    run(phone, live)  # the first tab: a table far wider than the phone
    assert fits_width(phone.page)  # the results scroll inside their box
    box = phone.page.locator(f"{ACTIVE} .yasr_results")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert box.get_attribute("role") == "region" and box.get_attribute("tabindex") == "0"
    screenshot(phone.page, "sparql-editor-answer-phone")
    assert axe_violations(phone.page) == []
    assert phone.errors == []
    assert elsewhere == []


MINE = "SELECT ?mine WHERE { ?mine a rsme:Study } LIMIT 1"
OLD = "# an older text of this query\nSELECT * WHERE { ?s ?p ?o } LIMIT 1"
# what an older page left in this browser: YASGUI's stored tabs (key <storage>_config, as
# store.js keeps it: {namespace, val, exp, time}) and the texts the page gave its preloaded
# tabs (<storage>_preloaded); `stale` had an older text, `gone` was never given, `closed` was
# closed by its user
STORE_AN_OLDER_STATE = """(a) => {
  const entry = JSON.parse(localStorage.getItem(a.storage + "_config"));
  const given = JSON.parse(localStorage.getItem(a.storage + "_preloaded"));
  entry.val.tabConfig[a.stale].yasqe.value = a.old;
  given[a.stale] = a.old;
  for (const id of [a.gone, a.closed]) {
    entry.val.tabs = entry.val.tabs.filter(t => t !== id);
    delete entry.val.tabConfig[id];
  }
  delete given[a.gone];
  localStorage.setItem(a.storage + "_config", JSON.stringify(entry));
  localStorage.setItem(a.storage + "_preloaded", JSON.stringify(given));
}"""


def stored_query(tab: Tab, id: str) -> str | None:
    query: str | None = tab.page.evaluate(
        "id => rsmeYasgui.getTab(id) ? rsmeYasgui.getTab(id).getPersistedJson().yasqe.value : null",
        id,
    )
    return query


def test_users_tabs_stay_and_preloaded_tabs_follow_their_files(live: ApiServer, tab: Tab) -> None:
    """A changed query file or a new YASGUI no longer orphans the tabs a user made: the key is
    the endpoint's, and the preloaded tabs are brought up to date by their ids."""
    elsewhere = open_editor(tab, live)
    page = tab.page
    storage = page.locator("#yasgui").get_attribute("data-storage")
    stale, edited, gone, closed = (t["id"] for t in editor_tabs()[:4])
    # a tab of one's own, and a preloaded query edited by its user
    page.get_by_role("button", name="Add a new tab").click()
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    page.evaluate("q => { rsmeYasgui.getTab().setQuery(q).setName('My query'); }", MINE)
    mine = page.evaluate("rsmeYasgui.getTab().getId()")
    page.evaluate(
        "id => { rsmeYasgui.getTab(id).getPersistedJson().yasqe.value = '# mine'; }", edited
    )
    page.evaluate("rsmeYasgui.persistentConfig.toStorage()")
    # as an older page would have left the browser (from another page of this server, so
    # that no editor writes its own state back)
    page.goto(f"{live.base}/healthz")
    page.evaluate(
        STORE_AN_OLDER_STATE,
        {"storage": storage, "stale": stale, "gone": gone, "closed": closed, "old": OLD},
    )
    open_editor(tab, live)
    names = tab_names(tab)
    assert "My query" in names and stored_query(tab, mine) == MINE  # the user's tab stays
    by_id = {t["id"]: t for t in editor_tabs()}
    assert stored_query(tab, stale) == by_id[stale]["query"]  # brought up to date
    assert stored_query(tab, edited) == "# mine"  # its file did not change: the edit stays
    assert stored_query(tab, gone) == by_id[gone]["query"]  # never given here: added
    assert stored_query(tab, closed) is None  # closed by its user, unchanged: stays closed
    assert by_id[gone]["name"] in names and by_id[closed]["name"] not in names
    # shown, the refreshed tab holds the current text
    page.get_by_role("tab", name=by_id[stale]["name"]).click()
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    shown = page.locator(f"{ACTIVE} .CodeMirror").evaluate("e => e.CodeMirror.getValue()")
    assert shown == by_id[stale]["query"]
    assert tab.errors == []
    assert elsewhere == []


def focused(tab: Tab, selector: str) -> bool:
    return bool(tab.page.evaluate("s => document.activeElement.matches(s)", selector))


def test_esc_then_tab_leaves_the_editor(live: ApiServer, tab: Tab) -> None:
    """CodeMirror keeps Tab; the page says how to leave (Esc, then Tab), the query's text
    points at that line, and the text's scrolling box is no second stop."""
    open_editor(tab, live)
    page = tab.page
    hint = page.locator("#editor-keys")
    assert (
        hint.is_visible() and hint.inner_text() == "In the editor, press Esc then Tab to move on."
    )
    text = page.locator(f"{ACTIVE} .CodeMirror textarea")
    assert text.get_attribute("aria-describedby") == "editor-keys"
    assert text.get_attribute("aria-label") == "SPARQL query"
    box = page.locator(f"{ACTIVE} .CodeMirror-scroll")
    assert box.get_attribute("tabindex") == "0"  # a scrolling box keyboards reach (axe)
    assert box.get_attribute("aria-label") != "SPARQL query"  # not announced as the text
    text.focus()
    page.keyboard.press("Tab")  # CodeMirror keeps Tab (it indents)
    assert focused(tab, f"{ACTIVE} .CodeMirror textarea")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert focused(tab, f"{ACTIVE} .yasqe_queryButton"), page.evaluate(
        "document.activeElement.outerHTML.slice(0, 200)"
    )
    page.keyboard.press("Shift+Tab")  # back: into the text, not onto its scrolling box
    assert focused(tab, f"{ACTIVE} .CodeMirror textarea")
    assert tab.errors == []


def test_the_fixes_run_once_a_frame_and_write_only_what_changes(live: ApiServer, tab: Tab) -> None:
    open_editor(tab, live)
    found = tab.page.evaluate(
        """async () => {
          const root = document.getElementById("yasgui");
          const written = [];
          const spy = new MutationObserver(records => records.forEach(r =>
            written.push(r.attributeName + " on " + r.target.className)));
          spy.observe(root, {attributes: true, subtree: true});
          const before = rsmeEditor.fixes;
          const added = [];
          for (let i = 0; i < 10; i++) {  // ten changes, each seen by the observer alone
            added.push(root.appendChild(document.createElement("span")));
            await Promise.resolve();
            await Promise.resolve();
          }
          await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
          spy.disconnect();
          added.forEach(span => span.remove());
          return {runs: rsmeEditor.fixes - before, written: written};
        }"""
    )
    assert found["runs"] == 1, found
    assert found["written"] == [], found  # everything was fixed already: nothing rewritten
    assert tab.errors == []


def test_a_page_whose_editor_cannot_load_says_so(live: ApiServer, tab: Tab) -> None:
    page = tab.page
    page.route("**/static/yasgui.min.*.js", lambda route: route.abort())
    response = tab.goto(f"{live.base}/sparql")
    assert response is not None and response.status == 200
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert alert.inner_text().startswith("The editor could not load.")
    link = alert.get_by_role("link", name="the number of codes")
    href = str(link.get_attribute("href"))
    assert href.startswith("/sparql?query=")
    assert live.get(href, headers={"Accept": "*/*"}).json()["results"]["bindings"]
    assert page.locator("#yasgui").inner_html() == ""
    # the blocked script is the one error (expected here only)
    assert tab.errors and all("ERR_FAILED" in error for error in tab.errors), tab.errors
    assert axe_violations(page) == []


def hints(tab: Tab, typed: str) -> list[str]:
    """The completions offered after typing `typed` in a new query and pressing Ctrl+Space."""
    page = tab.page
    editor = page.locator(f"{ACTIVE} .CodeMirror")
    editor.evaluate("e => e.CodeMirror.focus()")
    page.keyboard.press("Control+A")
    page.keyboard.type(typed)
    assert editor.evaluate("e => e.CodeMirror.getValue()") == typed
    page.keyboard.press("Control+Space")
    page.wait_for_timeout(500)
    offered: list[str] = page.locator(".CodeMirror-hint").all_inner_texts()
    page.keyboard.press("Escape")
    return offered


def test_prefix_completion_offers_the_projects_prefixes_only(live: ApiServer, tab: Tab) -> None:
    """YASQE's bundled prefix list holds spam (`leaks` for a pay site): the completer offers
    the prefixes the endpoint predeclares, and nothing else."""
    elsewhere = open_editor(tab, live)
    page = tab.page
    page.get_by_role("button", name="Add a new tab").click()
    page.wait_for_selector(f"{ACTIVE} .CodeMirror")
    assert hints(tab, "PREFIX rsm") == [
        "rsme: <https://w3id.org/rsme-kg/ontology#>",
        "rsmesh: <https://w3id.org/rsme-kg/shapes#>",
    ]
    assert hints(tab, "PREFIX lea") == []  # no `leaks`, nor any other of the bundled list
    assert hints(tab, "PREFIX foa") == ["foaf: <http://xmlns.com/foaf/0.1/>"]
    offered = page.evaluate(
        "rsmeYasgui.getTab().getYasqe().autocompleters.prefixes.trie.autoComplete('')"
    )
    assert sorted(offered) == sorted(f"{p}: <{iri}>" for p, iri in PREFIXES.items())
    assert tab.errors == []
    assert elsewhere == []
