// Builds ../static/vendor/lsweb-coedit-<version>.min.js: Yjs, y-protocols' awareness and y-indexeddb
// as one minified ES module. Run `npm ci && npm run build` in this folder; commit the built file.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url)));
const outfile = new URL(`../static/vendor/lsweb-coedit-${version}.min.js`, import.meta.url).pathname;

await build({
  entryPoints: [new URL("./src/vendor.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  legalComments: "eof",
  outfile,
});
console.log(`built ${outfile}`);
