// Who is on the page and where they are typing: y-protocols Awareness, sent to the server (which keeps it
// in memory only) and received on the live stream. Each remote caret is drawn over its textarea, in the
// person's colour and with their name (colour is never the only cue); the list of people names who is
// here and which box they are in. A closed tab is gone at once (removal sent on pagehide) or, if that is
// lost, within 10 s (each page renews its state every 3 s).
import { Y, awarenessProtocol, toB64, fromB64 } from "./yjs.js";

const HEARTBEAT_MS = 3000;
const GONE_MS = 10000;
const SEND_MS = 300;  // caret moves are sent at most this often (typing moves it on every key)

// The caret's position in a textarea, measured on an invisible copy of it (the usual mirror technique).
const COPIED = ["boxSizing", "width", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
  "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "borderStyle",
  "fontFamily", "fontSize", "fontWeight", "fontStyle", "fontVariant", "letterSpacing", "lineHeight",
  "textTransform", "textIndent", "wordSpacing", "tabSize", "overflowWrap", "wordBreak"];

let mirror = null;
function caretPoint(textarea, index) {
  if (!mirror) {
    mirror = document.createElement("div");
    mirror.setAttribute("aria-hidden", "true");
    mirror.className = "coedit-mirror";
    document.body.appendChild(mirror);
  }
  const style = getComputedStyle(textarea);
  for (const name of COPIED) { mirror.style[name] = style[name]; }
  mirror.style.width = `${textarea.clientWidth + parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth)}px`;
  mirror.textContent = textarea.value.slice(0, index);
  const marker = document.createElement("span");
  marker.textContent = textarea.value.slice(index, index + 1) || ".";
  mirror.appendChild(marker);
  const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.3;
  // offsets count from inside the border; the caret layer starts at the textarea's outer edge
  return {left: marker.offsetLeft + parseFloat(style.borderLeftWidth),
          top: marker.offsetTop + parseFloat(style.borderTopWidth), height: lineHeight};
}

function readableOn(colour) {
  const hex = /^#([0-9a-f]{6})$/i.exec(colour || "");
  if (!hex) { return "#000000"; }
  const n = parseInt(hex[1], 16);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const l = 0.2126 * channel(n >> 16) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

export class Presence {
  constructor({doc, user, transport, boxes, listElement, labelOf}) {
    this.doc = doc;
    this.user = user;
    this.transport = transport;
    this.boxes = boxes;            // box key -> {textarea, ytext}
    this.listElement = listElement;
    this.labelOf = labelOf;        // box key -> readable name of the box
    this.awareness = new awarenessProtocol.Awareness(doc);
    this.awareness.setLocalState({user, box: null, anchor: null, head: null});
    this.layers = new Map();       // textarea -> caret layer
    this.sendTimer = null;

    this.awareness.on("update", ({added, updated, removed}, origin) => {
      if (origin === "local") { this.queueSend(); }
      this.render();
    });
    doc.on("afterTransaction", () => this.renderSoon());
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    document.addEventListener("selectionchange", () => this.localCaret());
    document.addEventListener("focusin", () => this.localCaret());
    document.addEventListener("focusout", () => setTimeout(() => this.localCaret(), 0));
    window.addEventListener("resize", () => this.renderSoon());
    window.addEventListener("pagehide", () => this.leave());
  }

  watch(textarea) {
    textarea.addEventListener("scroll", () => this.renderSoon());
    textarea.addEventListener("input", () => this.localCaret());
  }

  receive(update) { awarenessProtocol.applyAwarenessUpdate(this.awareness, update, "remote"); }

  beat() {
    // renew this page's state (its clock moves on) and forget pages not heard of for 10 s
    this.awareness.setLocalState(this.awareness.getLocalState());
    const now = Date.now();
    const gone = [];
    this.awareness.meta.forEach((meta, clientID) => {
      if (clientID !== this.doc.clientID && this.awareness.states.has(clientID) && now - meta.lastUpdated >= GONE_MS) {
        gone.push(clientID);
      }
    });
    if (gone.length) { awarenessProtocol.removeAwarenessStates(this.awareness, gone, "timeout"); }
  }

  queueSend() {
    if (this.sendTimer) { return; }
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      this.transport.sendAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID]));
    }, SEND_MS);
  }

  leave() {
    clearInterval(this.heartbeat);
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "window unload");
    clearTimeout(this.sendTimer);
    this.sendTimer = null;
    this.transport.sendAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID]), true);
  }

  localCaret() {
    const active = document.activeElement;
    let box = null, anchor = null, head = null;
    for (const [key, entry] of this.boxes) {
      if (entry.textarea === active) {
        box = key;
        const length = entry.ytext.length;
        const a = Math.min(active.selectionStart, length), b = Math.min(active.selectionEnd, length);
        const backward = active.selectionDirection === "backward";
        anchor = toB64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(entry.ytext, backward ? b : a)));
        head = toB64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(entry.ytext, backward ? a : b)));
        break;
      }
    }
    const state = this.awareness.getLocalState() || {};
    if (state.box === box && state.anchor === anchor && state.head === head) { return; }
    this.awareness.setLocalState({...state, user: this.user, box, anchor, head});
  }

  renderSoon() {
    if (this.frame) { return; }
    this.frame = requestAnimationFrame(() => { this.frame = null; this.render(); });
  }

  // People: one entry per person (several tabs of one person count once), the viewer first.
  people() {
    const people = new Map();
    this.awareness.getStates().forEach((state, clientID) => {
      if (!state || !state.user) { return; }
      const id = state.user.id;
      const entry = people.get(id) || {user: state.user, boxes: new Set(), self: id === this.user.id};
      if (state.box) { entry.boxes.add(state.box); }
      people.set(id, entry);
    });
    return [...people.values()].sort((a, b) => (b.self - a.self) || a.user.name.localeCompare(b.user.name));
  }

  render() {
    this.renderList();
    this.renderCarets();
  }

  renderList() {
    const list = this.listElement;
    if (!list) { return; }
    const items = this.people().map(({user, boxes, self}) => {
      const li = document.createElement("li");
      li.className = "coedit-person";
      li.dataset.userId = String(user.id);
      const swatch = document.createElement("span");
      swatch.className = "coedit-swatch";
      swatch.setAttribute("aria-hidden", "true");
      swatch.style.backgroundColor = user.colour;
      li.appendChild(swatch);
      let text = self ? `${user.name} (you)` : user.name;
      if (!self && boxes.size) { text += ` — in ${[...boxes].map((key) => this.labelOf(key)).join(", ")}`; }
      li.appendChild(document.createTextNode(text));
      return li;
    });
    const signature = items.map((li) => li.textContent).join("|");
    if (list.dataset.signature === signature) { return; }
    list.dataset.signature = signature;
    list.replaceChildren(...items);
  }

  layerFor(textarea) {
    let layer = this.layers.get(textarea);
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "coedit-carets";
      layer.setAttribute("aria-hidden", "true");
      textarea.parentElement.classList.add("coedit-field");
      textarea.insertAdjacentElement("afterend", layer);
      this.layers.set(textarea, layer);
    }
    layer.style.top = `${textarea.offsetTop}px`;
    layer.style.left = `${textarea.offsetLeft}px`;
    layer.style.width = `${textarea.offsetWidth}px`;
    layer.style.height = `${textarea.offsetHeight}px`;
    return layer;
  }

  renderCarets() {
    const byBox = new Map();
    this.awareness.getStates().forEach((state, clientID) => {
      if (clientID === this.doc.clientID || !state || !state.user || !state.box || !state.head) { return; }
      if (!byBox.has(state.box)) { byBox.set(state.box, []); }
      byBox.get(state.box).push({clientID, state});
    });
    for (const [key, entry] of this.boxes) {
      const textarea = entry.textarea;
      const remote = byBox.get(key) || [];
      if (!remote.length && !this.layers.has(textarea)) { continue; }
      const layer = this.layerFor(textarea);
      const carets = [];
      if (textarea.offsetParent !== null) {
        for (const {clientID, state} of remote) {
          const caret = this.caret(textarea, entry.ytext, state, clientID);
          if (caret) { carets.push(caret); }
        }
      }
      layer.replaceChildren(...carets);
      textarea.dataset.othersHere = remote.map(({state}) => state.user.name).join(", ");
    }
  }

  caret(textarea, ytext, state, clientID) {
    let index;
    try {
      const position = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromB64(state.head)), this.doc);
      if (!position || position.type !== ytext) { return null; }
      index = position.index;
    } catch (error) {
      return null;
    }
    const point = caretPoint(textarea, Math.min(index, textarea.value.length));
    const top = point.top - textarea.scrollTop, left = point.left - textarea.scrollLeft;
    if (top < -point.height / 2 || top > textarea.clientHeight) { return null; }  // scrolled out of view
    const caret = document.createElement("span");
    caret.className = "coedit-caret";
    caret.dataset.clientId = String(clientID);
    caret.style.top = `${top}px`;
    caret.style.left = `${left}px`;
    caret.style.height = `${point.height}px`;
    caret.style.borderColor = state.user.colour;
    const name = document.createElement("span");
    name.className = "coedit-caret-name";
    name.textContent = state.user.name;
    name.style.backgroundColor = state.user.colour;
    name.style.color = readableOn(state.user.colour);
    caret.appendChild(name);
    return caret;
  }
}
