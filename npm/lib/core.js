"use strict";
// The WebAssembly core (crate qad-wasm), loaded once, synchronously.
//
// dist/wasm/qad_wasm.cjs is wasm-bindgen's `--target nodejs` glue for the same qad_wasm_bg.wasm
// that the browser preview loads through dist/wasm/qad_wasm.js (`--target web`): CommonJS, so
// both `require` and `import` consumers work on every Node 20.x. See scripts/build-wasm.mjs.

const fs = require("node:fs");
const path = require("node:path");

const wasmDir = path.join(__dirname, "..", "dist", "wasm");

let glue = null;

function wasm() {
  if (glue) return glue;
  const file = path.join(wasmDir, "qad_wasm.cjs");
  if (!fs.existsSync(file) || !fs.existsSync(path.join(wasmDir, "qad_wasm_bg.wasm"))) {
    throw new Error(
      `qad-migrate: the WebAssembly core is not built (${path.join(wasmDir, "qad_wasm_bg.wasm")} is missing). ` +
        "In a checkout of the repository run `npm run build:wasm` in npm/; an installed package ships it.",
    );
  }
  glue = require(file);
  return glue;
}

module.exports = {
  wasmDir,
  /** @returns {any} */
  transform: (input) => wasm().transform(input),
  validate: (input) => wasm().validate(input),
  renderReport: (report, format) => wasm().renderReport(report, format),
  makeEnvelope: (input, generatedBy) => wasm().makeEnvelope(input, generatedBy ?? undefined),
  i18nFromFrontendFiles: (en, ar) => wasm().i18nFromFrontendFiles(en ?? null, ar ?? null),
  parseAlias: (spec) => wasm().parseAlias(spec),
  rules: () => wasm().rules(),
  rulesMarkdown: () => wasm().rulesMarkdown(),
  version: () => wasm().version(),
};
