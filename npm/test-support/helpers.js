"use strict";
// Helpers of the npm package's tests (kept outside test/: `node --test test/` runs every .js
// file below test/ as a test file).

const { spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const npmDir = path.resolve(__dirname, "..");
const repoRoot = path.resolve(npmDir, "..");
const fixturesDir = path.join(npmDir, "test", "fixtures");
const frontendsDir = path.join(fixturesDir, "frontends");
/** The real frontend (read-only, beside the repository: ../shared/fixtures/). */
const realFrontend = path.join(repoRoot, "..", "shared", "fixtures", "frontend-2025-03");
const bin = path.join(npmDir, "bin", "qad-migrate.js");

/** Runs the command-line program from the source tree. */
function runCli(args, options = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? npmDir,
    env: { ...process.env, ...(options.env ?? {}) },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const created = [];
process.on("exit", () => {
  if (process.env.QAD_KEEP_TMP === "1") return;
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory, removed when the test process exits (kept with QAD_KEEP_TMP=1). */
function tmpDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `qad-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Copies a folder (read-only sources become writable copies). */
function copyDir(from, to) {
  fs.cpSync(from, to, { recursive: true });
  const makeWritable = (p) => {
    const st = fs.statSync(p);
    fs.chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) makeWritable(path.join(p, e));
  };
  makeWritable(to);
  return to;
}

function sha256(bytesOrText) {
  return crypto.createHash("sha256").update(bytesOrText).digest("hex");
}

/** Every file that goes into the tarball, for the cache key. */
function packageFiles() {
  const files = [];
  const walk = (p) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    } else {
      files.push(p);
    }
  };
  for (const entry of ["package.json", "README.md", "bin", "lib", "dist/wasm", "preview"]) {
    walk(path.join(npmDir, entry));
  }
  return files;
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000, ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const output = r.stdout == null ? "(output above)" : `${r.stdout}\n${r.stderr}`;
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${output}`);
  }
  return r;
}

const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The package as `npm pack` makes it, packed once per content: the tarball is cached in the
 * temporary directory under a hash of every file it contains, so the tests of one run (and
 * later runs on unchanged sources) share it. The wasm is built first when stale.
 */
function packedTarball() {
  run(process.execPath, [path.join(npmDir, "scripts", "build-wasm.mjs"), "--if-stale"], { cwd: npmDir, stdio: "inherit" });
  const hash = crypto.createHash("sha256");
  for (const f of packageFiles()) {
    hash.update(path.relative(npmDir, f));
    hash.update("\0");
    hash.update(fs.readFileSync(f));
    hash.update("\0");
  }
  const key = hash.digest("hex").slice(0, 20);
  const dir = path.join(os.tmpdir(), `qad-migrate-pack-${key}`);
  const done = path.join(dir, "tarball-path");
  if (fs.existsSync(done)) {
    const tgz = fs.readFileSync(done, "utf8");
    if (fs.existsSync(tgz)) return tgz;
  }
  // Another test process may be packing the same content: the first to create the lock packs.
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      if (fs.existsSync(done)) return fs.readFileSync(done, "utf8");
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    const r = run(npmCmd, ["pack", "--json", "--pack-destination", dir], { cwd: npmDir });
    const info = JSON.parse(r.stdout)[0];
    const tgz = path.join(dir, info.filename);
    fs.writeFileSync(path.join(dir, "pack-info.json"), JSON.stringify(info, null, 2));
    fs.writeFileSync(done, tgz);
    return tgz;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** What `npm pack --json` reported for the cached tarball (file list, sizes). */
function packInfo(tgz) {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(tgz), "pack-info.json"), "utf8"));
}

/** PATH without Rust toolchains: the installed package must not need one. */
function pathWithoutRust() {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((p) => p && !/cargo|rustup/.test(p))
    .join(path.delimiter);
}

module.exports = {
  npmDir,
  repoRoot,
  fixturesDir,
  frontendsDir,
  realFrontend,
  bin,
  npmCmd,
  runCli,
  run,
  tmpDir,
  copyDir,
  sha256,
  packedTarball,
  packInfo,
  pathWithoutRust,
};
