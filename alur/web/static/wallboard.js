// Wallboard: one tile per queue, refreshed on every event of the live stream (at most once a second);
// the waits tick locally in between so the page makes no requests while the center is idle.
"use strict";
(async () => {
  const me = await Alur.page(["supervisor", "admin"]);
  if (!me) return;
  // Colour thresholds per queue come with the queue (its file's `wallboard:`, else the defaults).
  const high = (v, t) => (v >= t.alert ? "bad" : v >= t.warn ? "warn" : "ok");
  const low = (v, t) => (v === null ? "" : v < t.alert ? "bad" : v < t.warn ? "warn" : "ok");
  const pct = (rate) => (rate === null || rate === undefined ? null : rate * 100);
  let data = { queues: [] }, fetchedAt = Date.now();

  // The level is also said in words (for screen readers and colour-blind eyes), not only by colour.
  function figure(key, value, cls, id) {
    const level = { warn: "wb.level_warn", bad: "wb.level_bad" }[cls];
    return Alur.el("div", { class: "figure", "data-level": cls || null },
      Alur.el("div", { class: "value " + (cls || ""), "data-figure": id, text: value }),
      level ? Alur.el("div", { class: "level", text: Alur.t(level) }) : null,
      Alur.el("div", { class: "label", text: Alur.t(key) }));
  }

  function draw() {
    const since = (Date.now() - fetchedAt) / 1000;
    const root = document.getElementById("queues");
    root.replaceChildren(...data.queues.map((q) => {
      const longest = q.waiting_count ? q.longest_wait + since : 0;
      const today = q.today, T = q.wallboard;
      const states = Object.entries(q.agents).filter(([, n]) => n > 0)
        .map(([s, n]) => Alur.el("span", { "data-state": s, text: Alur.t("state." + s) + " " + n }));
      // A chat, SMS or e-mail queue says what waits, how many are being handled and, with a
      // response target, how many are past it with no reply.
      const digital = q.channel && q.channel !== "voice";
      const waitingKey = digital ? "wb.waiting_" + q.channel : "wb.waiting";
      const extra = digital ? [figure("wb.handling", String(q.handling), "", "handling"),
        q.response_target ? figure("wb.overdue", String(q.overdue), q.overdue ? "bad" : "ok", "overdue") : null] : [];
      return Alur.el("article", { class: "queue", "data-queue": q.queue, "data-channel": q.channel || "voice" },
        Alur.el("h2", { text: q.queue + (digital ? " · " + Alur.t("chat.channel_" + q.channel) : "") }),
        Alur.el("div", { class: "figures" },
          figure(waitingKey, String(q.waiting_count), high(q.waiting_count, T.waiting), "waiting"),
          figure("wb.longest", Alur.duration(longest), high(longest, T.longest_wait), "longest"),
          figure("wb.sl", Alur.percent(today.service_level), low(pct(today.service_level), T.service_level), "sl"),
          figure("wb.abandoned", Alur.percent(today.abandonment_rate), high(pct(today.abandonment_rate), T.abandoned), "abandoned"),
          figure("wb.asa", Alur.duration(today.asa), "", "asa"),
          figure("wb.offered", String(today.offered), "", "offered"), ...extra),
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
