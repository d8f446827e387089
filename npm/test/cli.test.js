"use strict";
// The command-line program on the project's own fixtures (test/fixtures/frontends/): exit codes
// and messages for valid data, data with errors, modules that cannot be loaded, and usage errors.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const { runCli, frontendsDir, tmpDir, copyDir, sha256 } = require("../test-support/helpers.js");

const fe = (name) => path.join(frontendsDir, name);
const MODULE = "src/app/services/applicationsData.ts";

test("validate: valid data exits 0 and prints core's text report grouped by app, with counts", () => {
  const r = runCli(["validate", "--root", fe("valid")]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, fs.readFileSync(path.join(frontendsDir, "..", "valid.report.txt"), "utf8"));
  assert.match(r.stdout, /^1_Noor Reader \(0 error\(s\), 8 warning\(s\)\)$/m);
  assert.match(r.stdout, /^3 apps, 4 categories, 2 developers, 4 app-category links, 6 screenshots$/m);
  assert.match(r.stderr, /src\/app\/services\/applicationsData\.ts \(sha256 [0-9a-f]{12}…\): 3 app record\(s\), 4 categories; i18n: en, ar/);
});

test("validate: the current directory is the default root", () => {
  const r = runCli(["validate"], { cwd: fe("valid") });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /VALID: the load can proceed — 0 error\(s\), 22 warning\(s\)/);
});

test("validate: data errors exit 1, each with its app, field, code and hint", () => {
  const r = runCli(["validate", "--root", fe("data-errors")]);
  assert.equal(r.status, 1, r.stderr);
  // The two records that share the id 1_Alpha have a heading each, with their positions.
  assert.match(r.stdout, /^1_Alpha \(applicationsData\[0\]\) \(4 error\(s\), 0 warning\(s\)\)$/m);
  assert.match(r.stdout, /^1_Alpha \(applicationsData\[1\]\) \(4 error\(s\), 1 warning\(s\)\)$/m);
  assert.match(
    r.stdout,
    /error E013 \[duplicate-id\] id: id "1_Alpha" is shared by 2 records: applicationsData\[0\] \(id "1_Alpha", Name_En "Alpha"\), applicationsData\[1\] \(id "1_Alpha", Name_En "Alpha Two"\)\n/,
  );
  for (const code of ["E010", "E011", "E012", "E013", "E015", "E016", "E017", "E023"]) {
    assert.match(r.stdout, new RegExp(`error ${code} \\[`), code);
  }
  assert.match(r.stdout, /error E010 \[missing-field\] Name_Ar: is empty\n\s+hint: Fill in the field/);
  assert.match(r.stdout, /INVALID: the load will refuse this input — 8 error\(s\), 6 warning\(s\)/);
});

test("validate --format json prints the structured report; --format markdown the Markdown", () => {
  const r = runCli(["validate", "--root", fe("data-errors"), "--format", "json"]);
  assert.equal(r.status, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.errors, 8);
  assert.equal(report.warnings, 6);
  assert.ok(Array.isArray(report.byRule) && report.byRule.length > 0);
  assert.deepEqual(
    report.diagnostics.filter((d) => d.severity === "error").map((d) => d.code).sort(),
    ["E010", "E011", "E012", "E013", "E015", "E016", "E017", "E023"],
  );
  assert.equal(report.source.module, MODULE);
  const md = runCli(["validate", "--root", fe("valid"), "--format", "markdown"]);
  assert.equal(md.status, 0);
  assert.equal(md.stdout, fs.readFileSync(path.join(frontendsDir, "..", "valid.report.md"), "utf8"));
});

test("validate --report FILE.md writes the Markdown report, also when there are errors", () => {
  const dir = tmpDir("report");
  const file = path.join(dir, "sub", "migration-report.md");
  const r = runCli(["validate", "--root", fe("data-errors"), "--report", file]);
  assert.equal(r.status, 1);
  const md = fs.readFileSync(file, "utf8");
  assert.match(md, /^# Migration validation report/);
  assert.match(md, /\*\*INVALID: the load will refuse this input\*\* — 8 error\(s\), 6 warning\(s\)/);
  assert.match(md, /^### 1_Alpha \(applicationsData\[1\]\)$/m);
  assert.match(md, /\| E015 \| error \| categories\[1\] \|/);
});

test("extract --out writes the envelope: records, categories, i18n names, source path and SHA-256", () => {
  const dir = tmpDir("extract");
  const out = path.join(dir, "apps.json");
  const r = runCli(["extract", "--root", fe("valid"), "--out", out, "--alias", "Other=Tools"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wrote .*apps\.json \(3 app records, 22 warning\(s\)\)/);
  const env = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.equal(env.format, "qad-migrate/apps");
  assert.equal(env.version, 1);
  assert.match(env.generatedBy, /^qad-migrate \d+\.\d+\.\d+/);
  assert.equal(env.applicationsData.length, 3);
  assert.equal(env.categories.length, 4);
  assert.deepEqual(Object.keys(env.applicationsData[0]).slice(0, 3), ["id", "Name_Ar", "Name_En"], "the module's field order");
  assert.equal(env.i18n.en.tools, "Other");
  assert.equal(env.i18n.ar.tools, "أخرى");
  assert.deepEqual(env.options, { categoryAliases: { other: "tools" } });
  assert.deepEqual(env.source, { module: MODULE, sha256: sha256(fs.readFileSync(path.join(fe("valid"), MODULE))) });
  // The template literal with the relative import was evaluated, not copied.
  assert.equal(env.applicationsData[0].mainImage_ar, "https://cdn.example.org/apps/1_Noor Reader/cover_photo_ar.png");
  assert.equal(env.applicationsData[2].categories[0], "kids");
  assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith(".tmp")), "no temporary file left");
});

test("extract refuses to write when validation has errors: exit 1, existing file untouched", () => {
  const dir = tmpDir("extract-errors");
  const out = path.join(dir, "apps.json");
  const fresh = runCli(["extract", "--root", fe("data-errors"), "--out", out]);
  assert.equal(fresh.status, 1);
  assert.ok(!fs.existsSync(out), "nothing written");
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.match(fresh.stderr, /apps\.json not written: the data has 8 validation error\(s\)/);
  fs.writeFileSync(out, "previous");
  const again = runCli(["extract", "--root", fe("data-errors"), "--out", out]);
  assert.equal(again.status, 1);
  assert.equal(fs.readFileSync(out, "utf8"), "previous");
});

test("validate: a module of the older format (mainImage, screenshots) exits 1, naming record, position and field, with the hint", () => {
  const r = runCli(["validate", "--root", fe("old-format")]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^1_Old Mushaf \(2 error\(s\), 0 warning\(s\)\)$/m);
  assert.match(
    r.stdout,
    /^  error E023 \[unknown-field-value\] mainImage: unknown field "mainImage" of applicationsData\[0\] holds a value that no column takes; the load would lose it\n      hint: Did you mean `mainImage_en` or `mainImage_ar`\? .*`--ignore-field mainImage`/m,
  );
  assert.match(
    r.stdout,
    /^  error E023 \[unknown-field-value\] screenshots: unknown field "screenshots" of applicationsData\[0\] .*\n      hint: Did you mean `screenshots_en` or `screenshots_ar`\? .*`--ignore-field screenshots`/m,
  );
  assert.match(r.stdout, /^  error E023 \[unknown-field-value\] mainImage: unknown field "mainImage" of applicationsData\[1\]/m);
  // The second record's screenshot list is empty: nothing is lost, a warning.
  assert.match(r.stdout, /^2_Old Tafsir \(1 error\(s\), 1 warning\(s\)\)$/m);
  assert.match(r.stdout, /^  warning W105 \[unknown-field\] screenshots: unknown field "screenshots" is not loaded$/m);
  assert.match(r.stdout, /INVALID: the load will refuse this input — 3 error\(s\), 1 warning\(s\)/);
  const dir = tmpDir("old-format");
  const out = path.join(dir, "apps.json");
  const refused = runCli(["extract", "--root", fe("old-format"), "--out", out]);
  assert.equal(refused.status, 1);
  assert.ok(!fs.existsSync(out), "nothing written");
});

test("--ignore-field drops those fields on purpose: validate exits 0 with warnings; extract keeps the list in apps.json", () => {
  const ignore = ["--ignore-field", "mainImage", "--ignore-field", "screenshots"];
  const r = runCli(["validate", "--root", fe("old-format"), ...ignore]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^  warning W105 \[unknown-field\] mainImage: unknown field "mainImage" holds a value but is ignored \(--ignore-field\); it is not loaded$/m);
  assert.doesNotMatch(r.stdout, /E023/);
  assert.match(r.stdout, /VALID: the load can proceed — 0 error\(s\), 4 warning\(s\)/);
  // Only the named fields: the other one is still an error.
  const one = runCli(["validate", "--root", fe("old-format"), "--ignore-field", "mainImage"]);
  assert.equal(one.status, 1);
  assert.match(one.stdout, /error E023 \[unknown-field-value\] screenshots:/);
  assert.doesNotMatch(one.stdout, /error E023 \[unknown-field-value\] mainImage:/);

  const dir = tmpDir("old-format-ignored");
  const out = path.join(dir, "apps.json");
  const x = runCli(["extract", "--root", fe("old-format"), "--out", out, ...ignore, "--ignore-field", "mainImage"]);
  assert.equal(x.status, 0, x.stderr);
  const env = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.deepEqual(env.options, { categoryAliases: {}, ignoreFields: ["mainImage", "screenshots"] });
  // The records are written as the module has them: the ignored fields are not removed.
  assert.equal(env.applicationsData[0].mainImage, "https://cdn.example.org/1_Old Mushaf/cover_photo.png");
  // Validating apps.json again (as qa-load does) gives the same verdict, from the file's own options.
  const again = require("../lib/index.js").validate(fs.readFileSync(out));
  assert.equal(again.errors, 0);
  assert.equal(again.warnings, 4);
  // Without the option, the envelope has no ignoreFields (unchanged for everyone else).
  const plain = runCli(["extract", "--root", fe("valid"), "--out", "-"]);
  assert.deepEqual(JSON.parse(plain.stdout).options, { categoryAliases: {} });
});

test("--layout django --media-base-url checks the Django backend's limits; extract writes the layout into apps.json and re-validation uses it", () => {
  const base = "https://cdn.example.org/apps";
  const django = ["--layout", "django", "--media-base-url", base];
  const r = runCli(["validate", "--root", fe("valid"), ...django]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /E02[4-7]/);

  // Images under another base: E024 for each, named by record and field; extract refuses.
  const bucket = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";
  const outside = runCli(["validate", "--root", fe("valid"), "--layout", "django", "--media-base-url", bucket]);
  assert.equal(outside.status, 1, outside.stdout + outside.stderr);
  assert.match(outside.stdout, /^  error E024 \[django-media-base\] applicationIcon: "https:\/\/cdn\.example\.org\/apps\/1_Noor%20Reader\/app_icon\.png" is not under the media base URL https:\/\/pub-e11717db663c469fb51c65995892b449\.r2\.dev\//m);
  assert.match(outside.stdout, /error E024 \[django-media-base\] screenshots_ar\[1\]:/);
  const dir = tmpDir("django-layout");
  const refusedOut = path.join(dir, "refused.json");
  const refused = runCli(["extract", "--root", fe("valid"), "--out", refusedOut, "--layout", "django", "--media-base-url", bucket]);
  assert.equal(refused.status, 1);
  assert.ok(!fs.existsSync(refusedOut), "nothing written");

  const out = path.join(dir, "apps.json");
  const x = runCli(["extract", "--root", fe("valid"), "--out", out, ...django]);
  assert.equal(x.status, 0, x.stderr);
  const env = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.deepEqual(env.options, { categoryAliases: {}, layout: { kind: "django", media_base_url: base } });
  // Validating apps.json again (as qa-load does) applies the file's own layout.
  const api = require("../lib/index.js");
  assert.equal(api.validate(fs.readFileSync(out)).errors, 0);
  env.options.layout.media_base_url = bucket;
  const moved = api.validate(JSON.stringify(env));
  assert.ok(moved.errors > 0);
  assert.ok(moved.diagnostics.every((d) => d.severity !== "error" || d.code === "E024"));
  // --layout qa-load is the default: nothing written.
  const qaLoad = runCli(["extract", "--root", fe("valid"), "--out", "-", "--layout", "qa-load"]);
  assert.equal(qaLoad.status, 0, qaLoad.stderr);
  assert.deepEqual(JSON.parse(qaLoad.stdout).options, { categoryAliases: {} });
  assert.doesNotMatch(qaLoad.stderr, /deprecated/);
});

test("--target, the old name of --layout, still works with a one-line deprecation note on stderr", () => {
  const base = "https://cdn.example.org/apps";
  const note = "qad-migrate: --target is deprecated, use --layout qa-load|django (--target generic is --layout qa-load)\n";
  const x = runCli(["extract", "--root", fe("valid"), "--out", "-", "--target", "django", "--media-base-url", base]);
  assert.equal(x.status, 0, x.stderr);
  assert.deepEqual(JSON.parse(x.stdout).options, { categoryAliases: {}, layout: { kind: "django", media_base_url: base } });
  assert.ok(x.stderr.startsWith(note), x.stderr);
  assert.equal(x.stderr.split(note).length, 2, "the note once");
  const generic = runCli(["extract", "--root", fe("valid"), "--out", "-", "--target", "generic"]);
  assert.equal(generic.status, 0, generic.stderr);
  assert.deepEqual(JSON.parse(generic.stdout).options, { categoryAliases: {} });
  assert.ok(generic.stderr.startsWith(note), generic.stderr);
  // Not in the help.
  const help = runCli(["validate", "--help"]);
  assert.match(help.stdout, /--layout qa-load\|django/);
  assert.doesNotMatch(help.stdout, /--target/);
});

test("--layout and --media-base-url usage errors exit 2", () => {
  for (const [args, message] of [
    [["--layout", "django"], /--layout django needs --media-base-url URL/],
    [["--media-base-url", "https://cdn.example.org"], /--media-base-url applies only to --layout django/],
    [["--layout", "qa-load", "--media-base-url", "https://cdn.example.org"], /--media-base-url applies only to --layout django/],
    [["--layout", "mysql"], /"mysql" is not a layout; expected qa-load or django/],
    [["--layout", "django", "--media-base-url", "cdn.example.org"], /is not an absolute http\(s\) URL/],
    [["--target", "mysql"], /"mysql" is not a layout; expected qa-load or django/],
    [["--target", "django", "--layout", "django", "--media-base-url", "https://cdn.example.org"], /--target is the old name of --layout; give --layout only/],
  ]) {
    const r = runCli(["validate", "--root", fe("valid"), ...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test("extract --out - writes the envelope to stdout and the report to stderr", () => {
  const r = runCli(["extract", "--root", fe("valid"), "--out", "-"]);
  assert.equal(r.status, 0, r.stderr);
  const env = JSON.parse(r.stdout);
  assert.equal(env.applicationsData.length, 3);
  assert.match(r.stderr, /VALID: the load can proceed/);
});

test("an output file that cannot be written is exit 9 (--out, --report)", () => {
  const dir = tmpDir("unwritable");
  const file = path.join(dir, "a-file");
  fs.writeFileSync(file, "");
  const out = runCli(["extract", "--root", fe("valid"), "--out", path.join(file, "apps.json")]);
  assert.equal(out.status, 9, out.stderr);
  assert.match(out.stderr, /cannot write the output /);
  const report = runCli(["validate", "--root", fe("valid"), "--report", path.join(file, "report.md")]);
  assert.equal(report.status, 9, report.stderr);
  assert.match(report.stderr, /cannot write the report /);
});

test("a syntax error is reported with file, line and column (exit 8)", () => {
  const r = runCli(["validate", "--root", fe("syntax-error")]);
  assert.equal(r.status, 8);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /syntax error in src\/app\/services\/applicationsData\.ts:9:5: error TS1005: ',' expected\./);
  assert.match(r.stderr, /^9 \|     Developer_Name_En: "Alpha Dev",$/m);
  const x = runCli(["extract", "--root", fe("syntax-error"), "--out", path.join(tmpDir("x"), "apps.json")]);
  assert.equal(x.status, 8);
});

test("an export of another name is named in the message (exit 8)", () => {
  const r = runCli(["validate", "--root", fe("wrong-export")]);
  assert.equal(r.status, 8);
  assert.match(r.stderr, /has no `applicationsData` export: it exports `apps` \(an array\), `categories` \(an array\)/);
});

test("exports of another shape are refused with a clear message (exit 8)", () => {
  const cases = [
    [MODULE, /exports `applicationsData` as an object; it must be an array of app records/],
    ["src/app/services/categoriesObject.ts", /exports `categories` as a string; it must be an array/],
    ["src/app/services/notJson.ts", /the export applicationsData\[0\]\.Apps_Avg_Rating is NaN, which JSON cannot carry/],
  ];
  for (const [module, message] of cases) {
    const r = runCli(["validate", "--root", fe("wrong-shape"), "--module", module]);
    assert.equal(r.status, 8, module);
    assert.match(r.stderr, message);
  }
});

test("a module that throws, or imports a package, cannot be loaded (exit 8)", () => {
  const thrown = runCli(["validate", "--root", fe("runtime-error")]);
  assert.equal(thrown.status, 8);
  assert.match(thrown.stderr, /threw while being evaluated \(at src\/app\/services\/applicationsData\.ts:5:\d+\): ReferenceError: window is not defined/);
  const imported = runCli(["validate", "--root", fe("runtime-error"), "--module", "src/app/services/packageImport.ts"]);
  assert.equal(imported.status, 8);
  assert.match(imported.stderr, /imports "@angular\/core", which qad-migrate does not load/);
});

test("a missing module or root is exit 8", () => {
  const r = runCli(["validate", "--root", fe("valid"), "--module", "src/app/services/nope.ts"]);
  assert.equal(r.status, 8);
  assert.match(r.stderr, /cannot read the module src\/app\/services\/nope\.ts: no such file/);
  const root = runCli(["validate", "--root", path.join(tmpDir("noroot"), "absent")]);
  assert.equal(root.status, 8);
  assert.match(root.stderr, /the frontend root .* does not exist/);
});

test("TypeScript missing from the frontend is exit 8 with what to install", () => {
  const dir = copyDir(fe("valid"), path.join(tmpDir("no-ts"), "frontend"));
  const r = runCli(["validate", "--root", dir]);
  assert.equal(r.status, 8);
  assert.match(r.stderr, /TypeScript is not installed in the frontend at .*npm install --save-dev typescript/);
});

test("an i18n file that is not JSON is exit 8; missing i18n files are fine (--no-i18n, --i18n DIR)", () => {
  const dir = copyDir(fe("valid"), path.join(tmpDir("i18n"), "frontend"));
  fs.symlinkSync(path.join(__dirname, "..", "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, "src/assets/i18n/ar.json"), "{ not json");
  const bad = runCli(["validate", "--root", dir]);
  assert.equal(bad.status, 8);
  assert.match(bad.stderr, /src\/assets\/i18n\/ar\.json is not valid JSON/);
  const none = runCli(["validate", "--root", dir, "--no-i18n"]);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /W109 \[category-name-missing\]/);
  assert.match(none.stderr, /i18n: none/);
  const elsewhere = runCli(["validate", "--root", dir, "--i18n", "nowhere"]);
  assert.equal(elsewhere.status, 0);
});

test("usage errors are exit 2", () => {
  const cases = [
    [[], /Usage:/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["--root", "x"], /a command comes first/],
    [["validate", "--bogus"], /Unknown option '--bogus'/],
    [["validate", "stray"], /Unexpected argument 'stray'/],
    [["validate", "--format", "html"], /--format must be one of text, json, markdown; got "html"/],
    [["validate", "--alias", "nonsense"], /--alias: alias "nonsense" is not of the form from=to/],
    [["validate", "--ignore-field", " "], /--ignore-field needs a field name/],
    [["extract"], /extract needs --out FILE/],
    [["preview", "--port", "http"], /--port must be a number/],
    [["help", "nope"], /unknown command "nope"/],
  ];
  for (const [args, message] of cases) {
    const r = runCli([...args], { cwd: fe("valid") });
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
});

test("help and version exit 0", () => {
  const help = runCli(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Exit codes:\n  0  success/);
  assert.match(help.stdout, /^  8  the module cannot be loaded/m);
  assert.match(help.stdout, /^  9  an output file cannot be written/m);
  for (const cmd of ["validate", "extract", "preview", "rules"]) {
    const r = runCli([cmd, "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`Usage: qad-migrate ${cmd}`));
  }
  const v = runCli(["--version"]);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^qad-migrate \d+\.\d+\.\d+ \(core \d+\.\d+\.\d+\)\n$/);
});

test("rules prints every rule, in text, markdown and json", () => {
  const json = runCli(["rules", "--format", "json"]);
  assert.equal(json.status, 0);
  const rules = JSON.parse(json.stdout);
  assert.ok(rules.some((r) => r.code === "E001") && rules.some((r) => r.code === "W111"));
  const md = runCli(["rules", "--format", "markdown"]);
  assert.match(md.stdout, /^\| code \| name \| severity \| meaning \| how to fix \|/);
  const text = runCli(["rules"]);
  assert.match(text.stdout, /^E010 missing-field \(error\)$/m);
});

test("preview: serves until Ctrl+C (exit 0); a non-loopback host without --allow-remote is exit 2", async () => {
  const refused = runCli(["preview", "--root", fe("valid"), "--host", "0.0.0.0"]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /non-loopback/);

  const { spawn } = require("node:child_process");
  const { bin } = require("../test-support/helpers.js");
  const child = spawn(process.execPath, [bin, "preview", "--root", fe("valid"), "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
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
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<html/i);
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  assert.equal(await exited, 0);
});
