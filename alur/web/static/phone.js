// Browser phone: the agent desktop page as the agent's phone over WebRTC. Offers ring here (sound and a
// panel), the agent answers or rejects; in the call: keypad (RFC 4733 digits to the far end), mute, hold
// (music on hold for the caller, through the API), hang up. Signalling goes over the /phone WebSocket; a reload re-attaches a call in progress (the choice
// "this browser is my phone" is kept in localStorage). Device check: microphone level and an echo call.
"use strict";
(() => {
  const KEY = "alur.phone";
  const el = Alur.el;
  const $ = (x) => document.getElementById(x);
  let ws = null, hello = null, call = null, echo = null, echoHeard = null, mic = null, audioCtx = null, ringer = null;
  let delay = 500, status = "off", statusVars = {}, retry = null;

  const keys = "123456789*0#".split("").map((d) =>
    el("button", { type: "button", "data-digit": d, text: d, onclick: () => digit(d) }));
  const card = el("section", { class: "card", id: "phone", "aria-labelledby": "phone-title" },
    el("h2", { id: "phone-title", "data-t": "phone.title", text: "Browser phone" }),
    el("label", {}, el("input", { type: "checkbox", id: "phone-use", onchange: (e) => use(e.target.checked) }),
      " ", el("span", { "data-t": "phone.use", text: "Use this browser as my phone" })),
    el("p", { id: "phone-status", role: "status", "aria-live": "polite" }),
    el("div", { id: "phone-ring", class: "offer", hidden: true },
      el("div", { class: "buttons" },
        el("button", { type: "button", id: "phone-answer", class: "primary", "data-t": "phone.answer", text: "Answer", onclick: answer }),
        el("button", { type: "button", id: "phone-reject", class: "danger", "data-t": "phone.reject", text: "Reject", onclick: reject }))),
    el("div", { id: "phone-call", hidden: true },
      el("div", { class: "keypad", id: "phone-keypad", role: "group", "data-t-label": "phone.keypad" }, ...keys),
      el("div", { class: "buttons" },
        el("button", { type: "button", id: "phone-mute", "aria-pressed": "false", "data-t": "phone.mute", text: "Mute", onclick: mute }),
        el("button", { type: "button", id: "phone-hold", "aria-pressed": "false", "data-t": "phone.hold", text: "Hold", onclick: hold }),
        el("button", { type: "button", id: "phone-hangup", class: "danger", "data-t": "phone.hangup", text: "Hang up", onclick: hangup }))),
    el("details", { id: "phone-check" },
      el("summary", { "data-t": "phone.check", text: "Device check" }),
      el("label", { for: "phone-meter", "data-t": "phone.mic", text: "Microphone level" }),
      el("meter", { id: "phone-meter", min: "0", max: "1", value: "0" }),
      el("div", { class: "buttons" },
        el("button", { type: "button", id: "phone-echo", "data-t": "phone.echo", text: "Test call (hear yourself)", onclick: toggleEcho })),
      el("p", { id: "phone-echo-extension", class: "hint", hidden: true })),
    el("audio", { id: "phone-audio", autoplay: true }));
  const column = document.querySelector("body.agent main > div:last-child") || document.body;
  column.prepend(card);

  function setStatus(s, vars) {
    status = s; statusVars = vars || {};
    $("phone-status").textContent = s === "off" ? "" : Alur.t("phone." + s, statusVars);
    $("phone-status").dataset.state = s;
    $("phone-ring").hidden = s !== "ringing";
    $("phone-call").hidden = !(s === "talking" || s === "held");
  }
  document.addEventListener("alur:lang", () => setStatus(status, statusVars));

  function send(message) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message)); }

  function use(on) {
    if (on) localStorage.setItem(KEY, "1"); else localStorage.removeItem(KEY);
    $("phone-use").checked = on;
    if (on) { sound(); connect(); microphone().catch(() => {}); }
    else {  // a call in progress ends with it; a ringing one is refused
      if (call) send({ type: call.pc ? "hangup" : "reject", leg: call.id });
      clearTimeout(retry); teardown();
      if (ws) { const old = ws; ws = null; old.close(); }
      setStatus("off");
    }
  }

  function connect() {
    if (ws) return;
    setStatus("connecting");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/phone?token=" + encodeURIComponent(Alur.token()));
    ws = socket;
    socket.onmessage = (m) => handle(JSON.parse(m.data));
    socket.onclose = () => {
      if (ws !== socket) return;  // closed on purpose
      ws = null;
      if (!localStorage.getItem(KEY)) return;
      setStatus("reconnecting");
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
  }

  async function handle(m) {
    switch (m.type) {
      case "hello": hello = m; delay = 500; if (!call) setStatus("ready"); showEchoExtension(); break;
      case "ring": call = { id: m.leg, caller: m.caller }; setStatus("ringing", { caller: m.caller }); startRinging(); break;
      case "resume": teardown(); call = { id: m.leg, caller: m.caller }; setStatus("reconnecting"); dial(); break;
      case "sdp": if (call && call.id === m.leg && call.pc) await call.pc.setRemoteDescription({ type: "answer", sdp: m.sdp }); break;
      case "talking":
        if (call && call.id === m.leg) {
          stopRinging(); setStatus("talking", { caller: call.caller });
          if (m.held) document.dispatchEvent(new CustomEvent("alur:held", { detail: true }));  // reloaded while held
        }
        break;
      case "end": if (call && call.id === m.leg) { teardown(); setStatus("ready"); } break;
      case "echo_sdp": if (echo) await echo.setRemoteDescription({ type: "answer", sdp: m.sdp }); break;
      case "replaced": localStorage.removeItem(KEY); use(false); Alur.say(Alur.t("phone.replaced"), "error"); break;
      case "error": Alur.say(m.message, "error"); break;
    }
  }

  async function microphone() {
    if (!mic) {
      try { mic = await navigator.mediaDevices.getUserMedia({ audio: true }); }
      catch (e) { Alur.say(Alur.t("phone.no_mic", { error: e.message }), "error"); throw e; }
      meter(mic, (level) => { $("phone-meter").value = level; });
    }
    return mic;
  }

  function sound() {
    if (!audioCtx) audioCtx = new AudioContext();
    if (audioCtx.state === "suspended") audioCtx.resume();
    return audioCtx;
  }

  // An analyser of a stream (what the test hook and the meter read).
  function analyse(stream) {
    const analyser = sound().createAnalyser();
    analyser.fftSize = 2048;
    sound().createMediaStreamSource(stream).connect(analyser);
    return analyser;
  }

  // The microphone's RMS level (0..1), reported every 100 ms.
  function meter(stream, report) {
    const analyser = analyse(stream);
    const data = new Float32Array(analyser.fftSize);
    setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const x of data) sum += x * x;
      report(Math.min(1, Math.sqrt(sum / data.length) * 4));
    }, 100);
  }

  function startRinging() {
    stopRinging();
    const ctx = sound();
    const beep = () => {
      const gain = ctx.createGain();
      gain.gain.value = 0.1;
      gain.connect(ctx.destination);
      for (const f of [440, 480]) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start();
        osc.stop(ctx.currentTime + 1);
      }
    };
    beep();
    ringer = setInterval(beep, 3000);
  }

  function stopRinging() { if (ringer) clearInterval(ringer); ringer = null; }

  function iceGathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000);  // what was gathered by then is enough on a LAN
    });
  }

  async function offer(pc) {
    const stream = await microphone();
    for (const track of stream.getAudioTracks()) pc.addTrack(track.clone(), stream);
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    return pc.localDescription.sdp;
  }

  async function dial() {
    const c = call;
    const pc = new RTCPeerConnection({ iceServers: (hello && hello.ice_servers) || [] });
    c.pc = pc;
    pc.ontrack = (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      $("phone-audio").srcObject = stream;
      c.analyser = analyse(stream);
    };
    const sdp = await offer(pc);
    if (call === c) send({ type: "connect", leg: c.id, sdp });
  }

  async function answer() {
    if (!call || call.pc) return;
    stopRinging();
    setStatus("connecting");
    try { await dial(); } catch (e) { reject(); }
  }

  function reject() { if (call) send({ type: "reject", leg: call.id }); stopRinging(); teardown(); setStatus("ready"); }
  function hangup() { if (call) send({ type: "hangup", leg: call.id }); teardown(); setStatus("ready"); }
  function digit(d) { if (call && call.pc) send({ type: "dtmf", leg: call.id, digit: d }); }

  function senders(on) {
    if (call && call.pc) for (const s of call.pc.getSenders()) if (s.track) s.track.enabled = on;
  }

  function mute() {
    const muted = $("phone-mute").getAttribute("aria-pressed") !== "true";
    $("phone-mute").setAttribute("aria-pressed", String(muted));
    $("phone-mute").textContent = Alur.t(muted ? "phone.unmute" : "phone.mute");
    senders(!muted);
  }

  // Hold goes through the API like the desktop's Hold button: the caller hears the queue's music on hold
  // and the talk is unbridged until Resume. Both buttons follow "alur:held" (also sent for call.held /
  // call.resumed events, whoever asked).
  async function hold() {
    if (!call || !call.pc || !hello) return;
    const held = status !== "held";
    try { await Alur.api("POST", "/agents/" + encodeURIComponent(hello.agent) + (held ? "/hold" : "/resume")); }
    catch (e) { Alur.say(e.message, "error"); return; }
    document.dispatchEvent(new CustomEvent("alur:held", { detail: held }));
  }

  function showHeld(held) {
    if (!call || !(status === "talking" || status === "held")) return;
    $("phone-hold").setAttribute("aria-pressed", String(held));
    $("phone-hold").textContent = Alur.t(held ? "phone.resume" : "phone.hold");
    setStatus(held ? "held" : "talking", { caller: call.caller });
  }
  document.addEventListener("alur:held", (e) => showHeld(e.detail));

  function teardown() {
    stopRinging();
    if (call && call.pc) call.pc.close();
    call = null;
    for (const b of ["phone-mute", "phone-hold"]) $(b).setAttribute("aria-pressed", "false");
    $("phone-mute").textContent = Alur.t("phone.mute");
    $("phone-hold").textContent = Alur.t("phone.hold");
  }

  function showEchoExtension() {  // the same test from a desk phone: dial the echo extension
    const p = $("phone-echo-extension"), code = hello && hello.echo_extension;
    p.hidden = !code;
    if (code) p.textContent = Alur.t("phone.echo_extension", { code });
  }
  document.addEventListener("alur:lang", showEchoExtension);

  async function toggleEcho() {
    if (echo) {
      echo.close(); echo = null; echoHeard = null; send({ type: "echo_end" });
      $("phone-echo").textContent = Alur.t("phone.echo");
      return;
    }
    echo = new RTCPeerConnection({ iceServers: (hello && hello.ice_servers) || [] });
    echo.ontrack = (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      $("phone-audio").srcObject = stream;
      echoHeard = analyse(stream);
    };
    $("phone-echo").textContent = Alur.t("phone.echo_end");
    send({ type: "echo", sdp: await offer(echo) });
  }

  // For tests and troubleshooting: the call's state, its inbound RTP figures and what is heard.
  window.AlurPhone = {
    get status() { return status; },
    get micLevel() { return Number($("phone-meter").value); },
    async inbound() {
      if (!call || !call.pc) return null;
      for (const r of (await call.pc.getStats()).values()) if (r.type === "inbound-rtp" && r.kind === "audio") return r;
      return null;
    },
    heard(freq) {  // the loudest frequency (Hz) and the level of what the agent hears (and its level at `freq`)
      const a = (call && call.analyser) || echoHeard;
      if (!a) return null;
      const bins = new Float32Array(a.frequencyBinCount);
      a.getFloatFrequencyData(bins);
      let best = 0;
      for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      const at = freq ? Math.max(...[-1, 0, 1].map((d) => bins[Math.round(freq * a.fftSize / a.context.sampleRate) + d])) : null;
      return { freq: best * a.context.sampleRate / a.fftSize, db: bins[best], at };
    },
  };

  Alur.loadTexts(Alur.lang()).then(() => { if (localStorage.getItem(KEY)) use(true); });
})();
