// Lesson details (date, time, length, class, room, who teaches) and observers save by themselves through
// the document: doc.getMap("details") and doc.getMap("observers"), last writer wins per key. A control
// that has the focus is not overwritten by someone else's value while it is being changed; it takes the
// document's value when it loses the focus.
export const LOCAL = "fields";

const NUMBERS = new Set(["duration_minutes", "teacher_id"]);

function parse(key, raw) {
  if (!NUMBERS.has(key)) { return raw; }
  if (raw === "") { return key === "teacher_id" ? null : undefined; }
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function show(control, value) {
  const text = value === null || value === undefined ? "" : String(value);
  if (control.value !== text) { control.value = text; }
}

function bindMap(doc, map, controls, keyOf, parseValue) {
  const byKey = new Map();
  for (const control of controls) {
    const key = keyOf(control);
    byKey.set(key, control);
    if (map.has(key)) { show(control, map.get(key)); }
    const write = () => {
      const value = parseValue(key, control.value);
      if (value === undefined || map.get(key) === value) { return; }
      doc.transact(() => map.set(key, value), LOCAL);
    };
    control.addEventListener(control.tagName === "SELECT" ? "change" : "input", write);
    control.addEventListener("change", write);
    control.addEventListener("blur", () => { if (map.has(key)) { show(control, map.get(key)); } });
    if (control.tagName === "INPUT") {
      // Enter in a details box would submit the whole no-JavaScript form: it saves by itself here
      control.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); } });
    }
  }
  map.observe((event, transaction) => {
    if (transaction.origin === LOCAL) { return; }
    for (const key of event.keysChanged) {
      const control = byKey.get(key);
      if (control && document.activeElement !== control) { show(control, map.get(key)); }
    }
  });
}

export function bindFields(doc, root) {
  bindMap(doc, doc.getMap("details"), root.querySelectorAll("[data-coedit-detail]"),
    (control) => control.dataset.coeditDetail, parse);
  bindMap(doc, doc.getMap("observers"), root.querySelectorAll("[data-coedit-observer]"),
    (control) => control.dataset.coeditObserver,
    (key, raw) => (raw === "" ? null : Number(raw)));
}
