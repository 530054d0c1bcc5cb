/* Enhancements that pages do not need: every page works without this file.
 *
 *   button[data-copy-link=URL][hidden] + [data-copy-status]   "Copy link" under an article (the share links
 *                                                              beside it are plain links)
 *   form[data-search][hidden] ... [data-search-results]         /search/: results as the reader types, from the
 *                                                              index shards the publisher writes under
 *                                                              /search/<prefix>.json, and the documents of
 *                                                              each result's day, /search/docs/<day>.json (search.py)
 */
(function () {
  "use strict";

  // -- copy link ------------------------------------------------------------------------------------------
  var copy = document.querySelector("[data-copy-link]");
  if (copy && navigator.clipboard && window.isSecureContext) {
    var status = document.querySelector("[data-copy-status]");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.getAttribute("data-copy-link")).then(
        function () {
          if (status) status.textContent = "Link copied.";
        },
        function () {
          if (status) status.textContent = "Could not copy: the address is " + copy.getAttribute("data-copy-link");
        }
      );
    });
  }

  // -- search ---------------------------------------------------------------------------------------------
  var form = document.querySelector("[data-search]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var results = document.querySelector("[data-search-results]");
  var statusLine = document.querySelector("[data-search-status]");
  var fallback = document.querySelector("[data-search-fallback]");
  var stopwords = {};
  (form.getAttribute("data-stopwords") || "").split(" ").forEach(function (w) {
    stopwords[w] = true;
  });
  var PREFIX = parseInt(form.getAttribute("data-prefix"), 10) || 2;
  var shards = {}; // shard -> Promise of its documents
  var latest = 0;
  var timer = null;

  // The same folding and shard names as the publisher's (search.py: fold, shard_of).
  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  }
  function words(text) {
    return (fold(text).match(/[\p{L}\p{N}]+/gu) || []).filter(function (w) {
      return w.length >= PREFIX && !stopwords[w];
    });
  }
  function shardOf(word) {
    return word
      .slice(0, PREFIX)
      .split("")
      .map(function (ch) {
        return /[a-z0-9]/.test(ch) ? ch : "_";
      })
      .join("");
  }
  function load(shard) {
    if (!shards[shard]) {
      shards[shard] = fetch("/search/" + shard + ".json")
        .then(function (r) {
          return r.ok ? r.json() : { docs: [] };
        })
        .then(function (data) {
          return Array.isArray(data.docs) ? data.docs : [];
        })
        .catch(function () {
          delete shards[shard]; // a network error: try again on the next keystroke
          return [];
        });
    }
    return shards[shard];
  }

  function say(text) {
    statusLine.textContent = text;
  }

  var days = {}; // day -> Promise of its articles' result documents, by slug
  function documentOf(slug, day) {
    if (!days[day]) {
      days[day] = fetch("/search/docs/" + encodeURIComponent(day) + ".json")
        .then(function (r) {
          return r.ok ? r.json() : { docs: {} };
        })
        .then(function (data) {
          return data && data.docs && typeof data.docs === "object" ? data.docs : {};
        })
        .catch(function () {
          delete days[day]; // a network error: try again on the next keystroke
          return {};
        });
    }
    return days[day].then(function (docs) {
      return Object.prototype.hasOwnProperty.call(docs, slug) ? docs[slug] : null;
    });
  }

  function show(docs) {
    results.textContent = "";
    docs.forEach(function (doc) {
      if (!doc || typeof doc.u !== "string" || doc.u.charAt(0) !== "/") return; // our own paths only
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = doc.u;
      a.textContent = doc.t;
      var h = document.createElement("h2");
      h.appendChild(a);
      li.appendChild(h);
      var p = document.createElement("p");
      p.textContent = doc.e;
      li.appendChild(p);
      results.appendChild(li);
    });
  }

  function run() {
    var query = words(input.value);
    var ticket = ++latest;
    if (!query.length) {
      show([]);
      say(input.value.trim() ? "Type at least two letters of a word." : "");
      return;
    }
    Promise.all(
      query.map(function (w) {
        return load(shardOf(w));
      })
    )
      .then(function (lists) {
        var scores = {};
        var dates = {};
        var matched = query.map(function (word, i) {
          var last = i === query.length - 1; // the word being typed matches as a prefix
          var hits = {};
          lists[i].forEach(function (doc) {
            var exact = doc.w.indexOf(word) >= 0;
            var prefix =
              !exact &&
              last &&
              doc.w.some(function (t) {
                return t.indexOf(word) === 0;
              });
            if (exact || prefix) {
              hits[doc.s] = true;
              dates[doc.s] = doc.d;
              scores[doc.s] = (scores[doc.s] || 0) + (exact ? 2 : 1);
            }
          });
          return hits;
        });
        var found = Object.keys(dates).filter(function (slug) {
          return matched.every(function (hits) {
            return hits[slug];
          });
        });
        found.sort(function (a, b) {
          return scores[b] - scores[a] || (dates[a] < dates[b] ? 1 : dates[a] > dates[b] ? -1 : 0);
        });
        var shown = found.slice(0, 30).map(function (slug) {
          return documentOf(slug, dates[slug]);
        });
        return Promise.all(shown).then(function (docs) {
          return { total: found.length, docs: docs };
        });
      })
      .then(function (answer) {
        if (ticket !== latest) return; // the reader typed on meanwhile
        show(answer.docs);
        var n = answer.total;
        say(n ? n + (n === 1 ? " article found." : " articles found.") : "No article matches.");
      });
  }

  form.hidden = false;
  if (fallback) fallback.hidden = true;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = new URL(window.location.href);
      if (input.value) url.searchParams.set("q", input.value);
      else url.searchParams.delete("q");
      window.history.replaceState(null, "", url);
      run();
    }, 120);
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) {
    input.value = initial;
    run();
  }
})();
