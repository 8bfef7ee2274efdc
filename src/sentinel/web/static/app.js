// Live countdowns to each alert's next deadline. The server's clock is the truth: the page
// carries its time (body[data-now]) and we only add the seconds elapsed since it loaded.
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-now") || "");
  var loadedAt = Date.now();
  if (isNaN(serverNow)) { serverNow = loadedAt; }

  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) { return d + " 天 " + h + " 小时"; }
    if (h > 0) { return h + " 小时 " + m + " 分"; }
    return m + " 分 " + sec + " 秒";
  }

  function tick() {
    var now = serverNow + (Date.now() - loadedAt);
    var nodes = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var left = Date.parse(el.getAttribute("data-due")) - now;
      var step = el.getAttribute("data-step") || "";
      if (left <= 0) {
        el.textContent = step + " 已超时 " + fmt(left);
        el.classList.add("late");
      } else {
        el.textContent = step + " 剩余 " + fmt(left);
        el.classList.remove("late");
      }
    }
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.hasAttribute && t.hasAttribute("data-print")) { window.print(); }
  });
  tick();
  setInterval(tick, 1000);
})();
