// Supervisor console: agents, waiting calls with the routing explanation and actions, reports with
// charts and CSV. Refreshed on the stream's events (at most once a second).
"use strict";
(async () => {
  const me = await Alur.page(["supervisor", "admin"]);
  if (!me) return;
  const $ = (x) => document.getElementById(x);
  $("designer-link").hidden = me.role !== "admin";
  const settings = await Alur.api("GET", "/settings");
  const all = me.role === "admin" || (me.queues || []).includes("*");
  const myQueues = all ? Object.keys(settings.queues) : me.queues;
  const reasons = settings.pause_reasons.length ? settings.pause_reasons : ["break"];
  let agents = [], queues = [], fetchedAt = Date.now();

  async function act(method, path, body) {
    try { Alur.say(""); await Alur.api(method, path, body); await refresh(); }
    catch (e) { Alur.say(e.message, "error"); }
  }

  // Chats, SMS and e-mails held (or being offered) against capacity, beside the voice state.
  const loadText = (load) => (load || []).map((l) => Alur.t("load." + l.channel, { held: l.held, capacity: l.capacity })).join(" · ");

  function agentRow(a) {
    const reason = Alur.el("select", { "aria-label": Alur.t("agent.reason") }, ...reasons.map((r) => Alur.el("option", { value: r, text: r })));
    const put = (state) => () => act("PUT", "/agents/" + a.agent_id + "/state", { state, reason: state === "paused" ? reason.value : "" });
    return Alur.el("tr", { "data-agent": a.agent_id },
      Alur.el("td", { text: a.name || a.agent_id }),
      Alur.el("td", { "data-col": "state", text: Alur.t("state." + a.state) + (a.state === "paused" && a.reason ? " (" + a.reason + ")" : "") }),
      Alur.el("td", { "data-col": "load", text: loadText(a.load) }),
      Alur.el("td", { "data-col": "occupancy", text: a.occupancy === null || a.occupancy === undefined ? "–" : Alur.percent(a.occupancy) }),
      Alur.el("td", { "data-secs": a.since ? a.time_in_state || 0 : null, text: a.since ? Alur.duration(a.time_in_state) : "–" }),
      Alur.el("td", { text: a.call_id || "" }),
      Alur.el("td", { text: a.queue || (a.queues || []).join(", ") }),
      Alur.el("td", { class: "buttons" },
        Alur.el("button", { type: "button", "data-action": "ready", text: Alur.t("sup.set_ready"), onclick: put("available") }),
        reason,
        Alur.el("button", { type: "button", "data-action": "pause", text: Alur.t("sup.set_pause"), onclick: put("paused") }),
        Alur.el("button", { type: "button", "data-action": "offline", text: Alur.t("sup.set_offline"), onclick: put("offline") })));
  }

  async function explain(callId) {
    const data = await Alur.api("GET", "/calls/" + encodeURIComponent(callId) + "/explain");
    $("explain").textContent = callId + ":\n" + data.explanations.map((e) => "• " + e.why).join("\n");
  }

  function waitingRow(q, w) {
    const channelOf = Object.fromEntries(queues.map((x) => [x.queue, x.channel || "voice"]));
    const same = (n) => (channelOf[n] || "voice") === (q.channel || "voice");  // a chat moves to a chat queue
    const move = Alur.el("select", { "aria-label": Alur.t("sup.move") },
      ...myQueues.filter((n) => n !== q.queue && same(n)).map((n) => Alur.el("option", { value: n, text: n })));
    const channel = Alur.t("chat.channel_" + (q.channel || "voice")) + (w.overdue ? " · " + Alur.t("sup.overdue") : "");
    return Alur.el("tr", { "data-call": w.call_id },
      Alur.el("td", { text: q.queue }),
      Alur.el("td", { "data-col": "channel", class: w.overdue ? "bad" : null, text: channel }),
      Alur.el("td", { text: w.caller_id || w.callback_number || "" }),
      Alur.el("td", { "data-secs": w.wait, text: Alur.duration(w.wait) }),
      Alur.el("td", { "data-col": "priority", text: String(w.priority) }),
      Alur.el("td", { class: "buttons" },
        Alur.el("button", { type: "button", "data-action": "why", text: Alur.t("sup.why"), onclick: () => explain(w.call_id).catch((e) => Alur.say(e.message, "error")) }),
        Alur.el("button", { type: "button", "data-action": "priority", text: Alur.t("sup.raise"), onclick: () => act("POST", "/calls/" + w.call_id + "/priority", { priority: w.priority + 10 }) }),
        move,
        Alur.el("button", { type: "button", "data-action": "move", text: Alur.t("sup.move"), disabled: !move.options.length, onclick: () => act("POST", "/calls/" + w.call_id + "/move", { queue: move.value }) })));
  }

  function draw() {
    $("agents").tBodies[0].replaceChildren(...agents.map(agentRow));
    const rows = queues.flatMap((q) => q.waiting.map((w) => waitingRow(q, w)));
    $("waiting").tBodies[0].replaceChildren(...rows);
    $("no-waiting").hidden = rows.length > 0;
  }

  const refresh = Alur.throttled(async () => {
    const [a, q] = await Promise.all([Alur.api("GET", "/agents"), Alur.api("GET", "/queues")]);
    agents = a.agents; queues = q.queues; fetchedAt = Date.now();
    draw();
  });

  function reportPath(format, by, table) {
    const queue = $("report-queue").value;
    return "/reports/" + (by || "interval") + "?interval=" + $("report-interval").value + (queue ? "&queue=" + encodeURIComponent(queue) : "")
      + (format ? "&format=" + format : "") + (table ? "&table=" + table : "");
  }

  // First-contact resolution per queue (and in total), and how often each IVR menu option is chosen.
  function resolutionCharts(perQueue) {
    const total = perQueue.first_contact_resolution;
    const fcr = Charts.bars(Alur.t("rep.fcr") + " · " + Alur.t("rep.total") + " " + Alur.percent(total.rate),
      perQueue.rows.map((r) => ({ label: r.queue, values: [r.fcr] })), [Alur.t("rep.fcr")], Alur.percent, 1);
    fcr.dataset.chart = "fcr";
    const flows = new Set(perQueue.ivr_options.map((o) => o.flow));
    const ivr = Charts.bars(Alur.t("rep.ivr"),
      perQueue.ivr_options.map((o) => ({ label: (flows.size > 1 ? o.flow + "/" : "") + o.node + " " + o.option, values: [o.count] })),
      [Alur.t("rep.choices")], (v) => String(Math.round(v)));
    ivr.dataset.chart = "ivr";
    return [fcr, ivr];
  }

  async function showReport() {
    const [data, perQueue] = await Promise.all([Alur.api("GET", reportPath()), Alur.api("GET", reportPath(null, "queue"))]);
    const label = (r) => new Date(r.start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const rows = (keys) => data.rows.map((r) => ({ label: label(r), values: keys.map((k) => r[k]) }));
    const n = (v) => String(Math.round(v));
    $("charts").replaceChildren(
      Charts.bars(Alur.t("rep.offered") + " / " + Alur.t("rep.answered") + " / " + Alur.t("rep.abandoned"),
        rows(["offered", "answered", "abandoned"]), [Alur.t("rep.offered"), Alur.t("rep.answered"), Alur.t("rep.abandoned")], n),
      Charts.bars(Alur.t("rep.service_level"), rows(["service_level"]), [Alur.t("rep.service_level")], Alur.percent, 1),
      Charts.bars(Alur.t("rep.asa") + " / " + Alur.t("rep.aht"), rows(["asa", "aht"]), [Alur.t("rep.asa"), Alur.t("rep.aht")], n),
      ...resolutionCharts(perQueue));
  }

  async function downloadCsv(by, table, file) {
    const text = await Alur.api("GET", reportPath("csv", by, table));
    const link = Alur.el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: file });
    document.body.append(link); link.click(); link.remove();
  }

  $("report-queue").replaceChildren(...(all ? [Alur.el("option", { value: "", text: "*" })] : []),
    ...myQueues.map((n) => Alur.el("option", { value: n, text: n })));
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); showReport().catch((x) => Alur.say(x.message, "error")); });
  for (const [button, by, table, file] of [["report-csv", "interval", null, "alur-interval.csv"],
    ["report-csv-queue", "queue", null, "alur-queue.csv"], ["report-csv-ivr", "queue", "ivr_options", "alur-ivr-options.csv"]])
    $(button).addEventListener("click", () => downloadCsv(by, table, file).catch((x) => Alur.say(x.message, "error")));
  // The clocks tick here between refreshes; the rows stay (a choice being made in a select is kept).
  function tick() {
    const elapsed = (Date.now() - fetchedAt) / 1000;
    document.querySelectorAll("td[data-secs]").forEach((td) => { td.textContent = Alur.duration(Number(td.dataset.secs) + elapsed); });
  }
  document.addEventListener("alur:lang", draw);
  setInterval(tick, 1000);
  Alur.live(() => refresh(), () => refresh());
})();
