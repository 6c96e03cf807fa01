// Log-in: check the token with /me, keep it in this tab, go to the page for the role.
"use strict";
(async () => {
  const HOME = { agent: "agent.html", supervisor: "supervisor.html", admin: "supervisor.html" };
  await Alur.loadTexts(Alur.lang());
  const picker = document.getElementById("lang");
  picker.addEventListener("change", () => Alur.setLanguage(picker.value));
  if (new URLSearchParams(location.search).has("denied")) Alur.say(Alur.t("login.denied"), "error");
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = document.getElementById("token").value.trim();
    const response = await fetch("/me", { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) { Alur.say(Alur.t("login.bad"), "error"); return; }
    const me = await response.json();
    Alur.store.setItem("alur.token", token);
    location.href = HOME[me.role] || "wallboard.html";
  });
})();
