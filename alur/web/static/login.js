// Log-in: check the token with /me, keep it in this tab, go to the page for the role.
"use strict";
(() => {
  const HOME = { agent: "agent.html", supervisor: "supervisor.html", admin: "supervisor.html" };
  // The handler goes on first, before anything is awaited: the token must never leave in a form's URL.
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = document.getElementById("token").value.trim();
    const response = await fetch("/me", { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) { Alur.say(Alur.t("login.bad"), "error"); return; }
    const me = await response.json();
    Alur.store.setItem("alur.token", token);
    location.href = HOME[me.role] || "wallboard.html";
  });
  const picker = document.getElementById("lang");
  picker.addEventListener("change", () => Alur.setLanguage(picker.value));
  Alur.loadTexts(Alur.lang()).then(() => {
    if (new URLSearchParams(location.search).has("denied")) Alur.say(Alur.t("login.denied"), "error");
  });
})();
