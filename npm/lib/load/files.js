"use strict";
// Locating the frontend's files: the root, the module, the i18n files, and the frontend's own
// TypeScript compiler (resolved from the root).

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const { LoadError, displayPath } = require("./errors.js");

const DEFAULT_MODULE = "src/app/services/applicationsData.ts";
const DEFAULT_I18N_DIR = "src/assets/i18n";

/** The frontend root as an absolute path; a LoadError when it is not a directory. */
function frontendRoot(dir) {
  const root = path.resolve(dir);
  let rootStat;
  try {
    rootStat = fs.statSync(root);
  } catch {
    throw new LoadError(`the frontend root ${root} does not exist`, { kind: "missing-file", file: root });
  }
  if (!rootStat.isDirectory()) {
    throw new LoadError(`the frontend root ${root} is not a directory`, { kind: "missing-file", file: root });
  }
  return root;
}

function readFileOrFail(file, what, root) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const reason = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message;
    throw new LoadError(`cannot read the ${what} ${displayPath(root, file)}: ${reason}`, {
      kind: "missing-file",
      file,
    });
  }
}

/** The frontend's TypeScript compiler, resolved from the frontend root (a peer dependency). */
function loadTypeScript(root) {
  const req = createRequire(path.join(root, "package.json"));
  let resolved;
  try {
    resolved = req.resolve("typescript");
  } catch {
    throw new LoadError(
      `TypeScript is not installed in the frontend at ${root}: qad-migrate imports applicationsData.ts ` +
        "with the frontend's own TypeScript compiler. Run `npm install` there (Angular projects list " +
        "`typescript` in devDependencies), or `npm install --save-dev typescript`.",
      { kind: "typescript-missing" },
    );
  }
  const ts = req(resolved);
  if (typeof ts.transpileModule !== "function") {
    throw new LoadError(`${resolved} is not the TypeScript compiler (no transpileModule)`, {
      kind: "typescript-missing",
    });
  }
  return ts;
}

function readI18nFile(root, file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e.code === "ENOENT") return { present: false, value: null };
    throw new LoadError(`cannot read ${displayPath(root, file)}: ${e.message}`, { kind: "i18n", file });
  }
  try {
    return { present: true, value: JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, "")) };
  } catch (e) {
    throw new LoadError(`${displayPath(root, file)} is not valid JSON: ${e.message}`, { kind: "i18n", file });
  }
}

module.exports = { DEFAULT_MODULE, DEFAULT_I18N_DIR, frontendRoot, readFileOrFail, loadTypeScript, readI18nFile };
