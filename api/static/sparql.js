/* The SPARQL editor at /sparql: YASGUI (served from this server) on this server's endpoint,
   preloaded with the queries the page lists as JSON (#tabs), completing the project's prefixes
   (#prefixes), and given what its markup lacks for assistive technology. No request leaves
   this server. When YASGUI cannot load, the page says so (#editor-alert). */
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  var data = document.getElementById("tabs");
  if (!root || !data) return;

  // an empty box would say nothing: the page tells what happened and where else to query
  function failed() {
    var alert = document.getElementById("editor-alert");
    var message = document.getElementById("editor-failed");
    if (alert && message && !alert.firstChild) {
      alert.appendChild(message.content.cloneNode(true));
    }
  }

  if (typeof Yasgui === "undefined") {
    failed();
    return;
  }

  var tabs = JSON.parse(data.textContent);
  var endpoint = new URL(root.dataset.endpoint, window.location.href).href;
  var summaries = {};
  tabs.forEach(function (tab) { summaries[tab.id] = tab.summary; });

  function read(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "{}") || {};
    } catch (error) {
      return {}; // no storage (a private window, a setting): nothing was kept
    }
  }

  function write(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // no storage: the tabs last as long as the page
    }
  }

  // YASQE's prefix completer offers a list bundled with it (prefix.cc's, spam included):
  // it offers the project's prefixes instead, the ones the endpoint predeclares. A list
  // (rather than a function) is taken as it is and stored under the completer's
  // persistenceId, replacing what an earlier visit stored there. Its onInitialize wrote a
  // PREFIX line into the query whenever a known prefix was typed: the endpoint declares them
  // already, so the text stays as typed (Ctrl+Space after PREFIX still completes one).
  function ownPrefixes() {
    var element = document.getElementById("prefixes");
    var prefixes = element ? JSON.parse(element.textContent) : {};
    var completions = Object.keys(prefixes).sort().map(function (prefix) {
      return prefix + ": <" + prefixes[prefix] + ">";
    });
    var completers = Yasgui.Yasqe.Autocompleters;
    completers.prefixes = Object.assign({}, completers.prefixes, {
      get: completions,
      onInitialize: null,
    });
    // the class and property completers ask an outside service (Linked Open Vocabularies).
    // Set on the defaults: YASGUI merges a config's arrays item by item, so a shorter list
    // would not replace them.
    Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  }

  function start() {
    ownPrefixes();
    return new Yasgui(root, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      // the endpoint field offers this server's only (YASGUI's list names outside ones)
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: endpoint }]; },
        keys: [],
      },
      copyEndpointOnNewTab: true,
      corsProxy: undefined,
      // one key per endpoint, whatever the queries or YASGUI's version: users' tabs stay
      persistenceId: root.dataset.storage,
      // share links put the query in the page's query string, which this address answers
      // with the query's results (SPARQL Protocol), not with the editor: not offered
      populateFromUrl: false,
      autoAddOnInit: false,
      autofocus: false,
    });
  }

  // the "+" button is not a tab, and a tablist may own tabs only: it moves beside the list,
  // and new tabs go at the end of the list (YASGUI inserts them before `addTabEl`)
  function moveAdder(yasgui) {
    var list = root.querySelector(".tabsList");
    var adder = yasgui.tabElements && yasgui.tabElements.addTabEl;
    if (list && adder && adder.parentNode === list) {
      var bar = document.createElement("div");
      bar.className = "tabsBar";
      list.parentNode.insertBefore(bar, list);
      bar.appendChild(list);
      bar.appendChild(adder);
      adder.removeAttribute("role");
      yasgui.tabElements.addTabEl = null;
    }
  }

  // A preloaded query goes to this browser's stored tabs (matched by its id, which comes from
  // its file's name) when the browser has not had its current text yet: a new query is added,
  // a changed one replaces the text of its tab. Otherwise the tabs stay as their user left
  // them: their own tabs, a preloaded tab they edited or closed. `given` (stored beside
  // YASGUI's key) holds the text each preloaded tab was last given.
  function preload(yasgui) {
    var key = root.dataset.storage + "_preloaded";
    var given = read(key);
    var fresh = yasgui.persistentConfig.getTabs().length === 0;
    var now = {};
    tabs.forEach(function (tab, index) {
      now[tab.id] = tab.query;
      if (!fresh && given[tab.id] === tab.query) return;
      var open = yasgui.getTab(tab.id);
      if (open) {
        refresh(open, tab);
      } else {
        yasgui.addTab(fresh && index === 0, {
          id: tab.id,
          name: tab.name,
          yasqe: { value: tab.query },
          requestConfig: { endpoint: endpoint },
        });
      }
    });
    yasgui.persistentConfig.toStorage();
    write(key, now);
  }

  function refresh(open, tab) {
    var json = open.getPersistedJson();
    if (open.getYasqe()) open.setQuery(tab.query); // the tab on show
    else json.yasqe.value = tab.query; // drawn from this when first shown
    if (json.yasr) json.yasr.response = undefined; // the old query's results
    if (open.getName() !== tab.name) open.setName(tab.name);
  }

  function set(element, attribute, value) {
    if (element.getAttribute(attribute) !== value) element.setAttribute(attribute, value);
  }

  function name(element, text) {
    if (element && !element.hasAttribute("aria-label")) element.setAttribute("aria-label", text);
  }

  function each(selector, fix) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fix);
  }

  // CodeMirror keeps Tab (it indents) and YASQE's Esc leaves the text (the page says so, and
  // the text points at that line). The next Tab reaches the text's scrolling area, which must
  // be focusable (axe: scrollable-region-focusable) but is no stop of its own: it passes the
  // focus on, out of the editor after Tab, into the text otherwise (Shift+Tab, a click).
  var tabbing = null;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    tabbing = event.shiftKey ? "backward" : "forward";
    window.setTimeout(function () { tabbing = null; }, 0); // the focus moves before this
  }, true);

  function focusAfter(element) {
    var all = document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]");
    for (var i = 0; i < all.length; i++) {
      var next = all[i];
      var later = element.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING;
      if (!later || element.contains(next) || next.tabIndex < 0 || next.disabled) continue;
      if (!next.getClientRects().length) continue; // not shown
      next.focus();
      if (document.activeElement === next) return;
    }
    document.activeElement.blur();
  }

  function keyboard(box) {
    box.dataset.keyboard = "yes";
    box.setAttribute("tabindex", "0");
    box.setAttribute("aria-label", "Scrolling area of the SPARQL query");
    box.addEventListener("focus", function () {
      var editor = box.closest(".CodeMirror");
      var text = editor && editor.querySelector("textarea");
      if (!text) return;
      if (tabbing === "forward") focusAfter(box); // the query's buttons come next
      else text.focus();
    });
  }

  var runs = 0;

  // YASGUI draws a tab's panel when the tab is first shown, and YASR redraws its results:
  // the fixes run after the editor's DOM changes, once per frame, and write an attribute
  // only when its value changes
  function fix() {
    runs += 1;
    window.rsmeEditor.fixes = runs;
    each('[role="tab"]', function (tab) {
      // aria-controls may name only a panel that exists
      var panel = tab.getAttribute("aria-controls") || tab.dataset.controls;
      if (panel) {
        if (tab.dataset.controls !== panel) tab.dataset.controls = panel;
        if (document.getElementById(panel)) set(tab, "aria-controls", panel);
        else if (tab.hasAttribute("aria-controls")) tab.removeAttribute("aria-controls");
      }
      var id = tab.id.replace(/^tab-/, "");
      if (summaries[id] && !tab.title) tab.title = summaries[id];
    });
    each(".tabsList .tab input", function (input) { name(input, "New name of the tab"); });
    each(".autocompleteWrapper input", function (input) { name(input, "SPARQL endpoint"); });
    each(".yasqe .CodeMirror textarea", function (area) {
      name(area, "SPARQL query");
      set(area, "aria-describedby", "editor-keys");
    });
    each(".yasqe .CodeMirror-scroll", function (box) {
      if (!box.dataset.keyboard) keyboard(box);
    });
    each(".tabMenu select", function (select) {
      var label = select.parentNode.querySelector(".selectorLabel");
      name(select, "Accept header, " + (label ? label.textContent : "results"));
    });
    each(".tabMenu .textSetting input", function (input) {
      var label = input.closest(".textSetting").querySelector(".label");
      name(input, label ? label.textContent : "Request setting");
    });
    each(".yasr .tableSizer", function (select) { name(select, "Rows per page"); });
    each(".yasr th .dt-column-title", function (title) {
      if (title.textContent.trim()) return;
      var hidden = document.createElement("span"); // the row numbers' column, unnamed
      hidden.className = "visually-hidden";
      hidden.textContent = "Row";
      title.appendChild(hidden);
    });
    each(".yasr_results", function (box) {
      // the results scroll sideways inside their box: a region that keyboards can scroll
      if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
      set(box, "role", "region");
      name(box, "Query results");
    });
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      fix();
    });
  }

  var yasgui;
  try {
    yasgui = start();
    moveAdder(yasgui);
    preload(yasgui);
  } catch (error) {
    failed();
    throw error; // and the console says why
  }
  // for the browser tests, and the curious at the console
  window.rsmeYasgui = yasgui;
  window.rsmeEditor = { yasgui: yasgui, fixes: 0 };
  fix();
  new MutationObserver(schedule).observe(root, { childList: true, subtree: true });
})();
