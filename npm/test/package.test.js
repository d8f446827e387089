"use strict";
// The packed package, installed the way the frontend team installs it, on the real frontend
// (../shared/fixtures/frontend-2025-03, copied to a temporary directory): `npm run
// migrate:validate` and `npm run migrate:extract` from the frontend's package.json, then
// CommonJS, ESM and TypeScript consumers of the installed package. No Rust toolchain on PATH.
//
// Only what the migrator needs is installed (the tarball and the TypeScript the frontend pins,
// typescript@~5.5.0), not Angular: npm would install every dependency of the frontend's
// package.json, so the install runs against a minimal package.json, and the frontend's own
// (plus the two scripts and the dev dependency npm would record) is put back afterwards.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const {
  realFrontend,
  npmCmd,
  packedTarball,
  packInfo,
  pathWithoutRust,
  tmpDir,
  copyDir,
  sha256,
  run,
} = require("../test-support/helpers.js");

const MODULE = "src/app/services/applicationsData.ts";

let frontend;
let tarball;

function npmRun(script) {
  const r = spawnSync(npmCmd, ["run", "--silent", script], {
    cwd: frontend,
    encoding: "utf8",
    env: { ...process.env, PATH: pathWithoutRust(), npm_config_update_notifier: "false" },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return r;
}

function node(args, options = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd: frontend,
    encoding: "utf8",
    env: { ...process.env, PATH: pathWithoutRust() },
    timeout: 60_000,
    ...options,
  });
  if (r.error) throw r.error;
  return r;
}

test.before(() => {
  assert.ok(
    fs.existsSync(path.join(realFrontend, MODULE)),
    `the real frontend fixture is missing at ${realFrontend} (CI checks out shared/ beside the repository)`,
  );
  tarball = packedTarball();
  frontend = copyDir(realFrontend, path.join(tmpDir("frontend"), "quran-apps-directory"));
  const pkgFile = path.join(frontend, "package.json");
  const original = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  fs.writeFileSync(pkgFile, JSON.stringify({ name: original.name, private: true }, null, 2));
  run(
    npmCmd,
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", "--save-dev", tarball, "typescript@~5.5.0"],
    { cwd: frontend, env: { ...process.env, npm_config_update_notifier: "false" } },
  );
  const installed = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  original.scripts = {
    ...original.scripts,
    "migrate:validate": "qad-migrate validate",
    "migrate:extract": "qad-migrate extract --out apps.json",
  };
  original.devDependencies = { ...original.devDependencies, "qad-migrate": installed.devDependencies["qad-migrate"] };
  fs.writeFileSync(pkgFile, `${JSON.stringify(original, null, 2)}\n`);
});

test("the tarball ships the compiled wasm, both glues, the API, its types and the CLI; no tests or build scripts", () => {
  const files = packInfo(tarball).files.map((f) => f.path);
  for (const f of [
    "package.json",
    "README.md",
    "bin/qad-migrate.js",
    "lib/index.js",
    "lib/index.mjs",
    "lib/index.d.ts",
    "lib/index.d.mts",
    "lib/types.generated.d.ts",
    "lib/cli.js",
    "lib/load.js",
    "lib/core.js",
    "dist/wasm/qad_wasm_bg.wasm",
    "dist/wasm/qad_wasm.js",
    "dist/wasm/qad_wasm.cjs",
    "dist/wasm/qad_wasm.d.ts",
    "dist/wasm/package.json",
  ]) {
    assert.ok(files.includes(f), `${f} in the tarball`);
  }
  assert.ok(!files.some((f) => /^(test|test-support|scripts|node_modules)\//.test(f)), files.join("\n"));
  const installed = path.join(frontend, "node_modules", "qad-migrate");
  assert.ok(fs.existsSync(path.join(installed, "dist/wasm/qad_wasm_bg.wasm")));
  assert.ok(fs.statSync(path.join(installed, "bin/qad-migrate.js")).mode & 0o111, "the bin is executable");
  assert.ok(!fs.existsSync(path.join(frontend, "node_modules", "@angular")), "Angular was not installed");
});

test("npm run migrate:validate: exit 0, the 44 apps and their warnings reported", () => {
  const r = npmRun("migrate:validate");
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^44 apps, 11 categories, 33 developers, 109 app-category links, 563 screenshots$/m);
  assert.match(r.stdout, /^VALID: the load can proceed — 0 error\(s\), [1-9]\d* warning\(s\)$/m);
  // Warnings grouped by app, with per-app counts, and the per-rule summary.
  assert.match(r.stdout, /^15_Ayah \(0 error\(s\), [1-9]\d* warning\(s\)\)\n  warning W/m);
  const groups = r.stdout.match(/^\S.* \(0 error\(s\), [1-9]\d* warning\(s\)\)$/gm) ?? [];
  assert.ok(groups.length >= 30, `findings grouped by app: ${groups.length} groups`);
  assert.match(r.stdout, /^By rule:$/m);
  for (const code of ["W101", "W102", "W104", "W110", "W111"]) {
    assert.match(r.stdout, new RegExp(`^  ${code} `, "m"), code);
  }
  assert.match(r.stderr, /src\/app\/services\/applicationsData\.ts .*44 app record\(s\), 11 categories; i18n: en, ar; TypeScript 5\.5\./);
});

test("npm run migrate:extract: apps.json with 44 records that the core decodes with the same report", () => {
  const r = npmRun("migrate:extract");
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const file = path.join(frontend, "apps.json");
  const bytes = fs.readFileSync(file);
  const env = JSON.parse(bytes.toString("utf8"));
  assert.equal(env.format, "qad-migrate/apps");
  assert.equal(env.version, 1);
  assert.equal(env.applicationsData.length, 44);
  assert.equal(env.categories.length, 11);
  assert.deepEqual(env.source, { module: MODULE, sha256: sha256(fs.readFileSync(path.join(frontend, MODULE))) });
  assert.equal(env.i18n.en.tools, "Other");
  assert.equal(env.i18n.ar.tools, "أخرى");
  assert.deepEqual(env.options, { categoryAliases: {} });

  // What qa-load does with the file: decode the bytes and validate. Through the installed
  // package's core: no errors, the acceptance figures, and the same report as `validate`.
  const check = node([
    "-e",
    `const q = require("qad-migrate"); const fs = require("fs");
     const report = q.validate(fs.readFileSync("apps.json"));
     process.stdout.write(JSON.stringify({ report, text: q.renderReport(report, "text") }));`,
  ]);
  assert.equal(check.status, 0, check.stderr);
  const { report, text } = JSON.parse(check.stdout);
  assert.equal(report.errors, 0);
  assert.deepEqual(report.counts, { apps: 44, categories: 11, developers: 33, app_categories: 109, screenshots: 563 });
  assert.deepEqual(report.source, env.source);
  assert.equal(text, npmRun("migrate:validate").stdout);
});

test("a CommonJS consumer (require) and an ESM consumer (import) get the same working API", () => {
  const script = (imp) => `${imp}
    const { input, sourceInfo } = q.loadFrontend({ root: "." });
    const report = q.validate(input);
    const migration = q.transform(input);
    console.log(JSON.stringify({
      apps: migration.dataset.apps.length, errors: report.errors, module: sourceInfo.module,
      exit: q.EXIT_CODES.validationErrors, loadError: typeof q.LoadError, version: q.VERSION,
      rules: q.rules().length, text: q.renderReport(report, "text").split("\\n").slice(-2)[0],
    }));`;
  fs.writeFileSync(path.join(frontend, "consumer.cjs"), script(`const q = require("qad-migrate");`));
  fs.writeFileSync(path.join(frontend, "consumer.mjs"), script(`import * as q from "qad-migrate";`));
  fs.writeFileSync(path.join(frontend, "consumer-default.mjs"), script(`import q from "qad-migrate";`));
  const outputs = ["consumer.cjs", "consumer.mjs", "consumer-default.mjs"].map((f) => {
    const r = node([f]);
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    assert.equal(r.stderr, "", `${f} prints no warnings`);
    return JSON.parse(r.stdout);
  });
  assert.deepEqual(outputs[0], outputs[1]);
  assert.deepEqual(outputs[0], outputs[2]);
  assert.equal(outputs[0].apps, 44);
  assert.equal(outputs[0].errors, 0);
  assert.equal(outputs[0].module, MODULE);
  assert.equal(outputs[0].exit, 1);
  assert.equal(outputs[0].loadError, "function");
  assert.match(outputs[0].text, /^VALID: the load can proceed/);
  // The browser glue is reachable too (what the preview imports), and is the same core.
  const web = node([
    "--input-type=module",
    "-e",
    `import fs from "node:fs"; import { createRequire } from "node:module";
     import { initSync, version } from "qad-migrate/wasm";
     const require = createRequire(import.meta.url);
     initSync({ module: fs.readFileSync(require.resolve("qad-migrate/wasm/qad_wasm_bg.wasm")) });
     console.log(version());`,
  ]);
  assert.equal(web.status, 0, web.stderr);
  assert.equal(web.stdout.trim(), outputs[0].version);
});

test("the types check in TypeScript consumers (CommonJS and ESM, node16 resolution)", () => {
  const body = `
    const loaded = loadFrontend({ root: ".", aliases: ["other=tools"] });
    const report: Report = validate(loaded.input);
    const n: number = report.counts.apps + report.errors;
    const m: Migration = transform(loaded.input);
    const id: string = m.dataset.apps[0].id;
    const text: string = renderReport(report, "markdown");
    const env: Envelope = makeEnvelope(loaded.input);
    const v: 1 = env.version;
    const r = extract({ root: ".", out: "apps.json" });
    const ok: boolean = r.ok && r.written !== null;
    const code: 8 = EXIT_CODES.loadError;
    try { loadFrontend(); } catch (e) { if (e instanceof LoadError) { const k: string = e.kind; void k; } }
    // @ts-expect-error: the format is checked
    renderReport(report, "html");
    void [n, id, text, v, ok, code];
  `;
  const names = "loadFrontend, validate, transform, renderReport, makeEnvelope, extract, EXIT_CODES, LoadError";
  const types = "Report, Migration, Envelope";
  fs.writeFileSync(path.join(frontend, "types-esm.mts"), `import { ${names} } from "qad-migrate";\nimport type { ${types} } from "qad-migrate";\n${body}\nexport {};\n`);
  fs.writeFileSync(path.join(frontend, "types-cjs.cts"), `import { ${names} } from "qad-migrate";\nimport type { ${types} } from "qad-migrate";\n${body}\n`);
  const tsc = path.join(frontend, "node_modules", "typescript", "bin", "tsc");
  const r = node([tsc, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", "--target", "es2022", "types-esm.mts", "types-cjs.cts"]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test("the installed package serves the preview (page and wasm come from the tarball)", async () => {
  const { spawn } = require("node:child_process");
  const binPath = path.join(frontend, "node_modules", ".bin", "qad-migrate");
  const child = spawn(binPath, ["preview", "--port", "0"], {
    cwd: frontend,
    env: { ...process.env, PATH: pathWithoutRust() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let stdout = "";
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 20_000);
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const m = stdout.match(/qad-migrate preview: (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code} before serving: ${stdout}`)));
    });
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const wasm = await fetch(new URL("wasm/qad_wasm_bg.wasm", url));
    assert.equal(wasm.status, 200);
    const served = Buffer.from(await wasm.arrayBuffer());
    assert.ok(served.equals(fs.readFileSync(path.join(frontend, "node_modules/qad-migrate/dist/wasm/qad_wasm_bg.wasm"))));
  } finally {
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  }
});
