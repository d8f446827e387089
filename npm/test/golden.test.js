"use strict";
// Golden reports shared with Rust: wasm/tests/golden.rs renders every
// test/fixtures/<name>.apps.json natively through qad_core (the path `qa-load --input` takes) and
// compares with the same committed <name>.report.txt / .report.md / .report.json. Here the same
// files go through the WebAssembly build, by the package's CommonJS API and by the `--target web`
// glue the browser preview imports. Same goldens on both sides: identical reports.
//
// The <name>.apps.json files are what `extract` makes of test/fixtures/frontends/<name>/ (with a
// fixed generatedBy); this test checks that too. After an intended change of the fixtures or of
// the core's wording, regenerate with:  QAD_UPDATE_GOLDEN=1 node --test test/golden.test.js
// then review the diff and run `cargo test -p qad-wasm --test golden`.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const api = require("../lib/index.js");
const { fixturesDir, frontendsDir, npmDir } = require("../test-support/helpers.js");

const GOLDEN_FRONTENDS = ["valid", "data-errors"];
const GENERATED_BY = "qad-migrate (test fixture)";
const update = process.env.QAD_UPDATE_GOLDEN === "1";

function golden(name, ext) {
  return path.join(fixturesDir, `${name}.${ext}`);
}

function renderAll(report) {
  return {
    "report.txt": api.renderReport(report, "text"),
    "report.md": api.renderReport(report, "markdown"),
    "report.json": `${api.renderReport(report, "json")}\n`,
  };
}

for (const name of GOLDEN_FRONTENDS) {
  test(`${name}: the envelope extract makes is the committed ${name}.apps.json`, () => {
    const { input } = api.loadFrontend({ root: path.join(frontendsDir, name) });
    const text = api.envelopeText(api.makeEnvelope(input, GENERATED_BY));
    if (update) fs.writeFileSync(golden(name, "apps.json"), text);
    assert.equal(text, fs.readFileSync(golden(name, "apps.json"), "utf8"));
  });

  test(`${name}: the wasm reports of ${name}.apps.json equal the goldens (text, markdown, json)`, () => {
    const bytes = fs.readFileSync(golden(name, "apps.json"));
    const report = api.validate(bytes);
    const rendered = renderAll(report);
    for (const [ext, text] of Object.entries(rendered)) {
      if (update) fs.writeFileSync(golden(name, ext), text);
      assert.equal(text, fs.readFileSync(golden(name, ext), "utf8"), `${name}.${ext}`);
    }
    // Validating the loaded module directly gives the same report as validating the file.
    const { input } = api.loadFrontend({ root: path.join(frontendsDir, name) });
    assert.deepEqual(api.validate(input), report);
    assert.equal(api.renderReport(api.validate(input), "text"), rendered["report.txt"]);
  });
}

test("the goldens cover errors and warnings, and carry the module's source", () => {
  const reports = GOLDEN_FRONTENDS.map((n) => api.validate(fs.readFileSync(golden(n, "apps.json"))));
  assert.ok(reports.some((r) => r.errors > 0), "a golden with errors");
  assert.ok(reports.every((r) => r.warnings > 0), "warnings in every golden");
  for (const r of reports) assert.equal(r.source.module, "src/app/services/applicationsData.ts");
  const valid = reports[0];
  const file = path.join(frontendsDir, "valid", "src/app/services/applicationsData.ts");
  assert.equal(valid.source.sha256, require("node:crypto").createHash("sha256").update(fs.readFileSync(file)).digest("hex"));
});

test("the browser's glue (--target web, initSync with the .wasm bytes) renders the same reports", async () => {
  const wasmDir = path.join(npmDir, "dist", "wasm");
  const web = await import(pathToFileURL(path.join(wasmDir, "qad_wasm.js")).href);
  web.initSync({ module: fs.readFileSync(path.join(wasmDir, "qad_wasm_bg.wasm")) });
  for (const name of GOLDEN_FRONTENDS) {
    const text = fs.readFileSync(golden(name, "apps.json"), "utf8");
    const report = web.validate(JSON.parse(text));
    assert.equal(web.renderReport(report, "text"), fs.readFileSync(golden(name, "report.txt"), "utf8"));
    assert.equal(`${web.renderReport(report, "json")}\n`, fs.readFileSync(golden(name, "report.json"), "utf8"));
    const migration = web.transform(text);
    assert.deepEqual(migration, api.transform(text));
  }
  assert.equal(web.version(), api.coreVersion());
});
