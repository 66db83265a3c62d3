// SLA timers: the server renders each clock's text; this only counts the running ones down.
// Same origin, no dependencies. The threshold is the target in seconds; "approaching" starts
// once the remaining time falls below (100 - warning %) of it.
(function () {
  "use strict";
  var i18n = document.getElementById("sla-i18n");
  if (!i18n) { return; }
  function hms(s) {
    s = Math.max(0, Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return [h, m, r].map(function (n) { return n < 10 ? "0" + n : String(n); }).join(":");
  }
  function fill(template, time, target) {
    return template.replace("%(time)s", time).replace("%(target)s", target);
  }
  var started = Date.now();
  var timers = Array.prototype.slice.call(document.querySelectorAll(".sla-timer[data-sla-remaining]"))
    .filter(function (el) { return el.getAttribute("data-sla-remaining") !== ""; });
  function tick() {
    var gone = (Date.now() - started) / 1000;
    timers.forEach(function (el) {
      var left = parseFloat(el.getAttribute("data-sla-remaining")) - gone;
      var target = el.getAttribute("data-sla-target");
      var total = parseFloat(el.getAttribute("data-sla-threshold"));
      var warn = parseFloat(el.getAttribute("data-sla-warning"));
      var row = el.closest("tr"), label = row && row.querySelector(".sla-status-label");
      if (left > 0) {
        el.textContent = fill(i18n.getAttribute("data-until"), hms(left), target);
        if (total - left >= total * warn / 100 && row && !row.classList.contains("sla-approaching")) {
          row.classList.remove("sla-on_track"); row.classList.add("sla-approaching");
          if (label) { label.textContent = i18n.getAttribute("data-approaching"); }
        }
      } else {
        el.textContent = fill(i18n.getAttribute("data-past"), hms(-left), target);
        if (row) { row.classList.remove("sla-on_track", "sla-approaching"); row.classList.add("sla-breached"); }
        if (label) { label.textContent = i18n.getAttribute("data-breached"); }
      }
    });
  }
  if (timers.length) { tick(); setInterval(tick, 1000); }
})();
