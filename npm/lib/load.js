"use strict";
// Loading the frontend: its TypeScript module `applicationsData.ts`, imported as it is with the
// frontend's own TypeScript compiler, and its i18n files.
//
// The module is transpiled with `ts.transpileModule` (to CommonJS, syntactic diagnostics on) and
// evaluated in a `vm` context with its own `exports`; nothing is done to the source text. The
// exported values are converted to plain JSON data (strictly: a value JSON cannot carry is an
// error, not silently dropped) and handed to the core.

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { createRequire, SourceMap } = require("node:module");

const core = require("./core.js");

const DEFAULT_MODULE = "src/app/services/applicationsData.ts";
const DEFAULT_I18N_DIR = "src/assets/i18n";
const EVAL_TIMEOUT_MS = 10_000;

/**
 * The module (or its i18n files) cannot be loaded: missing file, syntax error, missing
 * TypeScript, evaluation error, or an export of another name or shape. Exit code 3.
 */
class LoadError extends Error {
  /**
   * @param {string} message
   * @param {{kind: string, file?: string, line?: number, column?: number, diagnostics?: object[]}} details
   */
  constructor(message, details) {
    super(message);
    this.name = "LoadError";
    this.code = "QAD_LOAD_ERROR";
    this.exitCode = 3;
    this.kind = details.kind;
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
    if (details.column !== undefined) this.column = details.column;
    this.diagnostics = details.diagnostics ?? [];
  }
}

function displayPath(root, file) {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}

function readFileOrFail(file, what, root) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const reason = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new LoadError(`cannot read the ${what} ${displayPath(root, file)}: ${reason}`, {
      kind: "missing-file",
      file,
    });
  }
}

/** The frontend's TypeScript compiler, resolved from the frontend root (a peer dependency). */
function loadTypeScript(root) {
  const req = createRequire(path.join(root, "package.json"));
  let resolved;
  try {
    resolved = req.resolve("typescript");
  } catch {
    throw new LoadError(
      `TypeScript is not installed in the frontend at ${root}: qad-migrate imports applicationsData.ts ` +
        "with the frontend's own TypeScript compiler. Run `npm install` there (Angular projects list " +
        "`typescript` in devDependencies), or `npm install --save-dev typescript`.",
      { kind: "typescript-missing" },
    );
  }
  const ts = req(resolved);
  if (typeof ts.transpileModule !== "function") {
    throw new LoadError(`${resolved} is not the TypeScript compiler (no transpileModule)`, {
      kind: "typescript-missing",
    });
  }
  return ts;
}

function formatDiagnostic(ts, root, diagnostic) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const out = { code: `TS${diagnostic.code}`, message };
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    out.file = diagnostic.file.fileName;
    out.line = line + 1;
    out.column = character + 1;
    const lineStarts = diagnostic.file.getLineStarts();
    const text = diagnostic.file.text;
    const end = line + 1 < lineStarts.length ? lineStarts[line + 1] : text.length;
    out.sourceLine = text.slice(lineStarts[line], end).replace(/\r?\n$/, "");
    out.text = `${displayPath(root, out.file)}:${out.line}:${out.column} - error ${out.code}: ${message}`;
  } else {
    out.text = `error ${out.code}: ${message}`;
  }
  return out;
}

function codeFrame(d) {
  if (d.sourceLine === undefined) return "";
  const gutter = String(d.line);
  const caretPad = d.sourceLine.slice(0, d.column - 1).replace(/[^\t]/g, " ");
  return `\n\n${gutter} | ${d.sourceLine}\n${" ".repeat(gutter.length)} | ${caretPad}^`;
}

/**
 * An object literal that names a property twice keeps only the last value when evaluated, so
 * the first would be lost without a word. TypeScript's checker reports it (TS1117), but
 * transpileModule only parses. This "before" transformer walks the tree transpileModule has
 * already parsed (no second parse of a large module) and collects the repeated names into
 * `found`; `transpile` refuses the module with their positions.
 */
function duplicatePropertyFinder(ts, found) {
  return () => (sf) => {
    const visit = (node) => {
      if (ts.isObjectLiteralExpression(node)) {
        const seen = new Set();
        for (const prop of node.properties) {
          if (!(ts.isPropertyAssignment(prop) || ts.isShorthandPropertyAssignment(prop))) continue;
          const name = prop.name;
          if (!(ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name))) continue;
          if (seen.has(name.text)) found.push({ sf, start: name.getStart(sf), text: name.text });
          seen.add(name.text);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    return sf;
  };
}

function rejectDuplicateProperties(ts, root, file, found) {
  if (found.length === 0) return;
  const diags = found.map(({ sf, start, text }) =>
    formatDiagnostic(ts, root, {
      file: sf,
      start,
      code: 1117,
      messageText: `An object literal cannot have multiple properties with the same name: '${text}' (only the last value would be kept).`,
    }),
  );
  const first = diags[0];
  const more = diags.length > 1 ? `\n(${diags.length - 1} more:\n  ${diags.slice(1).map((d) => d.text).join("\n  ")})` : "";
  throw new LoadError(`duplicate property in ${first.text.replace(/ - error /, ": error ")}${codeFrame(first)}${more}`, {
    kind: "syntax",
    file: first.file ?? file,
    line: first.line,
    column: first.column,
    diagnostics: diags.map(({ sourceLine, ...rest }) => rest),
  });
}

/** Transpiles one TS/JS file to CommonJS; syntax errors become a LoadError with positions. */
function transpile(ts, root, file, sourceText) {
  const duplicates = [];
  const result = ts.transpileModule(sourceText, {
    fileName: file,
    reportDiagnostics: true,
    transformers: { before: [duplicatePropertyFinder(ts, duplicates)] },
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2020,
      esModuleInterop: true,
      importHelpers: false,
      sourceMap: true,
      inlineSourceMap: false,
    },
  });
  const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const diags = errors.map((d) => formatDiagnostic(ts, root, d));
    const first = diags[0];
    const more = diags.length > 1 ? `\n(${diags.length - 1} more syntax error(s):\n  ${diags.slice(1).map((d) => d.text).join("\n  ")})` : "";
    throw new LoadError(`syntax error in ${first.text.replace(/ - error /, ": error ")}${codeFrame(first)}${more}`, {
      kind: "syntax",
      file: first.file ?? file,
      line: first.line,
      column: first.column,
      diagnostics: diags.map(({ sourceLine, ...rest }) => rest),
    });
  }
  rejectDuplicateProperties(ts, root, file, duplicates);
  // The emitted JS ends with a sourceMappingURL comment to a file that does not exist: drop it.
  const js = result.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  let map = null;
  try {
    map = result.sourceMapText ? new SourceMap(JSON.parse(result.sourceMapText)) : null;
  } catch {
    map = null;
  }
  return { js, map };
}

/**
 * Evaluates the module and the relative modules it imports (TS, JS or JSON inside the frontend)
 * in one fresh `vm` context. Package imports are refused: the data module must be data.
 */
function evaluateModule(ts, root, entryFile, entrySource, timeoutMs) {
  const warnings = [];
  const sandboxConsole = {};
  for (const level of ["log", "info", "warn", "error", "debug", "trace"]) {
    sandboxConsole[level] = (...args) => warnings.push(`console.${level}: ${args.map(String).join(" ")}`);
  }
  const context = vm.createContext(
    { console: sandboxConsole },
    { name: `qad-migrate:${displayPath(root, entryFile)}`, codeGeneration: { strings: false, wasm: false } },
  );
  const cache = new Map();
  const maps = new Map();

  function load(file, sourceText) {
    if (cache.has(file)) return cache.get(file).exports;
    const module = { exports: {} };
    cache.set(file, module);
    if (file.endsWith(".json")) {
      try {
        module.exports = JSON.parse(sourceText.replace(/^\uFEFF/, ""));
      } catch (e) {
        throw new LoadError(`${displayPath(root, file)} is not valid JSON: ${e.message}`, { kind: "evaluation", file });
      }
      return module.exports;
    }
    const { js, map } = transpile(ts, root, file, sourceText.replace(/^\uFEFF/, ""));
    maps.set(file, map);
    // The call runs inside the context (under the timeout); its arguments are handed over
    // through one context global, removed right after.
    context.__qadModuleArgs = [module.exports, makeRequire(file), module, file, path.dirname(file)];
    const wrapper =
      `(function (exports, require, module, __filename, __dirname) {${js}\n})` +
      ".apply(globalThis.__qadModuleArgs[0], (function (a) { delete globalThis.__qadModuleArgs; return a; })(globalThis.__qadModuleArgs));";
    let script;
    try {
      script = new vm.Script(wrapper, { filename: file });
    } catch (e) {
      throw new LoadError(`${displayPath(root, file)} cannot be compiled after transpiling: ${e.message}`, {
        kind: "syntax",
        file,
      });
    }
    try {
      script.runInContext(context, { timeout: timeoutMs });
    } catch (e) {
      if (e instanceof LoadError) throw e;
      const where = evaluationFrame(e, root, maps);
      throw new LoadError(
        `${displayPath(root, file)} threw while being evaluated${where}: ${e && e.name ? `${e.name}: ` : ""}${e && e.message !== undefined ? e.message : String(e)}` +
          " (the module must be plain data: it is run without Angular, the DOM or Node globals)",
        { kind: "evaluation", file },
      );
    }
    return module.exports;
  }

  function makeRequire(fromFile) {
    return function require(spec) {
      if (typeof spec !== "string") throw new TypeError("require() needs a string");
      if (!spec.startsWith("./") && !spec.startsWith("../")) {
        throw new LoadError(
          `${displayPath(root, fromFile)} imports "${spec}", which qad-migrate does not load: the data module ` +
            "may import only relative TypeScript/JSON files (type-only imports are fine: they are erased)",
          { kind: "evaluation", file: fromFile },
        );
      }
      const base = path.resolve(path.dirname(fromFile), spec);
      const candidates = [base, `${base}.ts`, `${base}.js`, `${base}.json`, path.join(base, "index.ts"), path.join(base, "index.js")];
      if (base.endsWith(".js")) candidates.splice(1, 0, base.replace(/\.js$/, ".ts"));
      const found = candidates.find((c) => {
        try {
          return fs.statSync(c).isFile();
        } catch {
          return false;
        }
      });
      if (!found) {
        throw new LoadError(`${displayPath(root, fromFile)} imports "${spec}", which does not exist`, {
          kind: "missing-file",
          file: base,
        });
      }
      return load(found, fs.readFileSync(found, "utf8"));
    };
  }

  const exports = load(entryFile, entrySource);
  return { exports, warnings };
}

/** " (at file:line:column)" of the innermost frame in a loaded module, mapped back to the TS source. */
function evaluationFrame(e, root, maps) {
  const stack = e && typeof e.stack === "string" ? e.stack : "";
  for (const frame of stack.split("\n")) {
    for (const [file, map] of maps) {
      const at = frame.lastIndexOf(`${file}:`);
      if (at < 0) continue;
      const m = frame.slice(at + file.length).match(/^:(\d+):(\d+)/);
      if (!m) continue;
      let line = Number(m[1]);
      let column = Number(m[2]);
      const entry = map ? map.findEntry(line - 1, column - 1) : null;
      if (entry && typeof entry.originalLine === "number") {
        line = entry.originalLine + 1;
        column = entry.originalColumn + 1;
      }
      return ` (at ${displayPath(root, file)}:${line}:${column})`;
    }
  }
  return "";
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const t = typeof value;
  if (t === "object") {
    const proto = Object.getPrototypeOf(value);
    const name = proto && proto.constructor && proto.constructor.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (t === "undefined") return "undefined";
  return `a ${t}`;
}

function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  // Plain objects of any realm (the module runs in its own vm context).
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Converts an evaluated export to plain JSON data. Undefined object members are left out (as in
 * JSON.stringify: an optional field); anything JSON cannot carry is an error naming its path.
 */
function toJson(value, where, file, ancestors = [], label = file) {
  const fail = (why) => {
    throw new LoadError(`${label}: the export ${where} ${why}; the exports must be plain JSON-like data`, {
      kind: "export-shape",
      file,
    });
  };
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) fail(`is ${value}, which JSON cannot carry`);
      return value;
    case "undefined":
      return fail("is undefined (a hole in an array, e.g. `,,`?)");
    case "bigint":
    case "symbol":
    case "function":
      return fail(`is ${describe(value)}`);
    default:
      break;
  }
  if (value === null) return null;
  if (ancestors.includes(value)) fail("refers to itself (a cycle)");
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(`has a hole at index ${i} (two commas in a row?)`);
      out[i] = toJson(value[i], `${where}[${i}]`, file, inner, label);
    }
    return out;
  }
  if (!isPlainObject(value)) fail(`is ${describe(value)}`);
  const out = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    const path = /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
    out[key] = toJson(v, path, file, inner, label);
  }
  return out;
}

function readI18nFile(root, file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e.code === "ENOENT") return { present: false, value: null };
    throw new LoadError(`cannot read ${displayPath(root, file)}: ${e.message}`, { kind: "i18n", file });
  }
  try {
    return { present: true, value: JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, "")) };
  } catch (e) {
    throw new LoadError(`${displayPath(root, file)} is not valid JSON: ${e.message}`, { kind: "i18n", file });
  }
}

function exportNames(exports) {
  return Object.keys(exports).filter((k) => k !== "__esModule");
}

/**
 * Loads the frontend: the module's `applicationsData` and `categories` exports, the i18n category
 * names, and where they came from. Throws LoadError (exit code 3) when it cannot.
 *
 * @param {{root?: string, modulePath?: string, i18nDir?: string|false, aliases?: string[]|Record<string,string>, timeoutMs?: number}} [options]
 */
function loadFrontend(options = {}) {
  const root = path.resolve(options.root ?? process.cwd());
  let rootStat;
  try {
    rootStat = fs.statSync(root);
  } catch {
    throw new LoadError(`the frontend root ${root} does not exist`, { kind: "missing-file", file: root });
  }
  if (!rootStat.isDirectory()) {
    throw new LoadError(`the frontend root ${root} is not a directory`, { kind: "missing-file", file: root });
  }
  const modulePath = path.resolve(root, options.modulePath ?? DEFAULT_MODULE);
  const bytes = readFileOrFail(modulePath, "module", root);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const ts = loadTypeScript(root);

  const timeoutMs = options.timeoutMs ?? EVAL_TIMEOUT_MS;
  const { exports, warnings } = evaluateModule(ts, root, modulePath, bytes.toString("utf8"), timeoutMs);
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

  const input = {
    applicationsData: toJson(exports.applicationsData, "applicationsData", modulePath, [], rel),
  };
  if (hasCategories) input.categories = toJson(exports.categories, "categories", modulePath, [], rel);

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

module.exports = {
  DEFAULT_MODULE,
  DEFAULT_I18N_DIR,
  LoadError,
  loadFrontend,
  normaliseAliases,
};
