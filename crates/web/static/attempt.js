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
  var pending = {}; // key -> {url, body, status element}
  var retryTimer = null;
  var delay = 1000;
  var finished = false;
  var submitting = false;

  if (note) note.textContent = "Câu trả lời được lưu ngay khi bạn chọn.";

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
    if (progress) progress.textContent = "Đã trả lời " + answered() + "/" + total;
  }

  function finish() {
    if (finished) return;
    finished = true;
    window.location.href = result;
  }

  function send(key) {
    var job = pending[key];
    if (!job) return;
    setState(job.el, "saving", "Đang lưu…");
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
        setState(job.el, "saved", "Đã lưu");
      } else if (r.status === 409) {
        finish(); // submitted, or the time is over: the server has the saved answers
      } else if (r.status === 401) {
        setState(job.el, "error", "Chưa lưu — phiên đăng nhập đã hết hạn; hãy đăng nhập lại.");
        delete pending[key];
      } else if (r.status >= 500 || r.status === 429) {
        retry(job);
      } else {
        delete pending[key];
        setState(job.el, "error", "Chưa lưu — câu trả lời không hợp lệ.");
      }
    }, function () {
      if (pending[key] === job) retry(job);
    });
  }

  function retry(job) {
    setState(job.el, "error", "Chưa lưu — đang thử lại");
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
        setState(el, "error", "Hãy nhập một số nguyên không âm, ví dụ 12500.");
        return;
      }
      pending.prediction = { url: api + "/prediction", body: JSON.stringify({ value: parseInt(digits, 10) }), el: el };
      send("prediction");
    }
  });

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
    var msg = left > 0
      ? "Bạn còn " + left + " câu chưa trả lời. Bạn có chắc muốn nộp bài?"
      : "Bạn đã trả lời đủ " + total + " câu. Nộp bài ngay?";
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
  var told1 = remaining <= 60000;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = remaining - (performance.now() - t0);
    if (left <= 0) {
      if (clock) clock.textContent = "00:00";
      if (live) live.textContent = "Đã hết thời gian làm bài. Bài thi được nộp với các câu trả lời đã lưu.";
      finished = true;
      // Post the form once more (every answer, submitted), then the server shows the result.
      document.getElementById("xac-nhan").value = "1";
      var act = document.createElement("input");
      act.type = "hidden";
      act.name = "action";
      act.value = "nop";
      form.appendChild(act);
      form.submit();
      return;
    }
    var s = Math.floor(left / 1000);
    if (clock) clock.textContent = pad(Math.floor(s / 60)) + ":" + pad(s % 60);
    if (!told5 && left <= 5 * 60000) {
      told5 = true;
      if (live) live.textContent = "Còn 5 phút làm bài.";
    }
    if (!told1 && left <= 60000) {
      told1 = true;
      if (live) live.textContent = "Còn 1 phút làm bài.";
      if (clock) clock.className = "urgent";
    }
    setTimeout(tick, (Math.floor(left) % 1000) + 20);
  }
  tick();
})();
