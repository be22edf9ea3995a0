/* Observation notes that survive weak wifi. Each note gets an id made here before the first save and is
   kept in localStorage until the server confirms it; a failed save stays on screen as "Not saved yet" and
   is retried. The server treats a repeated id as the same note, so retries never duplicate. */
(function () {
  "use strict";
  var root = document.getElementById("observe");
  if (!root || !root.dataset.user || !window.localStorage || !window.fetch) { return; }
  // Per person and lesson: on a tablet shared by several observers, a note waits only for the one who
  // wrote it, is sent only with their session, and is wiped at their sign-out (static/js/signout.js).
  var KEY = "lsweb-notes-u" + root.dataset.user + "-" + root.dataset.lesson;
  var state = document.getElementById("save-state");
  var timer = null, delay = 1000, sending = false;

  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function store(notes) { localStorage.setItem(KEY, JSON.stringify(notes)); }
  function newId() {
    var bytes = new Uint8Array(12); crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  // The school's wall-clock time (as the server shows saved notes), not the tablet's own zone.
  function clock(instant) {
    var when = new Date(instant);
    try {
      return new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit", hour12: false,
                                               timeZone: root.dataset.zone || undefined}).format(when);
    } catch (e) { return when.toTimeString().slice(0, 5); }
  }
  function token() { var i = root.querySelector("input[name=csrf_token]"); return i ? i.value : ""; }

  function itemFor(note) {
    var list = root.querySelector('ul.notes[data-cell="' + note.cell + '"]');
    if (!list) { list = root.querySelector('ul.notes[data-cell="class"]'); }
    var li = list.querySelector('[data-client-id="' + note.fields.client_id + '"]');
    if (!li) {
      li = document.createElement("li");
      li.className = "note pending";
      li.dataset.clientId = note.fields.client_id;
      var time = document.createElement("span"); time.className = "time";
      time.textContent = clock(note.fields.noted_at);
      var text = document.createElement("span"); text.className = "text";
      text.textContent = (note.label ? note.label + ": " : "") + note.fields.text;
      var st = document.createElement("span"); st.className = "state";
      li.append(time, " ", text, " ", st);
      list.appendChild(li);
    }
    return li;
  }
  function mark(note, cls, words) {
    var li = itemFor(note);
    li.className = "note " + cls;
    li.querySelector(".state").textContent = words;
  }
  function summary() {
    var waiting = load().filter(function (n) { return !n.error; }).length;
    state.textContent = waiting ? waiting + " note" + (waiting > 1 ? "s" : "") + " not saved yet: retrying…" : "";
  }

  function send() {
    if (sending) { return; }
    var notes = load().filter(function (n) { return !n.error; });
    if (!notes.length) { summary(); return; }
    sending = true;
    var note = notes[0];
    var body = new URLSearchParams(note.fields);
    body.set("csrf_token", token());
    body.set("sent_at", new Date().toISOString());  // the server dates the note by how long it waited here
    fetch(root.dataset.saveUrl, {method: "POST", body: body, credentials: "same-origin",
                                 headers: {"Accept": "application/json", "X-CSRFToken": token()}})
      .then(function (response) {
        if (response.ok && !response.redirected) {  // (a redirect: to the sign-in page, nothing saved)
          store(load().filter(function (n) { return n.fields.client_id !== note.fields.client_id; }));
          mark(note, "saved", "Saved");
          delay = 1000;
          return "next";
        }
        if (response.status === 422 || response.status === 404) {
          return response.json().catch(function () { return {errors: ["The note was refused."]}; }).then(function (data) {
            var all = load();
            all.forEach(function (n) { if (n.fields.client_id === note.fields.client_id) { n.error = true; } });
            store(all);
            mark(note, "failed", "Not saved: " + (data.errors || []).join(" ") + " (kept on this device)");
            return "next";
          });
        }
        // anything else (507: the server's disk is full, 503: the database is not answering, a 5xx, no network): kept here, sent again later
        throw new Error(response.status === 507 ? "disk full" : response.status === 503 ? "database down" : "status " + response.status);
      })
      .then(function () { sending = false; send(); })
      .catch(function (error) {
        sending = false;
        var words = error && error.message === "disk full"
          ? "Not saved yet: the server's disk is full (kept on this device; tell your school's IT technician)"
          : error && error.message === "database down"
            ? "Not saved yet: the database is not answering (kept on this device, sent again when it answers)"
            : "Not saved yet";
        mark(note, "pending", words);
        load().forEach(function (n) { if (!n.error) { mark(n, "pending", words); } });
        summary();
        clearTimeout(timer);
        timer = setTimeout(send, delay);
        delay = Math.min(delay * 2, 5000);
      });
    summary();
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("note-form")) { return; }
    event.preventDefault();
    var data = new FormData(form), fields = {};
    data.forEach(function (value, key) { if (key !== "csrf_token") { fields[key] = value; } });
    if (!fields.text && !fields.rating) { form.querySelector("textarea").focus(); return; }
    fields.client_id = newId();
    fields.noted_at = new Date().toISOString();
    var checked = form.querySelector("input[name=rating]:checked");
    var kind = form.querySelector("select[name=kind]");
    var label = checked ? checked.parentNode.textContent.trim() : (kind ? kind.options[kind.selectedIndex].text : "");
    var note = {cell: form.dataset.cell, fields: fields, label: label};
    var all = load(); all.push(note); store(all);
    mark(note, "pending", "Saving…");
    form.reset();
    send();
  });

  load().forEach(function (n) { mark(n, n.error ? "failed" : "pending", n.error ? "Not saved (kept on this device)" : "Not saved yet"); });
  window.addEventListener("online", function () { delay = 1000; send(); });
  send();
}());
