// Hall board: redraw the tiles and the hall summary from each snapshot the host streams (SSE).
(function () {
  "use strict";
  var board = document.getElementById("board");
  var live = document.getElementById("live");
  // The summary strip's counts: which board states each holds (host.web.board.SUMMARY).
  var SUMMARY = { serving: ["serving", "prompt"], paused: ["paused"], offline: ["offline", "unknown"],
    fault: ["fault"], unconfigured: ["unconfigured"] };
  function el(tag, cls, textValue) {
    var d = document.createElement(tag);
    if (cls) { d.className = cls; }
    if (textValue !== undefined) { d.textContent = textValue; }
    return d;
  }
  function stat(label, field, value) {
    var s = el("span");
    var b = el("b", "", value); b.dataset.field = field;
    s.append(el("span", "k", label), b);
    return s;
  }
  function tile(r) {
    var d = el("div", "tile " + r.state);
    d.dataset.window = r.number;
    d.title = r.number + " " + r.name + "：" + r.state_zh + (r.since_ms ? "，自 " + r.since + " 起" : "");
    var head = el("div", "head");
    var name = el("span", "name", r.name); name.title = r.name;
    head.append(el("span", "num", r.number), name);
    var st = el("div", "state", r.state_zh); st.dataset.field = "state";
    var since = el("div", "since", r.since_ms && r.state !== "serving" ? "自 " + r.since + " 起"
      : (r.device ? "" : "请配置评价器"));
    var stats = el("div", "stats");
    stats.append(stat("今日评价", "today", String(r.today)), stat("满意率", "rate", r.rate));
    d.append(head, st, since, stats);
    return d;
  }
  function summarize(rows) {
    Object.keys(SUMMARY).forEach(function (key) {
      var n = rows.filter(function (r) { return SUMMARY[key].indexOf(r.state) >= 0; }).length;
      var box = document.querySelector('#summary [data-key="' + key + '"]');
      if (box) {
        box.querySelector('[data-field="count"]').textContent = String(n);
        box.classList.toggle("zero", n === 0);
      }
    });
  }
  function draw(rows) {
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(tile(r)); });
    board.replaceChildren(frag);
    summarize(rows);
    board.dataset.updated = String(Date.now());
  }
  // The date and time, large on the wall (Beijing time, as the rules count days).
  var clock = document.getElementById("clock");
  var today = document.getElementById("today");
  var tz = { timeZone: "Asia/Shanghai" };
  var fmtTime = new Intl.DateTimeFormat("zh-CN", Object.assign({ hour: "2-digit", minute: "2-digit", hour12: false }, tz));
  var fmtDay = new Intl.DateTimeFormat("zh-CN", Object.assign({ year: "numeric", month: "long", day: "numeric",
    weekday: "long" }, tz));
  function tick() {
    var now = new Date();
    if (clock) { clock.textContent = fmtTime.format(now); }
    if (today) { today.textContent = fmtDay.format(now); }
  }
  tick(); setInterval(tick, 10000);
  var source = new EventSource("/board/stream");
  source.addEventListener("board", function (e) { draw(JSON.parse(e.data)); });
  source.onopen = function () { live.textContent = "实时更新"; live.className = "live on"; };
  // The host ends each stream after a while and the browser reconnects at once: only a
  // reconnect that takes longer than GRACE_MS is shown as an interruption.
  var GRACE_MS = 5000;
  source.onerror = function () {
    setTimeout(function () {
      if (source.readyState !== EventSource.OPEN) { live.textContent = "连接中断，正在重连…"; live.className = "live"; }
    }, GRACE_MS);
  };
})();
