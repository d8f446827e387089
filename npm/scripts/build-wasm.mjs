#!/usr/bin/env node
// Builds the WebAssembly core (crate qad-wasm) into npm/dist/wasm/.
//
//   node scripts/build-wasm.mjs             build (cargo is incremental: quick when nothing changed)
//   node scripts/build-wasm.mjs --if-stale  skip when dist/wasm/qad_wasm_bg.wasm is newer than every
//                                           .rs / Cargo.toml in core/ and wasm/ (and the workspace
//                                           Cargo.toml / Cargo.lock); used by `prepack` and `pretest`
//   node scripts/build-wasm.mjs --check     exit 1 when stale, 0 when fresh; builds nothing
//
// Steps: ensure the pinned wasm-bindgen CLI (installing it with
// `cargo install wasm-bindgen-cli --version 0.2.126 --locked` when missing or at another version:
// crates.io is the only thing contacted), `cargo build -p qad-wasm --target wasm32-unknown-unknown
// --release`, then `wasm-bindgen` twice on the same .wasm:
//   --target web    -> qad_wasm.js (ES module, `initSync({ module: bytes })` / default init), the
//                      file the browser preview and ESM code import, plus qad_wasm.d.ts;
//   --target nodejs -> its CommonJS glue, kept as qad_wasm.cjs (what the package's CommonJS API
//                      requires, on every Node 20.x, without require(esm)).
// Both targets emit a byte-identical qad_wasm_bg.wasm with this wasm-bindgen version; the script
// checks that, so the package ships one .wasm. Built with opt-level 3, fat LTO, one codegen
// unit, without the name and producers sections. No wasm-opt (binaryen is not used).

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WASM_BINDGEN_VERSION = "0.2.126";

const here = path.dirname(fileURLToPath(import.meta.url));
export const npmDir = path.resolve(here, "..");
export const repoRoot = path.resolve(npmDir, "..");
export const outDir = path.join(npmDir, "dist", "wasm");
export const builtWasm = path.join(outDir, "qad_wasm_bg.wasm");

function log(msg) {
  process.stderr.write(`build-wasm: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: repoRoot, ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed with exit code ${r.status}`);
}

function capture(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: repoRoot });
  if (r.error || r.status !== 0) return null;
  return r.stdout;
}

/** Newest mtime (ms) of the Rust sources the wasm is built from. */
export function newestSourceMtime() {
  let newest = 0;
  const consider = (file) => {
    try {
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    } catch {
      /* absent: ignore */
    }
  };
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "target" && !e.name.startsWith(".")) walk(p);
      } else if (e.name.endsWith(".rs") || e.name === "Cargo.toml") {
        consider(p);
      }
    }
  };
  walk(path.join(repoRoot, "core"));
  walk(path.join(repoRoot, "wasm"));
  consider(path.join(repoRoot, "Cargo.toml"));
  consider(path.join(repoRoot, "Cargo.lock"));
  return newest;
}

export function isStale() {
  const required = ["qad_wasm.js", "qad_wasm.cjs", "qad_wasm.d.ts", "qad_wasm_bg.wasm", "package.json"];
  for (const f of required) {
    if (!fs.existsSync(path.join(outDir, f))) return true;
  }
  return fs.statSync(builtWasm).mtimeMs < newestSourceMtime();
}

function cargoBinDir() {
  return path.join(process.env.CARGO_HOME || path.join(os.homedir(), ".cargo"), "bin");
}

function wasmBindgenVersion(bin) {
  const out = capture(bin, ["--version"]);
  const m = out && out.match(/wasm-bindgen\s+(\S+)/);
  return m ? m[1] : null;
}

/** The path of a wasm-bindgen CLI at the pinned version, installing it when needed. */
function ensureWasmBindgen() {
  const candidates = [
    process.env.WASM_BINDGEN,
    "wasm-bindgen",
    path.join(cargoBinDir(), "wasm-bindgen"),
  ].filter(Boolean);
  for (const c of candidates) {
    const v = wasmBindgenVersion(c);
    if (v === WASM_BINDGEN_VERSION) return c;
    if (v) log(`${c} is wasm-bindgen ${v}, not ${WASM_BINDGEN_VERSION}`);
  }
  log(`installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (from crates.io)`);
  run("cargo", ["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION, "--locked"]);
  const bin = path.join(cargoBinDir(), "wasm-bindgen");
  const v = wasmBindgenVersion(bin);
  if (v !== WASM_BINDGEN_VERSION) {
    throw new Error(`after cargo install, ${bin} reports version ${v ?? "(none)"}`);
  }
  return bin;
}

function targetDir() {
  const meta = capture("cargo", ["metadata", "--format-version", "1", "--no-deps"]);
  if (meta) {
    try {
      return JSON.parse(meta).target_directory;
    } catch {
      /* fall through */
    }
  }
  return path.join(repoRoot, "target");
}

export function build() {
  const bindgen = ensureWasmBindgen();
  // Optimised for speed, whole-program: these apply to this wasm32 build only (the workspace's
  // [profile.release] stays as it is for the native binaries). opt-level 3 validates 10,000 apps
  // in about half the time "z" takes, and the .wasm is the same size (about 0.9 MB) either way.
  const wasmProfile = {
    CARGO_PROFILE_RELEASE_OPT_LEVEL: "3",
    CARGO_PROFILE_RELEASE_LTO: "fat",
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "1",
  };
  run("cargo", ["build", "-p", "qad-wasm", "--target", "wasm32-unknown-unknown", "--release"], {
    env: { ...process.env, ...wasmProfile },
  });
  const input = path.join(targetDir(), "wasm32-unknown-unknown", "release", "qad_wasm.wasm");
  if (!fs.existsSync(input)) throw new Error(`cargo did not produce ${input}`);

  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "qad-wasm-build-"));
  try {
    const webDir = path.join(stage, "web");
    const nodeDir = path.join(stage, "node");
    const common = ["--out-name", "qad_wasm", "--remove-name-section", "--remove-producers-section"];
    run(bindgen, ["--target", "web", "--out-dir", webDir, ...common, input]);
    run(bindgen, ["--target", "nodejs", "--out-dir", nodeDir, ...common, "--no-typescript", input]);

    const webWasm = fs.readFileSync(path.join(webDir, "qad_wasm_bg.wasm"));
    const nodeWasm = fs.readFileSync(path.join(nodeDir, "qad_wasm_bg.wasm"));
    if (!webWasm.equals(nodeWasm)) {
      throw new Error(
        "wasm-bindgen emitted different .wasm files for --target web and --target nodejs; " +
          "the package ships one .wasm, so this wasm-bindgen version is not supported by this script",
      );
    }
    const cjs = fs.readFileSync(path.join(nodeDir, "qad_wasm.js"), "utf8");
    if (!cjs.includes("qad_wasm_bg.wasm") || !/\bexports\.transform\s*=/.test(cjs)) {
      throw new Error("unexpected --target nodejs glue: it does not export transform or load qad_wasm_bg.wasm");
    }

    // Replace dist/wasm atomically enough: write everything, then swap the directory.
    const fresh = path.join(stage, "dist");
    fs.mkdirSync(fresh);
    for (const f of ["qad_wasm.js", "qad_wasm.d.ts", "qad_wasm_bg.wasm", "qad_wasm_bg.wasm.d.ts"]) {
      fs.copyFileSync(path.join(webDir, f), path.join(fresh, f));
    }
    fs.writeFileSync(
      path.join(fresh, "qad_wasm.cjs"),
      "// Generated by wasm-bindgen " + WASM_BINDGEN_VERSION + " --target nodejs (CommonJS glue for the same .wasm).\n" + cjs,
    );
    // qad_wasm.js is an ES module inside a CommonJS package: mark the folder as ESM.
    fs.writeFileSync(path.join(fresh, "package.json"), JSON.stringify({ type: "module" }, null, 2) + "\n");
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(outDir), { recursive: true });
    fs.cpSync(fresh, outDir, { recursive: true });
    // The wasm must be the newest file for the staleness check.
    const now = new Date();
    fs.utimesSync(builtWasm, now, now);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  const size = fs.statSync(builtWasm).size;
  log(`built ${path.relative(npmDir, builtWasm)} (${(size / 1024).toFixed(0)} KiB)`);
}

function main(argv) {
  if (argv.includes("--check")) {
    const stale = isStale();
    log(stale ? "stale" : "fresh");
    return stale ? 1 : 0;
  }
  if (argv.includes("--if-stale") && !isStale()) {
    log(`dist/wasm is up to date`);
    return 0;
  }
  build();
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    log(`error: ${e.message}`);
    process.exitCode = 1;
  }
}
