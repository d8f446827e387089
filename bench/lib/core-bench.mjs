#!/usr/bin/env node
// The wasm core in Node against the floor of JSON.parse, on one apps.json; run in its own
// process by bench/bench.mjs (node --expose-gc bench/lib/core-bench.mjs FILE REPS).
//
// The file is read once into a string (untimed). Each repetition times, in this order, with a
// full GC before each timed call:
//   parse      JSON.parse(text)                      the floor
//   validate   core.validate(text)                   decode + transform + rules, report out
//   transform  core.transform(text)                  the same, dataset + report out as JS objects
//   validateObject core.validate(JSON.parse(text))   the path the CLI takes (an object in: the
//                                                    glue JSON.stringify's it), parse excluded
//   datasetParse JSON.parse(JSON.stringify(dataset))  parse only: what materialising the output
//                                                    rows as JS objects costs at the least (they
//                                                    are bigger than the input: an id per row)
// Before the repetitions, `coldValidate` times the process's first core.validate(text) on the
// file (the wasm instantiated, nothing else run): what the `qad-migrate validate` command pays,
// since it validates once per process and V8 runs wasm in its baseline tier (Liftoff) until the
// optimising tier (TurboFan) has compiled the hot functions.
// Prints one JSON line: {reps, bytes, coldValidate, parse: [ms...], validate: [...], ...}.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const core = require(path.join(here, "..", "..", "npm", "lib", "core.js"));

const [file, repsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node --expose-gc bench/lib/core-bench.mjs FILE [REPS]\n");
  process.exit(2);
}
const reps = Number(repsArg ?? 5);
const gc = typeof globalThis.gc === "function" ? globalThis.gc : () => {};

const text = fs.readFileSync(file, "utf8");
const bytes = Buffer.byteLength(text);

core.version(); // instantiates the wasm

function time(fn) {
  gc();
  const t0 = process.hrtime.bigint();
  const out = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, out };
}

const result = { reps, bytes, parse: [], validate: [], transform: [], validateObject: [], datasetParse: [] };
const cold = time(() => core.validate(text));
result.coldValidate = cold.ms;
let errors = cold.out.errors;
for (let r = 0; r < reps; r++) {
  const p = time(() => JSON.parse(text));
  result.parse.push(p.ms);
  const obj = p.out;
  const v = time(() => core.validate(text));
  result.validate.push(v.ms);
  errors = v.out.errors;
  result.counts = v.out.counts;
  const t = time(() => core.transform(text));
  result.transform.push(t.ms);
  if (t.out.dataset.apps.length !== v.out.counts.apps) throw new Error("transform and validate disagree on the app count");
  const datasetText = JSON.stringify(t.out.dataset);
  result.datasetBytes = Buffer.byteLength(datasetText);
  result.datasetParse.push(time(() => JSON.parse(datasetText)).ms);
  const vo = time(() => core.validate(obj));
  result.validateObject.push(vo.ms);
  if (vo.out.errors !== errors) throw new Error("validate(text) and validate(object) disagree");
}
result.errors = errors;
result.peakRssKb = Math.round(process.resourceUsage().maxRSS);
process.stdout.write(`${JSON.stringify(result)}\n`);
