// The release builder checks the draft while it is written: a moment
// after the drafter stops changing the form, the form is sent with
// action=check (nothing is stored) and the rules section of the answer,
// the server's verdict under the drafter's own view, replaces the one on
// the page. Without this script the "Check" button does the same with a
// reload.
(function () {
  "use strict";
  var form = document.querySelector("form[data-check]");
  var rules = document.getElementById("rules");
  if (!form || !rules || !window.fetch || !window.FormData || !window.DOMParser) {
    return;
  }
  var timer = null, seq = 0;
  function check() {
    timer = null;
    var data = new FormData(form);
    data.set("action", "check");
    var mine = ++seq;
    // The buttons are named "action", which shadows form.action.
    window.fetch(form.getAttribute("action"), {method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: {"Accept": "text/html"}})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (mine !== seq) {
          return; // a later check is on its way
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("rules");
        var now = document.getElementById("rules");
        if (fresh && now) {
          now.replaceWith(document.importNode(fresh, true));
        }
      })
      .catch(function () {});
  }
  function changed() {
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(check, 700);
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
})();
