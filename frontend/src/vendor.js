// The libraries lsweb's co-editing client (static/js/coedit/) uses, bundled into one ES module.
export * as Y from "yjs";
export * as awarenessProtocol from "y-protocols/awareness";
