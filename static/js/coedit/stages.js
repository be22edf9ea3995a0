// The stages of a plan, as the document has them (doc.getMap("stages")): rows are ordered by "pos" (then
// key), removed stages are hidden and listed for "Bring it back", and a new stage is created whole in one
// transaction. The server renders the same rows first; they are adopted by their data-stage-key, and new
// rows are cloned from the page's <template data-coedit-stage-template> (key "__stage__").
// A stage removed by someone else while this person types in it stays open for them, marked as removed,
// so not a character is lost; what they type stays with the stage and comes back with it.
import { Y } from "./yjs.js";

const PLACEHOLDER = "__stage__";
const ATTRIBUTES = ["id", "for", "name", "data-coedit-box", "data-stage-key", "aria-describedby",
  "aria-labelledby", "formaction"];
export const LOCAL = "stages";  // origin of this page's stage changes

function freshKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "n" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Stages {
  constructor({doc, container, maxStages, bind, say}) {
    this.doc = doc;
    this.map = doc.getMap("stages");
    this.container = container;
    this.list = container.querySelector("[data-coedit-stage-list]") || container;
    this.template = container.querySelector("template[data-coedit-stage-template]") ||
      document.querySelector("template[data-coedit-stage-template]");
    this.removedList = container.querySelector("[data-coedit-removed-stages]");
    this.addButton = container.querySelector('[data-stage-action="add"]');
    this.maxStages = maxStages;
    this.bind = bind;      // (textarea) => void: binds a new row's boxes
    this.say = say;        // (message) => void: a polite announcement
    this.rows = new Map();
    for (const row of this.list.querySelectorAll("[data-stage-key]")) {
      if (row.querySelector("[data-coedit-box]")) { this.rows.set(row.dataset.stageKey, row); }
    }
    this.map.observeDeep((events) => {
      if (events.some((e) => e.target === this.map || (e.target instanceof Y.Map && e.target._item &&
          (e.target._item.parent === this.map || (e.target._item.parent && e.target._item.parent._item &&
           e.target._item.parent._item.parent === this.map))))) {
        this.render();
      }
    });
    container.addEventListener("click", (event) => this.click(event), true);
    container.addEventListener("focusout", () => setTimeout(() => this.render(), 0));
    this.render();
  }

  ordered() {
    const all = [];
    this.map.forEach((stage, key) => { if (stage instanceof Y.Map) { all.push({key, stage}); } });
    all.sort((a, b) => ((a.stage.get("pos") ?? 0) - (b.stage.get("pos") ?? 0)) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return all;
  }

  active() { return this.ordered().filter(({stage}) => !stage.get("removed")); }

  pupilIds() {
    const ids = [];
    this.doc.getMap("texts").forEach((value, key) => {
      const match = /^pupil-(\d+)-criterion$/.exec(key);
      if (match) { ids.push(match[1]); }
    });
    return ids;
  }

  rowFor(key) {
    let row = this.rows.get(key);
    if (row || !this.template) { return row || null; }
    row = this.template.content.firstElementChild.cloneNode(true);
    for (const element of [row, ...row.querySelectorAll("*")]) {
      for (const name of ATTRIBUTES) {
        const value = element.getAttribute(name);
        if (value && value.includes(PLACEHOLDER)) { element.setAttribute(name, value.split(PLACEHOLDER).join(key)); }
      }
    }
    for (const box of row.querySelectorAll("textarea")) { box.value = ""; box.defaultValue = ""; }
    this.rows.set(key, row);
    row.hidden = true;
    this.list.appendChild(row);
    for (const box of row.querySelectorAll("textarea[data-coedit-box]")) { this.bind(box); }
    return row;
  }

  render() {
    const all = this.ordered();
    const active = all.filter(({stage}) => !stage.get("removed"));
    const focusedRow = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("[data-stage-key]");
    // shown: the active stages, and a removed one still being typed in
    const shown = all.filter(({key, stage}) => !stage.get("removed") || (focusedRow && focusedRow === this.rows.get(key)));
    const rows = shown.map(({key}) => this.rowFor(key)).filter(Boolean);
    this.place(rows);
    const shownKeys = new Set(shown.map(({key}) => key));
    for (const [key, row] of this.rows) { row.hidden = !shownKeys.has(key); }
    let number = 0;
    for (const {key, stage} of shown) {
      const row = this.rows.get(key);
      if (!row) { continue; }
      const removed = !!stage.get("removed");
      if (!removed) { number++; }
      this.label(row, removed ? null : number, removed, active.length, number);
    }
    this.renderRemoved(all.filter(({stage}) => stage.get("removed")));
    if (this.addButton) { this.addButton.hidden = active.length >= this.maxStages; }
  }

  // Put `rows` in this order in the list, never moving the row that holds the focus (moving it would
  // take the focus away from the person typing).
  place(rows) {
    const inList = () => [...this.list.children].filter((el) => [...this.rows.values()].includes(el));
    for (let i = 0; i < rows.length; i++) {
      for (let guard = 0; guard < 100; guard++) {
        const current = inList()[i];
        if (current === rows[i]) { break; }
        if (current && rows[i].contains(document.activeElement)) {
          const last = inList().at(-1);
          last.after(current);
        } else if (current) {
          current.before(rows[i]);
        } else {
          const last = inList().at(-1);
          if (last) { last.after(rows[i]); } else { this.list.appendChild(rows[i]); }
        }
      }
    }
  }

  label(row, number, removed, activeCount, position) {
    const title = row.querySelector("[data-stage-number]");
    const text = removed ? "Removed stage" : `Stage ${number}`;
    if (title) { title.textContent = removed ? "Removed stage" : String(number); } else {
      const legend = row.querySelector("legend");
      if (legend && legend.textContent !== text) { legend.textContent = text; }
    }
    if (title && removed) { title.textContent = "(removed)"; }
    row.classList.toggle("stage-removed", removed);
    const buttons = (action) => row.querySelectorAll(`[data-stage-action="${action}"]`);
    for (const b of buttons("up")) { b.hidden = removed || number === 1; b.setAttribute("aria-label", `Move stage ${number} up`); }
    for (const b of buttons("down")) { b.hidden = removed || number === activeCount; b.setAttribute("aria-label", `Move stage ${number} down`); }
    for (const b of buttons("remove")) { b.hidden = removed || activeCount <= 1; b.setAttribute("aria-label", `Remove stage ${number}`); }
    let note = row.querySelector(".coedit-stage-note");
    if (removed && !note) {
      note = document.createElement("p");
      note.className = "coedit-stage-note notice";
      note.textContent = "This stage has been removed from the plan. What you type here is kept with it. ";
      const back = document.createElement("button");
      back.type = "button";
      back.className = "button secondary";
      back.dataset.stageAction = "restore";
      back.textContent = "Bring this stage back";
      note.appendChild(back);
      row.insertBefore(note, row.firstElementChild ? row.firstElementChild.nextSibling : null);
    } else if (!removed && note) {
      note.remove();
    }
  }

  renderRemoved(removed) {
    const holder = this.removedList;
    if (!holder) { return; }
    holder.hidden = removed.length === 0;
    const items = removed.map(({key, stage}) => {
      const li = document.createElement("li");
      li.dataset.stageKey = key;
      const all = (stage.get("activity") || "").toString().trim().split(/\s+/).filter(Boolean);
      const words = all.slice(0, 8).join(" ") + (all.length > 8 ? "…" : "");
      li.appendChild(document.createTextNode(words ? `“${words}” ` : "A stage with no activity yet "));
      const back = document.createElement("button");
      back.type = "button";
      back.className = "button secondary";
      back.dataset.stageAction = "restore";
      back.textContent = "Bring it back";
      back.setAttribute("aria-label", words ? `Bring back the stage “${words}”` : "Bring back the removed stage");
      li.appendChild(back);
      return li;
    });
    const list = holder.querySelector("ul") || holder;
    const signature = removed.map(({key}) => key).join(",") + "|" + items.map((li) => li.textContent).join("|");
    if (list.dataset.signature === signature) { return; }
    list.dataset.signature = signature;
    list.replaceChildren(...items);
    const count = holder.querySelector("[data-coedit-removed-count]");
    if (count) { count.textContent = String(removed.length); }
  }

  click(event) {
    const button = event.target.closest && event.target.closest("[data-stage-action]");
    if (!button || !this.container.contains(button)) { return; }
    event.preventDefault();
    event.stopPropagation();  // (capture phase: htmx or the form never see it)
    const action = button.dataset.stageAction;
    const key = button.closest("[data-stage-key]") ? button.closest("[data-stage-key]").dataset.stageKey : null;
    if (action === "add") { this.add(); } else if (key && this.map.get(key)) { this[action](key, button); }
  }

  add() {
    if (this.active().length >= this.maxStages) { this.say(`A plan has at most ${this.maxStages} stages.`); return; }
    const all = this.ordered();
    const pos = all.length ? Math.max(...all.map(({stage}) => stage.get("pos") ?? 0)) + 1 : 1;
    const key = freshKey();
    this.doc.transact(() => {
      const stage = new Y.Map();
      this.map.set(key, stage);
      stage.set("pos", pos);
      stage.set("removed", false);
      for (const part of ["time", "activity", "resources"]) { stage.set(part, new Y.Text()); }
      const predictions = new Y.Map();
      stage.set("predictions", predictions);
      for (const pupil of this.pupilIds()) { predictions.set(pupil, new Y.Text()); }
    }, LOCAL);
    const row = this.rows.get(key);
    const first = row && row.querySelector("textarea");
    if (first) { first.focus(); }
    this.say(`Stage ${this.active().length} added.`);
  }

  move(key, step) {
    const active = this.active();
    const at = active.findIndex((s) => s.key === key);
    const to = at + step;
    if (at < 0 || to < 0 || to >= active.length) { return; }
    const neighbour = active[to].stage.get("pos") ?? 0;
    const beyond = active[to + step];
    const pos = beyond ? (neighbour + (beyond.stage.get("pos") ?? 0)) / 2 : neighbour + step;
    this.doc.transact(() => active[at].stage.set("pos", pos), LOCAL);
    this.say(`Stage moved to position ${to + 1}.`);
  }

  up(key, button) { this.move(key, -1); this.refocus(key, "up", button); }
  down(key, button) { this.move(key, 1); this.refocus(key, "down", button); }

  refocus(key, action, button) {
    // keep the focus on the moved stage's button (or its other one, when this one is now hidden)
    const row = this.rows.get(key);
    const same = row && row.querySelector(`[data-stage-action="${action}"]:not([hidden])`);
    const other = row && row.querySelector(`[data-stage-action="${action === "up" ? "down" : "up"}"]:not([hidden])`);
    (same || other || button).focus();
  }

  remove(key) {
    const row = this.rows.get(key);
    const next = row && row.nextElementSibling;
    this.doc.transact(() => this.map.get(key).set("removed", true), LOCAL);
    const target = (next && !next.hidden && next.querySelector("textarea")) || this.addButton;
    if (target) { target.focus(); }
    this.render();
    this.say("Stage removed. It is kept with its text under “Removed stages”, where it can be brought back.");
  }

  restore(key) {
    this.doc.transact(() => this.map.get(key).set("removed", false), LOCAL);
    const row = this.rows.get(key);
    const first = row && row.querySelector("textarea");
    if (first) { first.focus(); }
    this.say("Stage brought back.");
  }
}
