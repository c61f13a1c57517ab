// The in-person event's stage: the projector page and the public scoreboard follow the stage's
// server-sent events (/su-kien/{slug}/truc-tiep) without reloading; each event carries the whole
// state the screen may show (never a correct answer before the reveal) and the server's clock,
// so the countdown agrees with the server whatever the projector's clock says. The browser's
// EventSource reconnects by itself after the hall's Wi-Fi drops, and the first event of every
// connection is the current state. Without JavaScript the pages show the state of their loading.
// On the control page it only runs the countdown.
(function () {
  "use strict";
  var stage = document.getElementById("stage");
  var board = document.querySelector("[data-stage-board]");
  var holder = stage ? document.body : board;
  var offset = 0; // the server's clock minus this one, in ms
  var now = document.body.getAttribute("data-now-ms");
  if (now) offset = Number(now) - Date.now();
  var version = stage ? Number(stage.getAttribute("data-version")) : -1;
  var lastStep = stage ? stage.getAttribute("data-step") : "";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function letter(i) { return "ABCDEF".charAt(i) || String(i + 1); }

  function boardNodes(b) {
    var frag = document.createDocumentFragment();
    if (b.frozen) {
      frag.appendChild(el("p", "stage-frozen", "Bảng điểm đóng băng" + (b.frozen_at ? " từ " + b.frozen_at + " (giờ Việt Nam)" : "") +
        "; điểm sau thời điểm này sẽ được công bố tại lễ tổng kết."));
    }
    var table = el("table", "stage-board");
    var head = el("tr");
    [["Hạng"], ["Đội thi"]].concat(b.parts.map(function (p) { return [p]; })).concat([["Tổng điểm"]]).forEach(function (h) {
      var th = el("th", null, h[0]); th.scope = "col"; head.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    b.rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", null, r.rank));
      var th = el("th", null, r.team); th.scope = "row"; tr.appendChild(th);
      r.parts.forEach(function (p) { tr.appendChild(el("td", null, p)); });
      tr.appendChild(el("td", "stage-total", r.total));
      body.appendChild(tr);
    });
    if (!b.rows.length) {
      var td = el("td", null, "Chưa có đội thi nào."); td.colSpan = b.parts.length + 3;
      body.appendChild(el("tr")).appendChild(td);
    }
    frag.appendChild(table);
    return frag;
  }

  function render(s) {
    var body = el("section", "stage-body");
    var q = s.question;
    if (s.step === "idle") {
      body.appendChild(el("h1", "stage-title", s.event));
      body.appendChild(el("p", "stage-sub", s.contest));
    } else if (s.step === "scoreboard") {
      body.appendChild(el("h1", "stage-heading", "Bảng điểm"));
      body.appendChild(boardNodes(s.board));
    } else if (q) {
      body.appendChild(el("p", "stage-meta", (s.team ? s.team.name + " · " : "") + "Câu " + q.seq + "/" + q.of));
      body.appendChild(el("h1", "stage-stem", q.stem));
      var ol = body.appendChild(el("ol", "stage-options"));
      q.options.forEach(function (o, i) {
        var li = el("li", s.revealed && s.revealed.correct === i ? "is-correct" : null);
        li.setAttribute("data-option", String(i));
        li.appendChild(el("span", "stage-letter", letter(i)));
        li.appendChild(document.createTextNode(" " + o));
        ol.appendChild(li);
      });
      if (s.revealed) {
        var r = s.revealed;
        var p = el("p", "stage-reveal " + (r.team_correct ? "is-right" : "is-wrong"), "Đáp án đúng: ");
        p.appendChild(el("strong", null, r.letter + ". " + r.text));
        p.appendChild(document.createTextNode(" — " + (r.team_correct ? "Đội trả lời đúng, cộng " + r.points + " điểm" : "Đội không được điểm câu này")));
        body.appendChild(p);
      } else {
        if (q.deadline_ms) {
          var c = el("div", "stage-countdown");
          c.setAttribute("data-deadline-ms", String(q.deadline_ms));
          body.appendChild(c);
        }
        if (q.answered) body.appendChild(el("p", "stage-answered", "Đội đã trả lời"));
      }
    } else if (s.team) {
      body.appendChild(el("p", "stage-label", "Đội thi" + (s.team.order ? " số " + s.team.order : "")));
      body.appendChild(el("h1", "stage-team", s.team.name));
      if (s.part) body.appendChild(el("p", "stage-part", s.part));
      if (s.step === "lot" && s.set_no) {
        var lot = body.appendChild(el("div", "stage-lot"));
        lot.setAttribute("data-sets", String(s.sets));
        lot.appendChild(el("p", "stage-label", "Bộ câu hỏi bốc thăm được"));
        var n = lot.appendChild(el("p", "stage-lot-number", s.set_no));
        n.setAttribute("data-set-no", String(s.set_no));
        if (lastStep !== "lot") spin(n, s.sets, s.set_no);
      }
    } else {
      body.appendChild(el("h1", "stage-title", s.event));
    }
    var headBox = el("header", "stage-head");
    headBox.appendChild(el("p", "stage-event", s.event));
    headBox.appendChild(el("p", "stage-contest", s.contest));
    while (stage.firstChild) stage.removeChild(stage.firstChild);
    stage.appendChild(headBox);
    stage.appendChild(body);
    stage.setAttribute("data-step", s.step);
    stage.setAttribute("data-version", String(s.version));
    lastStep = s.step;
    tick();
  }

  // The lot's reveal: numbers run for a moment and stop on the one the server drew.
  function spin(node, sets, result) {
    if (!sets || sets < 2) return;
    node.classList.add("is-spinning");
    var shown = 0, turns = 0;
    var timer = setInterval(function () {
      shown = shown % sets + 1;
      node.textContent = String(shown);
      turns += 1;
      if (turns >= 18) {
        clearInterval(timer);
        node.textContent = String(result);
        node.classList.remove("is-spinning");
      }
    }, 80);
  }

  function tick() {
    var boxes = document.querySelectorAll("[data-deadline-ms]");
    for (var i = 0; i < boxes.length; i++) {
      var left = Number(boxes[i].getAttribute("data-deadline-ms")) - (Date.now() + offset);
      var secs = Math.max(0, Math.ceil(left / 1000));
      boxes[i].textContent = boxes[i].classList.contains("stage-countdown") && !stage ? "còn " + secs + " giây" : String(secs);
      boxes[i].classList.toggle("is-ending", secs <= 5);
    }
  }
  setInterval(tick, 200);
  tick();

  var src = holder && holder.getAttribute("data-stage-stream");
  if (!src || !window.EventSource) return;
  var events = new EventSource(src);
  events.addEventListener("state", function (e) {
    var msg;
    try { msg = JSON.parse(e.data); } catch (_) { return; }
    offset = msg.now_ms - Date.now();
    var s = msg.state;
    if (stage) {
      if (s.version < version) return;
      version = s.version;
      render(s);
    } else if (board) {
      var keep = board.getAttribute("data-stage-stream");
      while (board.firstChild) board.removeChild(board.firstChild);
      board.appendChild(boardNodes(s.board));
      board.setAttribute("data-stage-stream", keep);
      board.setAttribute("data-version", String(s.version));
    }
  });
})();
