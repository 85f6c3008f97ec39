/* The SPARQL editor at /sparql: YASGUI (served from this server) on this server's endpoint,
   preloaded with the queries the page lists as JSON (#tabs), and given what its markup lacks
   for assistive technology. No request leaves this server. */
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  var data = document.getElementById("tabs");
  if (!root || !data || typeof Yasgui === "undefined") return;
  var tabs = JSON.parse(data.textContent);
  var endpoint = new URL(root.dataset.endpoint, window.location.href).href;
  var summaries = {};
  tabs.forEach(function (tab) { summaries[tab.id] = tab.summary; });

  // the class and property completers ask an outside service (Linked Open Vocabularies);
  // prefixes come from YASQE's bundled list (its prefixCcApi is null). Set on the defaults:
  // YASGUI merges a config's arrays item by item, so a shorter list would not replace them.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    // the endpoint field offers this server's only (YASGUI's list names outside ones)
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; },
      keys: [],
    },
    copyEndpointOnNewTab: true,
    corsProxy: undefined,
    // the page's key (a digest of the queries and the endpoint): users' tabs are kept in
    // this browser until the preloaded queries change
    persistenceId: root.dataset.storage,
    // share links put the query in the page's query string, which this address answers
    // with the query's results (SPARQL Protocol), not with the editor: not offered
    populateFromUrl: false,
    autoAddOnInit: false,
    autofocus: false,
  });

  // the "+" button is not a tab, and a tablist may own tabs only: it moves beside the list,
  // and new tabs go at the end of the list (YASGUI inserts them before `addTabEl`)
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

  if (yasgui.persistentConfig.getTabs().length === 0) {
    tabs.forEach(function (tab, index) {
      yasgui.addTab(index === 0, {
        id: tab.id,
        name: tab.name,
        yasqe: { value: tab.query },
        requestConfig: { endpoint: endpoint },
      });
    });
  }

  function name(element, text) {
    if (element && !element.getAttribute("aria-label")) element.setAttribute("aria-label", text);
  }

  function each(selector, fix) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fix);
  }

  // YASGUI draws a tab's panel when the tab is first shown, and YASR redraws its results:
  // the fixes run after every change of the editor's DOM (they change attributes only)
  function fix() {
    each('[role="tab"]', function (tab) {
      // aria-controls may name only a panel that exists
      var panel = tab.getAttribute("aria-controls") || tab.dataset.controls;
      if (panel) {
        tab.dataset.controls = panel;
        if (document.getElementById(panel)) tab.setAttribute("aria-controls", panel);
        else tab.removeAttribute("aria-controls");
      }
      var id = tab.id.replace(/^tab-/, "");
      if (summaries[id] && !tab.title) tab.title = summaries[id];
    });
    each(".tabsList .tab input", function (input) { name(input, "New name of the tab"); });
    each(".autocompleteWrapper input", function (input) { name(input, "SPARQL endpoint"); });
    each(".yasqe .CodeMirror textarea", function (area) { name(area, "SPARQL query"); });
    each(".yasqe .CodeMirror-scroll", function (box) {
      if (box.dataset.keyboard) return;
      // a scrolling box must be reachable by keyboard (CodeMirror takes it out of the tab
      // order): it is, and passes the focus on to the query's text, unless the focus comes
      // from there (Esc leaves the text, Tab then moves on)
      box.dataset.keyboard = "yes";
      box.setAttribute("tabindex", "0");
      box.setAttribute("aria-label", "SPARQL query");
      box.addEventListener("focus", function () {
        var editor = box.parentNode.querySelector("textarea");
        if (editor && lastFocused !== editor) editor.focus();
      });
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
      box.setAttribute("role", "region");
      name(box, "Query results");
    });
  }

  var lastFocused = null;
  document.addEventListener("focusout", function (event) { lastFocused = event.target; });

  fix();
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  window.rsmeYasgui = yasgui; // for the browser tests, and the curious at the console
})();
