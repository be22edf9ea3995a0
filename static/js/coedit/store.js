// Edits the server has not acknowledged yet, kept in this browser's IndexedDB so they survive a closed tab
// or a crash and are sent when the page is next open. One database per signed-in user
// ("lsweb-coedit-u<id>"), one entry per document and tab ("<doc> <yjs client id>"), deleted as soon as
// the server has the edits, and the whole database deleted at sign-out (static/js/signout.js).
const STORE = "pending";

export function databaseName(userId) { return `lsweb-coedit-u${userId}`; }

function open(userId) {
  return new Promise((resolve, reject) => {
    if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
    const request = indexedDB.open(databaseName(userId), 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();  // sign-out deletes the database: let it
      resolve(db);
    };
    request.onerror = () => reject(request.error);
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class PendingStore {
  constructor(userId, docName, clientId) {
    this.key = `${docName} ${clientId}`;
    this.range = IDBKeyRange.bound(`${docName} `, `${docName} \uffff`);
    this.db = open(userId).catch(() => null);  // private windows without IndexedDB: memory only
    this.writing = Promise.resolve();
  }

  // Every edit left by earlier tabs of this user on this document: [key, update] pairs.
  async earlier() {
    const db = await this.db;
    if (!db) { return []; }
    const tx = db.transaction(STORE, "readonly");
    const store = tx.objectStore(STORE);
    const [keys, values] = await Promise.all([done(store.getAllKeys(this.range)), done(store.getAll(this.range))]);
    return keys.map((key, i) => [key, values[i]]).filter(([key]) => key !== this.key);
  }

  async forget(keys) {
    const db = await this.db;
    if (!db || !keys.length) { return; }
    const tx = db.transaction(STORE, "readwrite");
    for (const key of keys) { tx.objectStore(STORE).delete(key); }
    await done(tx.objectStore(STORE).count());
  }

  // Keep `update` (everything not acknowledged, merged) or, when null, remove this tab's entry.
  keep(update) {
    this.writing = this.writing.then(async () => {
      const db = await this.db;
      if (!db) { return; }
      const tx = db.transaction(STORE, "readwrite");
      const store = tx.objectStore(STORE);
      await done(update ? store.put(update, this.key) : store.delete(this.key));
    }).catch(() => {});
    return this.writing;
  }
}
