// The in-person event's pages (issue 14).
//
// The judge's page ([data-judge]): each sheet's total is added up as it is typed; a sheet is
// submitted after a confirmation, through fetch with its idempotency key. A sheet sent while the
// hall's network is down is kept in localStorage ("Chưa gửi được — sẽ tự gửi lại") and sent
// again, with the same key, when the browser is back online and on a timer that backs off (1 s,
// 2 s… 30 s), until the server answers; the server stores a key once, so a sheet is never lost
// and never counted twice. What is typed before submitting is kept too, for a reload.
//
// The secretariat's page ([data-event-live] sections): refreshed every 4 seconds while visible.
//
// Without JavaScript both pages are plain forms and a reload.
(function () {
  "use strict";

  var judgeRoot = document.querySelector("[data-judge]");
  if (judgeRoot) judge(judgeRoot);
  if (document.querySelector("[data-event-live]")) live();

  function storage() {
    try {
      var t = "__cuocthi";
      window.localStorage.setItem(t, t);
      window.localStorage.removeItem(t);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function judge(root) {
    var ls = storage();
    var pendingKey = "cuocthi.phieu.cho-gui." + root.getAttribute("data-judge");
    var draftKey = "cuocthi.phieu.nhap." + root.getAttribute("data-judge");
    var memory = {};
    function read(name) {
      if (!ls) return memory[name] || {};
      try { return JSON.parse(ls.getItem(name) || "{}") || {}; } catch (e) { return {}; }
    }
    function write(name, value) {
      if (!ls) { memory[name] = value; return; }
      try { ls.setItem(name, JSON.stringify(value)); } catch (e) { memory[name] = value; }
    }
    var forms = {};
    var inFlight = {};
    var delay = 1000;
    var timer = null;

    function status(form, state, text) {
      var st = form.querySelector("[data-status]");
      if (!st) return;
      st.setAttribute("data-state", state);
      st.textContent = text;
    }
    function total(form) {
      var sum = 0, all = true;
      form.querySelectorAll("[data-score]").forEach(function (i) {
        var v = parseFloat(String(i.value).replace(",", "."));
        if (isNaN(v)) all = false; else sum += Math.round(v * 100);
      });
      var out = form.querySelector("[data-total]");
      if (out) out.textContent = all ? (sum / 100).toLocaleString("vi-VN", { maximumFractionDigits: 2 }) : "—";
      return all ? (sum / 100).toLocaleString("vi-VN", { maximumFractionDigits: 2 }) : "—";
    }
    function lock(form, locked) {
      form.querySelectorAll("input, button").forEach(function (el) {
        if (el.type !== "hidden") el.disabled = locked;
      });
    }
    function fill(form, body) {
      var params = new URLSearchParams(body);
      form.querySelectorAll("[data-score]").forEach(function (i) {
        if (params.has(i.name)) i.value = params.get(i.name);
      });
      total(form);
    }

    // The sheet as the server stored it: the form gives way to a locked summary.
    function submitted(form, sheet) {
      var card = form.parentNode;
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.textContent = "Đã nộp — phiếu đã khóa.";
      var dl = document.createElement("dl");
      dl.className = "counts";
      form.querySelectorAll("[data-score]").forEach(function (i) {
        var label = form.querySelector('label[for="' + i.id + '"]');
        var dt = document.createElement("dt");
        dt.textContent = label ? label.firstChild.textContent.trim() : i.name;
        var dd = document.createElement("dd");
        var key = i.name.slice(2);
        dd.textContent = sheet.scores && sheet.scores[key] !== undefined ? sheet.scores[key] : i.value;
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      var dt = document.createElement("dt");
      dt.textContent = "Tổng";
      var dd = document.createElement("dd");
      dd.textContent = sheet.total;
      dl.appendChild(dt);
      dl.appendChild(dd);
      card.querySelectorAll(".alert").forEach(function (a) { a.remove(); });
      card.replaceChild(note, form);
      card.insertBefore(dl, note.nextSibling);
    }

    function schedule() {
      if (timer) return;
      timer = setTimeout(function () { timer = null; flush(); }, delay);
      delay = Math.min(delay * 2, 30000);
    }

    function flush() {
      var pending = read(pendingKey);
      Object.keys(pending).forEach(send);
    }

    function send(id) {
      var item = read(pendingKey)[id];
      if (!item || inFlight[id]) return;
      var form = forms[id];
      inFlight[id] = true;
      if (form) status(form, "saving", "Đang gửi…");
      fetch(item.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: item.body
      })
        .then(function (r) {
          return r.json().then(function (j) { return { status: r.status, body: j }; },
            function () { return { status: r.status, body: null }; });
        })
        .then(function (res) {
          inFlight[id] = false;
          if (res.status === 200 && res.body && res.body.sheet) {
            forget(id);
            if (form) submitted(form, res.body.sheet);
            return;
          }
          var retry = res.status >= 500 || res.status === 429 || res.status === 408 || !res.body;
          if (retry) {
            // Overloaded, or a sign-in page instead of an answer: keep it and try again.
            if (form) status(form, "error", res.body ? "Chưa gửi được — sẽ tự gửi lại." :
              "Chưa gửi được — sẽ tự gửi lại (nếu phiên đăng nhập đã hết, hãy đăng nhập lại ở thẻ khác).");
            schedule();
            return;
          }
          // A definite refusal (a score out of range, a locked sheet, a closed part): say why.
          forget(id);
          if (form) {
            lock(form, false);
            var msg = res.body.error && res.body.error.message ? res.body.error.message : "Không nộp được phiếu.";
            status(form, "error", msg);
          }
        })
        .catch(function () {
          inFlight[id] = false;
          if (form) status(form, "error", "Chưa gửi được — sẽ tự gửi lại khi có mạng.");
          schedule();
        });
    }

    function forget(id) {
      var pending = read(pendingKey);
      delete pending[id];
      write(pendingKey, pending);
      var drafts = read(draftKey);
      delete drafts[id];
      write(draftKey, drafts);
    }

    root.querySelectorAll("form[data-sheet]").forEach(function (form) {
      var id = form.getAttribute("data-sheet");
      forms[id] = form;
      var drafts = read(draftKey);
      if (drafts[id]) {
        var empty = true;
        form.querySelectorAll("[data-score]").forEach(function (i) { if (i.value !== "") empty = false; });
        if (empty) fill(form, drafts[id]);
      }
      total(form);
      form.addEventListener("input", function () {
        total(form);
        var d = read(draftKey);
        d[id] = new URLSearchParams(new FormData(form)).toString();
        write(draftKey, d);
      });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (form.reportValidity && !form.reportValidity()) return;
        var sum = total(form);
        var question = "Nộp phiếu chấm " + form.getAttribute("data-label") + ", tổng " + sum +
          " điểm?\nSau khi nộp, phiếu bị khóa; chỉ Tổ Thư ký có thể mở lại.";
        if (!window.confirm(question)) return;
        var pending = read(pendingKey);
        pending[id] = { action: form.action, body: new URLSearchParams(new FormData(form)).toString() };
        write(pendingKey, pending);
        lock(form, true);
        delay = 1000;
        send(id);
      });
    });

    // Sheets kept from before a reload or a lost connection: shown as waiting and sent again;
    // those whose form is gone (the page shows them submitted) are done.
    var waiting = read(pendingKey);
    Object.keys(waiting).forEach(function (id) {
      var form = forms[id];
      if (!form) { forget(id); return; }
      fill(form, waiting[id].body);
      lock(form, true);
      status(form, "error", "Chưa gửi được — sẽ tự gửi lại.");
    });
    window.addEventListener("online", function () { delay = 1000; flush(); });
    flush();
  }

  function live() {
    var every = 4000;
    if (!window.fetch || !window.DOMParser) return;
    function refresh() {
      if (document.hidden) { setTimeout(refresh, every); return; }
      fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-event-live]").forEach(function (box) {
            var next = box.id && fresh.getElementById(box.id);
            if (next && next.innerHTML !== box.innerHTML) box.innerHTML = next.innerHTML;
          });
        })
        .catch(function () {})
        .then(function () { setTimeout(refresh, every); });
    }
    setTimeout(refresh, every);
  }
})();
