// Log-in: with a name and a password (POST /login gives a session token) or with an API token; the
// token is checked with /me, kept in this tab, and the page for the role opens.
"use strict";
(() => {
  const HOME = { agent: "agent.html", supervisor: "supervisor.html", admin: "supervisor.html" };
  const $ = (x) => document.getElementById(x);

  async function withPassword(name, password) {
    const response = await fetch("/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, password }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 429) { Alur.say(Alur.t("login.throttled", { s: data.retry_after || 60 }), "error"); return null; }
    if (!response.ok) { Alur.say(Alur.t("login.bad_password"), "error"); return null; }
    return data.token;
  }

  async function withToken(token) {
    const response = await fetch("/me", { headers: { Authorization: "Bearer " + token } });
    return response.ok ? response.json() : null;
  }

  // The handler goes on first, before anything is awaited: secrets must never leave in a form's URL.
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("name").value.trim(), password = $("password").value;
    let token = $("token").value.trim();
    if (!token && !(name && password)) { Alur.say(Alur.t("login.missing"), "error"); return; }
    if (!token) {
      token = await withPassword(name, password);
      if (!token) { $("password").value = ""; $("password").focus(); return; }
    }
    const me = await withToken(token);
    if (!me) { Alur.say(Alur.t("login.bad"), "error"); return; }
    Alur.store.setItem("alur.token", token);
    location.href = HOME[me.role] || "wallboard.html";
  });
  const picker = $("lang");
  picker.addEventListener("change", () => Alur.setLanguage(picker.value));
  Alur.loadTexts(Alur.lang()).then(() => {
    if (new URLSearchParams(location.search).has("denied")) Alur.say(Alur.t("login.denied"), "error");
  });
})();
