// A plain <textarea> bound to a Y.Text. The textarea stays the browser's own control (spellcheck, IME,
// dictation, screen readers, the no-JavaScript form); this only keeps its value and the shared text equal:
// - local edits: each `input` event is turned into one splice, found by diffing the last agreed value with
//   the new one around the caret (so "aa|" + "a" inserts at the caret, not at the start of the run);
//   during an IME composition nothing is sent until it ends;
// - remote edits are spliced in with setRangeText (no full rewrite, so spellcheck marks and scroll stay),
//   and the caret and selection are carried through Y.RelativePosition, so they stay by the same letters;
// - undo and redo are a Y.UndoManager per box that tracks only this box's own edits.
import { Y } from "./yjs.js";

const CAPTURE_MS = 700;  // keystrokes closer than this are one "run" for undo

// The splice turning `before` into `after`, taking the caret (end of the selection after the edit) as a
// hint: the text after the caret is assumed unchanged, as it is for typing, deleting and pasting.
export function splice(before, after, caret) {
  const limit = Math.min(before.length, after.length);
  let suffix = 0;
  const suffixLimit = caret == null ? limit : Math.min(limit, after.length - caret);
  while (suffix < suffixLimit &&
         before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) {
    suffix++;
  }
  let prefix = 0;
  while (prefix < limit - suffix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) { prefix++; }
  // never split a surrogate pair
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) { prefix--; }
  return {index: prefix, remove: before.length - prefix - suffix,
          insert: after.slice(prefix, after.length - suffix)};
}

function isHighSurrogate(code) { return code >= 0xd800 && code <= 0xdbff; }

export class TextareaBinding {
  constructor(textarea, ytext, {onLocalChange = () => {}} = {}) {
    this.textarea = textarea;
    this.ytext = ytext;
    this.doc = ytext.doc;
    this.onLocalChange = onLocalChange;
    this.agreed = textarea.value;  // the value the textarea and the Y.Text last agreed on
    this.composing = false;
    this.compositionStart = null;  // relative position of the selection start when a composition began
    this.saved = null;             // the selection as relative positions, taken before a remote change
    this.undo = new Y.UndoManager(ytext, {trackedOrigins: new Set([this]), captureTimeout: CAPTURE_MS});

    this.onInput = (event) => { if (!event.isComposing && !this.composing) { this.pushLocal(); } };
    this.onCompositionStart = () => {
      this.composing = true;
      this.compositionStart = Y.createRelativePositionFromTypeIndex(this.ytext,
        Math.min(this.textarea.selectionStart, this.agreed.length));
      this.compositionStartIndex = this.textarea.selectionStart;
    };
    this.onCompositionEnd = () => { this.composing = false; this.pushLocal(true); };
    this.onKeydown = (event) => this.keydown(event);
    this.onBeforeInput = (event) => {
      if (event.inputType === "historyUndo" || event.inputType === "historyRedo") {
        event.preventDefault();
        this.history(event.inputType === "historyUndo" ? "undo" : "redo");
      }
    };
    this.onCaretJump = () => this.undo.stopCapturing();
    this.observer = (event, transaction) => this.pullRemote(event, transaction);
    this.beforeTransaction = (transaction) => {
      if (transaction.origin !== this) { this.saveSelection(); }
    };  // (cheap unless this box has the focus)

    textarea.addEventListener("input", this.onInput);
    textarea.addEventListener("compositionstart", this.onCompositionStart);
    textarea.addEventListener("compositionend", this.onCompositionEnd);
    textarea.addEventListener("keydown", this.onKeydown);
    textarea.addEventListener("beforeinput", this.onBeforeInput);
    textarea.addEventListener("mousedown", this.onCaretJump);
    textarea.addEventListener("blur", this.onCaretJump);
    this.doc.on("beforeTransaction", this.beforeTransaction);
    ytext.observe(this.observer);
    this.adopt();
  }

  // The server rendered the box from the same document: if it differs (the document moved on, or edits
  // restored from this device), the shared text wins, except that a box being typed in before the
  // script ran keeps what was typed (it becomes a local edit).
  adopt() {
    const shared = this.ytext.toString();
    const rendered = this.textarea.defaultValue;
    const now = this.textarea.value;
    if (now !== rendered && shared === rendered) {
      this.agreed = rendered;
      this.pushLocal();
    } else {
      this.setValue(shared);
    }
  }

  setValue(text) {
    const box = this.textarea;
    if (box.value !== text) {
      const top = box.scrollTop;
      const focused = document.activeElement === box;
      const sel = focused ? this.selectionAsRelative() : null;
      box.value = text;
      if (sel) { this.restoreSelection(sel); }
      box.scrollTop = top;
    }
    this.agreed = text;
  }

  destroy() {
    const box = this.textarea;
    box.removeEventListener("input", this.onInput);
    box.removeEventListener("compositionstart", this.onCompositionStart);
    box.removeEventListener("compositionend", this.onCompositionEnd);
    box.removeEventListener("keydown", this.onKeydown);
    box.removeEventListener("beforeinput", this.onBeforeInput);
    box.removeEventListener("mousedown", this.onCaretJump);
    box.removeEventListener("blur", this.onCaretJump);
    this.doc.off("beforeTransaction", this.beforeTransaction);
    this.ytext.unobserve(this.observer);
    this.undo.destroy();
  }

  keydown(event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) {
      if (event.key && event.key.startsWith("Arrow") || event.key === "Home" || event.key === "End" ||
          event.key === "PageUp" || event.key === "PageDown") {
        this.undo.stopCapturing();
      }
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) {
      event.preventDefault();
      this.history("undo");
    } else if (key === "y" || (key === "z" && event.shiftKey)) {
      event.preventDefault();
      this.history("redo");
    }
  }

  history(which) {
    this.pushLocal();  // anything typed and not yet seen by the binding belongs to the run first
    this.undoing = true;
    try {
      if (which === "undo") { this.undo.undo(); } else { this.undo.redo(); }
    } finally {
      this.undoing = false;
    }
  }

  // The local textarea changed: one splice into the shared text, as this binding's own origin.
  pushLocal(afterComposition = false) {
    const box = this.textarea;
    const now = box.value;
    const before = this.agreed;
    if (now === before && !afterComposition) { return; }
    let change = splice(before, now, box.selectionEnd);
    if (afterComposition && this.ytext.toString() !== before) {
      // remote edits arrived during the composition: place the composed text relative to where the
      // composition began, in today's shared text
      const start = Y.createAbsolutePositionFromRelativePosition(this.compositionStart, this.doc);
      const shift = start ? start.index - this.compositionStartIndex : 0;
      const length = this.ytext.length;
      const index = Math.max(0, Math.min(length, change.index + shift));
      change = {index, remove: Math.max(0, Math.min(length - index, change.remove)), insert: change.insert};
    }
    if (change.remove || change.insert) {
      this.doc.transact(() => {
        if (change.remove) { this.ytext.delete(change.index, change.remove); }
        if (change.insert) { this.ytext.insert(change.index, change.insert); }
      }, this);
      this.onLocalChange(this);
    }
    if (this.ytext.toString() !== now) {
      this.setValue(this.ytext.toString());  // only after a composition met remote edits
    } else {
      this.agreed = now;
    }
  }

  selectionAsRelative() {
    const box = this.textarea;
    const length = this.ytext.length;
    const start = Math.min(box.selectionStart, length), end = Math.min(box.selectionEnd, length);
    // the caret sticks to the letter before it, so text others insert at the caret goes after it
    return {
      start: Y.createRelativePositionFromTypeIndex(this.ytext, start, start === end ? -1 : 0),
      end: Y.createRelativePositionFromTypeIndex(this.ytext, end, -1),
      backward: box.selectionDirection === "backward",
    };
  }

  saveSelection() {
    // Only when the textarea and the shared text agree: then indices in one are indices in the other.
    const box = this.textarea;
    if (document.activeElement === box && !this.composing && box.value === this.agreed &&
        this.ytext.length === this.agreed.length) {
      this.saved = {sel: this.selectionAsRelative(), focused: true};
    } else {
      this.saved = null;
    }
  }

  restoreSelection(sel) {
    const start = Y.createAbsolutePositionFromRelativePosition(sel.start, this.doc);
    const end = Y.createAbsolutePositionFromRelativePosition(sel.end, this.doc);
    if (!start || !end) { return; }
    const a = Math.min(start.index, end.index), b = Math.max(start.index, end.index);
    this.textarea.setSelectionRange(a, b, sel.backward ? "backward" : "forward");
  }

  // A change that is not this binding's own typing (another person, the server, this box's undo).
  pullRemote(event, transaction) {
    if (transaction.origin === this) { return; }
    if (this.composing) { return; }  // applied at the end of the composition
    const box = this.textarea;
    if (box.value !== this.agreed) { this.pushLocal(); }
    const top = box.scrollTop;
    const saved = this.saved;
    this.saved = null;
    let index = 0, lastChange = null;
    if (box.value === this.agreed) {
      for (const op of event.delta) {
        if (op.retain) {
          index += op.retain;
        } else if (op.insert) {
          const text = typeof op.insert === "string" ? op.insert : "";
          box.setRangeText(text, index, index, "preserve");
          index += text.length;
          lastChange = index;
        } else if (op.delete) {
          box.setRangeText("", index, index + op.delete, "preserve");
          lastChange = index;
        }
      }
    }
    const shared = this.ytext.toString();
    if (box.value !== shared) { box.value = shared; }
    this.agreed = shared;
    if (transaction.origin === this.undo && lastChange !== null && document.activeElement === box) {
      box.setSelectionRange(lastChange, lastChange);  // after an undo the caret goes where it happened
      box.scrollTop = top;
      return;
    }
    if (saved && saved.focused) { this.restoreSelection(saved.sel); }
    box.scrollTop = top;
  }
}
