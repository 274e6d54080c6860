// Hall board: redraw the tiles from each snapshot the host streams (Server-Sent Events).
(function () {
  "use strict";
  var board = document.getElementById("board");
  var live = document.getElementById("live");
  function text(el, value) { if (el) { el.textContent = value; } }
  function tile(r) {
    var d = document.createElement("div");
    d.className = "tile " + r.state;
    d.dataset.window = r.number;
    var head = document.createElement("div");
    var num = document.createElement("span"); num.className = "num"; num.textContent = r.number;
    var name = document.createElement("span"); name.className = "name"; name.textContent = r.name;
    head.append(num, name);
    var st = document.createElement("div"); st.className = "state"; st.dataset.field = "state"; st.textContent = r.state_zh;
    var since = document.createElement("div"); since.className = "small muted";
    since.textContent = (r.since_ms ? "自 " + r.since + " 起 · " : "") + (r.device || "未配置评价器");
    var stats = document.createElement("div"); stats.className = "stats";
    stats.innerHTML = '<span>今日评价 <b data-field="today"></b></span><span>满意率 <b data-field="rate"></b></span>';
    text(stats.querySelector('[data-field="today"]'), String(r.today));
    text(stats.querySelector('[data-field="rate"]'), r.rate);
    d.append(head, st, since, stats);
    return d;
  }
  function draw(rows) {
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(tile(r)); });
    board.replaceChildren(frag);
    board.dataset.updated = String(Date.now());
  }
  // The wall screen shows the date and time (Beijing time, as the rules count days).
  var clock = document.getElementById("clock");
  var fmt = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "long",
    day: "numeric", weekday: "long", hour: "2-digit", minute: "2-digit", hour12: false });
  function tick() { if (clock) { clock.textContent = fmt.format(new Date()); } }
  tick(); setInterval(tick, 15000);
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
