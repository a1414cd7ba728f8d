// Live updates for the situational picture and the object list: records
// stored after the page was loaded arrive over /api/v1/events (server-sent
// events, under the viewer's own visibility policy) and are added to the
// top of the tables marked data-live, with a polite announcement for screen
// readers; the picture's counts and charts are fetched again from the
// server, after records arrive and after recipients report on a release
// whose feedback the viewer reads (a "feedback" event), as is any other
// page section marked data-live-refresh with an id. The pages work the
// same without this script, only without it.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var tables = document.querySelectorAll("table[data-live]");
  var refreshing = document.querySelectorAll("[data-live-refresh][id]");
  if (!window.EventSource || (!status && !refreshing.length)) {
    return;
  }
  var count = 0;
  var source = new EventSource("/api/v1/events");

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function row(o, env) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-key", o.id + " " + env.originator);
    tr.className = "live-new";
    var name = document.createElement("td");
    var a = document.createElement("a");
    a.href = "/objects/" + encodeURIComponent(o.id);
    a.textContent = o.name || o.value || o.abstract || o.id;
    name.appendChild(a);
    tr.appendChild(name);
    tr.appendChild(cell(o.type));
    var tlp = document.createElement("td");
    var tag = document.createElement("span");
    tag.className = "tlp-tag tlp-" + String(env.tlp).replace("+", "-");
    tag.textContent = "TLP:" + String(env.tlp).toUpperCase();
    tlp.appendChild(tag);
    tr.appendChild(tlp);
    tr.appendChild(cell(env.originator));
    tr.appendChild(cell(o.modified || o.created || ""));
    return tr;
  }

  source.addEventListener("object", function (e) {
    var ev;
    try {
      ev = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    var o = ev.object, env = ev.envelope;
    if (!status || !o || !env || typeof o.id !== "string" || typeof o.type !== "string") {
      return;
    }
    count++;
    // The tables list the newest version of each (object, originator): a
    // new version takes the place of the row it replaces, and a table
    // keeps the number of rows the page had room for.
    var key = o.id + " " + env.originator;
    tables.forEach(function (table) {
      var tbody = table.tBodies[0];
      if (!tbody) {
        return;
      }
      Array.prototype.slice.call(tbody.rows).forEach(function (tr) {
        if (tr.getAttribute("data-key") === key) {
          tbody.removeChild(tr);
        }
      });
      tbody.insertBefore(row(o, env), tbody.firstChild);
      var limit = parseInt(table.getAttribute("data-live-max"), 10) || 50;
      while (tbody.rows.length > limit) {
        tbody.removeChild(tbody.rows[tbody.rows.length - 1]);
      }
    });
    status.textContent = status.getAttribute("data-template").replace("%d", String(count));
    scheduleRefresh();
  });

  // A feedback event says only that a recipient reported on a release
  // (which, who, receipt or sighting, when); what the page shows of it is
  // the server's to render.
  source.addEventListener("feedback", function (e) {
    var ev;
    try {
      ev = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    if (ev && typeof ev.release === "string") {
      scheduleRefresh();
    }
  });

  // The counts and charts of the picture (sections marked
  // data-live-refresh) are the server's to compute, under the viewer's
  // policy: after records or feedback arrive the page asks for itself
  // again and swaps in those sections, at most every ten seconds.
  var timer = null, last = 0;
  function scheduleRefresh() {
    if (!refreshing.length || timer || !window.fetch || !window.DOMParser) {
      return;
    }
    var wait = Math.max(2000, last + 10000 - Date.now());
    timer = window.setTimeout(refresh, wait);
  }
  function refresh() {
    last = Date.now();
    window.fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) {
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        refreshing.forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh) {
            el.replaceWith(document.importNode(fresh, true));
          }
        });
        refreshing = document.querySelectorAll("[data-live-refresh][id]");
      })
      .catch(function () {})
      .then(function () {
        timer = null;
      });
  }
})();
