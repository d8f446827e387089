// The Python package qa-load (python/, built by scripts/build-python.sh) in the directory's real
// Django backend: the wheel installed into a virtualenv layered on the backend's (so the backend's
// cached one stays as `django-backend.sh prepare` made it), the app enabled by a settings module
// that extends the backend's settings (no backend file is edited), and `python manage.py qa_load`
// run with every qa-load command: against a second DATABASES alias, `qa`, an empty database where
// qa-load's own tables work today, with the figures, exit codes and messages of the native tests
// for native-cli/tests/fixtures/small.json; and against the backend's own `default` database,
// which qa-load refuses (exit 6, nothing written) until it has the Django layout.
//
// Needs QAD_TEST_DATABASE_URL (scripts/test.sh). The wheel: QAD_PYTHON_WHEEL, else built here.
// The Ctrl-C test runs the debug qa-load (target/debug/qa-load, built by `cargo test`; only debug
// builds honour QA_LOAD_FAIL_AT) through QA_LOAD_BIN.

import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  ROOT, adminDatabase, startDjango, stopDjango, psql, djangoEnv, dumpCatalogue, assertSameDump,
  catalogueRows, realAppsJson, DEFAULT_R2_PUBLIC_URL,
} from "./support/django.mjs";

const execFileAsync = promisify(execFile);

const SKIP = process.env.QAD_TEST_DATABASE_URL
  ? false
  : "QAD_TEST_DATABASE_URL is unset: the Django backend tests need a PostgreSQL superuser (scripts/test.sh sets it)";

const FIXTURES = path.join(ROOT, "native-cli/tests/fixtures");
const SMALL = path.join(FIXTURES, "small.json");
const EDITED = path.join(FIXTURES, "small-edited.json");
const DEBUG_BIN = path.join(ROOT, "target/debug/qa-load");
// native-cli/tests/fixtures/README.md: what small.json writes into an empty database.
const SMALL_FIGURES = { developers: 3, categories: 7, apps: 5, app_categories: 8, screenshots: 17 };
const QA_TABLES = Object.keys(SMALL_FIGURES);

const SETTINGS = `# Written by tests/python-django.test.mjs: the backend's settings plus qa-load's app and a
# second database alias on the same server.
import os

from config.settings.development import *  # noqa: F401,F403
from config.settings.development import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "qa_load.django"]
DATABASES = {**DATABASES, "qa": {**DATABASES["default"], "NAME": os.environ["QA_DB_NAME"]}}
if os.environ.get("QA_TLS_CA"):
    # Over TLS, verifying the throw-away cluster's certificate (issued for localhost).
    DATABASES["qa_tls"] = {
        **DATABASES["qa"],
        "HOST": "localhost",
        "OPTIONS": {"sslmode": "verify-full", "sslrootcert": os.environ["QA_TLS_CA"]},
    }
`;

function counts(url) {
  const sql = QA_TABLES.map((t) => `SELECT '${t}', count(*) FROM ${t}`).join(" UNION ALL ");
  return Object.fromEntries(psql(url, sql).split("\n").map((l) => l.split("|")).map(([t, n]) => [t, Number(n)]));
}

function inserted(summary) {
  return Object.fromEntries(QA_TABLES.map((t) => [t, summary.counts[t].inserted]));
}

describe("python manage.py qa_load: the qa-load wheel in the Django backend", { skip: SKIP }, () => {
  let admin;
  let dj;
  let tmp;
  let venv; // { python, bin }
  let wheel;
  let qaUrl;
  let env;
  let password;
  const outputs = []; // every stdout and stderr, scanned for the password at the end

  before(async () => {
    admin = await adminDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qad-python-"));
    wheel = process.env.QAD_PYTHON_WHEEL;
    if (!wheel) {
      const { stdout } = await execFileAsync(path.join(ROOT, "scripts/build-python.sh"), [path.join(tmp, "wheels")]);
      wheel = stdout.trim().split("\n").pop();
    }
    dj = await startDjango({ adminUrl: admin.url, label: "python", runserver: false });
    const qaDb = `${dj.dbName}_qa`.slice(0, 63);
    psql(admin.url, `CREATE DATABASE ${qaDb}`);
    qaUrl = dj.databaseUrl.replace(/\/[^/?]+(\?|$)/, `/${qaDb}$1`);

    // A virtualenv on the backend's interpreter that sees the backend's packages (a .pth file)
    // and gets the wheel by pip, as a backend developer's `pip install` would.
    const dir = path.join(tmp, "venv");
    execFileSync(dj.python, ["-m", "venv", "--without-pip", dir]);
    const python = path.join(dir, "bin/python");
    const purelib = (py) => execFileSync(py, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(purelib(python), "qad_backend_venv.pth"), purelib(dj.python) + "\n");
    execFileSync(dj.python, ["-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", "--disable-pip-version-check", wheel]);
    venv = { python, bin: path.join(dir, "bin/qa-load") };

    const settingsDir = path.join(tmp, "settings");
    fs.mkdirSync(settingsDir);
    fs.writeFileSync(path.join(settingsDir, "qa_test_settings.py"), SETTINGS);
    const djEnv = djangoEnv(dj);
    password = djEnv.DB_PASSWORD;
    assert.ok(password.length >= 16, "the throw-away role has a password");
    const ca = admin.url === process.env.QAD_TEST_DATABASE_URL && process.env.QAD_TEST_PG_DIR
      ? path.join(process.env.QAD_TEST_PG_DIR, "tls/ca.crt")
      : null;
    env = {
      ...process.env,
      ...djEnv,
      DJANGO_SETTINGS_MODULE: "qa_test_settings",
      PYTHONPATH: settingsDir,
      QA_DB_NAME: qaDb,
      ...(ca && fs.existsSync(ca) ? { QA_TLS_CA: ca } : {}),
      // qa-load prefers DATABASE_URL to PG*: the command must take it out of qa-load's way.
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/not_this_one",
    };
    for (const k of ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "QA_LOAD_BIN", "QA_LOAD_FAIL_AT"]) delete env[k];
  });

  after(async () => {
    if (dj) psql(admin.url, `DROP DATABASE IF EXISTS ${dj.dbName}_qa WITH (FORCE)`);
    await stopDjango(dj);
    await admin?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** `python manage.py qa_load ARGS...` in the backend; { status, stdout, stderr }. */
  function qaLoad(args, extraEnv = {}) {
    // The command's layout is django; the `qa` databases are empty, qa-load's own tables.
    if (args[0] === "--database" && ["qa", "qa_tls"].includes(args[1]) && !args.includes("--layout")) {
      args = [...args.slice(0, 2), "--layout", "qa-load", ...args.slice(2)];
    }
    const r = spawnSync(venv.python, ["manage.py", "qa_load", ...args], {
      cwd: dj.backend, env: { ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 << 20,
    });
    if (r.error) throw r.error;
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  function expect(r, code) {
    assert.equal(r.status, code, `exit ${r.status}, expected ${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Traceback/);
    if (code !== 0) assert.match(r.stderr, new RegExp(`CommandError: qa-load exited with code ${code}\\n`));
    return r;
  }

  test("the wheel is py3-none-<platform>; qa-load, python -m qa_load and find_qa_load_bin() run the binary pip put in the venv", () => {
    assert.match(path.basename(wheel), /^qa_load-\d+\.\d+\.\d+-py3-none-[a-z0-9_]+\.whl$/);
    const version = execFileSync(venv.bin, ["--version"], { encoding: "utf8" }).trim();
    assert.match(version, /^qa-load \d+\.\d+\.\d+$/);
    assert.equal(execFileSync(venv.python, ["-m", "qa_load", "--version"], { encoding: "utf8" }).trim(), version);
    assert.equal(
      execFileSync(venv.python, ["-c", "from qa_load import find_qa_load_bin; print(find_qa_load_bin())"], { encoding: "utf8" }).trim(),
      venv.bin,
    );
    // Exit codes pass through python -m; a missing binary is a message and 127, not a traceback.
    const usage = spawnSync(venv.python, ["-m", "qa_load", "--no-such-option"], { encoding: "utf8" });
    assert.equal(usage.status, 2, usage.stderr);
    const missing = spawnSync(venv.python, ["-m", "qa_load", "--version"], {
      encoding: "utf8", env: { ...process.env, QA_LOAD_BIN: path.join(tmp, "nope") },
    });
    assert.equal(missing.status, 127);
    assert.equal(missing.stderr, `qa-load: QA_LOAD_BIN=${path.join(tmp, "nope")} is not a file\n`);
  });

  test("--dry-run on the empty `qa` database: the plan of small.json (3 developers, 7 categories, 5 apps, 8 links, 17 screenshots) and nothing written", () => {
    const r = expect(qaLoad(["--database", "qa", "--input", SMALL, "--dry-run", "--json", "--no-log-file"]), 0);
    const s = JSON.parse(r.stdout);
    assert.equal(s.outcome, "dry-run");
    assert.deepEqual(inserted(s), SMALL_FIGURES);
    assert.match(s.database, new RegExp(`^[a-z_]+@127\\.0\\.0\\.1:\\d+/${dj.dbName}_qa \\(sslmode=prefer\\)$`));
    assert.equal(psql(qaUrl, "SELECT to_regnamespace('qa_load') IS NULL AND to_regclass('apps') IS NULL"), "t", "not even the schema");
  });

  test("load: the same figures as the native test; a second run changes nothing and says so", () => {
    const s = JSON.parse(expect(qaLoad(["--database", "qa", "--input", SMALL, "--json", "--no-log-file"]), 0).stdout);
    assert.equal(s.outcome, "committed");
    assert.deepEqual(inserted(s), SMALL_FIGURES);
    assert.equal(s.rows_written, 40);
    assert.deepEqual(counts(qaUrl), SMALL_FIGURES);

    const again = expect(qaLoad(["--database", "qa", "--input", SMALL, "--no-log-file"]), 0);
    assert.match(again.stdout, /^No changes: .* already matches .*small\.json in every row; nothing was written/);
    const j = JSON.parse(expect(qaLoad(["--database", "qa", "--input", SMALL, "--json", "--no-log-file"]), 0).stdout);
    assert.equal(j.outcome, "unchanged");
    assert.equal(j.rows_written, 0);
    assert.deepEqual(Object.fromEntries(QA_TABLES.map((t) => [t, j.counts[t].unchanged])), SMALL_FIGURES);
  });

  test("verify: exit 0 (PASS), then exit 4 (FAIL: 1 difference) after a row is tampered with", () => {
    assert.match(expect(qaLoad(["--database", "qa", "verify", "--input", SMALL]), 0).stdout, /^PASS/);
    const before = psql(qaUrl, "SELECT short_description_en FROM apps ORDER BY slug LIMIT 1");
    psql(qaUrl, "UPDATE apps SET short_description_en = 'tampered' WHERE slug = (SELECT min(slug) FROM apps)");
    const r = expect(qaLoad(["--database", "qa", "verify", "--input", SMALL]), 4);
    assert.match(r.stdout, /^FAIL: 1 difference/);
    assert.match(r.stdout, /short_description_en/);
    psql(qaUrl, `UPDATE apps SET short_description_en = $q$${before}$q$ WHERE slug = (SELECT min(slug) FROM apps)`);
    assert.match(expect(qaLoad(["--database", "qa", "verify", "--input", SMALL]), 0).stdout, /^PASS/);
  });

  test("history and schema status on `qa`: the two loads, schema up to date", () => {
    const h = JSON.parse(expect(qaLoad(["--database", "qa", "history", "--json"]), 0).stdout);
    assert.deepEqual(h.map((r) => [r.kind, r.status]), [["load", "committed"], ["load", "committed"], ["load", "committed"]]);
    assert.equal(h.filter((r) => r.counts?.apps.inserted === 5).length, 1);
    const text = expect(qaLoad(["--database", "qa", "history"]), 0).stdout;
    assert.match(text, new RegExp(`^Runs in .*/${dj.dbName}_qa \\(sslmode=prefer\\), newest first`));
    const status = expect(qaLoad(["--database", "qa", "schema", "status"]), 0).stdout;
    assert.match(status, /qa-load schema version 1 of 1 \(up to date\)/);
  });

  test("Ctrl-C: a SIGINT to manage.py during a stalled load reaches qa-load, which rolls back (exit 3); the password is in no argument list", async (t) => {
    if (!fs.existsSync(DEBUG_BIN)) return t.skip(`${DEBUG_BIN} is missing (cargo test builds it)`);
    const dumpBefore = dumpCatalogue(qaUrl, path.join(tmp, "qa-before-sigint.sql"), { tables: QA_TABLES });
    const child = spawn(venv.python, ["manage.py", "qa_load", "--database", "qa", "--layout", "qa-load", "--input", EDITED, "--no-log-file"], {
      cwd: dj.backend,
      env: { ...env, QA_LOAD_BIN: DEBUG_BIN, QA_LOAD_FAIL_AT: "stall:stage:post-check" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

    const stalled = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3600)%'";
    const t0 = Date.now();
    while (psql(qaUrl, stalled) !== "1") {
      assert.ok(Date.now() - t0 < 60_000, `the load never reached its stall\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // qa-load, as `ps` sees it: the child of manage.py, its argument list without the password,
    // which is in its environment (PGPASSWORD) instead.
    const pids = spawnSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], { encoding: "utf8" }).stdout.trim().split(/\s+/);
    assert.equal(pids.length, 1, `one child of manage.py: ${pids}`);
    const qaPid = pids[0];
    const cmdline = fs.readFileSync(`/proc/${qaPid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // The command's own options first: the media base URL from settings.R2_PUBLIC_URL (the layout
    // is the test's own, so not added).
    assert.deepEqual(cmdline, [DEBUG_BIN, "--media-base-url", DEFAULT_R2_PUBLIC_URL, "--layout", "qa-load", "--input", EDITED, "--no-log-file"]);
    assert.ok(!fs.readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes(password));
    const environ = fs.readFileSync(`/proc/${qaPid}/environ`, "utf8").split("\0");
    assert.ok(environ.includes(`PGPASSWORD=${password}`), "the password reaches qa-load in PGPASSWORD");
    assert.ok(!environ.some((v) => v.startsWith("DATABASE_URL=")), "DATABASE_URL is not passed on");
    const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
    assert.ok(ps.includes(`${DEBUG_BIN} --media-base-url ${DEFAULT_R2_PUBLIC_URL} --layout qa-load --input ${EDITED}`), "ps shows qa-load");
    assert.ok(!ps.includes(password), "no process shows the password in its arguments");

    process.kill(child.pid, "SIGINT"); // to manage.py only, not its process group
    const { code } = await exited;
    outputs.push(stdout, stderr);
    assert.equal(code, 3, stderr);
    assert.match(stderr, /post-check failed: interrupted \(Ctrl-C\); the statement in flight was cancelled and the transaction rolled back/);
    assert.match(stderr, /CommandError: qa-load exited with code 3\n/);
    assert.doesNotMatch(stderr, /Traceback|KeyboardInterrupt/);
    assertSameDump(dumpBefore, dumpCatalogue(qaUrl, path.join(tmp, "qa-after-sigint.sql"), { tables: QA_TABLES }));
    assert.equal(psql(qaUrl, stalled), "0");
  });

  test("rollback --last (--dry-run first) restores the empty tables; verify then fails (exit 4); history shows the rollback", () => {
    const dry = expect(qaLoad(["--database", "qa", "rollback", "--last", "--dry-run", "--no-log-file"]), 0);
    assert.deepEqual(counts(qaUrl), SMALL_FIGURES, `the dry run changed nothing\n${dry.stdout}`);
    const r = JSON.parse(expect(qaLoad(["--database", "qa", "rollback", "--last", "--json", "--no-log-file"]), 0).stdout);
    const h = JSON.parse(expect(qaLoad(["--database", "qa", "history", "--json"]), 0).stdout);
    const load = h.find((x) => x.kind === "load" && x.counts?.apps.inserted === 5);
    assert.equal(r.rolled_back_run, load.id);
    assert.deepEqual(counts(qaUrl), Object.fromEntries(QA_TABLES.map((t) => [t, 0])));
    expect(qaLoad(["--database", "qa", "verify", "--input", SMALL]), 4);
    assert.match(expect(qaLoad(["--database", "qa", "history"]), 0).stdout, /rolled back by/);
    const again = expect(qaLoad(["--database", "qa", "rollback", "--last", "--no-log-file"]), 6);
    assert.match(again.stderr, /nothing to roll back/);
  });

  test("the backend's own `default` database: the django layout and settings.R2_PUBLIC_URL by default; the real frontend is refused by default (exit 10) and loads with --on-conflict use-file (44 apps matched, 11 categories, 109 links), a second run changes nothing, rollback --last restores the tables", () => {
    const real = path.join(tmp, "real.json");
    realAppsJson(real);
    const before = catalogueRows(dj.databaseUrl);
    // The backend's migrations repaired values qa-load never wrote (nine developer logos, one
    // app's developer): the default run refuses them (exit 10, passed through; nothing written,
    // tests/django-ownership.test.mjs). The file-wins load, as before field ownership:
    // --on-conflict use-file, through the command unchanged.
    const refused = expect(qaLoad(["--input", real, "--no-log-file", "--json"]), 10);
    assert.equal(JSON.parse(refused.stdout).conflicts.length, 10);
    assert.equal(catalogueRows(dj.databaseUrl), before, "the refused run wrote nothing");
    const r = expect(qaLoad(["--input", real, "--no-log-file", "--json", "--on-conflict", "use-file"]), 0);
    assert.match(r.stderr, /validation: 0 errors/);
    assert.ok(JSON.parse(r.stdout).conflicts.every((k) => k.resolution === "use-file"));
    const c = JSON.parse(r.stdout).counts;
    assert.deepEqual([c.apps.inserted, c.apps.updated + c.apps.unchanged, c.categories.inserted, c.app_categories.inserted], [0, 44, 11, 109]);
    assert.equal(JSON.parse(r.stdout).layout, "django");
    const again = expect(qaLoad(["--input", real, "--no-log-file", "--json"]), 0);
    assert.equal(JSON.parse(again.stdout).rows_written, 0);
    expect(qaLoad(["verify", "--input", real, "--report-md", path.join(tmp, "v.md"), "--report-json", path.join(tmp, "v.json")]), 0);
    assert.match(expect(qaLoad(["history"]), 0).stdout, /committed/);
    expect(qaLoad(["rollback", "--last", "--no-log-file"]), 0);
    assert.equal(catalogueRows(dj.databaseUrl), before, "the catalogue tables as they were");
  });

  test("DATABASES OPTIONS reach qa-load: sslmode=verify-full with sslrootcert, over TLS to localhost", (t) => {
    if (!env.QA_TLS_CA) return t.skip("the throw-away cluster's CA is known only under scripts/test.sh (QAD_TEST_PG_DIR)");
    const r = expect(qaLoad(["--database", "qa_tls", "history"]), 0);
    assert.match(r.stdout, new RegExp(`^Runs in [a-z_]+@localhost:\\d+/${dj.dbName}_qa \\(sslmode=verify-full\\)`));
  });

  test("--database is Django's alias: an unknown one, a URL (not echoed) and qa-load's own --database after -- are usage errors (exit 2)", () => {
    let r = qaLoad(["--database", "nope", "history"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^CommandError: no database alias 'nope' in DATABASES; known: default, qa/m);
    const url = qaUrl.replace("127.0.0.1", "db.invalid");
    r = qaLoad(["--database", url, "history"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--database takes a DATABASES alias here, not a connection string \(value not shown/);
    assert.ok(!r.stderr.includes(url));
    r = qaLoad(["--database", "qa", "--", "history", "--database", url]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /qa-load's --database URL is not accepted here/);
    // --help is qa-load's, after one line about the alias.
    r = expect(qaLoad(["--database", "qa", "verify", "--help"]), 0);
    assert.match(r.stdout, /^manage\.py qa_load \[--database ALIAS\] ARGS\.\.\.: .*\nCompare the input with the database/);
  });

  test("call_command('qa_load', ...) from Python: the same split of arguments; a failure raises CommandError with qa-load's code", () => {
    const code = [
      "from django.core.management import call_command, CommandError",
      // The `qa` database holds qa-load's own tables: the layout named (the command's is django).
      "call_command('qa_load', '--layout', 'qa-load', 'schema', 'status', database='qa')",
      "try:",
      "    call_command('qa_load', '--layout', 'qa-load', 'verify', '--input', '/nonexistent/apps.json', database='qa')",
      "except CommandError as e:",
      "    print('returncode', e.returncode)",
    ].join("\n");
    const r = spawnSync(venv.python, ["manage.py", "shell", "-c", code], { cwd: dj.backend, env, encoding: "utf8" });
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /qa-load schema version 1 of 1 \(up to date\)/);
    assert.match(r.stdout, /^returncode 1$/m);
  });

  test("a missing or unrunnable binary is a clear error with a shell's exit code, not a traceback", () => {
    let r = qaLoad(["--database", "qa", "history"], { QA_LOAD_BIN: path.join(tmp, "nope") });
    assert.equal(r.status, 127);
    assert.equal(r.stderr, `CommandError: QA_LOAD_BIN=${path.join(tmp, "nope")} is not a file\n`);
    const notExecutable = path.join(tmp, "settings/qa_test_settings.py");
    r = qaLoad(["--database", "qa", "history"], { QA_LOAD_BIN: notExecutable });
    assert.equal(r.status, 126);
    assert.match(r.stderr, /^CommandError: cannot run qa-load \(.*qa_test_settings\.py\): Permission denied; /);
    assert.doesNotMatch(r.stderr, /Traceback/);
  });

  test("the password is in none of the outputs above", () => {
    assert.ok(outputs.length >= 40, `${outputs.length} outputs`);
    for (const o of outputs) assert.ok(!o.includes(password), `an output shows the password:\n${o}`);
  });
});
