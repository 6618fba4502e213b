// Veelocity's only script: the theme toggle, filters that apply on change,
// chart tooltips, and the Settings page's "Sync now" with live progress.
(function () {
  "use strict";

  function currentTheme() {
    var set = document.documentElement.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setupTheme() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var show = function () { button.setAttribute("aria-pressed", currentTheme() === "dark" ? "true" : "false"); };
    show();
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("veelocity-theme", next); } catch (e) { /* storage may be off */ }
      show();
    });
  }

  // The filters apply as soon as a list changes, and empty fields stay out
  // of the URL.
  function setupFilters() {
    var form = document.querySelector("form.filters");
    if (!form) return;
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.value === "") el.disabled = true;
      });
    });
    // Coming back to the page (the back button) finds every field usable.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
    });
    var selects = form.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (s) {
      s.addEventListener("change", function () {
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      });
    });
  }

  // Chart marks carry their exact value in data-tip (and a <title> for
  // assistive technology and script-less browsers). The script shows it
  // at once, near the pointer or the focused mark. A chart is one tab
  // stop, its first mark; the arrow keys, Home and End move between its
  // marks, and Escape hides the tooltip.
  function setupTooltips() {
    var tip = document.getElementById("tooltip");
    if (!tip) return;
    var marks = document.querySelectorAll("svg.chart [data-tip]");
    Array.prototype.forEach.call(marks, function (m) {
      var title = m.querySelector("title");
      if (title) { m.setAttribute("aria-label", title.textContent); m.removeChild(title); }
    });
    var show = function (target, x, y) {
      tip.textContent = target.getAttribute("data-tip");
      tip.hidden = false;
      var w = tip.offsetWidth;
      var left = Math.min(Math.max(8, x - w / 2), document.documentElement.clientWidth - w - 8);
      tip.style.left = left + window.scrollX + "px";
      tip.style.top = y + window.scrollY - tip.offsetHeight - 10 + "px";
    };
    document.addEventListener("mouseover", function (e) {
      var t = e.target;
      if (t && t.getAttribute && t.getAttribute("data-tip") !== null) show(t, e.clientX, e.clientY);
    });
    document.addEventListener("mouseout", function (e) {
      if (e.target && e.target.getAttribute && e.target.getAttribute("data-tip") !== null) tip.hidden = true;
    });
    var isMark = function (t) { return t && t.getAttribute && t.getAttribute("data-tip") !== null && t.closest("svg.chart"); };
    document.addEventListener("focusin", function (e) {
      if (!isMark(e.target)) return;
      var r = e.target.getBoundingClientRect();
      show(e.target, r.left + r.width / 2, r.top);
    });
    document.addEventListener("focusout", function (e) {
      if (isMark(e.target)) tip.hidden = true;
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (!isMark(t)) return;
      if (e.key === "Escape") { tip.hidden = true; return; }
      var all = Array.prototype.slice.call(t.closest("svg.chart").querySelectorAll("[data-tip]"));
      var i = all.indexOf(t), next = -1;
      switch (e.key) {
        case "ArrowRight": case "ArrowDown": next = Math.min(i + 1, all.length - 1); break;
        case "ArrowLeft": case "ArrowUp": next = Math.max(i - 1, 0); break;
        case "Home": next = 0; break;
        case "End": next = all.length - 1; break;
        default: return;
      }
      e.preventDefault();
      t.setAttribute("tabindex", "-1");
      all[next].setAttribute("tabindex", "0");
      all[next].focus();
    });
  }

  // plural is a count with its noun: "1 record", "2 records".
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function when(s) {
    if (!s) return "never";
    var d = new Date(s);
    if (isNaN(d.getTime())) return s;
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function countsText(counts) {
    var keys = Object.keys(counts || {}).sort();
    if (!keys.length) return "none";
    return keys.map(function (k) { return k + " " + counts[k]; }).join(", ");
  }

  function setField(source, field, text) {
    var el = document.querySelector('[data-source="' + source + '"] [data-field="' + field + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }

  // render shows a /api/v1/connectors/status answer on the Settings page.
  function render(status) {
    var live = {};
    if (status.sync && status.sync.sources) {
      status.sync.sources.forEach(function (s) { live[s.source] = s; });
    }
    (status.sources || []).forEach(function (s) {
      var run = s.last_run;
      setField(s.source, "last-sync", run ? when(run.finished_at || run.started_at) + " · " + run.status + " · " + plural(run.records, "record", "records") : "never");
      setField(s.source, "last-success", when(s.last_success_at));
      setField(s.source, "counts", countsText(s.counts));
      setField(s.source, "error", s.last_error || (run && run.error) || "none");
      var p = live[s.source];
      var now = "idle";
      if (p) {
        now = p.status;
        if (p.status === "running" && p.scope) now += " · " + p.scope;
        if (p.status !== "skipped") now += " · " + plural(p.records || 0, "record", "records");
        if (p.reason) now += " · " + p.reason;
        if (p.error) now += " · " + p.error;
      }
      setField(s.source, "progress", now);
    });
  }

  function setupSync() {
    var button = document.getElementById("sync-now");
    var out = document.getElementById("sync-status");
    if (!button || !out) return;
    var timer = null;

    var poll = function () {
      fetch("/api/v1/connectors/status", { headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("status request failed (" + r.status + ")");
          return r.json();
        })
        .then(function (status) {
          render(status);
          if (status.running) {
            out.textContent = "Syncing…";
            timer = setTimeout(poll, 1000);
            return;
          }
          button.disabled = false;
          var failed = (status.sync && status.sync.sources || []).filter(function (s) { return s.status === "failed"; });
          out.textContent = failed.length
            ? "Sync finished with errors in " + failed.map(function (s) { return s.source; }).join(", ") + "."
            : "Sync finished.";
          out.setAttribute("data-state", failed.length ? "failed" : "done");
        })
        .catch(function (err) {
          button.disabled = false;
          out.textContent = "Could not read the sync status: " + err.message;
          out.setAttribute("data-state", "failed");
        });
    };

    button.addEventListener("click", function () {
      button.disabled = true;
      out.textContent = "Starting a sync…";
      out.setAttribute("data-state", "running");
      fetch("/api/v1/connectors/sync/recent", { method: "POST", headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().then(function (body) { return { status: r.status, body: body }; });
        })
        .then(function (res) {
          if (res.status === 202) {
            out.textContent = "Syncing " + (res.body.sources || []).join(", ") + "…";
          } else if (res.status === 409 && /already|running/i.test(res.body.error || "")) {
            out.textContent = "A sync is already running…";
          } else {
            throw new Error(res.body.error || "the server answered " + res.status);
          }
          clearTimeout(timer);
          poll();
        })
        .catch(function (err) {
          button.disabled = false;
          out.textContent = "Could not start a sync: " + err.message;
          out.setAttribute("data-state", "failed");
        });
    });
    if (button.getAttribute("data-running") === "true") poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTheme();
    setupFilters();
    setupTooltips();
    setupSync();
  });
})();
