/* lsweb co-editing: every text box of the plan saves by itself while people type, carrying the version it
   was based on; the server merges stale saves three ways or keeps them as a conflict. Saved changes of
   others come in through the page's live stream; a box someone is typing in is never overwritten (it is
   marked "changed elsewhere", and the next save merges). Save state is shown beside each box, and the
   page warns before it is left with text that is not saved yet. Presence: who is here, editing what. */
(function () {
  "use strict";
  // The co-edited form names its live regions: data-structure (re-fetched when the shape changes),
  // data-conflicts (the author's kept texts) and data-events (the element receiving field events).
  var form = document.querySelector("form[data-coedit]");
  if (!form) { return; }
  var structureId = form.dataset.structure, conflictsId = form.dataset.conflicts;
  var DEBOUNCE_MS = 700, RETRY_MS = 2000, HEARTBEAT_MS = 25000;
  var headers = JSON.parse(document.body.getAttribute("data-hx-headers") || document.body.getAttribute("hx-headers") || "{}");
  var token = headers["X-CSRFToken"] || "";
  var fieldUrl = form.dataset.fieldUrl, stateUrl = form.dataset.stateUrl, presenceUrl = form.dataset.presenceUrl;
  var fields = {};  // key -> state of one box

  function el(key) { return document.getElementById("f-" + key); }

  function show(f, state, text) {
    f.state = state;
    var line = document.getElementById("s-" + f.key);
    if (line) {
      line.textContent = text;
      line.className = "save-state state-" + state + (state === "error" || state === "conflict" ? " error" : "");
    }
    var box = el(f.key);
    if (box) { box.dataset.state = state; }
  }

  function setVersion(f, version) {
    f.version = version;
    var box = el(f.key), hidden = document.getElementById("v-" + f.key);
    if (box) { box.dataset.version = String(version); }
    if (hidden) { hidden.value = String(version); }
  }

  // Replace a box's text, keeping the caret where it was relative to the text around it.
  function replaceText(box, text) {
    var old = box.value;
    if (old === text) { return; }
    var focused = document.activeElement === box, start = box.selectionStart, end = box.selectionEnd;
    var prefix = 0;
    while (prefix < old.length && prefix < text.length && old[prefix] === text[prefix]) { prefix++; }
    var suffix = 0;
    while (suffix < old.length - prefix && suffix < text.length - prefix &&
           old[old.length - 1 - suffix] === text[text.length - 1 - suffix]) { suffix++; }
    box.value = text;
    if (focused) {
      var shift = function (pos) {
        if (pos <= prefix) { return pos; }
        if (pos >= old.length - suffix) { return pos + text.length - old.length; }
        return text.length - suffix;
      };
      box.setSelectionRange(shift(start), shift(end));
    }
  }

  function track(box) {
    var key = box.dataset.key;
    if (!key || fields[key]) { return; }
    var f = fields[key] = {key: key, base: box.value, version: parseInt(box.dataset.version || "0", 10),
                           rebase: null, timer: null, inflight: false, again: false, state: "saved", paused: false,
                           pending: null};
    box.addEventListener("input", function () {
      if (f.paused) { return; }
      show(f, "unsaved", "Not saved yet…");
      clearTimeout(f.timer);
      f.timer = setTimeout(function () { save(f); }, DEBOUNCE_MS);
    });
    box.addEventListener("blur", function () { if (!f.paused) { clearTimeout(f.timer); save(f); } });
    box.addEventListener("focus", function () { sendPresence(key); });
  }

  function dirty(f) { var box = el(f.key); return !!box && box.value !== f.base; }

  function save(f) {
    var box = el(f.key);
    if (!box || f.paused) { return; }
    if (f.inflight) { f.again = true; return; }
    var sent = box.value;
    if (sent === f.base && f.rebase === null) {
      if (f.state !== "conflict" && f.state !== "error") { show(f, "saved", ""); }
      takePending(f);  // nothing of mine to save: a change that came meanwhile shows now
      return;
    }
    f.inflight = true;
    show(f, "saving", "Saving…");
    var body = new URLSearchParams({text: sent, version: String(f.version)});
    if (f.rebase !== null) { body.set("base_text", f.rebase); }
    fetch(fieldUrl.replace("KEY", encodeURIComponent(f.key)), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token, "X-Requested-With": "lsweb-coedit"}
    }).then(function (response) {
      return response.json().catch(function () { return {status: "error", message: ""}; })
        .then(function (data) { data.httpStatus = response.status; return data; });
    }).then(function (data) {
      f.inflight = false;
      answered(f, sent, data);
    }, function () {
      f.inflight = false;
      show(f, "retrying", "Not saved yet: no connection. Your text is kept here and saves when the server answers.");
      clearTimeout(f.timer);
      f.timer = setTimeout(function () { save(f); }, RETRY_MS);
    });
  }

  function answered(f, sent, data) {
    var box = el(f.key);
    if (data.httpStatus >= 500 || data.httpStatus === 0) {
      show(f, "retrying", "Not saved yet: the server did not answer. Your text is kept here; trying again…");
      f.timer = setTimeout(function () { save(f); }, RETRY_MS);
      return;
    }
    if (data.httpStatus >= 400) {
      show(f, "error", (data.message || "Not saved.") + " Your text is still here.");
      return;
    }
    setVersion(f, data.version);
    f.rebase = null;
    if (data.status === "conflict" || data.status === "removed") {
      f.base = data.text;
      // The author chooses in the panel above the plan; their text is kept on the server meanwhile, and
      // the box waits (read-only, so nothing typed into it could be lost) until they have chosen.
      f.paused = true;
      if (box) { box.readOnly = true; }
      show(f, "conflict", data.message);
      refreshConflicts();
      return;
    }
    if (box && box.value === sent) {
      replaceText(box, data.text);
      f.base = data.text;
    } else {
      // The author went on typing: their box is an edit of `sent`, merged on the next save.
      f.base = data.text;
      f.rebase = sent;
    }
    if (dirty(f) || f.rebase !== null || f.again) {
      f.again = false;
      show(f, "unsaved", "Not saved yet…");
      clearTimeout(f.timer);
      f.timer = setTimeout(function () { save(f); }, DEBOUNCE_MS);
    } else {
      show(f, "saved", data.status === "merged" ? "Saved, merged with a change made meanwhile." : "Saved.");
      takePending(f);
    }
  }

  // A change of someone else's that came while the box was in use (typed in, saving, or focused) waits
  // in f.pending; it is applied once the box is free, unless a save of mine has already merged it.
  function takePending(f) {
    var p = f.pending;
    f.pending = null;
    if (p) { applyRemote(f.key, p.text, p.version, p.by); }
  }

  // A field saved by someone (or by one of my own other tabs).
  function applyRemote(key, text, version, by) {
    var f = fields[key], box = el(key);
    if (!f || !box || version <= f.version) { return; }
    var typing = document.activeElement === box || dirty(f) || f.inflight;
    if (typing && !f.paused) {
      show(f, "elsewhere", "Changed elsewhere" + (by ? " by " + by : "") + ": your next save merges both.");
      if (!f.pending || f.pending.version < version) { f.pending = {text: text, version: version, by: by}; }
      return;  // the base stays: the next save is merged three ways on the server
    }
    f.pending = null;
    f.paused = false;
    box.readOnly = false;
    replaceText(box, text);
    f.base = text;
    f.rebase = null;
    setVersion(f, version);
    show(f, "saved", by ? "Updated: " + by + " changed this." : "");
  }

  function catchUp() {
    fetch(stateUrl, {credentials: "same-origin", headers: {"X-Requested-With": "lsweb-coedit"}})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (state) {
        Object.keys(state).forEach(function (key) { applyRemote(key, state[key].text, state[key].version, ""); });
      }, function () { /* the stream's next resync tries again */ });
  }

  function refreshConflicts() {
    var region = document.getElementById(conflictsId);
    if (region && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname, {target: "#" + conflictsId, swap: "innerHTML",
                                                         select: "#" + conflictsId + " > *"});
    }
  }

  // Conflicts resolved (or fields freed) on the server: boxes still waiting on one take the saved text.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === conflictsId) {
      var open = {};
      event.target.querySelectorAll("[data-conflict-key]").forEach(function (s) { open[s.dataset.conflictKey] = true; });
      var waiting = Object.keys(fields).filter(function (key) { return fields[key].paused && !open[key]; });
      if (waiting.length) {
        // Their text is in the plan or let go: the box takes what the plan holds now.
        waiting.forEach(function (key) {
          var f = fields[key], box = el(key);
          f.paused = false;
          f.version = -1;
          if (box) { box.readOnly = false; f.base = box.value; }
        });
        catchUp();
      }
    }
  });

  var events = document.getElementById(form.dataset.events);
  if (events) {
    events.addEventListener("htmx:sseBeforeMessage", function (event) {
      event.preventDefault();  // handled here, nothing to swap
      var message = event.detail;
      if (message.type === "resync") { catchUp(); return; }
      try {
        var data = JSON.parse(message.data);
        applyRemote(data.key, data.text, data.version, data.by);
      } catch (ignored) { /* a malformed event: the next resync catches up */ }
    });
  }

  // Before the structure region is fetched again: a box being typed in whose stage was removed meanwhile
  // would vanish with it, so it is saved at once (the server keeps the text and offers it back).
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.target.id !== structureId || !event.detail.xhr) { return; }
    var incoming = event.detail.xhr.responseText || "";
    Object.keys(fields).forEach(function (key) {
      var f = fields[key];
      if (incoming.indexOf('id="f-' + key + '"') === -1) {
        if (dirty(f)) { clearTimeout(f.timer); save(f); }
        delete fields[key];
      }
    });
  });

  function scan(root) { (root || document).querySelectorAll("#" + structureId + " textarea[data-key]").forEach(track); }
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === structureId) { scan(event.target); markEditing(); }
    if (event.target.id === "presence") { markEditing(); }
  });
  scan(document);

  // --- presence -----------------------------------------------------------------------------------------
  var lastPresence = null;
  function sendPresence(key) {
    lastPresence = key;
    var body = new URLSearchParams({field: key || ""});
    fetch(presenceUrl, {method: "POST", body: body, credentials: "same-origin",
                        headers: {"X-CSRFToken": token}}).catch(function () {});
  }
  form.addEventListener("focusout", function (event) {
    setTimeout(function () {
      var active = document.activeElement;
      if (!active || !active.dataset || !active.dataset.key) { sendPresence(""); }
    }, 0);
  });
  function markEditing() {
    document.querySelectorAll(".editing-by").forEach(function (n) { n.remove(); });
    document.querySelectorAll("#presence [data-editing]").forEach(function (person) {
      var key = person.dataset.editing, box = key && el(key);
      if (!box || person.dataset.self === "1") { return; }
      var note = document.createElement("span");
      note.className = "editing-by";
      note.textContent = person.dataset.name + " is editing this";
      box.parentNode.insertBefore(note, box);
    });
  }
  sendPresence("");
  setInterval(function () { sendPresence(lastPresence); }, HEARTBEAT_MS);
  window.addEventListener("pagehide", function () {
    var data = new FormData();
    data.append("left", "1");
    data.append("csrf_token", token);
    if (navigator.sendBeacon) { navigator.sendBeacon(presenceUrl, data); }
  });

  // --- leaving with unsaved text --------------------------------------------------------------------------
  var submitting = false;
  window.addEventListener("beforeunload", function (event) {
    if (submitting) { return; }
    var unsaved = Object.keys(fields).some(function (key) {
      var f = fields[key];
      return (dirty(f) && !f.paused) || f.inflight || f.state === "retrying";
    });
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });
  form.addEventListener("submit", function () {
    submitting = true;
    Object.keys(fields).forEach(function (key) { clearTimeout(fields[key].timer); });
  });
}());
