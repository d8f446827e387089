"use strict";
// The TypeScript half of the hostile-input corpus (core/tests/hostile/ts, expectations in
// core/tests/hostile/cases.json): each module is loaded through loadFrontend as a frontend's
// would be, and must give exactly the expected load error or load (with its warnings).

const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const { loadFrontend, validate } = require("../lib/index.js");

const CORPUS = path.resolve(__dirname, "../../core/tests/hostile");
const cases = JSON.parse(fs.readFileSync(path.join(CORPUS, "cases.json"), "utf8")).ts;
const TYPESCRIPT = path.resolve(__dirname, "../node_modules/typescript");

function frontendWith(file) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "qad-hostile-ts-"));
  const dir = path.join(root, "src/app/services");
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(CORPUS, file), path.join(dir, "applicationsData.ts"));
  fs.mkdirSync(path.join(root, "node_modules"));
  fs.symlinkSync(TYPESCRIPT, path.join(root, "node_modules/typescript"));
  return root;
}

test("the corpus has the TS cases", () => {
  assert.ok(cases.length >= 15, `${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.file}: ${c.outcome}`, () => {
    const root = frontendWith(c.file);
    try {
      const e = c.expect;
      let loaded;
      let error;
      try {
        loaded = loadFrontend({ root, timeoutMs: 2000 });
      } catch (err) {
        error = err;
      }
      if (e.kind === "ok") {
        assert.equal(error, undefined, error && error.message);
        const report = validate(loaded.input);
        assert.equal(report.errors, 0, JSON.stringify(report.diagnostics));
        for (const w of e.warnings ?? []) assert.ok(report.diagnostics.some((d) => d.code === w), `warning ${w}`);
        if (e.Name_En) assert.equal(loaded.input.applicationsData[0].Name_En, e.Name_En);
        return;
      }
      assert.ok(error, "the module must be refused");
      assert.equal(error.exitCode, 8, error.message);
      if (e.kind !== "error") assert.equal(error.kind, e.kind, error.message);
      if (e.code) assert.equal(error.diagnostics[0].code, e.code, error.message);
      if (e.line) assert.deepEqual([error.line, error.column], [e.line, e.column], error.message);
      if (e.contains) assert.ok(error.message.includes(e.contains), error.message);
      if (e.host_prototype_clean) assert.equal(({}).polluted, undefined, "Object.prototype of the host untouched");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
