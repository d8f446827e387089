"use strict";
// Loading the frontend: its TypeScript module `applicationsData.ts`, imported as it is with the
// frontend's own TypeScript compiler, and its i18n files.
//
// The module is transpiled with `ts.transpileModule` (to CommonJS, syntactic diagnostics on) and
// evaluated in a `vm` context with its own `exports`; nothing is done to the source text. The
// exported values are converted to plain JSON data (strictly: a value JSON cannot carry is an
// error, not silently dropped) and handed to the core. A module that is only literal data is
// read with the TypeScript scanner instead (literalModule): the same data, far less memory.

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
 * The module as plain data without emitting or evaluating it, when it is nothing but
 * `export const NAME = <literal>;` statements whose literals are JSON-like: string literals,
 * template literals without substitutions, plain decimal numbers (optionally negated), true,
 * false, null, and arrays and object literals of those (property names: identifiers, keywords
 * or string literals). The module is read with the frontend's own TypeScript scanner, token by
 * token; the values are exactly what evaluating the module would give, already as the plain
 * JSON data `toJson` would make of them.
 *
 * Anything else (an import, a type annotation, an identifier, a spread, a call, a computed or
 * repeated property name, `__proto__`, a hole, a bigint, an octal or legacy escape, a number
 * JSON cannot carry, a scanner error, ...) returns null and the module goes through
 * transpileModule and evaluation as always, which reports syntax errors with their positions,
 * refuses repeated properties and evaluates what is not a literal. So this path only decides
 * how much memory a large plain-data module takes (no AST, no emitted JavaScript, no second
 * copy of the object graph), never what is accepted or how it is reported.
 *
 * Returns `{exports, names}` (exports in the order evaluation would create them) or null.
 */
function literalModule(ts, sourceText) {
  if (typeof ts.createScanner !== "function" || !ts.SyntaxKind || !ts.ScriptTarget || !ts.LanguageVariant) return null;
  // A `#!` line is trivia to the scanner but is kept by the emit (and refused when evaluated).
  if (sourceText.startsWith("#!")) return null;
  const K = ts.SyntaxKind;
  let failed = false;
  const scanner = ts.createScanner(ts.ScriptTarget.ES2020, true, ts.LanguageVariant.Standard, sourceText, () => {
    failed = true;
  });
  const bail = () => {
    throw literalModule.NOT_LITERAL;
  };
  let token = K.Unknown;
  const next = () => {
    token = scanner.scan();
    if (failed || scanner.isUnterminated()) bail();
    return token;
  };
  // "\0" followed by a digit, "\1".."\9": octal and legacy escapes (errors in a module).
  const hasLegacyEscape = (raw) => {
    for (let i = raw.indexOf("\\"); i >= 0; i = raw.indexOf("\\", i + 2)) {
      const c = raw.charCodeAt(i + 1);
      if (c >= 0x31 && c <= 0x39) return true;
      if (c === 0x30) {
        const d = raw.charCodeAt(i + 2);
        if (d >= 0x30 && d <= 0x39) return true;
      }
    }
    return false;
  };
  const stringValue = () => {
    if (token === K.StringLiteral) {
      if (hasLegacyEscape(scanner.getTokenText())) bail();
      return detach(scanner.getTokenValue());
    }
    if (token === K.NoSubstitutionTemplateLiteral) {
      const raw = scanner.getTokenText();
      // Escapes and carriage returns in templates have rules of their own: leave them to evaluation.
      if (raw.includes("\\") || raw.includes("\r")) bail();
      return detach(scanner.getTokenValue());
    }
    return bail();
  };
  // Plain decimal only: digits [. digits] [e [+-] digits], no leading zero, no separators.
  const decimalValue = (raw) => {
    const n = raw.length;
    let i = 0;
    let digits = 0;
    const isDigit = (c) => c >= 0x30 && c <= 0x39;
    while (i < n && isDigit(raw.charCodeAt(i))) i++;
    digits = i;
    if (digits > 1 && raw.charCodeAt(0) === 0x30) bail();
    if (i < n && raw.charCodeAt(i) === 0x2e) {
      i++;
      const from = i;
      while (i < n && isDigit(raw.charCodeAt(i))) i++;
      digits += i - from;
    }
    if (digits === 0) bail();
    if (i < n && (raw.charCodeAt(i) === 0x65 || raw.charCodeAt(i) === 0x45)) {
      i++;
      if (i < n && (raw.charCodeAt(i) === 0x2b || raw.charCodeAt(i) === 0x2d)) i++;
      const from = i;
      while (i < n && isDigit(raw.charCodeAt(i))) i++;
      if (i === from) bail();
    }
    if (i !== n) bail();
    const value = Number(raw);
    if (!Number.isFinite(value)) bail();
    return value;
  };
  // Parses the value starting at the current token and leaves the token after it current.
  const value = () => {
    switch (token) {
      case K.StringLiteral:
      case K.NoSubstitutionTemplateLiteral: {
        const v = stringValue();
        next();
        return v;
      }
      case K.NumericLiteral: {
        const v = decimalValue(scanner.getTokenText());
        next();
        return v;
      }
      case K.MinusToken: {
        if (next() !== K.NumericLiteral) bail();
        const v = -decimalValue(scanner.getTokenText());
        next();
        return v;
      }
      case K.TrueKeyword:
        next();
        return true;
      case K.FalseKeyword:
        next();
        return false;
      case K.NullKeyword:
        next();
        return null;
      case K.OpenBracketToken: {
        const out = [];
        next();
        while (token !== K.CloseBracketToken) {
          out.push(value());
          if (token === K.CommaToken) next();
          else if (token !== K.CloseBracketToken) bail();
        }
        next();
        return out;
      }
      case K.OpenBraceToken: {
        const out = {};
        next();
        while (token !== K.CloseBraceToken) {
          let key;
          if (token === K.StringLiteral) key = stringValue();
          else if (ts.tokenIsIdentifierOrKeyword(token) && !scanner.hasUnicodeEscape() && !scanner.hasExtendedUnicodeEscape()) key = scanner.getTokenText();
          else bail();
          if (key === "__proto__" || Object.prototype.hasOwnProperty.call(out, key)) bail();
          if (next() !== K.ColonToken) bail();
          next();
          out[key] = value();
          if (token === K.CommaToken) next();
          else if (token !== K.CloseBraceToken) bail();
        }
        next();
        return out;
      }
      default:
        return bail();
    }
  };

  const exports = {};
  const names = [];
  try {
    next();
    while (token !== K.EndOfFileToken) {
      if (token === K.SemicolonToken) {
        next();
        continue;
      }
      if (token !== K.ExportKeyword || next() !== K.ConstKeyword || next() !== K.Identifier) bail();
      if (scanner.hasUnicodeEscape() || scanner.hasExtendedUnicodeEscape()) bail();
      const name = scanner.getTokenText();
      if (name === "__esModule" || name === "eval" || name === "arguments" || Object.prototype.hasOwnProperty.call(exports, name)) bail();
      if (next() !== K.EqualsToken) bail();
      next();
      exports[name] = value();
      names.push(name);
      // The end of the statement: `;`, the end of the file, or (automatic semicolon insertion)
      // the next `export` on a new line. Anything else may continue the expression.
      if (token === K.SemicolonToken) next();
      else if (!(token === K.EndOfFileToken || (token === K.ExportKeyword && scanner.hasPrecedingLineBreak()))) bail();
    }
  } catch {
    // Not literal data (or too deeply nested for this reader, or a TypeScript whose scanner
    // lacks something used here): evaluation decides, as for any other module.
    return null;
  }
  if (names.length === 0) return null;
  return { exports, names };
}
literalModule.NOT_LITERAL = Symbol("not a literal module");

/**
 * The same string, as a copy of its own. The scanner's values are slices of the module's text,
 * and V8 keeps a slice of 13 or more characters as a view into its parent: a few of them would
 * keep the whole text (UTF-16, about twice the file when it has Arabic) alive for as long as the
 * data. A UTF-16 round trip copies the code units exactly (lone surrogates too), and V8 stores
 * the copy in one byte per character when it can.
 */
function detach(s) {
  return s.length < 13 ? s : Buffer.from(s, "utf16le").toString("utf16le");
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
 * names, and where they came from. Throws LoadError (exit code 3) when it cannot.
 *
 * @param {{root?: string, modulePath?: string, i18nDir?: string|false, aliases?: string[]|Record<string,string>, ignoreFields?: string[], timeoutMs?: number}} [options]
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

module.exports = {
  DEFAULT_MODULE,
  DEFAULT_I18N_DIR,
  LoadError,
  loadFrontend,
  normaliseAliases,
  normaliseIgnoreFields,
};
