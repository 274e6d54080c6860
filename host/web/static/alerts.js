// 好差评 alerts above the hall board (host/web/alerts_board.py): refreshed every 5 s.
(function () {
  const box = document.getElementById("alerts");
  if (!box) return;
  async function refresh() {
    try {
      const r = await fetch("/board/alerts", { headers: { Accept: "application/json" } });
      if (!r.ok) return;
      const items = await r.json();
      box.replaceChildren(...items.map((a) => {
        const div = document.createElement("div");
        div.className = "alert " + a.kind;
        div.dataset.alert = a.id;
        div.textContent = a.at + " " + a.kind_zh + "：" + a.text;
        return div;
      }));
      box.hidden = items.length === 0;
    } catch (e) { /* the next refresh retries */ }
  }
  refresh();
  setInterval(refresh, 5000);
})();
