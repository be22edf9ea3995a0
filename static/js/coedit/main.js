// lsweb co-editing in the browser: the page's form becomes one live shared document (Yjs). Each text box
// stays a plain textarea bound to a shared text, stages / details / observers are shared structures, the
// server is the record (see docs/coediting.md). Without JavaScript the same form is saved whole.
import { Y } from "./yjs.js";
import { TextareaBinding } from "./textarea.js";
import { Transport } from "./transport.js";
import { PendingStore } from "./store.js";
import { Presence } from "./presence.js";
import { Stages } from "./stages.js";
import { bindFields } from "./fields.js";

const RESTORED = "restored";  // origin of edits read back from this device's IndexedDB

function csrfToken() {
  try {
    const body = document.body;
    const headers = body.getAttribute("data-hx-headers") || body.getAttribute("hx-headers") || "{}";
    return JSON.parse(headers)["X-CSRFToken"] || "";
  } catch (error) {
    return "";
  }
}

// The shared text behind a box key (see the protocol: plan-level keys in "texts", stage parts and
// predictions inside their stage's map).
function textFor(doc, key) {
  let m = /^stage-(.+)-(time|activity|resources)$/.exec(key);
  if (m) {
    const stage = doc.getMap("stages").get(m[1]);
    return stage instanceof Y.Map ? stage.get(m[2]) || null : null;
  }
  m = /^prediction-(.+)-(\d+)$/.exec(key);
  if (m) {
    const stage = doc.getMap("stages").get(m[1]);
    const predictions = stage instanceof Y.Map ? stage.get("predictions") : null;
    return predictions instanceof Y.Map ? predictions.get(m[2]) || null : null;
  }
  const text = doc.getMap("texts").get(key);
  return text instanceof Y.Text ? text : null;
}

function labelOf(textarea) {
  const label = textarea.id ? document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`) : null;
  const text = label ? label.textContent.trim() : (textarea.dataset.coeditBox || "a box");
  const stage = textarea.closest("[data-stage-key]");
  const legend = stage && stage.querySelector("legend");
  return legend ? `${legend.textContent.trim()}, ${text}` : text;
}

function liveRegion(parent) {
  const region = document.createElement("p");
  region.className = "visually-hidden";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  parent.appendChild(region);
  return (message) => { region.textContent = ""; setTimeout(() => { region.textContent = message; }, 50); };
}

function start(root) {
  const data = root.dataset;
  const docName = data.coeditDoc;
  const user = {id: Number(data.coeditUserId), name: data.coeditUserName || "", colour: data.coeditColour || "#555555"};
  const doc = new Y.Doc();
  const boxes = new Map();     // box key -> {textarea, ytext, binding}
  const notes = new Map();     // box key -> the note beside the box (a refused change)
  const say = liveRegion(root);
  const statusElement = root.querySelector("[data-coedit-status]") || document.querySelector("[data-coedit-status]");
  const store = new PendingStore(user.id, docName, doc.clientID);

  function note(key, message) {
    const entry = boxes.get(key);
    if (!entry) { return; }
    let element = notes.get(key);
    if (!element) {
      element = document.createElement("p");
      element.className = "coedit-note error";
      element.id = `${entry.textarea.id || key}-coedit-note`;
      entry.textarea.insertAdjacentElement("afterend", element);
      const described = (entry.textarea.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      entry.textarea.setAttribute("aria-describedby", [...described, element.id].join(" "));
      notes.set(key, element);
    }
    element.textContent = message;
    entry.textarea.setAttribute("aria-invalid", "true");
  }

  function clearNotes() {
    for (const [key, element] of notes) {
      element.textContent = "";
      const entry = boxes.get(key);
      if (entry) { entry.textarea.removeAttribute("aria-invalid"); }
    }
  }

  const transport = new Transport({
    doc, docName, token: csrfToken(), store, statusElement,
    urls: {sync: data.coeditSync, update: data.coeditUpdate, awareness: data.coeditAwareness},
    onRefused: (key, message) => {
      if (key && boxes.has(key)) { note(key, message); } else { say(message); if (statusElement) { statusElement.title = message; } }
    },
    onAccepted: clearNotes,
    onAwareness: (update) => presence.receive(update),
    onSynced: () => adopt(),
  });

  const presence = new Presence({
    doc, user, transport, boxes,
    listElement: peopleList(root, statusElement),
    labelOf: (key) => (boxes.has(key) ? labelOf(boxes.get(key).textarea) : "a removed stage"),
  });

  function bind(textarea) {
    const key = textarea.dataset.coeditBox;
    if (boxes.has(key) && boxes.get(key).textarea === textarea) { return; }
    const ytext = textFor(doc, key);
    if (!ytext) { return; }
    const binding = new TextareaBinding(textarea, ytext);
    boxes.set(key, {textarea, ytext, binding});
    presence.watch(textarea);
  }

  let adopted = false;
  function adopt() {
    if (adopted) { return; }
    adopted = true;
    for (const textarea of root.querySelectorAll("textarea[data-coedit-box]")) { bind(textarea); }
    bindFields(doc, root);
    const container = root.querySelector("[data-coedit-stages]");
    if (container) {
      new Stages({doc, container, bind, say, maxStages: Number(container.dataset.maxStages || 40)});
    }
    // boxes whose shared text arrives later (a pupil added, a stage added elsewhere)
    doc.on("afterTransaction", () => {
      for (const textarea of root.querySelectorAll("textarea[data-coedit-box]")) {
        const key = textarea.dataset.coeditBox;
        if (!boxes.has(key)) { bind(textarea); }
      }
    });
    root.classList.add("coedit-live");
    for (const element of root.querySelectorAll("[data-coedit-nojs]")) { element.hidden = true; }
    presence.localCaret();
  }

  listen(root, transport);
  (async () => {
    try {
      const earlier = await store.earlier();
      if (earlier.length) {
        for (const [, update] of earlier) { Y.applyUpdate(doc, update, RESTORED); }
        // kept under this tab's entry first, so they are never only in memory
        await store.keep(Y.mergeUpdates(earlier.map(([, update]) => update)));
        await store.forget(earlier.map(([key]) => key));
      }
    } catch (error) { /* nothing kept on this device */ }
    transport.sync();
  })();
  window.lswebCoedit = {doc, transport, presence, boxes};  // for the browser tests and debugging
}

// Who is on this page: the page's [data-coedit-presence] element, filled here.
function peopleList(root, statusElement) {
  let holder = root.querySelector("[data-coedit-presence]") || document.querySelector("[data-coedit-presence]");
  if (!holder) {
    holder = document.createElement("div");
    holder.className = "coedit-presence";
    holder.setAttribute("data-coedit-presence", "");
    if (statusElement) { statusElement.insertAdjacentElement("afterend", holder); } else { root.prepend(holder); }
  }
  const title = document.createElement("h2");
  title.className = "coedit-people-title";
  title.id = "coedit-people-title";
  title.textContent = "On this page";
  const list = document.createElement("ul");
  list.className = "coedit-people plain";
  list.setAttribute("aria-labelledby", title.id);
  holder.replaceChildren(title, list);
  return list;
}

// The page's one live stream (htmx SSE extension): an element of ours inside it receives the document's
// events; the extension delivers them, and reconnects, as for every other live region of the page.
function listen(root, transport) {
  const stream = root.closest("[sse-connect], [data-sse-connect]") || root.querySelector("[sse-connect], [data-sse-connect]") ||
    document.querySelector("[sse-connect], [data-sse-connect]");
  if (!stream) { return; }
  const receiver = document.createElement("div");
  receiver.hidden = true;
  receiver.setAttribute("data-sse-swap", "doc-update,doc-awareness,resync");
  receiver.setAttribute("data-hx-swap", "none");
  receiver.addEventListener("htmx:sseBeforeMessage", (event) => {
    event.preventDefault();  // nothing to swap: the message is ours
    transport.receive(event.detail.type, event.detail.data);
  });
  stream.appendChild(receiver);
  if (document.readyState === "complete" && window.htmx) { window.htmx.process(receiver); }
}

const root = document.querySelector("[data-coedit-doc]");
if (root) { start(root); }
