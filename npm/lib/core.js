"use strict";
// The WebAssembly core (crate qad-wasm), loaded once, synchronously.
//
// dist/wasm/qad_wasm.cjs is wasm-bindgen's `--target nodejs` glue for the same qad_wasm_bg.wasm
// that the browser preview loads through dist/wasm/qad_wasm.js (`--target web`): CommonJS, so
// both `require` and `import` consumers work on every Node 20.x. See scripts/build-wasm.mjs. An
// installed package ships it; in a checkout of the repository, `npm run build:wasm` builds it.

const wasm = require("../dist/wasm/qad_wasm.cjs");

const exitCode = Object.fromEntries(wasm.exitCodes().map(({ name, code }) => [name, code]));

/**
 * The documented exit codes of the `qad-migrate` command: its five entries of the one table
 * that qad-migrate and qa-load share (qad_core::exit_codes).
 */
const EXIT_CODES = Object.freeze({
  ok: exitCode.ok,
  validationErrors: exitCode.invalidInput,
  usage: exitCode.usage,
  loadError: exitCode.sourceUnloadable,
  ioError: exitCode.outputFailed,
});

module.exports = {
  EXIT_CODES,
  transform: (input) => wasm.transform(input),
  validate: (input) => wasm.validate(input),
  renderReport: (report, format) => wasm.renderReport(report, format),
  makeEnvelope: (input, generatedBy) => wasm.makeEnvelope(input, generatedBy ?? undefined),
  i18nFromFrontendFiles: (en, ar) => wasm.i18nFromFrontendFiles(en ?? null, ar ?? null),
  parseAlias: (spec) => wasm.parseAlias(spec),
  parseLayout: (kind, mediaBaseUrl) => wasm.parseLayout(kind, mediaBaseUrl ?? undefined),
  rules: () => wasm.rules(),
  rulesMarkdown: () => wasm.rulesMarkdown(),
  version: () => wasm.version(),
};
