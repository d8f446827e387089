"use strict";
// The TypeScript declarations: lib/types.generated.d.ts is what the generator writes from the
// Rust types today (regenerated into a temporary directory and compared), and a consumer using
// the API and the wasm glue compiles with `tsc --noEmit --strict` against the package's d.ts.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const { npmDir, tmpDir } = require("../test-support/helpers.js");

const GENERATED = path.join(npmDir, "lib", "types.generated.d.ts");

test("lib/types.generated.d.ts is what `npm run gen:types` writes from the Rust types", () => {
  const out = path.join(tmpDir("types"), "types.generated.d.ts");
  const pkg = JSON.parse(fs.readFileSync(path.join(npmDir, "package.json"), "utf8"));
  // The npm script's own command, with the temporary file as the output.
  const [cmd, ...args] = pkg.scripts["gen:types"].replace(/ lib\/types\.generated\.d\.ts$/, "").split(" ");
  const r = spawnSync(cmd, [...args, out], { cwd: npmDir, encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.error ?? ""}${r.stderr}`);
  assert.ok(
    fs.readFileSync(out, "utf8") === fs.readFileSync(GENERATED, "utf8"),
    "lib/types.generated.d.ts is stale: the Rust types changed; run `npm run gen:types` in npm/ and commit the result",
  );
});

test("a TypeScript consumer of the API and of the wasm glue compiles with --strict (typed exports, no any)", () => {
  const tsc = path.join(npmDir, "node_modules", "typescript", "bin", "tsc");
  const consumer = path.join(npmDir, "test", "fixtures", "types", "consumer.mts");
  const flags = ["--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", "--target", "es2022", "--lib", "es2022,dom"];
  const r = spawnSync(process.execPath, [tsc, ...flags, consumer], { cwd: npmDir, encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});
