"use strict";
// qad-migrate: the JavaScript API beside the command-line program.
//
// The rules live in Rust (qad-core), compiled to WebAssembly; this file only loads the
// frontend and moves JSON in and out. See index.d.ts for the types and README.md for usage.

const fs = require("node:fs");
const path = require("node:path");

const core = require("./core.js");
const { DEFAULT_MODULE, DEFAULT_I18N_DIR, LoadError, loadFrontend, normaliseAliases, normaliseIgnoreFields, normaliseLayout } = require("./load.js");
const pkg = require("../package.json");

const { EXIT_CODES } = core;

const VERSION = pkg.version;
const GENERATED_BY = `qad-migrate ${VERSION}`;

/**
 * Validates an input: `{applicationsData, categories?, i18n?, source?, options?}` (what
 * loadFrontend returns as `input`), an apps.json envelope, a bare array of app records, JSON
 * text, or the bytes of a file. Never throws for bad data: the report carries E001/E002.
 */
function validate(source) {
  return core.validate(source);
}

/** Transforms and validates: `{dataset, report, developer_variants}`. */
function transform(source) {
  return core.transform(source);
}

/** Renders a report as "text" (console), "markdown" or "json": the strings qa-load prints. */
function renderReport(report, format = "text") {
  return core.renderReport(report, format);
}

/**
 * The apps.json envelope for an input (throws when the input cannot be decoded at all).
 *
 * The core hands the records back after a round trip through serde_json, which sorts object
 * keys; for a `{applicationsData, categories}` input the records are put back as given, so that
 * apps.json keeps the module's own field order (the values are the same: both are the JSON of
 * the same data, which is what the core decoded).
 */
function makeEnvelope(source, generatedBy = GENERATED_BY) {
  const envelope = core.makeEnvelope(source, generatedBy);
  if (isModuleInput(source)) {
    const plain = JSON.parse(JSON.stringify({ a: source.applicationsData, c: source.categories ?? null }));
    envelope.applicationsData = plain.a;
    if (envelope.categories !== undefined && plain.c !== null) envelope.categories = plain.c;
  }
  return envelope;
}

function isModuleInput(source) {
  return (
    source !== null &&
    typeof source === "object" &&
    !Array.isArray(source) &&
    !ArrayBuffer.isView(source) &&
    !(source instanceof ArrayBuffer) &&
    !("format" in source) &&
    Array.isArray(source.applicationsData)
  );
}

/**
 * Writes a file so that a reader never sees a partial one: a temporary file beside it, then a
 * rename.
 */
function writeFileAtomic(file, text) {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** The apps.json text as `extract` writes it (2-space indented JSON, final newline). */
function envelopeText(envelope) {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/**
 * Loads the frontend, validates it and builds the apps.json envelope; with `out`, writes it —
 * only when the report has no errors (otherwise nothing is written and `written` is false).
 *
 * @param {{root?: string, modulePath?: string, i18nDir?: string|false, aliases?: string[]|Record<string,string>, ignoreFields?: string[], layout?: {kind: string, media_base_url?: string}, target?: {kind: string, media_base_url?: string}, out?: string, generatedBy?: string}} [options]
 */
function extract(options = {}) {
  const { input, sourceInfo } = loadFrontend(options);
  const report = core.validate(input);
  const ok = report.errors === 0;
  const envelope = ok ? makeEnvelope(input, options.generatedBy ?? GENERATED_BY) : null;
  let written = null;
  if (ok && options.out) {
    written = path.resolve(options.out);
    writeFileAtomic(written, envelopeText(envelope));
  }
  return { ok, report, envelope, input, sourceInfo, written };
}

/** Loads and validates the frontend: `{report, input, sourceInfo}`. */
function validateFrontend(options = {}) {
  const { input, sourceInfo } = loadFrontend(options);
  return { report: core.validate(input), input, sourceInfo };
}

module.exports = {
  VERSION,
  EXIT_CODES,
  DEFAULT_MODULE,
  DEFAULT_I18N_DIR,
  LoadError,
  loadFrontend,
  validateFrontend,
  extract,
  validate,
  transform,
  renderReport,
  makeEnvelope,
  envelopeText,
  writeFileAtomic,
  parseAliases: normaliseAliases,
  parseIgnoreFields: normaliseIgnoreFields,
  parseLayout: normaliseLayout,
  /** @deprecated the old name of parseLayout (the same function). */
  parseTarget: normaliseLayout,
  i18nFromFrontendFiles: core.i18nFromFrontendFiles,
  rules: core.rules,
  rulesMarkdown: core.rulesMarkdown,
  coreVersion: core.version,
};
