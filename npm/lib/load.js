"use strict";
// Loading the frontend: its TypeScript module \`applicationsData.ts\`, imported as it is with the
// frontend's own TypeScript compiler, and its i18n files.
//
// The module is transpiled with \`ts.transpileModule\` (to CommonJS, syntactic diagnostics on) and
// evaluated in a \`vm\` context with its own \`exports\` (load/evaluate.js); nothing is done to the
// source text. The exported values are converted to plain JSON data (load/json-data.js) and
// handed to the core. A module that is only literal data is read with the TypeScript scanner
// instead (load/literal.js): the same data, far less memory. Locating the files:
// load/files.js; errors and positions: load/errors.js.

const crypto = require("node:crypto");
const path = require("node:path");

const core = require("./core.js");
const { LoadError, displayPath } = require("./load/errors.js");
const { DEFAULT_MODULE, DEFAULT_I18N_DIR, frontendRoot, readFileOrFail, loadTypeScript, readI18nFile } = require("./load/files.js");
const { literalModule } = require("./load/literal.js");
const { evaluateModule } = require("./load/evaluate.js");
const { describe, toJson } = require("./load/json-data.js");

const EVAL_TIMEOUT_MS = 10_000;

/**
 * Reads, hashes and loads the module: `{sha256, ts, exports, plain, warnings}`. A module that is
 * only literal data is read by literalModule (`plain`: its exports are JSON data already);
 * anything else is transpiled and evaluated. The file's bytes are dropped once decoded.
 */
function loadModule(root, modulePath, timeoutMs) {
  let bytes = readFileOrFail(modulePath, "module", root);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const ts = loadTypeScript(root);
  const text = bytes.toString("utf8");
  bytes = null;
  const literal = literalModule(ts, text.replace(/^\uFEFF/, ""));
  if (literal) return { sha256, ts, exports: literal.exports, plain: true, warnings: [] };
  const { exports, warnings } = evaluateModule(ts, root, modulePath, text, timeoutMs);
  return { sha256, ts, exports, plain: false, warnings };
}

function exportNames(exports) {
  return Object.keys(exports).filter((k) => k !== "__esModule");
}

/**
 * Loads the frontend: the module's `applicationsData` and `categories` exports, the i18n category
 * names, and where they came from. Throws LoadError (exit code 8) when it cannot.
 *
 * `layout` is the database layout to validate for; `target` is its old name (deprecated), taken
 * when `layout` is not given.
 *
 * @param {{root?: string, modulePath?: string, i18nDir?: string|false, aliases?: string[]|Record<string,string>, ignoreFields?: string[], layout?: {kind: string, media_base_url?: string}, target?: {kind: string, media_base_url?: string}, timeoutMs?: number}} [options]
 */
function loadFrontend(options = {}) {
  const root = frontendRoot(options.root ?? process.cwd());
  const modulePath = path.resolve(root, options.modulePath ?? DEFAULT_MODULE);
  const { sha256, ts, exports, plain, warnings } = loadModule(root, modulePath, options.timeoutMs ?? EVAL_TIMEOUT_MS);
  const rel = displayPath(root, modulePath);
  const names = exportNames(exports);

  if (!("applicationsData" in exports) || exports.applicationsData === undefined) {
    const found = names.length ? `it exports ${names.map((n) => `\`${n}\` (${describe(exports[n])})`).join(", ")}` : "it exports nothing";
    throw new LoadError(
      `${rel} has no \`applicationsData\` export: ${found}. qad-migrate needs ` +
        "`export const applicationsData = [ ...app records ]` (and `export const categories = [...]`).",
      { kind: "export-shape", file: modulePath },
    );
  }
  if (!Array.isArray(exports.applicationsData)) {
    throw new LoadError(
      `${rel} exports \`applicationsData\` as ${describe(exports.applicationsData)}; it must be an array of app records`,
      { kind: "export-shape", file: modulePath },
    );
  }
  const hasCategories = "categories" in exports && exports.categories !== undefined;
  if (hasCategories && !Array.isArray(exports.categories)) {
    throw new LoadError(
      `${rel} exports \`categories\` as ${describe(exports.categories)}; it must be an array of {name, icon} entries`,
      { kind: "export-shape", file: modulePath },
    );
  }

  // Values read by literalModule are plain JSON data already (and nothing else refers to them).
  const input = {
    applicationsData: plain ? exports.applicationsData : toJson(exports.applicationsData, "applicationsData", modulePath, [], rel),
  };
  if (hasCategories) input.categories = plain ? exports.categories : toJson(exports.categories, "categories", modulePath, [], rel);

  // i18n: optional; either file may be missing.
  const i18nFiles = { en: null, ar: null };
  if (options.i18nDir !== false) {
    const dir = path.resolve(root, options.i18nDir ?? DEFAULT_I18N_DIR);
    const en = readI18nFile(root, path.join(dir, "en.json"));
    const ar = readI18nFile(root, path.join(dir, "ar.json"));
    if (en.present) i18nFiles.en = path.join(dir, "en.json");
    if (ar.present) i18nFiles.ar = path.join(dir, "ar.json");
    if (en.present || ar.present) {
      input.i18n = core.i18nFromFrontendFiles(en.value ?? {}, ar.value ?? {});
    }
  }

  input.source = { module: rel, sha256 };
  input.options = { categoryAliases: normaliseAliases(options.aliases) };
  const ignoreFields = normaliseIgnoreFields(options.ignoreFields);
  if (ignoreFields.length > 0) input.options.ignoreFields = ignoreFields;
  if (options.layout != null && options.target != null) {
    throw new TypeError("give layout or target (the old name of layout), not both");
  }
  const layout = normaliseLayout(options.layout ?? options.target);
  if (layout.kind !== "qa-load") input.options.layout = layout;

  const sourceInfo = {
    root,
    modulePath,
    module: rel,
    sha256,
    exports: names,
    i18nFiles,
    typescriptVersion: ts.version,
    warnings,
  };
  return { input, sourceInfo };
}

/**
 * Category aliases as `{from: to}`: from `["other=tools"]` specs (core's parser: trimmed,
 * lower-cased) or an object. A malformed spec throws a TypeError.
 */
function normaliseAliases(aliases) {
  const out = {};
  if (aliases == null) return out;
  const specs = Array.isArray(aliases)
    ? aliases
    : Object.entries(aliases).map(([from, to]) => `${from}=${to}`);
  for (const spec of specs) {
    let pair;
    try {
      pair = core.parseAlias(String(spec));
    } catch (e) {
      throw new TypeError(e.message);
    }
    out[pair[0]] = pair[1];
  }
  return out;
}

/**
 * Unknown fields to drop on purpose (`--ignore-field NAME`): names as the records spell them,
 * sorted and without repeats, as the core keeps them. A blank name throws a TypeError.
 */
function normaliseIgnoreFields(names) {
  if (names == null) return [];
  if (!Array.isArray(names)) throw new TypeError("ignoreFields must be an array of field names");
  for (const name of names) {
    if (typeof name !== "string" || name.trim() === "") {
      throw new TypeError(`--ignore-field needs a field name (e.g. --ignore-field mainImage); got ${JSON.stringify(name)}`);
    }
  }
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The database layout to validate for, the tables the data is destined for (`--layout`,
 * `--media-base-url`): undefined or `{kind: "qa-load"}` (qa-load's own tables, the default), or
 * `{kind: "django", media_base_url: URL}`, checked by the core's parser. `{kind: "generic"}`,
 * the old name of qa-load's layout, is taken and returned as `{kind: "qa-load"}`. A malformed
 * one throws a TypeError.
 */
function normaliseLayout(layout) {
  if (layout == null) return { kind: "qa-load" };
  if (typeof layout !== "object" || typeof layout.kind !== "string") {
    throw new TypeError('layout must be {kind: "qa-load"} or {kind: "django", media_base_url: URL}');
  }
  try {
    return core.parseLayout(layout.kind, layout.media_base_url ?? undefined);
  } catch (e) {
    throw new TypeError(e.message);
  }
}

module.exports = {
  DEFAULT_MODULE,
  DEFAULT_I18N_DIR,
  LoadError,
  loadFrontend,
  normaliseAliases,
  normaliseIgnoreFields,
  normaliseLayout,
};
