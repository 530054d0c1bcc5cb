// The subscribe box, enhanced: with JavaScript it posts in place (JSON, same origin) and announces the
// answer in a live region; without, the form posts and the API answers with a page. No inline script
// or style anywhere (the site's CSP).
(function () {
  "use strict";
  function announce(form, text, failed) {
    var region = form.querySelector("[data-subscribe-status]");
    if (!region) {
      region = document.createElement("p");
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("data-subscribe-status", "");
      form.appendChild(region);
    }
    region.className = failed ? "form-error" : "form-ok";
    region.textContent = text;
  }
  function submit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.subscribe") || !window.fetch) return;
    event.preventDefault();
    var data = new FormData(form);
    var body = { email: data.get("email") || "", topics: data.getAll("topics") };
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    announce(form, "Sending…", false);
    fetch(form.getAttribute("action") || "/subscribers", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            announce(form, "Check your inbox: " + answer.message, false);
            form.reset();
          } else {
            announce(form, answer.message || "That did not work; please try again.", true);
          }
        });
      })
      .catch(function () {
        announce(form, "That did not work; please try again.", true);
      })
      .then(function () {
        if (button) button.disabled = false;
      });
  }
  document.addEventListener("submit", submit);
})();
