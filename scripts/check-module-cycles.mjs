#!/usr/bin/env node
// Fails when a Rust crate's modules import each other in a cycle.
//
//   node scripts/check-module-cycles.mjs CRATE_DIR...      e.g.  core wasm native-cli
//
// Reads every *.rs under CRATE_DIR/src and maps files to modules (lib.rs / main.rs = the crate
// root, shown as `crate`; foo.rs and foo/mod.rs = foo; foo/bar.rs = foo::bar; an inline
// `mod foo { ... }` = a module of its own). A module references another module of the same
// crate through `use crate::a::b` (grouped trees `use crate::{a, b::c}` too), `crate::a::b::x`
// paths anywhere in the code, `super::` (relative to the module: a child naming its parent's
// items imports its parent), `self::`, and paths that start with one of its child modules
// (`typed::Top` in the module that declares `mod typed`). A path to `a::b::Item` counts as module `a::b` when that module exists, else `a`
// (the longest prefix that is a module; the crate root when none is). Comments, strings,
// visibility restrictions (`pub(super)`) and `#[cfg(test)]` modules and uses are ignored.
//
// Each strongly connected component of more than one module is a cycle: its shortest cycles are
// printed as `crate-dir: a -> b -> a` and the exit code is 1. Exit 0: no cycle; 2: usage error.
// No dependencies (Node 20+).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = "crate";

/** The source with comments removed and string and char literals emptied (kept as `""`). */
export function stripCommentsAndStrings(src) {
  let out = "";
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (src[i] === "/" && src[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (src[i] === "*" && src[i + 1] === "/") {
          depth--;
          i += 2;
        } else {
          if (src[i] === "\n") out += "\n";
          i++;
        }
      }
      out += " ";
      continue;
    }
    // Raw strings r"..", r#".."#, br"..": no escapes, closed by a quote and as many #.
    const raw = /^b?r(#*)"/.exec(src.slice(i, i + 260));
    if (raw && !/[A-Za-z0-9_]/.test(src[i - 1] ?? "")) {
      const close = `"${raw[1]}`;
      const end = src.indexOf(close, i + raw[0].length);
      const stop = end === -1 ? n : end + close.length;
      out += '""' + "\n".repeat(countNewlines(src, i, stop));
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      out += '""' + "\n".repeat(countNewlines(src, i, j));
      i = j + 1;
      continue;
    }
    if (c === "'") {
      // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): a lifetime has no closing
      // quote right after its first character.
      if (next === "\\") {
        let j = i + 2;
        while (j < n && src[j] !== "'") j++;
        out += "' '";
        i = j + 1;
        continue;
      }
      const cp = src.codePointAt(i + 1);
      const width = cp !== undefined && cp > 0xffff ? 2 : 1;
      if (src[i + 1 + width] === "'") {
        out += "' '";
        i += 2 + width;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

function countNewlines(text, from, to) {
  let k = 0;
  for (let i = from; i < to && i < text.length; i++) if (text[i] === "\n") k++;
  return k;
}

/** The index of the brace that closes the one at `open`. */
function matchingBrace(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  return text.length - 1;
}

const CFG_TEST = String.raw`#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*(?:#\s*\[[^\]]*\]\s*)*`;
const VIS = String.raw`(?:pub\s*(?:\([^)]*\))?\s*)?`;

/**
 * Removes `#[cfg(test)]` modules (inline ones with their bodies) and uses, and visibility
 * restrictions. Returns the text and the names of `#[cfg(test)] mod NAME;` file modules.
 */
export function dropTestCode(text) {
  const testFileModules = [];
  const re = new RegExp(`${CFG_TEST}${VIS}mod\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*([{;])`, "g");
  let out = "";
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += text.slice(last, m.index);
    if (m[2] === ";") {
      testFileModules.push(m[1]);
      last = m.index + m[0].length;
    } else {
      const close = matchingBrace(text, m.index + m[0].length - 1);
      out += "\n".repeat(countNewlines(text, m.index, close + 1));
      last = close + 1;
    }
    re.lastIndex = last;
  }
  out += text.slice(last);
  out = out.replace(new RegExp(`${CFG_TEST}${VIS}use\\b[^;]*;`, "g"), (s) => "\n".repeat(countNewlines(s, 0, s.length)));
  out = out.replace(/\bpub\s*\(\s*(?:crate|super|self|in\s+[^)]*)\s*\)/g, "pub");
  return { text: out, testFileModules };
}

/** Splits out inline `mod NAME { ... }` blocks: `[{ path, text }]`, the outer module first. */
export function splitInlineModules(text, modulePath) {
  const parts = [];
  const re = /\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/g;
  let outer = "";
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(text, open);
    outer += text.slice(last, m.index);
    outer += "\n".repeat(countNewlines(text, m.index, close + 1));
    parts.push(...splitInlineModules(text.slice(open + 1, close), [...modulePath, m[1]]));
    last = close + 1;
    re.lastIndex = last;
  }
  outer += text.slice(last);
  return [{ path: modulePath, text: outer }, ...parts];
}

/** Expands a use tree without renames (`crate::{a, b::c, e::*}`) into its paths, as segments. */
export function expandUseTree(tree) {
  const paths = [];
  const walk = (prefix, s) => {
    const brace = s.indexOf("{");
    if (brace === -1) {
      // `a::{self}` names a itself; a leading `self` is the current module.
      const full = [...prefix, ...splitPath(s)].filter((seg, i) => seg !== "self" || i === 0);
      paths.push(full);
      return;
    }
    const head = splitPath(s.slice(0, brace));
    const inner = s.slice(brace + 1, s.lastIndexOf("}"));
    for (const part of splitTopLevel(inner)) {
      if (part !== "") walk([...prefix, ...head], part);
    }
  };
  walk([], tree.replace(/\s+/g, ""));
  return paths.filter((p) => p.length > 0);
}

function splitPath(s) {
  return s.split("::").filter((seg) => seg !== "");
}

function splitTopLevel(s) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}") depth--;
    else if (s[i] === "," && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** `use` trees with their `as` renames removed (so that whitespace can be dropped safely). */
function withoutRenames(tree) {
  return tree.replace(/\s+as\s+[A-Za-z_][A-Za-z0-9_]*/g, "");
}

/**
 * The references of one module's code: `[segments]`, each absolute from the crate root (a path
 * into another crate is dropped). `modules` is the set of module keys (`a::b`, root "").
 */
export function references(text, modulePath, modules) {
  const refs = [];
  const resolve = (segs) => {
    let base;
    let rest;
    if (segs[0] === "crate" || segs[0] === "$crate") {
      base = [];
      rest = segs.slice(1);
    } else if (segs[0] === "self") {
      base = [...modulePath];
      rest = segs.slice(1);
    } else if (segs[0] === "super") {
      base = [...modulePath];
      rest = segs;
      while (rest[0] === "super") {
        base = base.slice(0, -1);
        rest = rest.slice(1);
      }
    } else if (modules.has([...modulePath, segs[0]].join("::"))) {
      base = [...modulePath];
      rest = segs;
    } else {
      return; // another crate, or a name in scope
    }
    refs.push([...base, ...rest]);
  };
  const useRe = new RegExp(`\\buse\\s+([^;]*);`, "g");
  let code = text;
  for (let m = useRe.exec(text); m; m = useRe.exec(text)) {
    const tree = withoutRenames(m[1]).replace(/^::/, "\u0000");
    if (tree.startsWith("\u0000")) continue; // `use ::x`: an extern crate
    for (const segs of expandUseTree(tree)) resolve(segs);
  }
  code = code.replace(useRe, " ");
  // Paths in code: from `crate`, `super`, `self`, or one of the module's child modules (the
  // first segment of a path, not a later one).
  const pathRe = /(?<![\w:$])(\$crate|[A-Za-z_][A-Za-z0-9_]*)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)/g;
  for (let m = pathRe.exec(code); m; m = pathRe.exec(code)) {
    const segs = [m[1], ...m[2].split("::").map((s) => s.trim()).filter((s) => s !== "")];
    resolve(segs);
  }
  return refs;
}

/** The module a path points into: its longest prefix that is a module (the root when none). */
export function moduleOf(segs, modules) {
  for (let k = segs.length; k > 0; k--) {
    const key = segs.slice(0, k).join("::");
    if (modules.has(key)) return key;
  }
  return "";
}

function listRustFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith(".rs")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The module path of a file under src/ (`[]` for the crate root), or null for src/bin/. */
export function modulePathOf(rel) {
  const parts = rel.split(/[\\/]/);
  if (parts[0] === "bin") return null;
  const file = parts.pop();
  if (parts.length === 0 && (file === "lib.rs" || file === "main.rs")) return [];
  if (file === "mod.rs") return parts;
  return [...parts, file.replace(/\.rs$/, "")];
}

/** The crate's module graph: `{ modules: Set<key>, edges: Map<key, Set<key>> }` (root key ""). */
export function analyzeCrate(crateDir) {
  const src = path.join(crateDir, "src");
  if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) {
    throw new Error(`${crateDir}: no src/ directory`);
  }
  const units = [];
  const testFiles = new Set();
  for (const file of listRustFiles(src)) {
    const modulePath = modulePathOf(path.relative(src, file));
    if (modulePath === null) continue;
    const { text, testFileModules } = dropTestCode(stripCommentsAndStrings(fs.readFileSync(file, "utf8")));
    for (const name of testFileModules) testFiles.add([...modulePath, name].join("::"));
    units.push(...splitInlineModules(text, modulePath));
  }
  const isTest = (key) => [...testFiles].some((t) => key === t || key.startsWith(`${t}::`));
  const kept = units.filter((u) => !isTest(u.path.join("::")));
  const modules = new Set(kept.map((u) => u.path.join("::")));
  const edges = new Map([...modules].map((m) => [m, new Set()]));
  for (const unit of kept) {
    const from = unit.path.join("::");
    for (const segs of references(unit.text, unit.path, modules)) {
      const to = moduleOf(segs, modules);
      if (to !== from) edges.get(from).add(to);
    }
  }
  return { modules, edges };
}

/** Strongly connected components (Tarjan), each sorted; only those of more than one module. */
export function cyclicComponents(edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** The shortest cycle through each module of a component, without repeats: `[[a, b, a]]`. */
export function cyclesOf(component, edges) {
  const inComp = new Set(component);
  const seen = new Set();
  const cycles = [];
  for (const start of component) {
    // Breadth-first from start's successors back to start, inside the component.
    const prev = new Map();
    const queue = [];
    for (const w of [...(edges.get(start) ?? [])].sort()) {
      if (inComp.has(w) && !prev.has(w)) {
        prev.set(w, start);
        queue.push(w);
      }
    }
    let found = false;
    while (queue.length && !found) {
      const v = queue.shift();
      for (const w of [...(edges.get(v) ?? [])].sort()) {
        if (w === start) {
          const cycle = [start];
          for (let u = v; u !== start; u = prev.get(u)) cycle.splice(1, 0, u);
          cycle.push(start);
          const key = canonical(cycle);
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push(rotateToSmallest(cycle));
          }
          found = true;
          break;
        }
        if (inComp.has(w) && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
  }
  return cycles;
}

function rotateToSmallest(cycle) {
  const ring = cycle.slice(0, -1);
  let best = 0;
  for (let i = 1; i < ring.length; i++) if (ring[i] < ring[best]) best = i;
  const rotated = [...ring.slice(best), ...ring.slice(0, best)];
  return [...rotated, rotated[0]];
}

function canonical(cycle) {
  return rotateToSmallest(cycle).join(" -> ");
}

export const displayName = (key) => (key === "" ? ROOT : key);

/** Checks crates; returns `{ code, lines }` (what main prints). */
export function check(crateDirs) {
  const lines = [];
  let cyclic = false;
  for (const dir of crateDirs) {
    const { modules, edges } = analyzeCrate(dir);
    const components = cyclicComponents(edges);
    if (components.length === 0) {
      lines.push(`${dir}: ${modules.size} modules, no import cycle`);
      continue;
    }
    cyclic = true;
    for (const component of components) {
      for (const cycle of cyclesOf(component, edges)) {
        lines.push(`${dir}: ${cycle.map(displayName).join(" -> ")}`);
      }
    }
  }
  return { code: cyclic ? 1 : 0, lines };
}

function main(argv) {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write("usage: node scripts/check-module-cycles.mjs CRATE_DIR...   (e.g. core wasm native-cli)\n");
    return argv.length === 0 ? 2 : 0;
  }
  let result;
  try {
    result = check(argv);
  } catch (e) {
    process.stderr.write(`check-module-cycles: ${e.message}\n`);
    return 2;
  }
  const stream = result.code === 0 ? process.stdout : process.stderr;
  for (const line of result.lines) stream.write(`${line}\n`);
  if (result.code !== 0) process.stderr.write("check-module-cycles: modules import each other in a cycle (above)\n");
  return result.code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
