// The attempt page, enhanced: every answer saved as it is given (through the JSON API, with the
// session cookie), a retry when offline, a countdown from the server's deadline, and a submit
// button that first says how many questions are unanswered. Without this file the page is a
// plain form that posts everything.
(function () {
  "use strict";
  var form = document.getElementById("bai-thi");
  if (!form || !window.fetch) return;
  var id = form.getAttribute("data-attempt");
  var total = parseInt(form.getAttribute("data-total"), 10) || 0;
  var api = "/api/v1/attempts/" + id;
  var result = "/bai-thi/" + id + "/ket-qua";
  var note = document.getElementById("ghi-chu");
  var live = document.getElementById("thong-bao");
  var clock = document.getElementById("dong-ho");
  var progress = document.getElementById("tien-do");
  // Every text comes from the page, in the page's language.
  var texts = document.getElementById("loi-nhan");
  function T(key, n) {
    var s = (texts && texts.getAttribute("data-" + key)) || "";
    return s.replace("{n}", n).replace("{total}", total);
  }
  var pending = {}; // key -> {url, body, status element}
  var retryTimer = null;
  var delay = 1000;
  var finished = false;
  var submitting = false;

  if (note) note.textContent = T("saved-at-once");

  function setState(el, state, text) {
    if (!el) return;
    el.setAttribute("data-state", state);
    el.textContent = text;
  }

  function answered() {
    var n = 0;
    for (var i = 0; i < total; i++) {
      if (form.querySelector('input[name="q' + i + '"]:checked')) n++;
    }
    return n;
  }

  function showProgress() {
    if (progress) progress.textContent = T("answered", answered());
    refreshMap();
  }
  var refreshMap = function () {};

  function finish() {
    if (finished) return;
    finished = true;
    window.location.href = result;
  }

  function send(key) {
    var job = pending[key];
    if (!job) return;
    setState(job.el, "saving", T("saving"));
    fetch(job.url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: job.body
    }).then(function (r) {
      if (pending[key] !== job) return; // a newer answer replaced this one
      if (r.ok) {
        delete pending[key];
        delay = 1000;
        setState(job.el, "saved", T("saved"));
      } else if (r.status === 409) {
        finish(); // submitted, or the time is over: the server has the saved answers
      } else if (r.status === 401) {
        setState(job.el, "error", T("expired"));
        delete pending[key];
      } else if (r.status >= 500 || r.status === 429) {
        retry(job);
      } else {
        delete pending[key];
        setState(job.el, "error", T("invalid"));
      }
    }, function () {
      if (pending[key] === job) retry(job);
    });
  }

  function retry(job) {
    setState(job.el, "error", T("retrying"));
    if (retryTimer) return;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      for (var k in pending) if (Object.prototype.hasOwnProperty.call(pending, k)) send(k);
    }, delay);
    delay = Math.min(delay * 2, 15000);
  }

  window.addEventListener("online", function () {
    delay = 1000;
    for (var k in pending) if (Object.prototype.hasOwnProperty.call(pending, k)) send(k);
  });

  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.type === "radio" && /^q\d+$/.test(t.name)) {
      var pos = t.name.slice(1);
      var fs = t.closest ? t.closest("fieldset") : null;
      pending[t.name] = {
        url: api + "/answers/" + pos,
        body: JSON.stringify({ choice: parseInt(t.value, 10) }),
        el: fs ? fs.querySelector(".st") : null
      };
      send(t.name);
      showProgress();
    } else if (t.id === "du-doan") {
      var digits = t.value.replace(/[.\s,\u00a0]/g, "");
      var el = document.getElementById("du-doan-st");
      if (digits === "") return;
      if (!/^\d+$/.test(digits)) {
        setState(el, "error", T("bad-prediction"));
        return;
      }
      pending.prediction = { url: api + "/prediction", body: JSON.stringify({ value: parseInt(digits, 10) }), el: el };
      send("prediction");
    }
  });

  // One question per screen: the same form, shown a question at a time, with Previous/Next, a
  // map of the questions (answered, flagged) and a flag for review kept on this device only.
  if (form.getAttribute("data-mode") === "one") (function () {
    var qs = form.querySelectorAll("fieldset.q[data-pos]");
    var n = qs.length;
    if (!n) return;
    var tie = form.querySelector("fieldset.tiebreak");
    var flagKey = "ct-danh-dau-" + id;
    var flags = {};
    try { flags = JSON.parse(window.localStorage.getItem(flagKey) || "{}") || {}; } catch (err) { flags = {}; }
    var cur = 0;
    var nav = document.createElement("nav");
    nav.className = "map";
    nav.setAttribute("aria-label", T("map"));
    var cells = [];
    var flagButtons = [];
    function button(cls, text) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.textContent = text;
      return b;
    }
    for (var i = 0; i < n; i++) {
      var c = button("cell", String(i + 1));
      c.setAttribute("data-i", i);
      nav.appendChild(c);
      cells.push(c);
      var f = button("flag", T("flag"));
      f.setAttribute("data-i", i);
      qs[i].appendChild(f);
      flagButtons.push(f);
      qs[i].setAttribute("tabindex", "-1");
    }
    var pager = document.createElement("div");
    pager.className = "pager";
    var prev = button("btn secondary", T("prev"));
    var next = button("btn secondary", T("next"));
    pager.appendChild(prev);
    pager.appendChild(next);
    form.insertBefore(nav, form.firstChild);
    form.insertBefore(pager, tie || document.getElementById("xac-nhan"));

    refreshMap = function () {
      for (var i = 0; i < n; i++) {
        var done = !!form.querySelector('input[name="q' + qs[i].getAttribute("data-pos") + '"]:checked');
        var flagged = !!flags[i];
        cells[i].className = "cell" + (done ? " ok" : "") + (flagged ? " fl" : "");
        cells[i].setAttribute("aria-label", T("question") + " " + (i + 1) +
          (done ? ", " + T("saved") : "") + (flagged ? ", " + T("flagged") : ""));
        flagButtons[i].setAttribute("aria-pressed", flagged ? "true" : "false");
      }
    };

    function show(i, focus) {
      cur = Math.max(0, Math.min(n - 1, i));
      for (var k = 0; k < n; k++) {
        qs[k].hidden = k !== cur;
        if (k === cur) cells[k].setAttribute("aria-current", "step");
        else cells[k].removeAttribute("aria-current");
      }
      if (tie) tie.hidden = cur !== n - 1;
      prev.disabled = cur === 0;
      next.disabled = cur === n - 1;
      if (focus) qs[cur].focus();
    }

    prev.addEventListener("click", function () { show(cur - 1, true); });
    next.addEventListener("click", function () { show(cur + 1, true); });
    nav.addEventListener("click", function (e) {
      var i = e.target.getAttribute && e.target.getAttribute("data-i");
      if (i !== null && i !== undefined) show(parseInt(i, 10), true);
    });
    form.addEventListener("click", function (e) {
      var t = e.target;
      if (!t.classList || !t.classList.contains("flag")) return;
      var i = parseInt(t.getAttribute("data-i"), 10);
      if (flags[i]) delete flags[i]; else flags[i] = 1;
      try { window.localStorage.setItem(flagKey, JSON.stringify(flags)); } catch (err) { /* private mode */ }
      refreshMap();
    });
    function fromHash() {
      var m = /^#cau-(\d+)$/.exec(window.location.hash);
      return m ? parseInt(m[1], 10) - 1 : -1;
    }
    window.addEventListener("hashchange", function () {
      var i = fromHash();
      if (i >= 0) show(i, true);
    });
    // Start where the person stood: the question in the address, or the first unanswered one.
    var start = fromHash();
    if (start < 0) {
      start = 0;
      while (start < n - 1 && form.querySelector('input[name="q' + qs[start].getAttribute("data-pos") + '"]:checked')) start++;
    }
    refreshMap();
    show(start, false);
  })();

  // Leaving with an answer not yet saved: the browser asks first.
  window.addEventListener("beforeunload", function (e) {
    if (finished || submitting) return;
    for (var k in pending) {
      if (Object.prototype.hasOwnProperty.call(pending, k)) {
        e.preventDefault();
        e.returnValue = "";
        return;
      }
    }
  });

  // Submitting: first say how many questions are unanswered.
  form.addEventListener("submit", function (e) {
    var btn = e.submitter || document.activeElement;
    if (finished || !btn || btn.value !== "nop") {
      submitting = true; // the form carries every answer: no warning on leaving
      return;
    }
    var left = total - answered();
    var msg = left > 0 ? T("confirm-left", left) : T("confirm-all", total);
    if (!window.confirm(msg)) {
      e.preventDefault();
      return;
    }
    document.getElementById("xac-nhan").value = "1";
    submitting = true;
  });

  // The countdown runs on the server's remaining time at page load and this page's own
  // monotonic clock, never on the phone's date and time.
  var remaining = parseInt(form.getAttribute("data-remaining-ms"), 10) || 0;
  var t0 = performance.now();
  var told5 = remaining <= 5 * 60000;
  // Loaded within the last minute: the warning still comes, once, at the first tick.
  var told1 = false;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = remaining - (performance.now() - t0);
    if (left <= 0) {
      if (clock) clock.textContent = "00:00";
      if (live) live.textContent = T("time-up");
      finished = true;
      // Post the form once more (every answer, submitted), then the server shows the result.
      document.getElementById("xac-nhan").value = "1";
      var act = document.createElement("input");
      act.type = "hidden";
      act.name = "action";
      act.value = "nop";
      form.appendChild(act);
      var up = document.createElement("input");
      up.type = "hidden";
      up.name = "het_gio"; // the result page then says the time ran out
      up.value = "1";
      form.appendChild(up);
      form.submit();
      return;
    }
    var s = Math.floor(left / 1000);
    if (clock) clock.textContent = pad(Math.floor(s / 60)) + ":" + pad(s % 60);
    if (!told5 && left <= 5 * 60000) {
      told5 = true;
      if (live) live.textContent = T("five-minutes");
    }
    if (!told1 && left <= 60000) {
      told1 = true;
      if (live) live.textContent = T("one-minute");
      if (clock) clock.className = "urgent";
      if (clock && clock.parentNode) clock.parentNode.classList.add("last-minute");
    }
    setTimeout(tick, (Math.floor(left) % 1000) + 20);
  }
  tick();
})();
