"use strict";
// The loader reads a module that is only `export const NAME = <JSON-like literal>` statements
// with the TypeScript scanner (no transpile, no evaluation: far less memory on a large module),
// and everything else through transpileModule + vm as always. Both must give the same data: a
// module read as literals is loaded again with a no-op statement appended (`void 0;`, which only
// the transpile + evaluate path accepts), and the results are compared. The frontend's `typescript`
// is a thin wrapper of the real one that counts transpileModule calls, to check which path ran.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { loadFrontend } = require("../lib/index.js");

const TYPESCRIPT = path.resolve(__dirname, "../node_modules/typescript");
const FIXTURE = path.resolve(__dirname, "../../../shared/fixtures/frontend-2025-03/src/app/services/applicationsData.ts");

function frontendWith(text) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "qad-literal-"));
  fs.mkdirSync(path.join(root, "src/app/services"), { recursive: true });
  fs.writeFileSync(path.join(root, "src/app/services/applicationsData.ts"), text);
  const ts = path.join(root, "node_modules/typescript");
  fs.mkdirSync(ts, { recursive: true });
  fs.writeFileSync(path.join(ts, "package.json"), JSON.stringify({ name: "typescript", main: "index.js" }));
  fs.writeFileSync(
    path.join(ts, "index.js"),
    `const real = require(${JSON.stringify(TYPESCRIPT)});\n` +
      "module.exports = Object.defineProperty(Object.create(real), 'transpileModule', { value(...args) {\n" +
      "  globalThis.__qadTranspiles = (globalThis.__qadTranspiles || 0) + 1;\n" +
      "  return real.transpileModule(...args);\n" +
      "} });\n",
  );
  return root;
}

/** Loads `text`: `{result, transpiled}`, result being the data or the LoadError's details. */
function load(text) {
  const root = frontendWith(text);
  const before = globalThis.__qadTranspiles || 0;
  try {
    const { input, sourceInfo } = loadFrontend({ root, i18nDir: false, timeoutMs: 2000 });
    const { source, ...data } = input;
    return { result: { data, exports: sourceInfo.exports, warnings: sourceInfo.warnings }, transpiled: (globalThis.__qadTranspiles || 0) > before };
  } catch (e) {
    return { result: { error: e.message.split(root).join("<root>"), kind: e.kind, line: e.line, column: e.column }, transpiled: (globalThis.__qadTranspiles || 0) > before };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** What a module read as literals gives is compared with what evaluating it gives. */
function sameAsEvaluated(text, viaLiteral) {
  const a = load(text);
  assert.equal(a.transpiled, !viaLiteral, viaLiteral ? "read as literals" : "transpiled and evaluated");
  if (a.transpiled) return a.result;
  const b = load(`${text}\nvoid 0;\n`);
  assert.equal(b.transpiled, true);
  assert.deepStrictEqual(a.result, b.result);
  return a.result;
}

const app = `{ id: "1_A", Name_En: "A", categories: ["mushaf"] }`;

const literal = {
  "one export": `export const applicationsData = [${app}];`,
  "two exports, no semicolons": `export const applicationsData = [${app}]\nexport const categories = [{ name: "Mushaf", icon: \`<svg viewBox="0 0 1 1"></svg>\` }]`,
  "a BOM, comments, trailing commas": `\uFEFF// c\n/* d */ export const applicationsData = [${app},];;\n// end`,
  "numbers and key order": `export const applicationsData = [{ b: 1, "2": 2, "1": 3, "01": 4, a: -0, c: -1.5e3, d: .5, e: 5., f: 1E+2, g: 0, h: 0.0, i: 1e308, j: 5e-324, k: 9007199254740993 }];`,
  "keywords as keys": `export const applicationsData = [{ default: 1, new: true, class: false, null: null, if: "x", type: "z", constructor: 1, toString: 2 }];`,
  "escapes": String.raw`export const applicationsData = [{ s: "a\nb\t\"\'\\ \u0041 \u{1F600} \x41 \0 \v \b \f \r \uD800", t: 'single', u: ` + "`tmpl \"q\"`" + `, l: "line\\\ncont", z: "\u2028" }];`,
  "Arabic and long strings": `export const applicationsData = [{ a: "تطبيق القرآن الكريم للأطفال", b: "${"x".repeat(100)}", "مفتاح": "قيمة" }];`,
  "nesting, empty containers": `export const applicationsData = [{ id: "x", n: [[[]], {}, [{ a: [1, "2", null, true] }]] }];\nexport const other = {};`,
  "many exports, in order": `${Array.from({ length: 60 }, (_, i) => `export const e${59 - i} = ${i};`).join("\n")}\nexport const applicationsData = [];`,
  "not an array (the same export-shape error)": `export const applicationsData = { a: 1 };`,
  "no applicationsData (the same error)": `export const categories = [];`,
};
const evaluated = {
  "a type annotation": `export const applicationsData: any[] = [${app}];`,
  "as const": `export const applicationsData = [${app}] as const;`,
  "repeated key": `export const applicationsData = [{ a: 1, "a": 2 }];`,
  "__proto__": `export const applicationsData = [{ __proto__: { x: 1 } }];`,
  "numeric key": `export const applicationsData = [{ 1: "a", 0x10: "c" }];`,
  "hole": `export const applicationsData = [1,,2];`,
  "undefined": `export const applicationsData = [{ a: undefined, b: 1 }];`,
  "Infinity": `export const applicationsData = [1e999];`,
  "legacy octal": `export const applicationsData = [010];`,
  "leading zero": `export const applicationsData = [08];`,
  "hex and separators": `export const applicationsData = [0x10, 1_000];`,
  "bigint": `export const applicationsData = [10n];`,
  "octal escape": `export const applicationsData = ["\\01"];`,
  "template with a substitution": "export const applicationsData = [`a${1}b`];",
  "template with CRLF": "export const applicationsData = [`a\r\nb`];",
  "escaped identifier": `export const \\u0061pplicationsData = [];`,
  "shorthand": `export const applicationsData = [{ a }];`,
  "spread": `export const applicationsData = [...[1]];`,
  "unary plus": `export const applicationsData = [+1];`,
  "continued on the next line": `export const applicationsData = [[1]]\n[0]\nexport const categories = [];`,
  "two declarators": `export const applicationsData = [1], categories = [];`,
  "let": `export let applicationsData = [1];`,
  "an identifier": `const x = 1;\nexport const applicationsData = [x];`,
  "eval as a name": `export const eval = 1;\nexport const applicationsData = [];`,
  "shebang": `#!/usr/bin/env node\nexport const applicationsData = [1];`,
  "unterminated string": `export const applicationsData = ["a];`,
  "unterminated comment": `export const applicationsData = [1]; /* x`,
  "merge conflict": `export const applicationsData = [1];\n<<<<<<< HEAD\n`,
  "same line": `export const applicationsData = [1] export const categories = [];`,
  "empty file": ``,
};

for (const [name, text] of Object.entries(literal)) {
  test(`read as literals: ${name}`, () => {
    sameAsEvaluated(text, true);
  });
}
for (const [name, text] of Object.entries(evaluated)) {
  test(`transpiled and evaluated: ${name}`, () => {
    sameAsEvaluated(text, false);
  });
}

test("-0 stays -0, as evaluated", () => {
  const { data } = sameAsEvaluated(`export const applicationsData = [{ a: -0 }];`, true);
  assert.ok(Object.is(data.applicationsData[0].a, -0));
});

test("the real frontend module (2025-03) is read as literals, with the evaluated data", { skip: !fs.existsSync(FIXTURE) && "no ../shared/fixtures" }, () => {
  const { data } = sameAsEvaluated(fs.readFileSync(FIXTURE, "utf8"), true);
  assert.equal(data.applicationsData.length, 44);
  assert.equal(data.categories.length, 11);
});

test("random literal modules: the same data or the same error either way", () => {
  let seed = 20250317;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const ws = () => pick(["", " ", "\n", "\t", " /* c */ ", " // c\n", "\r\n", "\u00A0", "\u2028"]);
  const bits = ["a", "", "تطبيق", "\\n", "\\u0041", "\\u{1F600}", "\\x7F", "\\0", "\\01", "\\\\", "é", "\u{1F600}", "${x}", "\\`", "__proto__", "\\u2028"];
  const str = () => {
    const s = pick(bits) + pick(bits);
    const q = pick(['"', "'", "`"]);
    return q + s.split(q).join(`\\${q}`) + q;
  };
  const key = () => pick(["id", "a", "b", "_x", "$", "default", "'a'", '"b"', '"1"', "1", "__proto__", '"\\u0061"', "'constructor'", '"01"']);
  const value = (d) => {
    const r = rnd();
    if (d > 3 || r < 0.35) return rnd() < 0.5 ? str() : pick(["0", "1", "-1", "1.5", ".5", "-0", "1e400", "010", "0x1f", "1_0", "2n", "- 3", "true", "false", "null", "undefined", "NaN"]);
    const n = Math.floor(rnd() * 4);
    if (r < 0.6) return `[${ws()}${Array.from({ length: n }, () => (rnd() < 0.03 ? "" : value(d + 1))).join(`,${ws()}`)}${rnd() < 0.3 ? "," : ""}]`;
    return `{${ws()}${Array.from({ length: n }, () => `${key()}${ws()}:${ws()}${value(d + 1)}`).join(`,${ws()}`)}${rnd() < 0.3 ? "," : ""}}`;
  };
  let viaLiteral = 0;
  for (let i = 0; i < 60; i++) {
    const stmts = [`export const applicationsData = ${value(0)}`];
    if (rnd() < 0.5) stmts.push(`export const categories = ${value(1)}`);
    const text = stmts.map((s) => s + pick([";", "\n"])).join(pick(["\n", " "]));
    const a = load(text);
    if (a.transpiled) continue;
    viaLiteral++;
    const b = load(`${text}\nvoid 0;\n`);
    assert.deepStrictEqual(a.result, b.result, text);
  }
  assert.ok(viaLiteral >= 5, `${viaLiteral} of 60 read as literals`);
});
