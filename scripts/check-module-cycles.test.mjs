// Tests of check-module-cycles.mjs on small synthetic crates written to a temporary directory:
//   node --test scripts/check-module-cycles.test.mjs

import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  analyzeCrate,
  check,
  expandUseTree,
  modulePathOf,
  stripCommentsAndStrings,
} from "./check-module-cycles.mjs";

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "check-module-cycles.mjs");
const made = [];
test.after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A crate directory with the given files under src/ ({ "lib.rs": "...", "a/b.rs": "..." }). */
function crate(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qad-cycles-"));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, "src", rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return dir;
}

/** The crate's edges as sorted "from -> to" strings (root shown as crate). */
function edges(dir) {
  const { edges: graph } = analyzeCrate(dir);
  const out = [];
  for (const [from, tos] of graph) for (const to of tos) out.push(`${from || "crate"} -> ${to || "crate"}`);
  return out.sort();
}

function run(...args) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });
}

test("files map to modules: lib.rs/main.rs the root, foo.rs and foo/mod.rs foo, foo/bar.rs foo::bar", () => {
  assert.deepEqual(modulePathOf("lib.rs"), []);
  assert.deepEqual(modulePathOf("main.rs"), []);
  assert.deepEqual(modulePathOf("foo.rs"), ["foo"]);
  assert.deepEqual(modulePathOf("foo/mod.rs"), ["foo"]);
  assert.deepEqual(modulePathOf("foo/bar.rs"), ["foo", "bar"]);
  assert.deepEqual(modulePathOf("foo/bar/mod.rs"), ["foo", "bar"]);
  assert.equal(modulePathOf("bin/tool.rs"), null);
});

test("a crate without a cycle passes (exit 0)", () => {
  const dir = crate({
    "lib.rs": "pub mod a;\npub mod b;\npub use a::A;\n",
    "a.rs": "use crate::b::B;\npub struct A(B);\n",
    "b.rs": "pub struct B;\n",
  });
  assert.deepEqual(edges(dir), ["a -> b", "crate -> a"]);
  const r = run(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 modules, no import cycle/);
});

test("two modules that use each other fail (exit 1) with the cycle printed as a -> b -> a", () => {
  const dir = crate({
    "lib.rs": "mod a;\nmod b;\n",
    "a.rs": "use crate::b::B;\npub struct A;\n",
    "b.rs": "pub fn f() -> crate::a::A { crate::a::A }\npub struct B;\n",
  });
  const r = run(dir);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.split("\n")[0], `${dir}: a -> b -> a`);
  assert.match(r.stderr, /modules import each other in a cycle/);
});

test("a child using its parent's items through super:: is a cycle with the parent that uses it", () => {
  const dir = crate({
    "lib.rs": "mod envelope;\n",
    "envelope.rs": "mod typed;\npub(crate) struct Strict;\npub fn go() { typed::Top::new(); }\n",
    "envelope/typed.rs": "use super::Strict;\npub(super) struct Top;\n",
  });
  assert.deepEqual(check([dir]).lines, [`${dir}: envelope -> envelope::typed -> envelope`]);
  // pub(super) is a visibility, not a reference; a child the parent does not use is no cycle.
  const quiet = crate({
    "lib.rs": "mod envelope;\n",
    "envelope.rs": "mod typed;\npub(crate) struct Strict;\n",
    "envelope/typed.rs": "use super::Strict;\npub(super) struct Top;\n",
  });
  assert.deepEqual(edges(quiet), ["envelope::typed -> envelope"]);
  assert.equal(check([quiet]).code, 0);
});

test("grouped uses, self:: and super::super:: resolve relative to the file's module", () => {
  const dir = crate({
    "lib.rs": "mod a;\nmod b;\nmod c;\n",
    "a.rs": "pub mod x;\nuse crate::{b, c::{self, C}};\nuse self::x::X;\n",
    "a/x.rs": "pub mod y;\npub struct X;\n",
    "a/x/y.rs": "use super::super::Z;\n",
    "b.rs": "",
    "c.rs": "pub struct C;\n",
  });
  assert.deepEqual(edges(dir), ["a -> a::x", "a -> b", "a -> c", "a::x::y -> a"]);
  assert.deepEqual(expandUseTree("crate::{a,b::c,d::{self,E},f::*}"), [
    ["crate", "a"],
    ["crate", "b", "c"],
    ["crate", "d"],
    ["crate", "d", "E"],
    ["crate", "f", "*"],
  ]);
});

test("a path to a::b::Item counts as a::b when that module exists, else a; a root item as the root", () => {
  const dir = crate({
    "lib.rs": "mod a;\nmod m;\npub struct Root;\n",
    "a.rs": "pub mod b;\npub struct AItem;\n",
    "a/b.rs": "pub struct Item;\n",
    "m.rs": "fn f(_: crate::a::b::Item, _: crate::a::AItem, _: crate::Root) {}\n",
  });
  assert.deepEqual(edges(dir), ["m -> a", "m -> a::b", "m -> crate"]);
});

test("comments, strings, char literals and #[cfg(test)] modules are not references", () => {
  const dir = crate({
    "lib.rs": "mod a;\nmod b;\n",
    "a.rs": [
      "// use crate::b::B;",
      "/* crate::b::f() /* nested */ crate::b::g() */",
      "/// [`crate::b::B`]",
      'const S: &str = "crate::b::B";',
      'const R: &str = r#"use crate::b::B; "quoted""#;',
      "const Q: char = '\"';",
      "fn lifetimes<'a>(x: &'a str) -> &'a str { x }",
      "#[cfg(test)]",
      "#[allow(unused)]",
      "mod tests {",
      "    use crate::b::B;",
      "    fn f() { let _ = '}'; }",
      "}",
      "#[cfg(test)]",
      "mod more;",
      "#[cfg(test)]",
      "use crate::b::B;",
      "pub struct A;",
    ].join("\n"),
    "a/more.rs": "use crate::b::B;\n",
    "b.rs": "use crate::a::A;\npub struct B;\n",
  });
  assert.deepEqual(edges(dir), ["b -> a"]);
  assert.equal(check([dir]).code, 0);
  assert.equal(stripCommentsAndStrings('a /* x */ "y" // z\nb'), 'a   "" \nb');
});

test("inline modules are modules of their own", () => {
  const dir = crate({
    "lib.rs": "mod outer {\n    pub mod inner {\n        pub fn f() { super::g(); }\n    }\n    pub fn g() { inner::f(); }\n}\n",
  });
  assert.deepEqual(check([dir]).lines, [`${dir}: outer -> outer::inner -> outer`]);
});

test("a longer cycle is printed once, through every module of it", () => {
  const dir = crate({
    "lib.rs": "mod a;\nmod b;\nmod c;\n",
    "a.rs": "use crate::b::B;\npub struct A;\n",
    "b.rs": "use crate::c::C;\npub struct B;\n",
    "c.rs": "use crate::a::A;\npub struct C;\n",
  });
  assert.deepEqual(check([dir]).lines, [`${dir}: a -> b -> c -> a`]);
});

test("usage: no crate is exit 2, a crate without src/ is exit 2", () => {
  assert.equal(run().status, 2);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "qad-cycles-"));
  made.push(empty);
  const r = run(empty);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no src\/ directory/);
});
