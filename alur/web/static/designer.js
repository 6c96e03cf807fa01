// Flow designer: flows and their versions, the YAML in a textarea checked as you type (the problems
// sit next to the node at fault in the diagram and in a list), the diagram redrawn, publish, roll back.
"use strict";
(async () => {
  const me = await Alur.page(["admin"]);
  if (!me) return;
  const $ = (x) => document.getElementById(x);
  let current = null, timer = null, editing = null;  // the flow and the stored version in the editor
  let liveVersion = null, activity = null;  // the version new calls run; its counts per node

  async function loadFlows() {
    const data = await Alur.api("GET", "/flows");
    $("flows").replaceChildren(...data.flows.map((f) => Alur.el("li", {},
      Alur.el("button", { type: "button", "data-flow": f.flow, text: f.flow + " (v" + f.live_version + ")", onclick: () => openFlow(f.flow) }))));
    if (!current && data.flows.length) await openFlow(data.flows[0].flow);
  }

  async function openFlow(name) {
    current = name;
    const data = await Alur.api("GET", "/flows/" + encodeURIComponent(name) + "/versions");
    $("versions").tBodies[0].replaceChildren(...data.versions.map((v) => Alur.el("tr", { "data-version": v.version },
      Alur.el("td", { text: "v" + v.version + (v.live ? " ★ " + Alur.t("fd.live") : "") }),
      Alur.el("td", { text: v.created_by || "" }),
      Alur.el("td", { class: "buttons" },
        Alur.el("button", { type: "button", "data-action": "open", text: Alur.t("fd.open"), onclick: () => openVersion(name, v.version) }),
        v.live ? null : Alur.el("button", { type: "button", "data-action": "rollback", text: Alur.t("fd.rollback"), onclick: () => rollback(name, v.version) })))));
    liveVersion = data.live_version ?? 0;
    await openVersion(name, liveVersion);
  }

  async function openVersion(name, version) {
    const data = await Alur.api("GET", "/flows/" + encodeURIComponent(name) + "/versions/" + version);
    $("editing").textContent = name + " v" + version;
    editing = version;
    if (version === liveVersion) loadActivity();
    $("source").value = data.source;
    await check();
  }

  // The problems next to their node: a label on the node in the diagram, and the list under the editor.
  function showProblems(problems) {
    $("problems").replaceChildren(...problems.map((p) => Alur.el("li", { class: "bad", "data-node": p.node || "" },
      (p.node ? p.node + " · " : "") + (p.line ? Alur.t("fd.line") + " " + p.line + ": " : "") + p.message)));
    document.querySelectorAll("#diagram g.node").forEach((g) => {
      const id = g.querySelector("title")?.textContent;
      const mine = problems.filter((p) => p.node === id);
      g.classList.toggle("fault", mine.length > 0);
      g.querySelector("text.problem")?.remove();
      if (mine.length) {
        const shape = g.querySelector("polygon, ellipse, path");
        const box = shape.getBBox();
        const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
        label.setAttribute("class", "problem");
        label.setAttribute("x", box.x + box.width + 6);
        label.setAttribute("y", box.y + box.height / 2);
        label.textContent = "⚠ " + mine.map((p) => p.message).join("; ");
        g.append(label);
      }
    });
    // Widen the drawing so the labels beside the nodes are inside it.
    const svg = document.querySelector("#diagram svg");
    if (svg) {
      const box = svg.getBBox();
      svg.setAttribute("viewBox", `${box.x - 4} ${box.y - 4} ${box.width + 8} ${box.height + 8}`);
      svg.setAttribute("width", box.width + 8 + "pt");
      svg.setAttribute("height", box.height + 8 + "pt");
    }
  }

  async function check() {
    const data = await Alur.api("POST", "/flows/diagram" + (editing === null ? "" : "?version=" + editing), $("source").value);
    if (data.svg) $("diagram").innerHTML = data.svg;  // drawn by the server's Graphviz from our own flow
    $("diagram").classList.toggle("stale", !data.valid);
    showProblems(data.problems);
    showActivity();
    return data;
  }

  // On the live version's diagram: callers at each node now, entries today, callers who hung up there.
  function showActivity() {
    document.querySelectorAll("#diagram text.activity").forEach((t) => t.remove());
    const shown = activity && activity.flow === current && editing === liveVersion;
    $("activity-note").hidden = !shown;
    if (!shown) return;
    document.querySelectorAll("#diagram g.node").forEach((g) => {
      const counts = activity.nodes[g.querySelector("title")?.textContent];
      const shape = g.querySelector("polygon, ellipse, path");
      if (!counts || !shape) return;
      const box = shape.getBBox();
      const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
      label.setAttribute("class", "activity");
      label.setAttribute("x", box.x);
      label.setAttribute("y", box.y - 3);
      label.textContent = Alur.t("fd.activity", counts);
      g.append(label);
    });
  }

  async function loadActivity() {
    if (!current || editing !== liveVersion) return;
    try { activity = await Alur.api("GET", "/flows/" + encodeURIComponent(current) + "/activity"); showActivity(); }
    catch (e) { if (e.status !== 404) Alur.say(e.message, "error"); }
  }
  // Re-read on the stream's events, at most every 5 s (the counts come from today's log).
  let activityDue = null;
  function activitySoon() { if (!activityDue) activityDue = setTimeout(() => { activityDue = null; loadActivity(); }, 5000); }

  async function publish() {
    try {
      const data = await Alur.api("POST", "/flows", $("source").value);
      Alur.say(Alur.t("fd.published", { flow: data.flow, version: data.version }));
      await loadFlows();
      await openFlow(data.flow);
    } catch (e) {
      if (e.body && e.body.problems) showProblems(e.body.problems);
      Alur.say(e.message, "error");
    }
  }

  async function rollback(name, version) {
    try { await Alur.api("POST", "/flows/" + encodeURIComponent(name) + "/rollback", { version }); await loadFlows(); await openFlow(name); }
    catch (e) { Alur.say(e.message, "error"); }
  }

  // New flows start from a template (fitted to the project's queue and calendar by the server).
  let starters = [];
  async function loadTemplates() {
    starters = (await Alur.api("GET", "/flows/templates")).templates;
    $("template").replaceChildren(...starters.map((t) => Alur.el("option", { value: t.id, text: t.description + " (" + t.flow + ")" })));
  }
  $("use-template").addEventListener("click", async () => {
    const chosen = starters.find((t) => t.id === $("template").value);
    if (!chosen) return;
    current = chosen.flow; editing = null;
    $("editing").textContent = chosen.flow + " · " + Alur.t("fd.new");
    $("versions").tBodies[0].replaceChildren();
    $("source").value = chosen.source;
    $("source").focus();
    await check().catch((e) => Alur.say(e.message, "error"));
  });

  // The project's flow tests (as `alur test-flow`), with the flow in the editor in place of its live version.
  async function runTests() {
    $("tests-summary").textContent = Alur.t("fd.testing");
    $("test-results").replaceChildren();
    try {
      const data = await Alur.api("POST", "/flows/tests", $("source").value);
      $("tests-summary").textContent = Alur.t("fd.tests_summary", { passed: data.passed, failed: data.failed });
      $("tests-summary").className = data.failed || data.problems.length ? "bad" : "ok";
      $("test-results").replaceChildren(
        ...data.problems.map((p) => Alur.el("li", { class: "bad", text: p.text })),
        ...data.results.map((r) => Alur.el("li", { "data-passed": String(r.passed) },
          Alur.el("span", { class: r.passed ? "ok" : "bad", text: (r.passed ? "✔ " : "✘ ") + r.name }),
          r.passed ? null : Alur.el("ul", {}, ...r.failures.map((f) => Alur.el("li", { text: f }))))));
    } catch (e) {
      $("tests-summary").textContent = "";
      if (e.body && e.body.problems) showProblems(e.body.problems);
      Alur.say(e.message, "error");
    }
  }
  $("run-tests").addEventListener("click", runTests);

  $("source").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => check().catch((e) => Alur.say(e.message, "error")), 500); });
  $("publish").addEventListener("click", publish);
  await Promise.all([loadFlows(), loadTemplates()]);
  Alur.live(activitySoon, loadActivity);
})();
