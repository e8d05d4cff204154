/* The classroom display: subscribes to the boxes' topics (docs/mqtt.md) and shows, per box, who performs,
   live sub-scores and the beat during a take, the last take's result, the next task, and whether the box
   is online. Payload fields are the contract's (edge/schemas/); nothing from a payload is ever parsed as
   HTML (textContent only). */
(function () {
  "use strict";

  var SUBSCORES = ["rhythm", "sync", "technique", "expression", "interpretation"];
  var SUB_WORDS = { rhythm: "Rhythm", sync: "On the beat", technique: "Technique", expression: "Expression",
                    interpretation: "Interpretation" };
  // edge/coach/vocabulary.py: ACTION_SKILL (task type -> the skill it trains), skills in a student's words.
  var TASK_SKILL = { TE: "TP", EP: "ME", SRP: "SR", CIT: "IS" };
  var SKILL_WORDS = { TP: "technique", ME: "expression", SR: "sight-reading", IS: "interpretation" };
  var FLAT_LP = 0.5;             // edge/coach/student.py: a pace below this reads as flat
  // Beat alignment (0-1, AIST++) at or above this counts as on the beat: halfway between the sync
  // sub-score's zero (0.1) and full points (0.7) in docs/scoring.md.
  var ON_BEAT = 0.4;
  var LIVE_STALE_S = 3;          // live comes a few times a second: 3 s without it is old news
  var LIVE_GONE_S = 30;          // ... and after 30 s the live panel is put away
  var HEARD_STALE_S = 35;        // health comes every 10 s by default: three missed is a silent box
  var RESULT_STALE_S = 30 * 60;  // a result older than half an hour is someone else's lesson

  var params = new URLSearchParams(window.location.search);
  var prefix = params.get("prefix") || "perfscore";
  var device = params.get("device");
  var brokerUrl = params.get("broker") ||
    ((window.location.protocol === "https:" ? "wss://" : "ws://") + (window.location.hostname || "localhost") + ":9001");

  var boxes = {};                // device id -> {status, live, session, recommendation, heardAt, el}
  var $ = function (root, sel) { return root.querySelector(sel); };

  function setConnection(state, text) {
    var el = document.getElementById("connection");
    el.dataset.state = state;
    $(el, ".sym").textContent = { connected: "●", connecting: "◌", offline: "✕" }[state] || "◌";
    $(el, ".text").textContent = text;
  }

  function now() { return Date.now() / 1000; }
  function parseTs(ts) { var t = Date.parse(ts); return isNaN(t) ? null : t / 1000; }

  function ageText(seconds) {
    if (seconds === null || seconds === undefined) return "";
    seconds = Math.max(0, seconds);
    if (seconds < 60) return Math.round(seconds) + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  function fmt(value) { return value === null || value === undefined ? "—" : (Math.round(value * 10) / 10).toFixed(1); }

  function box(id) {
    if (!boxes[id]) {
      var el = document.getElementById("box-template").content.firstElementChild.cloneNode(true);
      el.dataset.device = id;
      $(el, ".device").textContent = id;
      boxes[id] = { el: el, status: null, live: null, liveAt: null, session: null, recommendation: null, heardAt: null };
      var main = document.getElementById("boxes");
      var after = Object.keys(boxes).sort().filter(function (d) { return d > id && boxes[d].el.parentNode; })[0];
      main.insertBefore(el, after ? boxes[after].el : null);
      document.getElementById("empty").hidden = true;
    }
    return boxes[id];
  }

  // ---- messages ----------------------------------------------------------------------------------------
  function onMessage(topic, raw) {
    var levels = topic.split("/");
    if (levels.length !== 3 || levels[0] !== prefix) return;
    var id = levels[1], kind = levels[2];
    if (!raw || raw.length === 0) return;                  // a cleared retained message
    var payload;
    try { payload = JSON.parse(new TextDecoder().decode(raw)); } catch (e) { return; }
    if (!payload || typeof payload.schema !== "string" || payload.schema.indexOf("perfscore." + kind + "/") !== 0) return;
    var b = box(id);
    var t = now();
    if (kind === "status") {
      b.status = payload;
      // Every status was stamped by the box while connected (the Last Will carries its connection time).
      var said = parseTs(payload.ts);
      if (said !== null) b.heardAt = Math.max(b.heardAt || 0, Math.min(said, t));
    } else if (kind === "health") {
      b.heardAt = t;
    } else if (kind === "live") {
      b.live = payload; b.liveAt = t; b.heardAt = t;
    } else if (kind === "session") {
      if (!b.session || payload.ts >= b.session.ts) b.session = payload;
      if (b.live && payload.take && b.live.take_id === payload.take.id) b.live = null;   // that take is over
    } else if (kind === "recommendation") {
      if (!b.recommendation || payload.ts >= b.recommendation.ts) b.recommendation = payload;
    }
    render(b);
  }

  // ---- drawing -------------------------------------------------------------------------------------------
  function render(b) {
    var el = b.el, t = now();
    var state = b.status ? b.status.state : "unknown";
    var silent = state === "online" && b.heardAt !== null && t - b.heardAt > HEARD_STALE_S;
    el.dataset.state = state;
    el.classList.toggle("stale", state !== "online" || silent);
    var status = $(el, ".status");
    status.dataset.state = state;
    $(status, ".sym").textContent = { online: "●", offline: "✕", stopped: "■" }[state] || "?";
    $(status, ".status-text").textContent = {
      online: silent ? "Online? (silent)" : "Online",
      offline: "Offline — connection lost",
      stopped: "Stopped",
    }[state] || "Unknown";
    $(el, ".heard").textContent = b.heardAt ? "last heard " + ageText(t - b.heardAt) : "";

    var live = b.live && t - b.liveAt <= LIVE_GONE_S && state === "online" ? b.live : null;
    var take = b.session ? b.session.take : null;
    $(el, ".performer").textContent = (live ? live.performer : take && take.performer) || "—";
    $(el, ".piece").textContent = live ? (live.take_id === (take && take.id) && take.piece ? take.piece : "—")
      : (take ? take.piece || "not named" : "—");
    renderLive(el, live, live ? t - b.liveAt : null);
    renderResult(el, b.session, t);
    renderNext(el, b.recommendation, t);
  }

  function renderLive(el, live, age) {
    var panel = $(el, ".live");
    panel.hidden = !live;
    if (!live) return;
    var stale = age > LIVE_STALE_S;
    panel.classList.toggle("stale", stale);
    $(panel, ".age").textContent = stale ? "(" + ageText(age) + ")" : "";
    $(panel, ".take-time").textContent = typeof live.t_s === "number" ? Math.floor(live.t_s) + " s" : "";
    var bars = $(panel, ".bars");
    SUBSCORES.forEach(function (name) {
      if (!live.subscores || !(name in live.subscores)) return;
      var li = bars.querySelector('[data-name="' + name + '"]');
      if (!li) {
        li = document.getElementById("bar-template").content.firstElementChild.cloneNode(true);
        li.dataset.name = name;
        $(li, ".name").textContent = SUB_WORDS[name];
        bars.appendChild(li);
      }
      fillBar(li, live.subscores[name]);
    });
    $(panel, ".live-overall .value").textContent = fmt(live.overall);
    var beat = $(panel, ".beat");
    var ba = live.beat_alignment;
    var kind = typeof ba !== "number" ? "unknown" : ba >= ON_BEAT ? "on" : "off";
    beat.dataset.beat = kind;
    $(beat, ".beat-sym").textContent = { on: "✔", off: "✖", unknown: "–" }[kind];
    $(beat, ".beat-text").textContent = {
      on: "On the beat", off: "Off the beat",
      unknown: live.person_present === false ? "Nobody in view" : "Beat: not measured",
    }[kind];
    var bpm = live.tempo_bpm;
    $(beat, ".tempo").textContent = typeof bpm === "number" ? Math.round(bpm) + " BPM" : "";
    var pulse = $(beat, ".pulse");
    // The dot pulses with the music's tempo; still when there is none.
    pulse.style.animationDuration = typeof bpm === "number" && bpm > 20 ? (60 / bpm).toFixed(3) + "s" : "";
    pulse.classList.toggle("beating", typeof bpm === "number" && bpm > 20 && !stale);
  }

  function fillBar(li, value) {
    var missing = value === null || value === undefined;
    li.classList.toggle("missing", missing);
    $(li, ".fill").style.width = missing ? "0%" : Math.max(0, Math.min(100, value)) + "%";
    $(li, ".value").textContent = missing ? "—" : fmt(value);
  }

  function renderResult(el, session, t) {
    var panel = $(el, ".result");
    var scores = session && session.scores;
    panel.hidden = !session;
    if (!session) return;
    var age = t - (parseTs(session.ts) || t);
    panel.classList.toggle("stale", age > RESULT_STALE_S);
    $(panel, ".age").textContent = "(" + ageText(age) + ")";
    $(panel, ".overall").textContent = scores ? fmt(scores.overall) : "—";
    $(panel, ".grade").textContent = scores && scores.grade ? scores.grade : "—";
    var notes = [];
    if (!scores) notes.push("This take could not be scored.");
    if (session.take && session.take.cut_short) notes.push("Cut short: only part of the performance was seen.");
    $(panel, ".note").textContent = notes.join(" ");
    var list = $(panel, ".subs");
    if (list.dataset.id === session.id) return;       // drawn already (ages are refreshed every second)
    list.dataset.id = session.id;
    list.textContent = "";
    if (!scores || !scores.subscores) return;
    SUBSCORES.forEach(function (name) {
      var sub = scores.subscores[name];
      if (!sub) return;
      var li = document.getElementById("sub-template").content.firstElementChild.cloneNode(true);
      li.dataset.name = name;
      $(li, ".name").textContent = SUB_WORDS[name];
      fillBar(li, sub.value);
      $(li, ".explanation").textContent = sub.explanation || "";
      list.appendChild(li);
    });
  }

  // Why this task, in a student's words, from the recommendation's own student model (`student`).
  function whyInWords(rec) {
    var skill = TASK_SKILL[rec.task && rec.task.action];
    var words = SKILL_WORDS[skill];
    var student = rec.student || {};
    var averages = student.moving_average || {};
    if (!words) return "";
    var mine = averages[skill];
    var known = Object.keys(averages).filter(function (s) { return typeof averages[s] === "number"; });
    var parts = [];
    if (typeof mine !== "number") {
      parts.push("Your " + words + " has not been measured yet: this task lets the box see it.");
    } else {
      var weakest = known.reduce(function (a, s) { return averages[s] < averages[a] ? s : a; }, known[0]);
      parts.push(weakest === skill
        ? "Your " + words + " is your weakest skill right now (" + Math.round(mine) + " of 100), and this task trains it."
        : "This task trains your " + words + " (" + Math.round(mine) + " of 100), where the coach expects you to gain most.");
    }
    if (typeof student.lp === "number") {
      if (student.lp >= FLAT_LP) parts.push("You are getting better, keep going!");
      else if (student.lp <= -FLAT_LP) parts.push("Your last takes dipped a little: a focused task helps.");
    }
    return parts.join(" ");
  }

  function renderNext(el, rec, t) {
    var panel = $(el, ".next");
    panel.hidden = !rec;
    if (!rec) return;
    var age = t - (parseTs(rec.ts) || t);
    panel.classList.toggle("stale", age > RESULT_STALE_S);
    $(panel, ".age").textContent = "(" + ageText(age) + ")";
    $(panel, ".for").textContent = rec.performer ? "for " + rec.performer : "";
    $(panel, ".task-title").textContent = rec.task ? rec.task.title : "—";
    $(panel, ".instruction").textContent = rec.task ? rec.task.instruction : "";
    $(panel, ".why").textContent = whyInWords(rec);
    $(panel, ".reason").textContent = rec.reason || "";
  }

  // ---- connection ------------------------------------------------------------------------------------------
  function connect() {
    var options = { clientId: "perfscore-display-" + Math.random().toString(16).slice(2, 10), clean: true,
                    reconnectPeriod: 2000, connectTimeout: 10000, keepalive: 30 };
    if (params.get("username")) { options.username = params.get("username"); options.password = params.get("password") || ""; }
    var client = mqtt.connect(brokerUrl, options);
    var filter = prefix + "/" + (device || "+") + "/";
    var topics = ["status", "health", "live", "session", "recommendation"].map(function (k) { return filter + k; });
    var lastError = null;          // kept across the close that follows it (a refused login, say)
    client.on("connect", function () {
      lastError = null;
      setConnection("connected", "Connected to " + brokerUrl + (device ? " — box " + device : " — all boxes"));
      client.subscribe(topics, { qos: 1 }, function (err, granted) {
        var refused = (granted || []).filter(function (g) { return g.qos === 128; });
        if (err || refused.length) setConnection("offline", "The broker refused this display's subscriptions (check the user)");
      });
    });
    client.on("reconnect", function () { setConnection("connecting", "Reconnecting to " + brokerUrl + "…"); });
    client.on("close", function () {
      setConnection("offline", "No connection to " + brokerUrl + " — retrying" + (lastError ? " (" + lastError + ")" : ""));
    });
    client.on("error", function (err) {
      lastError = String(err && err.message || err);
      setConnection("offline", "Broker error: " + lastError);
    });
    client.on("message", onMessage);
  }

  setInterval(function () { Object.keys(boxes).forEach(function (id) { render(boxes[id]); }); }, 1000);
  if (typeof mqtt === "undefined") {
    setConnection("offline", "vendor/mqtt.min.js did not load");
  } else {
    connect();
  }
})();
