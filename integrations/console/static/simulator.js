// The call simulator: posts Twilio's form parameters to the hotline's webhooks and acts out the TwiML.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const ACCOUNT = "ACconsole0000000000000000000000000".slice(0, 34);
  const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n / 2)), (b) => b.toString(16).padStart(2, "0")).join("");
  let call = null; // {sid, from, to, pending: [verbs], gather, dial, queue}

  function log(text, cls) {
    const li = document.createElement("li");
    li.textContent = text;
    if (cls) li.className = cls;
    $("log").appendChild(li);
  }
  function state(text) { $("state").textContent = text; }
  function show(id, on) { $(id).hidden = !on; }
  // The webhooks refuse unsigned requests: the simulator posts to its own route, which needs this login.
  function pathOf(url) {
    const u = new URL(url, location.href);
    return u.pathname.replace(/^\/integrations\/twilio\//, "/integrations/console/twilio/") + u.search;
  }
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function post(url, params) {
    const body = new URLSearchParams({ AccountSid: ACCOUNT, ApiVersion: "2010-04-01", ...params });
    const headers = { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": CSRF };
    const r = await fetch(pathOf(url), { method: "POST", body, headers });
    const text = await r.text();
    if (!r.ok) { log(`HTTP ${r.status}: ${text.slice(0, 200)}`, "error"); return null; }
    return new DOMParser().parseFromString(text, "text/xml").documentElement;
  }

  function base() { return { CallSid: call.sid, From: call.from, To: call.to, Direction: "inbound", CallStatus: call.status }; }

  async function request(url, extra) {
    if (!call) return;
    const doc = await post(url, { ...base(), ...(extra || {}) });
    if (doc) await run(Array.from(doc.children));
  }

  // Act out verbs in order until one waits for the person (Gather, Record, Dial, Enqueue) or the call ends.
  async function run(verbs) {
    while (call && verbs.length) {
      const v = verbs.shift();
      switch (v.tagName) {
        case "Say": log("🔊 " + v.textContent); break;
        case "Pause": break;
        case "Redirect": return request(v.textContent.trim());
        case "Hangup": return end("the hotline hung up");
        case "Gather":
          Array.from(v.children).forEach((c) => c.tagName === "Say" && log("🔊 " + c.textContent));
          call.gather = { action: v.getAttribute("action"), finish: v.getAttribute("finishOnKey"), rest: verbs };
          $("keys").value = ""; $("speech").value = "";
          show("keypad", true); state("…");
          return;
        case "Record":
          call.record = { action: v.getAttribute("action"), rest: verbs };
          show("record", true); state("🎙");
          return;
        case "Dial": {
          const target = v.querySelector("Client, Number");
          call.dial = { action: v.getAttribute("action"), callback: target.getAttribute("statusCallback"), child: "CA" + hex(32), who: target.textContent };
          $("ringing-who").textContent = "☎ " + call.dial.who;
          show("ringing", true); show("op-answer", true); show("op-noanswer", true); show("op-hangup", false);
          await post(call.dial.callback, { CallSid: call.dial.child, ParentCallSid: call.sid, CallStatus: "ringing", From: call.from, To: "client:" + call.dial.who, Timestamp: new Date().toUTCString() });
          state("ringing");
          return;
        }
        case "Enqueue":
          call.queue = { action: v.getAttribute("action"), wait: v.getAttribute("waitUrl"), since: Date.now() };
          state("on hold");
          return holdLoop();
        case "Leave":
          return leaveQueue("leave");
        default: log("(" + v.tagName + ")");
      }
    }
  }

  async function holdLoop() {
    while (call && call.queue) {
      const seconds = Math.round((Date.now() - call.queue.since) / 1000);
      const doc = await post(call.queue.wait, { ...base(), QueueTime: String(seconds), QueueSid: "QU" + hex(32) });
      if (!doc || !call || !call.queue) return;
      const verbs = Array.from(doc.children);
      if (verbs.some((v) => v.tagName === "Leave")) return leaveQueue("leave");
      verbs.forEach((v) => v.tagName === "Say" && log("🔊 " + v.textContent));
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  async function leaveQueue(result) {
    const q = call.queue; call.queue = null;
    await request(q.action, { QueueResult: result, QueueTime: String(Math.round((Date.now() - q.since) / 1000)) });
  }

  async function end(why) {
    if (!call) return;
    const c = call;
    if (c.dial && c.dial.answered) {
      await post(c.dial.callback, { CallSid: c.dial.child, ParentCallSid: c.sid, CallStatus: "completed", Timestamp: new Date().toUTCString() });
    }
    await post("/integrations/twilio/voice/status", { CallSid: c.sid, From: c.from, To: c.to, CallStatus: "completed", Timestamp: new Date().toUTCString() });
    call = null;
    ["keypad", "record", "ringing"].forEach((id) => show(id, false));
    $("dial").disabled = false; $("hangup").disabled = true;
    log("— " + why + " —"); state("");
    refreshOutbox();
  }

  $("dial").onclick = async () => {
    $("log").innerHTML = "";
    call = { sid: "CA" + hex(32), from: $("from").value.trim(), to: $("to").value, status: "ringing" };
    $("dial").disabled = true; $("hangup").disabled = false;
    await request("/integrations/twilio/voice");
  };
  $("hangup").onclick = () => end("you hung up");
  document.querySelectorAll(".key").forEach((b) => (b.onclick = () => {
    $("keys").value += b.dataset.key;
    if (call && call.gather && call.gather.finish && b.dataset.key === call.gather.finish) sendKeys();
  }));
  async function sendKeys() {
    const g = call.gather; call.gather = null; show("keypad", false);
    let digits = $("keys").value;
    if (g.finish && digits.endsWith(g.finish)) digits = digits.slice(0, -1);
    const speech = $("speech").value.trim();
    const extra = speech && !digits ? { SpeechResult: speech, Confidence: "0.9" } : { Digits: digits };
    log("⌨ " + (digits || speech));
    await request(g.action, extra);
  }
  $("send-keys").onclick = sendKeys;
  $("timeout").onclick = async () => { const g = call.gather; call.gather = null; show("keypad", false); await run(g.rest); };
  $("record-done").onclick = async () => {
    const r = call.record; call.record = null; show("record", false);
    const text = $("message").value.trim();
    log("🎙 " + text);
    await request(r.action, { TranscriptionText: text, RecordingDuration: String(Math.max(1, Math.round(text.length / 4))), Digits: "#" });
  };
  $("op-answer").onclick = async () => {
    call.dial.answered = true; call.status = "in-progress";
    await post(call.dial.callback, { CallSid: call.dial.child, ParentCallSid: call.sid, CallStatus: "in-progress", Timestamp: new Date().toUTCString() });
    show("op-answer", false); show("op-noanswer", false); show("op-hangup", true);
    log("☎ " + call.dial.who + " ✓"); state("talking");
  };
  $("op-noanswer").onclick = async () => {
    const d = call.dial; call.dial = null; show("ringing", false);
    await post(d.callback, { CallSid: d.child, ParentCallSid: call.sid, CallStatus: "no-answer", Timestamp: new Date().toUTCString() });
    await request(d.action, { DialCallStatus: "no-answer" });
  };
  $("op-hangup").onclick = async () => {
    const d = call.dial;
    await post(d.callback, { CallSid: d.child, ParentCallSid: call.sid, CallStatus: "completed", Timestamp: new Date().toUTCString() });
    d.answered = false;
    await request(d.action, { DialCallStatus: "completed", DialCallDuration: "1" });
    if (call) end("the operator hung up");
  };

  $("sms-send").onclick = async () => {
    const doc = await post("/integrations/twilio/sms", { MessageSid: "SM" + hex(32), From: $("from").value.trim(), To: $("to").value, Body: $("sms-body").value, NumMedia: "0" });
    const msg = doc && doc.querySelector("Message");
    $("sms-reply").textContent = msg ? "💬 " + msg.textContent : "✓";
    setTimeout(refreshOutbox, 1500);
  };

  async function refreshOutbox() {
    if (!$("outbox")) return; // supervisors and admins only
    const r = await fetch("/integrations/console/outbox.json");
    if (!r.ok) return;
    $("outbox").innerHTML = "";
    for (const m of await r.json()) {
      const li = document.createElement("li");
      li.textContent = `${m.kind} → ${m.to}: ${m.body || m.url || ""}`;
      $("outbox").appendChild(li);
    }
  }
  if ($("outbox")) {
    refreshOutbox();
    setInterval(refreshOutbox, 5000);
  }
})();
