// Agent desktop: state buttons, the offer with the screen pop, the call, the wrap-up form, today's
// figures and due follow-ups. Refreshed on the agent's own events (at most once a second).
"use strict";
(async () => {
  const me = await Alur.page(["agent"]);
  if (!me) return;
  const id = me.agent_id, base = "/agents/" + encodeURIComponent(id);
  const $ = (x) => document.getElementById(x);
  const settings = await Alur.api("GET", "/settings");
  let status = null, fetchedAt = Date.now(), offer = null, lastQueue = null;
  $("who").textContent = id;

  function fillReasons() {
    const reasons = settings.pause_reasons.length ? settings.pause_reasons : ["break"];
    $("reason").replaceChildren(...reasons.map((r) => Alur.el("option", { value: r, text: r })));
  }

  function act(path, body) {
    return async () => {
      try { Alur.say(""); await Alur.api("POST", base + path, body && body()); await refresh(); }
      catch (e) { Alur.say(e.message, "error"); }
    };
  }

  function details(list, rows) {
    list.replaceChildren(...rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [Alur.el("dt", { text: Alur.t(k) }), Alur.el("dd", { text: String(v) })]));
  }

  function customerText(c) {
    if (!c) return Alur.t("agent.unknown_customer");
    return Object.entries(c).filter(([k]) => k !== "pin").map(([k, v]) => k + ": " + v).join(" · ");
  }

  function tick() {
    if (!status) return;
    const inState = (status.time_in_state || 0) + (Date.now() - fetchedAt) / 1000;
    $("in-state").textContent = status.since ? Alur.t("agent.in_state", { t: Alur.duration(inState) }) : "";
    $("wrapup-timer").textContent = status.state === "wrap_up" ? Alur.duration(inState) : "";
  }

  function draw() {
    if (!status) return;
    const s = status.state;
    $("state").textContent = Alur.t("state." + s) + (s === "paused" && status.reason ? " (" + status.reason + ")" : "");
    $("state").dataset.state = s;
    $("login").hidden = s !== "offline";
    $("ready").disabled = !["paused", "wrap_up"].includes(s);
    $("pause").disabled = s === "offline" || s === "paused";
    $("agent-logout").disabled = s === "offline";
    $("offer").hidden = !offer;
    if (offer) {
      details($("offer-details"), [["agent.caller", offer.offer.caller_id], ["agent.queue", offer.offer.queue],
        ["agent.flow", offer.offer.flow], ["agent.customer", customerText(offer.customer)]]);
      $("accept").disabled = !!offer.offer.ringing_on;
    }
    $("call").hidden = s !== "busy";
    details($("call-details"), [["agent.queue", status.queue], ["sup.call", status.call_id]]);
    const wrapping = s === "wrap_up";
    if (wrapping && $("wrapup").hidden) prepareWrapUp();
    $("wrapup").hidden = !wrapping;
    $("calls-today").textContent = String(status.calls_today);
    $("aht-today").textContent = status.calls_today ? Alur.duration(status.talk_today / status.calls_today) : "–";
    tick();
  }

  function prepareWrapUp() {
    const queue = settings.queues[status.queue || lastQueue] || { dispositions: [], disposition_required: false };
    const options = queue.dispositions.map((d) => Alur.el("option", { value: d, text: d }));
    $("disposition").replaceChildren(Alur.el("option", { value: "", text: Alur.t("agent.choose") }), ...options);
    $("disposition").required = queue.disposition_required;
    for (const f of ["notes", "summary", "follow-up", "follow-up-note"]) $(f).value = "";
  }

  async function loadFollowUps() {
    const data = await Alur.api("GET", base + "/follow-ups?due=true");
    const items = data.follow_ups.map((f) => Alur.el("li", {},
      new Date(f.due_at * 1000).toLocaleString() + " · " + (f.note || f.call_id) + " ",
      Alur.el("button", { type: "button", text: Alur.t("agent.done"),
        onclick: act("/follow-ups/" + f.follow_up_id + "/done") })));
    $("follow-ups").replaceChildren(...(items.length ? items : [Alur.el("li", { text: Alur.t("agent.none_due") })]));
  }

  const refresh = Alur.throttled(async () => {
    status = await Alur.api("GET", base);
    fetchedAt = Date.now();
    offer = ["reserved", "ringing"].includes(status.state) ? await Alur.api("GET", base + "/offer") : null;
    if (offer && !offer.offer) offer = null;
    if (offer) lastQueue = offer.offer.queue;
    draw();
  });

  $("login").addEventListener("click", act("/login"));
  $("ready").addEventListener("click", act("/ready"));
  $("pause").addEventListener("click", act("/pause", () => ({ reason: $("reason").value })));
  $("agent-logout").addEventListener("click", act("/logout"));
  $("accept").addEventListener("click", act("/offer/accept"));
  $("reject").addEventListener("click", act("/offer/reject"));
  $("hangup").addEventListener("click", act("/hangup"));
  $("wrapup-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const due = $("follow-up").value;
    act("/wrap-up", () => ({
      disposition: $("disposition").value, notes: $("notes").value, summary: $("summary").value, ready: true,
      follow_up: due ? { due: new Date(due).toISOString(), note: $("follow-up-note").value } : null,
    }))().then(loadFollowUps);
  });
  document.addEventListener("alur:lang", () => { fillReasons(); draw(); loadFollowUps(); });
  fillReasons();
  setInterval(tick, 1000);
  setInterval(loadFollowUps, 60000);
  Alur.live(() => refresh(), () => { refresh(); loadFollowUps(); });
})();
