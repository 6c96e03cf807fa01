// Agent desktop, chats panel: the chat, SMS and e-mail conversations offered to or held by this agent,
// each with its transcript; accept or decline an offer, reply, close with a disposition and notes, and
// open the customer's history. Shows when the customer is typing, when they have read the replies, and
// the time left to the queue's response target.
// Kept apart from agent.js: it needs only the #chats section and its own live stream.
"use strict";
(async () => {
  const box = document.getElementById("chats");
  if (!box) return;
  const me = await Alur.api("GET", "/me");
  if (me.role !== "agent") return;
  const base = "/agents/" + encodeURIComponent(me.agent_id) + "/conversations";
  const E = Alur.el;
  const drafts = {}, readUpTo = {}, typingUntil = {}, closing = {};
  let last = { conversations: [], load: [] }, typedAt = 0;

  function who(c) { return c.name || c.phone || c.email || c.conversation_id; }

  function transcript(c) {
    const list = E("ol", { class: "chat-log", "aria-label": Alur.t("chat.transcript") });
    for (const m of c.messages) {
      list.append(E("li", { class: "chat-msg " + m.sender },
        E("span", { class: "chat-who", text: Alur.t("chat.from_" + m.sender) }), m.text));
    }
    return list;
  }

  // "due in 3:59:12" / "overdue 0:12" (the queue's response target), until the agent's first reply
  function dueText(c) {
    if (!c.due_at || c.responded_at) return "";
    const left = c.due_at - Date.now() / 1000;
    return left >= 0 ? Alur.t("chat.due_in", { time: Alur.duration(left) })
      : Alur.t("chat.overdue", { time: Alur.duration(-left) });
  }

  function seen(c) {
    const mine = c.messages.filter((m) => m.sender === "agent");
    const read = (c.read || {}).customer || 0;
    return c.channel === "chat" && mine.length && read >= mine[mine.length - 1].at;
  }

  function closeForm(c, path) {
    const state = closing[c.conversation_id];
    const pick = E("select", { class: "chat-disposition", "aria-label": Alur.t("agent.disposition") },
      E("option", { value: "", text: Alur.t("agent.choose") }),
      ...c.dispositions.map((d) => E("option", { value: d, text: d })));
    pick.value = state.disposition;
    pick.required = c.disposition_required;
    pick.addEventListener("change", () => { state.disposition = pick.value; });
    const notes = E("textarea", { class: "chat-notes", rows: "2", "aria-label": Alur.t("agent.notes") });
    notes.value = state.notes;
    notes.addEventListener("input", () => { state.notes = notes.value; });
    const form = E("form", { class: "chat-wrap" },
      E("label", { text: Alur.t("agent.disposition") }), pick,
      E("label", { text: Alur.t("agent.notes") }), notes,
      E("div", { class: "buttons" },
        E("button", { type: "submit", class: "primary chat-close-done", text: Alur.t("chat.close") }),
        E("button", { type: "button", class: "chat-close-cancel", text: Alur.t("chat.cancel"),
          onclick: () => { delete closing[c.conversation_id]; draw(); } })));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      run(async () => {
        await Alur.api("POST", path + "/close", { disposition: state.disposition, notes: state.notes });
        delete closing[c.conversation_id];
      });
    });
    return form;
  }

  async function run(fn) {
    try { Alur.say(""); await fn(); await refresh(); } catch (e) { Alur.say(e.message, "error"); }
  }

  function card(c) {
    const path = base + "/" + encodeURIComponent(c.conversation_id);
    const head = E("h3", {}, E("span", { class: "chat-channel", text: Alur.t("chat.channel_" + c.channel) }), " " + who(c)
      + (c.subject ? " · " + c.subject : ""));
    const item = E("article", { class: "chat", "data-conversation": c.conversation_id, "data-state": c.state }, head);
    const due = dueText(c);
    if (due) item.append(E("p", { class: "chat-due" + (c.overdue ? " overdue" : ""), "data-due": c.due_at, text: due }));
    item.append(transcript(c));
    if (seen(c)) item.append(E("p", { class: "chat-seen", text: Alur.t("chat.seen") }));
    if ((typingUntil[c.conversation_id] || 0) > Date.now()) {
      item.append(E("p", { class: "chat-typing", text: Alur.t("chat.typing", { who: who(c) }) }));
    }
    if (c.offer) {
      item.append(E("div", { class: "buttons" },
        E("button", { type: "button", class: "primary chat-accept", text: Alur.t("agent.accept"),
          onclick: () => run(() => Alur.api("POST", path + "/accept")) }),
        E("button", { type: "button", class: "danger chat-decline", text: Alur.t("agent.reject"),
          onclick: () => run(() => Alur.api("POST", path + "/decline")) })));
    } else if (c.agent_id === me.agent_id) {
      const text = E("textarea", { class: "chat-text", rows: "2", "aria-label": Alur.t("chat.reply") });
      text.value = drafts[c.conversation_id] || "";
      text.addEventListener("input", () => {
        drafts[c.conversation_id] = text.value;
        if (Date.now() - typedAt > 2000) { typedAt = Date.now(); Alur.api("POST", path + "/typing").catch(() => {}); }
      });
      const form = E("form", { class: "chat-form" }, text,
        E("button", { type: "submit", class: "primary", text: Alur.t("chat.send") }));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const said = text.value;
        if (!said.trim()) return;
        delete drafts[c.conversation_id];
        run(() => Alur.api("POST", path + "/messages", { text: said }));
      });
      item.append(form);
      if (closing[c.conversation_id]) item.append(closeForm(c, path));
      else item.append(E("div", { class: "buttons" },
        E("button", { type: "button", class: "chat-close", text: Alur.t("chat.close"),
          onclick: () => { closing[c.conversation_id] = { disposition: "", notes: "" }; draw(); } }),
        E("button", { type: "button", class: "chat-history", text: Alur.t("chat.history"),
          onclick: () => history(c) })));
      const newest = c.messages.length ? c.messages[c.messages.length - 1].at : 0;
      if (newest > (readUpTo[c.conversation_id] || 0)) {
        readUpTo[c.conversation_id] = newest;
        Alur.api("POST", path + "/read").catch(() => {});
      }
    }
    return item;
  }

  // The customer's typing mark on one card, put or taken away in place (no redraw: no lost focus)
  function typing(id) {
    const card = box.querySelector('article[data-conversation="' + CSS.escape(id) + '"]');
    if (!card) return;
    const mark = card.querySelector(".chat-typing");
    const c = last.conversations.find((x) => x.conversation_id === id);
    if ((typingUntil[id] || 0) > Date.now() && c) {
      if (!mark) card.querySelector(".chat-log").after(E("p", { class: "chat-typing", text: Alur.t("chat.typing", { who: who(c) }) }));
    } else if (mark) mark.remove();
  }

  async function history(c) {
    const data = await Alur.api("GET", "/agents/" + encodeURIComponent(me.agent_id) + "/tasks/"
      + encodeURIComponent(c.conversation_id) + "/history");
    const list = E("ol", { class: "chat-timeline" });
    for (const h of data.items) {
      list.append(E("li", { "data-channel": h.channel },
        new Date(h.at * 1000).toLocaleString() + " · " + Alur.t("chat.channel_" + h.channel) + " · " + h.summary));
    }
    const old = box.querySelector(".chat-timeline-card");
    if (old) old.remove();
    box.append(E("section", { class: "chat-timeline-card" }, E("h3", { text: Alur.t("chat.history") + " · " + who(c) }), list));
  }

  function draw() {
    const load = last.load.map((l) => Alur.t("chat.channel_" + l.channel) + " " + l.held + "/" + l.capacity).join(" · ");
    const items = last.conversations.map(card);
    const keep = box.querySelector(".chat-timeline-card");
    box.replaceChildren(E("h2", { text: Alur.t("chat.title") + (load ? " (" + load + ")" : "") }),
      ...(items.length ? items : [E("p", { class: "chat-none", text: Alur.t("chat.none") })]), ...(keep ? [keep] : []));
    box.hidden = !last.load.length && !items.length;
  }

  const refresh = Alur.throttled(async () => { last = await Alur.api("GET", base); draw(); });
  document.addEventListener("alur:lang", draw);
  Alur.live((e) => {
    if (e.kind === "conversation.typing") {  // not logged: shown for a few seconds
      const id = e.event.conversation_id;
      typingUntil[id] = Date.now() + 4000;
      typing(id);
      setTimeout(() => typing(id), 4100);
    } else if (e.kind.startsWith("conversation.") || e.kind.startsWith("offer.")) refresh();
  }, () => refresh());
  setInterval(() => {  // the time left ticks without redrawing (a reply being typed keeps its focus)
    for (const c of last.conversations) {
      const el = box.querySelector('article[data-conversation="' + CSS.escape(c.conversation_id) + '"] .chat-due');
      if (el) el.textContent = dueText(c);
    }
  }, 15000);
})();
