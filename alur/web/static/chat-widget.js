// Alur web chat widget. Put one tag on any page of your site:
//   <script src="https://YOUR-ALUR-SERVER/ui/chat-widget.js" data-lang="en" async></script>
// (data-lang: en or id; data-title: the launcher's text). No cookie is used: the chat's id and secret
// are kept in this site's localStorage, so a visitor who reloads the page comes back to the same chat.
// The site must be listed in alur.yaml channels.chat.origins (or origins: ["*"]).
"use strict";
(() => {
  const script = document.currentScript;
  const server = new URL(script.src, location.href).origin;
  const KEY = "alur.chat." + server;
  const TEXTS = {
    en: { open: "Chat with us", title: "Chat", name: "Your name", phone: "Phone (optional)", start: "Start chat",
      send: "Send", placeholder: "Type a message…", typing: "{who} is typing…", agent: "You are chatting with {name}",
      position: "You are number {n} in line", read: "Read", ended: "The chat has ended.", again: "Start a new chat",
      end: "End chat", close: "Close", failed: "The chat could not start. Please try again later.", you: "You",
      bot: "Assistant", staff: "Agent" },
    id: { open: "Chat dengan kami", title: "Chat", name: "Nama Anda", phone: "Telepon (opsional)", start: "Mulai chat",
      send: "Kirim", placeholder: "Tulis pesan…", typing: "{who} sedang mengetik…", agent: "Anda sedang chat dengan {name}",
      position: "Anda nomor {n} dalam antrean", read: "Dibaca", ended: "Chat telah berakhir.", again: "Mulai chat baru",
      end: "Akhiri chat", close: "Tutup", failed: "Chat tidak dapat dimulai. Silakan coba lagi nanti.", you: "Anda",
      bot: "Asisten", staff: "Agen" },
  };
  const lang = (script.dataset.lang || navigator.language || "en").slice(0, 2) === "id" ? "id" : "en";
  const t = (k, vars) => Object.entries(vars || {}).reduce((s, [a, b]) => s.replace("{" + a + "}", b), TEXTS[lang][k]);

  const host = document.createElement("div");
  host.id = "alur-chat";
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>
    :host { all: initial; }
    [hidden] { display: none !important; }
    * { box-sizing: border-box; font: 14px/1.4 system-ui, sans-serif; }
    .launch { position: fixed; right: 20px; bottom: 20px; padding: 12px 18px; border: 0; border-radius: 24px;
      background: #0b5cab; color: #fff; cursor: pointer; box-shadow: 0 2px 8px #0004; z-index: 2147483000; }
    .panel { position: fixed; right: 20px; bottom: 20px; width: 340px; height: 480px; display: flex;
      flex-direction: column; background: #fff; border-radius: 10px; box-shadow: 0 4px 20px #0005; z-index: 2147483001; }
    header { display: flex; justify-content: space-between; align-items: center; padding: 10px 12px;
      background: #0b5cab; color: #fff; border-radius: 10px 10px 0 0; }
    header button { background: none; border: 0; color: #fff; cursor: pointer; }
    .log { flex: 1; overflow-y: auto; padding: 10px; background: #f4f6f8; }
    .msg { margin: 6px 0; padding: 8px 10px; border-radius: 8px; max-width: 85%; white-space: pre-wrap; }
    .customer { margin-left: auto; background: #0b5cab; color: #fff; }
    .agent, .bot { background: #fff; border: 1px solid #dde; }
    .who { display: block; font-size: 11px; opacity: .7; }
    .note { text-align: center; font-size: 12px; color: #556; margin: 6px 0; }
    .choices button { margin: 4px 4px 0 0; padding: 6px 10px; border: 1px solid #0b5cab; border-radius: 14px;
      background: #fff; color: #0b5cab; cursor: pointer; }
    form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #dde; }
    form.start { flex-direction: column; }
    input, textarea { flex: 1; padding: 8px; border: 1px solid #bbc; border-radius: 6px; resize: none; }
    form button { padding: 8px 12px; border: 0; border-radius: 6px; background: #0b5cab; color: #fff; cursor: pointer; }
    .status { min-height: 18px; padding: 0 10px; font-size: 12px; color: #556; }
  </style>
  <button class="launch" type="button"></button>
  <div class="panel" hidden role="dialog">
    <header><strong class="title"></strong><span><button class="end" type="button"></button>
      <button class="close" type="button" aria-label="close">✕</button></span></header>
    <div class="log" aria-live="polite"></div>
    <div class="status" aria-live="polite"></div>
    <form class="start"><input name="name" autocomplete="name"><input name="phone" autocomplete="tel">
      <button type="submit"></button></form>
    <form class="say" hidden><textarea name="text" rows="2"></textarea><button type="submit"></button></form>
  </div>`;
  const $ = (sel) => root.querySelector(sel);
  const launch = $(".launch"), panel = $(".panel"), log = $(".log"), status = $(".status");
  const startForm = $("form.start"), sayForm = $("form.say");
  launch.textContent = script.dataset.title || t("open");
  $(".title").textContent = t("title");
  $(".end").textContent = t("end");
  $(".close").setAttribute("aria-label", t("close"));
  startForm.name.placeholder = t("name");
  startForm.phone.placeholder = t("phone");
  startForm.querySelector("button").textContent = t("start");
  sayForm.text.placeholder = t("placeholder");
  sayForm.querySelector("button").textContent = t("send");

  let ws = null, chat = null, typingTimer = null, lastTyping = 0;
  const saved = () => { try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; } };

  function note(text) { const p = document.createElement("p"); p.className = "note"; p.textContent = text; log.append(p); log.scrollTop = log.scrollHeight; }

  function show(m) {
    const div = document.createElement("div");
    div.className = "msg " + m.sender;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = m.sender === "customer" ? t("you") : m.sender === "bot" ? t("bot") : t("staff");
    div.append(who, document.createTextNode(m.text));
    log.append(div);
    const choices = (m.extra && m.extra.choices) || [];
    if (choices.length) {
      const row = document.createElement("div");
      row.className = "choices";
      for (const c of choices) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = c.label;
        b.addEventListener("click", () => { send(c.label); row.remove(); });
        row.append(b);
      }
      log.append(row);
    }
    log.scrollTop = log.scrollHeight;
  }

  function send(text) { if (ws && ws.readyState === 1 && text.trim()) ws.send(JSON.stringify({ type: "message", text })); }

  function ended() {
    localStorage.removeItem(KEY);
    chat = null;
    note(t("ended"));
    sayForm.hidden = true; startForm.hidden = false;
    startForm.querySelector("button").textContent = t("again");
  }

  function connect() {
    const url = server.replace(/^http/, "ws") + "/public/chat/ws?conversation=" + encodeURIComponent(chat.conversation_id)
      + "&token=" + encodeURIComponent(chat.token);
    ws = new WebSocket(url);
    startForm.hidden = true; sayForm.hidden = false;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "hello") { log.replaceChildren(); (m.messages || []).forEach(show); if (m.agent_id) status.textContent = ""; }
      else if (m.type === "message") { show(m); status.textContent = ""; if (m.sender !== "customer") ws.send(JSON.stringify({ type: "read" })); }
      else if (m.type === "position") status.textContent = t("position", { n: m.position });
      else if (m.type === "agent") { status.textContent = ""; note(t("agent", { name: m.name })); }
      else if (m.type === "typing" && m.who !== "customer") {
        status.textContent = t("typing", { who: t("staff") });
        clearTimeout(typingTimer); typingTimer = setTimeout(() => { status.textContent = ""; }, 3000);
      } else if (m.type === "read" && m.reader === "agent") status.textContent = t("read");
      else if (m.type === "closed") { ws.onclose = null; ws.close(); ended(); }
    };
    ws.onclose = (e) => {
      if (e.code === 4404) { ended(); return; }
      setTimeout(() => { if (chat) connect(); }, 2000);
    };
  }

  startForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    log.replaceChildren(); status.textContent = "";
    try {
      const body = JSON.stringify({ name: startForm.name.value, phone: startForm.phone.value, page: location.href });
      const r = await fetch(server + "/public/chat/start", { method: "POST", headers: { "Content-Type": "text/plain" }, body });
      if (!r.ok) throw new Error(String(r.status));
      chat = await r.json();
      localStorage.setItem(KEY, JSON.stringify(chat));
      connect();
    } catch (err) { status.textContent = t("failed"); }
  });
  sayForm.addEventListener("submit", (e) => { e.preventDefault(); send(sayForm.text.value); sayForm.text.value = ""; });
  sayForm.text.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sayForm.requestSubmit(); } });
  sayForm.text.addEventListener("input", () => {
    if (ws && ws.readyState === 1 && Date.now() - lastTyping > 2000) { lastTyping = Date.now(); ws.send(JSON.stringify({ type: "typing" })); }
  });
  $(".end").addEventListener("click", () => { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "close" })); });
  launch.addEventListener("click", () => { panel.hidden = false; launch.hidden = true; });
  $(".close").addEventListener("click", () => { panel.hidden = true; launch.hidden = false; });

  chat = saved();
  if (chat) { panel.hidden = false; launch.hidden = true; connect(); }
})();
