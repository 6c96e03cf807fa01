// Agent desktop, chats panel: the chat, SMS and e-mail conversations offered to or held by this agent,
// each with its transcript; accept or decline an offer, reply, close, and open the customer's history.
// Kept apart from agent.js: it needs only the #chats section and its own live stream.
"use strict";
(async () => {
  const box = document.getElementById("chats");
  if (!box) return;
  const me = await Alur.api("GET", "/me");
  if (me.role !== "agent") return;
  const base = "/agents/" + encodeURIComponent(me.agent_id) + "/conversations";
  const E = Alur.el;
  const drafts = {}, readUpTo = {};
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

  async function run(fn) {
    try { Alur.say(""); await fn(); await refresh(); } catch (e) { Alur.say(e.message, "error"); }
  }

  function card(c) {
    const path = base + "/" + encodeURIComponent(c.conversation_id);
    const head = E("h3", {}, E("span", { class: "chat-channel", text: Alur.t("chat.channel_" + c.channel) }), " " + who(c)
      + (c.subject ? " · " + c.subject : ""));
    const item = E("article", { class: "chat", "data-conversation": c.conversation_id, "data-state": c.state }, head);
    item.append(transcript(c));
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
      item.append(form, E("div", { class: "buttons" },
        E("button", { type: "button", class: "chat-close", text: Alur.t("chat.close"),
          onclick: () => run(() => Alur.api("POST", path + "/close")) }),
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
    if (e.kind.startsWith("conversation.") || e.kind.startsWith("offer.")) refresh();
  }, () => refresh());
})();
