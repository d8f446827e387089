"use strict";
// The transpile-and-evaluate path: the module (and the relative modules it imports) transpiled
// with the frontend's TypeScript (transpileModule, syntax errors with positions, repeated
// property names refused) and run in a fresh \`vm\` context under a timeout.

const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { SourceMap } = require("node:module");

const { LoadError, displayPath, formatDiagnostic, syntaxError } = require("./errors.js");

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
  throw syntaxError("duplicate property", diags, file, "more");
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
    throw syntaxError("syntax error", diags, file, "more syntax error(s)");
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

module.exports = { evaluateModule };
