// The document's traffic with the server: local edits are sent within a few tens of milliseconds
// (POST <update>), others' edits arrive on the page's one live stream (events "doc-update" and
// "doc-awareness", read through the htmx SSE extension), and every (re)connect asks for what is missing
// (POST <sync> with the state vector). Edits not acknowledged yet stay pending (and in IndexedDB) and
// are sent again, with back-off, until the server has them.
import { Y, toB64, fromB64 } from "./yjs.js";

export const REMOTE = Symbol("remote");  // origin of updates that came from the server
const BATCH_MS = 30;
const SLOW_MS = 700;                     // "Saving…" only when a save takes longer than this
const RETRY_MS = [1000, 2000, 4000, 8000, 15000];

export const STATUS = {
  saved: "Saved",
  saving: "Saving…",
  offline: "Not saved yet — no connection",
  diskfull: "Not saved yet — the server's disk is full: your text is kept on this page. Tell your school's IT technician.",
  refused: "Not saved yet — see the note by the box",
  locked: "Not saved — this page can no longer be changed",
};

function hasStructs(update) {
  const decoded = Y.decodeUpdate(update);
  return decoded.structs.length > 0;
}

export class Transport {
  constructor({doc, docName, urls, token, store, statusElement, onRefused, onAccepted, onAwareness, onSynced}) {
    Object.assign(this, {doc, docName, urls, token, store, statusElement, onRefused, onAccepted,
                         onAwareness, onSynced});
    this.pending = [];        // local updates the server has not acknowledged
    this.inflight = null;
    this.timer = null;
    this.retry = 0;
    this.retryTimer = null;
    this.blocked = false;
    this.problem = null;      // "offline" | "refused" | "locked" | null
    this.synced = false;
    this.syncing = null;
    this.slowTimer = null;
    this.shown = "saved";     // as the server renders the page
    doc.on("update", (update, origin) => {
      if (origin === REMOTE) { return; }
      this.pending.push(update);
      this.keep();
      this.schedule();
    });
    window.addEventListener("online", () => this.reconnect());
  }

  post(url, body, keepalive = false) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive,
      headers: {"Content-Type": "application/json", "X-CSRFToken": this.token, "Accept": "application/json"},
      body: JSON.stringify(body),
    });
  }

  keep() {
    if (this.keepTimer) { return; }
    this.keepTimer = setTimeout(() => {
      this.keepTimer = null;
      const all = this.inflight ? [this.inflight, ...this.pending] : this.pending;
      this.store.keep(all.length ? Y.mergeUpdates(all) : null);
    }, 150);
  }

  schedule(delay = BATCH_MS) {
    this.showStatus();
    if (this.timer || this.inflight || this.retryTimer || this.blocked || !this.synced) { return; }
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, delay);
  }

  async flush() {
    if (this.inflight || !this.pending.length || this.blocked || !this.synced) { this.showStatus(); return; }
    const batch = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.inflight = batch;
    this.showStatus();
    let response = null;
    try {
      response = await this.post(this.urls.update, {update: toB64(batch), client: this.doc.clientID});
    } catch (error) {
      response = null;
    }
    this.inflight = null;
    if (response && response.ok) {
      this.retry = 0;
      if (["offline", "refused", "diskfull"].includes(this.problem)) { this.problem = null; }
      this.onAccepted();
      this.keep();
      if (this.pending.length) { this.schedule(0); }
      this.showStatus();
      return;
    }
    this.pending.unshift(batch);
    this.keep();
    const code = response ? response.status : 0;
    if (code === 422) {
      let body = {};
      try { body = await response.json(); } catch (error) { body = {}; }
      this.problem = "refused";
      this.onRefused(body.box || null, body.error || "This change could not be saved.");
      this.showStatus();
      return;  // the next edit (which sends this one again) may fix it
    }
    if (code === 403 || code === 404 || code === 423) {
      this.blocked = true;
      this.problem = "locked";
      this.showStatus();
      return;
    }
    this.problem = code === 507 ? "diskfull" : "offline";  // 507: kept here, sent again with back-off
    this.backOff();
  }

  backOff() {
    this.showStatus();
    clearTimeout(this.retryTimer);
    const delay = RETRY_MS[Math.min(this.retry, RETRY_MS.length - 1)];
    this.retry++;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.reconnect(); }, delay);
  }

  reconnect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.blocked) { return; }
    this.sync();
  }

  // Ask for everything this document lacks; send what the server lacks.
  sync() {
    if (this.syncing) { this.syncAgain = true; return this.syncing; }
    this.syncing = (async () => {
      let body = null;
      let status = 0;
      try {
        const response = await this.post(this.urls.sync, {sv: toB64(Y.encodeStateVector(this.doc))});
        status = response.status;
        if (response.status === 403 || response.status === 404 || response.status === 423) {
          this.blocked = true;
          this.problem = "locked";
        } else if (response.ok) {
          body = await response.json();
        }
      } catch (error) {
        body = null;
      }
      if (!body) {
        if (!this.blocked) { this.problem = status === 507 ? "diskfull" : "offline"; this.backOff(); }
        this.showStatus();
        return false;
      }
      if (body.update) { Y.applyUpdate(this.doc, fromB64(body.update), REMOTE); }
      for (const update of body.awareness || []) { this.onAwareness(fromB64(update)); }
      if (body.sv) {
        const missing = Y.encodeStateAsUpdate(this.doc, fromB64(body.sv));
        if (hasStructs(missing)) { this.pending = [missing]; }
      }
      if (this.problem === "offline" || this.problem === "diskfull") { this.problem = null; }
      this.retry = 0;
      const first = !this.synced;
      this.synced = true;
      if (first) { this.onSynced(); }
      this.keep();
      this.schedule(0);
      return true;
    })().finally(() => {
      this.syncing = null;
      if (this.syncAgain) { this.syncAgain = false; this.sync(); }
    });
    return this.syncing;
  }

  // One event of the page's live stream (the SSE extension's message event).
  receive(type, data) {
    if (type === "resync") { this.sync(); return; }
    let message;
    try { message = JSON.parse(data); } catch (error) { return; }
    if (!message || message.doc !== this.docName) { return; }
    if (type === "doc-update") {
      if (message.client === this.doc.clientID) { return; }
      Y.applyUpdate(this.doc, fromB64(message.update), REMOTE);
      if (this.doc.store.pendingStructs || this.doc.store.pendingDs) { this.sync(); }  // something was missed
    } else if (type === "doc-awareness") {
      this.onAwareness(fromB64(message.update));
    }
  }

  sendAwareness(update, keepalive = false) {
    if (this.blocked) { return; }
    this.post(this.urls.awareness, {update: toB64(update)}, keepalive).catch(() => {});
  }

  get unsaved() { return this.pending.length > 0 || this.inflight !== null; }

  showStatus() {
    let state;
    if (this.problem === "locked") {
      state = "locked";
    } else if (!this.unsaved && this.synced) {
      state = "saved";
    } else if (this.problem) {
      state = this.problem;
    } else {
      state = "saving";
    }
    if (state === "saving" && this.shown !== "saving") {
      // only say "Saving…" when it takes a while: a status that flickers on each keystroke is noise
      if (!this.slowTimer) {
        this.slowTimer = setTimeout(() => { this.slowTimer = null; if (this.unsaved && !this.problem) { this.paint("saving"); } }, SLOW_MS);
      }
      if (this.shown === "saved" || this.shown === "saving") { return; }
    }
    if (state !== "saving" && this.slowTimer) { clearTimeout(this.slowTimer); this.slowTimer = null; }
    this.paint(state);
  }

  paint(state) {
    this.shown = state;
    const element = this.statusElement;
    if (!element) { return; }
    element.dataset.state = state;
    if (element.textContent !== STATUS[state]) { element.textContent = STATUS[state]; }
  }
}
