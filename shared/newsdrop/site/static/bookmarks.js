/* Bookmarks, kept in this browser only (localStorage): no account, nothing is sent anywhere.
 *
 * Progressive enhancement: pages carry a hidden button and an empty list; without JavaScript the button stays
 * hidden and the list says so in a <noscript>. Hooks (templates in shared/newsdrop/site/templates/):
 *   <button data-bookmark data-slug data-title data-url data-excerpt hidden>  the article's toggle
 *   [data-bookmarks-list] > [data-bookmarks-empty] + ul[data-bookmarks-items]  a list (bookmarks page, sidebar)
 * A bookmarked article that was unpublished since (its /api/articles/<slug>.json answers 404 or 410) leaves
 * the list the next time a list is shown.
 */
(function () {
  "use strict";

  var KEY = "newsdrop.bookmarks";
  var SLUG = /^[a-z0-9][a-z0-9-]*$/;

  function storage() {
    try {
      var s = window.localStorage;
      s.getItem(KEY);
      return s;
    } catch (e) {
      return null; // storage disabled: the button stays hidden
    }
  }

  function load() {
    var s = storage();
    if (!s) return [];
    try {
      var list = JSON.parse(s.getItem(KEY) || "[]");
      if (!Array.isArray(list)) return [];
      return list.filter(function (b) {
        return b && typeof b.slug === "string" && SLUG.test(b.slug) && typeof b.title === "string";
      });
    } catch (e) {
      return [];
    }
  }

  function save(list) {
    var s = storage();
    if (s) s.setItem(KEY, JSON.stringify(list));
    render();
  }

  function has(slug) {
    return load().some(function (b) { return b.slug === slug; });
  }

  function add(entry) {
    var list = load().filter(function (b) { return b.slug !== entry.slug; });
    list.unshift(entry);
    save(list);
  }

  function remove(slug) {
    save(load().filter(function (b) { return b.slug !== slug; }));
  }

  // Links are built from the slug, never from stored URLs: a page only ever links to its own site's articles.
  function articleUrl(slug) {
    return "/" + encodeURIComponent(slug) + "/";
  }

  function apiUrl(slug) {
    return "/api/articles/" + encodeURIComponent(slug) + ".json";
  }

  // -- the article's toggle button ---------------------------------------------------------------------
  function setUpToggle(button) {
    var slug = button.getAttribute("data-slug");
    if (!slug || !SLUG.test(slug)) return;
    button.setAttribute("aria-pressed", has(slug) ? "true" : "false");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (has(slug)) {
        remove(slug);
      } else {
        add({
          slug: slug,
          title: button.getAttribute("data-title") || slug,
          excerpt: button.getAttribute("data-excerpt") || "",
          added: new Date().toISOString()
        });
      }
    });
  }

  // -- lists -------------------------------------------------------------------------------------------
  function renderList(container) {
    var items = container.querySelector("[data-bookmarks-items]");
    var empty = container.querySelector("[data-bookmarks-empty]");
    if (!items) return;
    var list = load();
    var focused = document.activeElement;
    var focusedSlug = focused && items.contains(focused) ? focused.getAttribute("data-remove") : null;
    var focusIndex = -1;
    while (items.firstChild) items.removeChild(items.firstChild);
    list.forEach(function (b) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = articleUrl(b.slug);
      link.textContent = b.title;
      li.appendChild(link);
      if (b.excerpt) {
        var p = document.createElement("p");
        p.className = "bookmark-excerpt";
        p.textContent = b.excerpt;
        li.appendChild(p);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "bookmark-remove";
      button.setAttribute("data-remove", b.slug);
      button.appendChild(document.createTextNode("Remove"));
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + b.title + " from bookmarks";
      button.appendChild(hidden);
      button.addEventListener("click", function () {
        var position = list.indexOf(b);
        container.setAttribute("data-focus-after-remove", String(position));
        remove(b.slug);
      });
      li.appendChild(button);
      items.appendChild(li);
    });
    items.hidden = list.length === 0;
    if (empty) empty.hidden = list.length > 0;
    // After a removal, focus goes to the next remove button (or the previous one, or the empty message), not
    // to the top of the page.
    var after = container.getAttribute("data-focus-after-remove");
    if (after !== null) {
      container.removeAttribute("data-focus-after-remove");
      focusIndex = Math.min(parseInt(after, 10), list.length - 1);
      var buttons = items.querySelectorAll(".bookmark-remove");
      if (focusIndex >= 0 && buttons[focusIndex]) {
        buttons[focusIndex].focus();
      } else if (empty) {
        empty.setAttribute("tabindex", "-1");
        empty.focus();
      }
    } else if (focusedSlug) {
      var again = items.querySelector('[data-remove="' + focusedSlug + '"]');
      if (again) again.focus();
    }
  }

  function render() {
    var list = load();
    Array.prototype.forEach.call(document.querySelectorAll("button[data-bookmark]"), function (button) {
      var slug = button.getAttribute("data-slug");
      var pressed = list.some(function (b) { return b.slug === slug; });
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-bookmarks-list]"), renderList);
  }

  // An article unpublished since it was bookmarked has no API document any more: drop it.
  function forgetUnpublished() {
    if (!window.fetch || !document.querySelector("[data-bookmarks-list]")) return;
    load().forEach(function (b) {
      fetch(apiUrl(b.slug), { method: "HEAD", cache: "no-store", credentials: "omit" })
        .then(function (response) {
          if (response.status === 404 || response.status === 410) remove(b.slug);
        })
        .catch(function () { /* offline: keep it */ });
    });
  }

  function start() {
    if (!storage()) return;
    Array.prototype.forEach.call(document.querySelectorAll("button[data-bookmark]"), setUpToggle);
    render();
    forgetUnpublished();
    window.addEventListener("storage", function (event) {
      if (event.key === KEY || event.key === null) render(); // another tab changed them
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
