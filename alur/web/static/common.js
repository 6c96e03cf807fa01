// Shared by every page: the token (sessionStorage), API calls, texts in two languages, the live stream.
"use strict";
const Alur = (() => {
  const store = window.sessionStorage;
  let texts = {};

  const token = () => store.getItem("alur.token");
  const lang = () => store.getItem("alur.lang") || ((navigator.language || "en").startsWith("id") ? "id" : "en");

  function t(key, vars) {
    let s = texts[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace("{" + k + "}", v);
    return s;
  }

  async function loadTexts(code) {
    const response = await fetch("i18n/" + code + ".json");
    texts = await response.json();
    document.documentElement.lang = code;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
    document.querySelectorAll("[data-t-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.tLabel)); });
    const picker = document.getElementById("lang");
    if (picker) picker.value = code;
  }

  async function setLanguage(code) {
    store.setItem("alur.lang", code);
    await loadTexts(code);
    document.dispatchEvent(new CustomEvent("alur:lang"));
  }

  class ApiError extends Error {
    constructor(status, body) { super(body.message || ("HTTP " + status)); this.status = status; this.body = body; }
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token() };
    const init = { method, headers };
    if (body !== undefined) {
      if (typeof body === "string") { headers["Content-Type"] = "application/yaml"; init.body = body; }
      else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    }
    const response = await fetch("/" + path.replace(/^\//, ""), init);
    const text = await response.text();
    const data = text && (response.headers.get("content-type") || "").includes("json") ? JSON.parse(text) : text;
    if (response.status === 401) { forget(); throw new ApiError(401, data); }
    if (!response.ok) throw new ApiError(response.status, data || {});
    return data;
  }

  function forget() { store.removeItem("alur.token"); store.removeItem("alur.me"); location.href = "index.html"; }

  // The log-out button also ends a password log-in's session on the server (an API token is kept).
  async function logout() {
    try { await fetch("/logout", { method: "POST", headers: { Authorization: "Bearer " + token() } }); }
    catch (e) { console.error(e); }
    forget();
  }

  // Pages other than log-in need a token with one of `roles`; anyone else goes back to log in.
  async function page(roles) {
    if (!token()) { location.href = "index.html"; return null; }
    await loadTexts(lang());
    const me = await api("GET", "/me");
    if (!roles.includes(me.role)) { location.href = "index.html?denied=1"; return null; }
    const picker = document.getElementById("lang");
    if (picker) picker.addEventListener("change", () => setLanguage(picker.value));
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", logout);
    return me;
  }

  // The WebSocket: calls onEvent per event, onOpen at every (re)connection; reconnects by itself.
  function live(onEvent, onOpen) {
    let delay = 500;
    const status = document.getElementById("live");
    function connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const ws = new WebSocket(scheme + location.host + "/ws?token=" + encodeURIComponent(token()));
      ws.onopen = () => { delay = 500; if (status) { status.dataset.state = "on"; status.dataset.t = "live.on"; status.textContent = t("live.on"); } onOpen(); };
      ws.onmessage = (m) => { const data = JSON.parse(m.data); if (data.kind) onEvent(data); };
      ws.onclose = () => {
        if (status) { status.dataset.state = "off"; status.dataset.t = "live.off"; status.textContent = t("live.off"); }
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
  }

  // Runs `fn` at most once a second however many events ask for it (one request per second per tab).
  function throttled(fn) {
    let pending = false, running = false, last = 0;
    async function run() {
      if (running) { pending = true; return; }
      const wait = 1000 - (Date.now() - last);
      if (wait > 0) { if (!pending) { pending = true; setTimeout(() => { pending = false; run(); }, wait); } return; }
      running = true; last = Date.now();
      try { await fn(); } catch (e) { console.error(e); } finally { running = false; }
      if (pending) { pending = false; run(); }
    }
    return run;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    const m = Math.floor(s / 60), h = Math.floor(m / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? h + ":" + pad(m % 60) + ":" + pad(s % 60) : m + ":" + pad(s % 60);
  }

  const percent = (x) => (x === null || x === undefined || isNaN(x)) ? "–" : Math.round(x * 100) + "%";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function say(message, kind) {
    const box = document.getElementById("message");
    if (!box) return;
    box.textContent = message || "";
    box.dataset.kind = kind || "info";
  }

  return { token, t, api, page, live, throttled, duration, percent, el, say, logout, loadTexts, setLanguage, lang, ApiError, store };
})();
