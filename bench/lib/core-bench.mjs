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
//
// Side by side with another version (bench.mjs --baseline): `--core NAME=PATH`, given once per
// version, loads each version's own core module (its npm/lib/core.js) into this one process; each
// repetition then runs the steps above for every version in turn, the order alternating between
// repetitions (A B, B A, ...), and one JSON line {NAME: {...}, ...} is printed. The first call of
// each module is a warm-up here (firstCall), not the cold figure: `--cold` with one `--core` only
// times that first call in a fresh process and prints {coldValidate}; bench.mjs runs it once per
// version and repetition, interleaved.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const positional = [];
const coreSpecs = [];
let coldOnly = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--core") {
    const spec = argv[++i] ?? "";
    const eq = spec.indexOf("=");
    if (eq < 1) {
      process.stderr.write("core-bench: --core NAME=PATH\n");
      process.exit(2);
    }
    coreSpecs.push({ name: spec.slice(0, eq), file: spec.slice(eq + 1) });
  } else if (argv[i] === "--cold") {
    coldOnly = true;
  } else {
    positional.push(argv[i]);
  }
}
const [file, repsArg] = positional;
if (!file || (coldOnly && coreSpecs.length !== 1)) {
  process.stderr.write("usage: node --expose-gc bench/lib/core-bench.mjs FILE [REPS] [--core NAME=PATH ...] [--cold]\n");
  process.exit(2);
}
const reps = Number(repsArg ?? 5);
const gc = typeof globalThis.gc === "function" ? globalThis.gc : () => {};

const text = fs.readFileSync(file, "utf8");
const bytes = Buffer.byteLength(text);

function time(fn) {
  gc();
  const t0 = process.hrtime.bigint();
  const out = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, out };
}

/** One repetition of the steps on one core; appends to `result`. */
function repetition(core, result) {
  const p = time(() => JSON.parse(text));
  result.parse.push(p.ms);
  const obj = p.out;
  const v = time(() => core.validate(text));
  result.validate.push(v.ms);
  result.errors = v.out.errors;
  result.counts = v.out.counts;
  const t = time(() => core.transform(text));
  result.transform.push(t.ms);
  if (t.out.dataset.apps.length !== v.out.counts.apps) throw new Error("transform and validate disagree on the app count");
  const datasetText = JSON.stringify(t.out.dataset);
  result.datasetBytes = Buffer.byteLength(datasetText);
  result.datasetParse.push(time(() => JSON.parse(datasetText)).ms);
  const vo = time(() => core.validate(obj));
  result.validateObject.push(vo.ms);
  if (vo.out.errors !== result.errors) throw new Error("validate(text) and validate(object) disagree");
}

const emptyResult = () => ({ reps, bytes, parse: [], validate: [], transform: [], validateObject: [], datasetParse: [] });

if (coreSpecs.length === 0) {
  // One version, the checkout's own core (bench/run.sh without --baseline).
  const core = require(path.join(here, "..", "..", "npm", "lib", "core.js"));
  core.version(); // instantiates the wasm
  const result = emptyResult();
  const cold = time(() => core.validate(text));
  result.coldValidate = cold.ms;
  result.errors = cold.out.errors;
  for (let r = 0; r < reps; r++) repetition(core, result);
  result.peakRssKb = Math.round(process.resourceUsage().maxRSS);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (coldOnly) {
  const core = require(path.resolve(coreSpecs[0].file));
  core.version(); // instantiates the wasm
  const cold = time(() => core.validate(text));
  process.stdout.write(`${JSON.stringify({ coldValidate: cold.ms, errors: cold.out.errors, version: core.version() })}\n`);
} else {
  const versions = coreSpecs.map(({ name, file: f }) => ({ name, core: require(path.resolve(f)) }));
  const results = {};
  for (const v of versions) {
    v.core.version(); // instantiates the wasm
    results[v.name] = emptyResult();
    results[v.name].version = v.core.version();
  }
  for (const v of versions) {
    // Warm-up: the module's first call (not the cold figure, see above).
    const first = time(() => v.core.validate(text));
    results[v.name].firstCall = first.ms;
    results[v.name].errors = first.out.errors;
  }
  for (let r = 0; r < reps; r++) {
    const order = r % 2 ? [...versions].reverse() : versions;
    for (const v of order) repetition(v.core, results[v.name]);
  }
  for (const v of versions) results[v.name].peakRssKbProcess = Math.round(process.resourceUsage().maxRSS);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
