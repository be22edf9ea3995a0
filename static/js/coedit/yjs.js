// The one place that names the vendored bundle (rebuilt from frontend/: see static/vendor/README.md).
export { Y, awarenessProtocol } from "../../vendor/lsweb-coedit-1.0.0.min.js";

export function toB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

export function fromB64(text) {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) { bytes[i] = s.charCodeAt(i); }
  return bytes;
}
