/* The phone bar (operator and leader consoles): presence in one click or key (Alt+Y available, Alt+B busy,
   Alt+W after-call work, Alt+L away) and the softphone (Alt+P answer, Alt+U mute, Alt+H hold / resume, Alt+X hang
   up, Alt+T transfer to the chosen department's hotline number or to a supervisor, Alt+C consult them first (warm
   transfer) then Alt+J leave the caller with them or Alt+K take the caller back).
   With Twilio the softphone is Twilio's Voice JavaScript SDK (vendor/twilio-voice.min.js, from npm), registered
   with a token from /api/v1/telephony/token; with the console provider the same buttons answer and hang up the
   simulator's calls through the API. The page calls Phone.onEvent(ev) for every live event.
   Outbound (外呼): /agents/operator?call-back=<missed call id> (the calls page's call-back button) or ?dial=<number>
   (a callback survey by hand) calls out through the softphone: with Twilio, device.connect() reaches the TwiML app's
   voice URL, which dials the number with the centre's caller ID; with the console provider the API records the
   call, Answer stands for the citizen picking up and Hang up ends it (the result is recorded either way). */
"use strict";

const Phone = (() => {
  const box = $("#phone");
  const me = Number(box.dataset.userId);
  const mode = box.dataset.telephony;
  let presence = null, afterCallTimer = null;
  // {id, sid, from, state: ringing|talking|held|consulting|calling, answeredAt, muted, twilio (the SDK's Call),
  //  consult (we are the one consulted), resuming (a held call rings back: answer it by itself)}
  let call = null;
  let device = null, tickTimer = null;

  /* ---- presence ---- */
  function showPresence(p) {
    presence = p;
    const el = $("#presence-state");
    el.textContent = L.presence[p.status] || p.status;
    el.dataset.status = p.status;
    $$("[data-presence]", box).forEach((b) => b.classList.toggle("current", b.dataset.presence === p.status));
    clearInterval(afterCallTimer);
    $("#after-call-left").textContent = "";
    if (p.status === "after_call" && p.after_call_until) {
      const until = Date.parse(p.after_call_until);
      const tick = () => {
        const left = Math.max(0, Math.round((until - Date.now()) / 1000));
        $("#after-call-left").textContent = left + " " + L.phone.seconds_left;
        if (!left) clearInterval(afterCallTimer);
      };
      tick();
      afterCallTimer = setInterval(tick, 1000);
    }
  }
  async function setPresence(status) {
    const body = {status};
    if (status === "after_call") body.seconds = Number($("#after-call-seconds").value) || undefined;
    try { showPresence(await api("PUT", "/operators/me/presence", body)); } catch (e) { flash(errorText(e), "error"); }
  }
  box.addEventListener("click", (e) => {
    const b = e.target.closest("[data-presence]");
    if (b) setPresence(b.dataset.presence);
  });

  /* ---- the softphone ---- */
  function state(name, extra) {
    const el = $("#phone-state");
    el.textContent = (L.phone[name] || name) + (extra ? " · " + extra : "");
    el.dataset.state = name;
    box.dataset.phone = name;
    const st = call ? call.state : null, own = !!(call && call.id && !call.consult);
    $("#ph-answer").disabled = !(st === "ringing" || (st === "calling" && mode !== "twilio"));
    $("#ph-mute").disabled = st !== "talking";
    // With Twilio a held call has no leg at the console to hang up: resume it first.
    $("#ph-hangup").disabled = !(st === "talking" || st === "calling" || (mode !== "twilio" && own && st === "held"));
    $("#ph-transfer").disabled = !(own && st === "talking");
    $("#ph-hold").disabled = !(own && (st === "talking" || st === "held"));
    $("#ph-hold").textContent = st === "held" ? $("#ph-hold").dataset.resume : $("#ph-hold").dataset.hold;
    $("#ph-consult").disabled = !(own && st === "talking");
    $("#ph-complete").disabled = !(own && st === "consulting");
    $("#ph-takeback").disabled = !(own && st === "consulting");
    $("#ph-mute").classList.toggle("current", !!(call && call.muted));
  }
  function idle() {
    call = null;
    clearInterval(tickTimer);
    $("#phone-caller").textContent = "";
    $("#phone-timer").textContent = "";
    state(mode === "twilio" ? (device && device.state === "registered" ? "ready" : "offline") : "console");
  }
  function ring(ev, twilioCall, consult) {
    call = {id: ev ? ev.id : null, sid: ev ? ev.call_sid : null, from: ev ? ev.from : "", state: "ringing",
      twilio: twilioCall || (call && call.twilio) || null, consult: !!consult};
    $("#phone-caller").textContent = call.from || "";
    state("ringing");
  }
  function talking() {
    call.state = "talking";
    call.answeredAt = Date.now();
    clearInterval(tickTimer);
    tickTimer = setInterval(() => {
      const s = Math.round((Date.now() - call.answeredAt) / 1000);
      $("#phone-timer").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    }, 1000);
    state("talking");
  }
  async function dial(number, extra) {
    if (call) { flash(L.phone.busy_line, "error"); return; }
    try {
      if (mode === "twilio") {
        if (!device) throw new Error(L.phone.offline);
        const params = {To: number};
        for (const [k, v] of Object.entries(extra)) params[k] = String(v);
        const leg = await device.connect({params});
        call = {id: null, from: number, state: "calling", twilio: leg, outbound: true};
        leg.on("accept", () => { if (call && call.twilio === leg) talking(); });
        watch(leg);
      } else {
        const c = await api("POST", "/calls/outgoing", {to: number, ...extra});
        call = {id: c.id, from: c.to, state: "calling", twilio: null, outbound: true};
      }
      $("#phone-caller").textContent = number;
      state("calling");
    } catch (e) { flash(errorText(e), "error"); }
  }
  async function answer() {
    if (call && call.state === "calling" && !call.twilio) {  // console: the citizen picks up
      try { await api("POST", `/calls/${call.id}/console/answer`); talking(); } catch (e) { flash(errorText(e), "error"); }
      return;
    }
    if (!call || call.state !== "ringing") return;
    try {
      if (call.twilio) call.twilio.accept();
      else await api("POST", `/calls/${call.id}/console/answer`);  // also the consulted colleague's answer
      talking();
    } catch (e) { flash(errorText(e), "error"); }
  }
  async function hangUp() {
    if (!call) return;
    try {
      if (call.twilio) call.twilio.disconnect();
      else if (call.id && mode !== "twilio") await api("POST", `/calls/${call.id}/console/hang-up`);
      idle();
    } catch (e) { flash(errorText(e), "error"); }
  }
  /* Hold and warm transfer move the caller's leg (a worker asks Twilio): the softphone's own leg is dropped by
     Twilio, which is not the end of the call; the console joins the call's conference (warm transfer) or answers
     the resumed call by itself. */
  function legGone(c) {
    if (call && call.twilio === c && (call.state === "held" || call.state === "consulting" || call.resuming)) {
      call.twilio = null;
      return;
    }
    if (call && call.twilio && call.twilio !== c) return;  // an older leg of this call
    idle();
  }
  function watch(c) {
    c.on("disconnect", () => legGone(c));
    c.on("cancel", () => legGone(c));
    c.on("reject", () => legGone(c));
  }
  async function holdOrResume() {
    if (!call || !call.id || call.consult || !["talking", "held"].includes(call.state)) return;
    const resuming = call.state === "held";
    try {
      await api("POST", `/calls/${call.id}/${resuming ? "resume" : "hold"}`);
      if (resuming) {
        call.resuming = mode === "twilio";  // the caller's leg dials this softphone again
        call.state = "talking";
        state(call.muted ? "muted" : "talking");
      } else {
        call.state = "held";
        state("held");
      }
    } catch (e) { flash(errorText(e), "error"); }
  }
  function target() {
    const to = $("#ph-transfer-to").value;
    return to === "supervisor" ? {supervisor: true} : {department: to};
  }
  async function consult() {
    if (!call || call.state !== "talking" || !call.id || call.consult) return;
    try {
      await api("POST", `/calls/${call.id}/consult`, target());
      call.state = "consulting";
      state("consulting", $("#ph-transfer-to").selectedOptions[0].textContent);
      if (device) {  // the softphone joins the call's conference (the caller's leg is moved there)
        const leg = await device.connect({params: {To: `conference:call-${call.id}`}});
        call.conference = leg;
        leg.on("disconnect", () => { if (call && call.conference === leg) call.conference = null; });
      }
    } catch (e) { flash(errorText(e), "error"); }
  }
  async function completeConsult() {
    if (!call || call.state !== "consulting") return;
    try {
      await api("POST", `/calls/${call.id}/consult/complete`);
      const leg = call.conference;
      idle();
      if (leg) leg.disconnect();
      flash(L.phone.transferred);
    } catch (e) { flash(errorText(e), "error"); }
  }
  async function takeBack() {
    if (!call || call.state !== "consulting") return;
    try {
      await api("POST", `/calls/${call.id}/consult/cancel`);
      if (call.conference) call.twilio = call.conference;  // the conference is the call now
      call.conference = null;
      call.state = "talking";
      state("talking");
    } catch (e) { flash(errorText(e), "error"); }
  }
  function mute() {
    if (!call || call.state !== "talking") return;
    call.muted = !call.muted;
    if (call.twilio) call.twilio.mute(call.muted);
    state(call.muted ? "muted" : "talking");
  }
  async function transfer() {
    if (!call || call.state !== "talking" || !call.id) return;
    const to = $("#ph-transfer-to").value;
    try {
      await api("POST", `/calls/${call.id}/transfer`, to === "supervisor" ? {supervisor: true} : {department: to});
      flash(L.phone.transferred);
      if (!call.twilio) idle();  // with Twilio the redirect ends this leg: its disconnect event follows
    } catch (e) { flash(errorText(e), "error"); }
  }
  $("#ph-transfer").addEventListener("click", transfer);
  $("#ph-hold").addEventListener("click", holdOrResume);
  $("#ph-consult").addEventListener("click", consult);
  $("#ph-complete").addEventListener("click", completeConsult);
  $("#ph-takeback").addEventListener("click", takeBack);
  $("#ph-answer").addEventListener("click", answer);
  $("#ph-hangup").addEventListener("click", hangUp);
  $("#ph-mute").addEventListener("click", mute);

  async function registerTwilio() {
    if (typeof Twilio === "undefined") { state("offline", "SDK"); return; }
    let t;
    try { t = await api("GET", "/telephony/token"); } catch (e) {
      state(e.status === 409 ? "not_configured" : "offline", errorText(e));
      return;
    }
    // Our own ring and beeps (static/sounds): the SDK would otherwise fetch its sounds from Twilio's CDN.
    const ring = "/agents/static/sounds/ring.wav", beep = "/agents/static/sounds/beep.wav";
    const sounds = {incoming: ring, outgoing: beep, disconnect: beep, dtmfs: beep, dtmfh: beep};
    for (let d = 0; d <= 9; d++) sounds["dtmf" + d] = beep;
    device = new Twilio.Device(t.token, {closeProtection: true, codecPreferences: ["opus", "pcmu"], sounds});
    device.on("registered", () => { if (!call) idle(); });
    device.on("error", (err) => state("offline", err.message || String(err)));
    device.on("incoming", (c) => {
      if (call && call.resuming) {  // the held caller, back: no second ring
        call.resuming = false;
        call.twilio = c;
        watch(c);
        c.accept();
        return;
      }
      ring(call && call.sid ? call : {from: c.parameters.From}, c, call && call.consult);
      watch(c);
    });
    device.on("tokenWillExpire", async () => {
      try { device.updateToken((await api("GET", "/telephony/token")).token); } catch (e) { state("offline", errorText(e)); }
    });
    device.register().catch((err) => state("offline", err.message || String(err)));
  }

  /* ---- live events and keys ---- */
  function onEvent(ev) {
    if (ev.type === "operator" && ev.op === "presence" && ev.user_id === me) showPresence(ev);
    if (ev.type !== "call") return;
    // A call claims (and its end or transfer frees) the seat without a presence event: ask again.
    if (ev.operator_id === me || ev.consult_target === `user:${me}` || (call && ev.id === call.id)) refreshPresence();
    if (ev.op === "ringing" && ev.operator_id === me) {
      if (call && call.twilio) { call.id = ev.id; call.sid = ev.call_sid; call.from = ev.from; $("#phone-caller").textContent = ev.from; }
      else ring(ev);
    }
    // 咨询转接: a colleague brings this console into their call
    if (ev.op === "consulting" && ev.consult_target === `user:${me}` && !(call && call.id === ev.id)) {
      if (call && call.twilio && !call.id) { call.id = ev.id; call.from = ev.from; call.consult = true; }
      else ring(ev, null, true);
      $("#phone-caller").textContent = ev.from + " · " + L.phone.consult_from;
    }
    if (call && ev.id === call.id) {
      if (ev.op === "answered" && call.state === "ringing" && !call.twilio) talking();
      if (ev.op === "ended") idle();
      if (call.consult && ev.op === "transferred" && ev.operator_id === me) {  // the caller is ours now
        call.consult = false;
        state(call.state);
      }
      if (call.consult && ev.op === "taken-back") idle();
    }
  }
  const KEYS = {KeyY: () => setPresence("available"), KeyB: () => setPresence("busy"),
    KeyW: () => setPresence("after_call"), KeyL: () => setPresence("away"), KeyP: answer, KeyU: mute, KeyX: hangUp, KeyT: transfer,
    KeyH: holdOrResume, KeyC: consult, KeyJ: completeConsult, KeyK: takeBack};
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || !KEYS[e.code]) return;
    e.preventDefault();
    KEYS[e.code]();
  });

  // Asked to call out by another page (the calls page's call-back, a callback survey by hand).
  async function dialFromAddress() {
    const q = new URLSearchParams(location.search);
    const back = q.get("call-back"), number = q.get("dial"), ticket = q.get("ticket");
    if (!back && !number) return;
    history.replaceState(null, "", location.pathname);  // a reload does not call again
    if (back) {
      try {
        const missed = await api("GET", `/calls/${back}`);
        await dial(missed.from, {callback_of: Number(missed.id)});
      } catch (e) { flash(errorText(e), "error"); }
    } else await dial(number, ticket ? {ticket: Number(ticket)} : {});
  }

  const refreshPresence = debounce(() => api("GET", "/operators/me/presence").then(showPresence).catch(() => {}), 200);
  api("GET", "/operators/me/presence").then(showPresence).catch((e) => flash(errorText(e), "error"));
  if (mode === "twilio") registerTwilio().then(dialFromAddress); else { idle(); dialFromAddress(); }
  return {onEvent, dial, state: () => ({presence, call})};
})();
