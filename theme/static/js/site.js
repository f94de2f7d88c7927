/* Parallax: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  // Story page: the bias filter works with CSS alone; this adds a live count
  // ("Showing 3 of 19 articles") and keeps a cited article visible.
  var sources = document.querySelector(".sources");
  if (sources) {
    var items = Array.prototype.slice.call(sources.querySelectorAll(".src"));
    var status = sources.querySelector(".filter-status");
    var names = { left: "Left", center: "Center", right: "Right", unrated: "unrated" };
    var radios = sources.querySelectorAll('input[name="side"]');

    var chosen = function () {
      var checked = sources.querySelector('input[name="side"]:checked');
      return checked ? checked.value : "all";
    };
    var update = function () {
      var side = chosen();
      var shown = items.filter(function (li) {
        return side === "all" || li.getAttribute("data-bucket") === side;
      }).length;
      var text = "Showing " + shown + " of " + items.length + " article" + (items.length === 1 ? "" : "s");
      if (side !== "all") {
        text += side === "unrated" ? " (outlets without a bias rating)" : " (" + names[side] + ")";
      }
      if (status) status.textContent = text;
    };
    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", update);
    });

    // A citation link (#source-N) to an article the filter hides: show all again.
    var reveal = function () {
      var id = decodeURIComponent(location.hash.slice(1));
      if (!/^source-\d+$/.test(id)) return;
      var target = document.getElementById(id);
      var side = chosen();
      if (target && side !== "all" && target.getAttribute("data-bucket") !== side) {
        var all = document.getElementById("side-all");
        if (all) { all.checked = true; update(); }
        target.scrollIntoView();
      }
    };
    window.addEventListener("hashchange", reveal);
    update();
  }

  // Search page: Pagefind's default UI, loaded by search.html before this file.
  var search = document.getElementById("search");
  if (search && window.PagefindUI) {
    var base = search.getAttribute("data-base") || "/";
    try { base = new URL(base, location.href).pathname; } catch (e) { base = "/"; }
    var ui = new window.PagefindUI({
      element: "#search",
      baseUrl: base,
      bundlePath: base + "pagefind/",
      showImages: false,
      showSubResults: false,
      resetStyles: false,
      autofocus: true,
      translations: { placeholder: "Search stories" }
    });
    // Tie the page's visible label to Pagefind's input (it has only a title).
    var label = function () {
      var input = search.querySelector("input");
      if (!input) return false;
      input.id = "search-input";
      var visible = document.querySelector(".search-label");
      if (visible) { visible.htmlFor = "search-input"; visible.hidden = false; }
      return true;
    };
    if (!label()) {
      var watch = new MutationObserver(function () { if (label()) watch.disconnect(); });
      watch.observe(search, { childList: true, subtree: true });
    }
    var q = new URLSearchParams(location.search).get("q");
    if (q && ui.triggerSearch) ui.triggerSearch(q);
  }
})();
