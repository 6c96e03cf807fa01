// Wallboard: one tile per queue, refreshed on every event of the live stream (at most once a second);
// the waits tick locally in between so the page makes no requests while the center is idle.
"use strict";
(async () => {
  const me = await Alur.page(["supervisor", "admin"]);
  if (!me) return;
  const params = new URLSearchParams(location.search);
  // Colour thresholds (overridable in the address: ?wait_warn=20&wait_bad=60&sl_warn=0.8&sl_bad=0.6&ab_warn=0.05&ab_bad=0.1)
  const limit = (name, fallback) => Number(params.get(name) || fallback);
  const T = {
    wait: [limit("wait_warn", 20), limit("wait_bad", 60)],
    sl: [limit("sl_warn", 0.8), limit("sl_bad", 0.6)],
    ab: [limit("ab_warn", 0.05), limit("ab_bad", 0.1)],
  };
  const high = (v, [warn, bad]) => (v >= bad ? "bad" : v >= warn ? "warn" : "ok");
  const low = (v, [warn, bad]) => (v === null ? "" : v < bad ? "bad" : v < warn ? "warn" : "ok");
  let data = { queues: [] }, fetchedAt = Date.now();

  function figure(key, value, cls, id) {
    return Alur.el("div", { class: "figure" },
      Alur.el("div", { class: "value " + (cls || ""), "data-figure": id, text: value }),
      Alur.el("div", { class: "label", text: Alur.t(key) }));
  }

  function draw() {
    const since = (Date.now() - fetchedAt) / 1000;
    const root = document.getElementById("queues");
    root.replaceChildren(...data.queues.map((q) => {
      const longest = q.waiting_count ? q.longest_wait + since : 0;
      const today = q.today;
      const states = Object.entries(q.agents).filter(([, n]) => n > 0)
        .map(([s, n]) => Alur.el("span", { "data-state": s, text: Alur.t("state." + s) + " " + n }));
      return Alur.el("article", { class: "queue", "data-queue": q.queue },
        Alur.el("h2", { text: q.queue }),
        Alur.el("div", { class: "figures" },
          figure("wb.waiting", String(q.waiting_count), q.waiting_count ? high(longest, T.wait) : "ok", "waiting"),
          figure("wb.longest", Alur.duration(longest), high(longest, T.wait), "longest"),
          figure("wb.sl", Alur.percent(today.service_level), low(today.service_level, T.sl), "sl"),
          figure("wb.abandoned", Alur.percent(today.abandonment_rate), high(today.abandonment_rate, T.ab), "abandoned"),
          figure("wb.asa", Alur.duration(today.asa), "", "asa"),
          figure("wb.offered", String(today.offered), "", "offered")),
        Alur.el("div", { class: "states" }, ...states));
    }));
  }

  const refresh = Alur.throttled(async () => {
    data = await Alur.api("GET", "/queues");
    fetchedAt = Date.now();
    draw();
  });
  document.addEventListener("alur:lang", draw);
  setInterval(() => { if (data.queues.some((q) => q.waiting_count)) draw(); }, 1000);
  Alur.live(() => refresh(), () => refresh());
})();
