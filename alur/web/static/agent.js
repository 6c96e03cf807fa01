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

  function act(path, body, done) {
    return async () => {
      try { Alur.say(""); await Alur.api("POST", base + path, body && body()); if (done) done(); await refresh(); }
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
      $("accept").disabled = !!offer.offer.ringing_on && !offer.offer.accept_picks_up;  // a browser phone answers in its card
    }
    $("call").hidden = s !== "busy";
    if (s !== "busy") showHold(false);
    if (s === "busy" && status.call_id) CallNotes.open(status.call_id);
    if (s !== "busy") Transfer.idle();
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
    $("notes").value = CallNotes.read(CallNotes.last());  // what was typed during the call
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
  // Hold: the caller hears music until Resume; the button says which one it does next.
  function showHold(held) {
    const hold = $("hold");
    hold.setAttribute("aria-pressed", String(held));
    hold.dataset.t = held ? "agent.resume" : "agent.hold";
    hold.textContent = Alur.t(hold.dataset.t);
  }
  // "alur:held" keeps this button and the browser phone's (phone.js) in step, whichever was pressed.
  const announceHold = (held) => document.dispatchEvent(new CustomEvent("alur:held", { detail: held }));
  document.addEventListener("alur:held", (e) => showHold(e.detail));
  $("hold").addEventListener("click", () => {
    const held = $("hold").getAttribute("aria-pressed") === "true";
    act(held ? "/resume" : "/hold", null, () => announceHold(!held))();
  });
  $("wrapup-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const due = $("follow-up").value;
    const noted = CallNotes.last();
    act("/wrap-up", () => ({
      disposition: $("disposition").value, notes: $("notes").value, summary: $("summary").value, ready: true,
      follow_up: due ? { due: new Date(due).toISOString(), note: $("follow-up-note").value } : null,
    }), () => CallNotes.forget(noted))().then(loadFollowUps);
  });
  // Notes typed during a call: kept in this tab per call (sessionStorage), so a reload keeps them and
  // the wrap-up form starts with them.
  const CallNotes = (() => {
    const key = (callId) => "alur.notes." + callId;
    let current = Alur.store.getItem("alur.notes.last");
    $("call-notes").addEventListener("input", () => { if (current) Alur.store.setItem(key(current), $("call-notes").value); });
    return {
      open(callId) {
        if (callId === current && $("call-notes").dataset.call === callId) return;
        current = callId; Alur.store.setItem("alur.notes.last", callId);
        $("call-notes").dataset.call = callId;
        $("call-notes").value = Alur.store.getItem(key(callId)) || "";
      },
      last: () => current,
      read: (callId) => (callId && Alur.store.getItem(key(callId))) || "",
      forget(callId) { if (callId) Alur.store.removeItem(key(callId)); },
    };
  })();

  // Transfer during a call: blind (the call goes on now) or warm (consult first, then complete or
  // go back to the caller), to an agent, a queue or a phone number.
  const Transfer = (() => {
    let consulting = null;
    function show() {
      $("consulting").hidden = !consulting;
      $("transfer-go").disabled = !!consulting;
      if (consulting) $("consulting-text").textContent = Alur.t("agent.consulting", { to: consulting });
    }
    function targets() {
      const kind = $("transfer-kind").value;
      const names = kind === "queue" ? Object.keys(settings.queues) : [];
      $("transfer-targets").replaceChildren(...names.map((n) => Alur.el("option", { value: n })));
      $("transfer-to").inputMode = kind === "number" ? "tel" : "text";
    }
    async function send(path, body) {
      try { Alur.say(""); await Alur.api("POST", base + path, body); return true; }
      catch (e) { Alur.say(e.message, "error"); return false; }
    }
    $("transfer-kind").addEventListener("change", targets);
    $("transfer-go").addEventListener("click", async () => {
      const to = $("transfer-to").value.trim(), mode = $("transfer-mode").value;
      if (!to) { Alur.say(Alur.t("agent.transfer_missing"), "error"); $("transfer-to").focus(); return; }
      if (await send("/transfer", { to, kind: $("transfer-kind").value, mode })) {
        Alur.say(Alur.t(mode === "consult" ? "agent.consult_started" : "agent.transferred", { to }));
        consulting = mode === "consult" ? to : null;
        show(); refresh();
      }
    });
    $("transfer-complete").addEventListener("click", async () => {
      if (await send("/transfer/complete")) { consulting = null; show(); refresh(); }
    });
    $("transfer-cancel").addEventListener("click", async () => {
      if (await send("/transfer/cancel")) { consulting = null; show(); refresh(); }
    });
    targets();
    return {
      idle() { if (consulting) { consulting = null; show(); } },
      ended() { consulting = null; show(); },
      redraw: show,
    };
  })();

  document.addEventListener("alur:lang", () => { fillReasons(); draw(); Transfer.redraw(); loadFollowUps(); });
  fillReasons();
  setInterval(tick, 1000);
  setInterval(loadFollowUps, 60000);
  Alur.live((e) => {
    if (e.kind === "call.consult_ended") Transfer.ended();
    if ((e.kind === "call.held" || e.kind === "call.resumed") && e.event.fields.agent_id === id) announceHold(e.kind === "call.held");
    refresh();
  }, () => { refresh(); loadFollowUps(); });
})();
