"use strict";
// Reporting why the frontend cannot be loaded: LoadError (exit code EXIT_CODES.loadError), paths
// relative to the frontend root, TypeScript diagnostics with file:line:column and a code frame.

const path = require("node:path");

const { EXIT_CODES } = require("../core.js");

/**
 * The module (or its i18n files) cannot be loaded: missing file, syntax error, missing
 * TypeScript, evaluation error, or an export of another name or shape. Exit code 8
 * (EXIT_CODES.loadError).
 */
class LoadError extends Error {
  /**
   * @param {string} message
   * @param {{kind: string, file?: string, line?: number, column?: number, diagnostics?: object[]}} details
   */
  constructor(message, details) {
    super(message);
    this.name = "LoadError";
    this.code = "QAD_LOAD_ERROR";
    this.exitCode = EXIT_CODES.loadError;
    this.kind = details.kind;
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
    if (details.column !== undefined) this.column = details.column;
    this.diagnostics = details.diagnostics ?? [];
  }
}

function displayPath(root, file) {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : file;
}

function formatDiagnostic(ts, root, diagnostic) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const out = { code: `TS${diagnostic.code}`, message };
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    out.file = diagnostic.file.fileName;
    out.line = line + 1;
    out.column = character + 1;
    const lineStarts = diagnostic.file.getLineStarts();
    const text = diagnostic.file.text;
    const end = line + 1 < lineStarts.length ? lineStarts[line + 1] : text.length;
    out.sourceLine = text.slice(lineStarts[line], end).replace(/\r?\n$/, "");
    out.text = `${displayPath(root, out.file)}:${out.line}:${out.column} - error ${out.code}: ${message}`;
  } else {
    out.text = `error ${out.code}: ${message}`;
  }
  return out;
}

function codeFrame(d) {
  if (d.sourceLine === undefined) return "";
  const gutter = String(d.line);
  const caretPad = d.sourceLine.slice(0, d.column - 1).replace(/[^\t]/g, " ");
  return `\n\n${gutter} | ${d.sourceLine}\n${" ".repeat(gutter.length)} | ${caretPad}^`;
}

/**
 * A LoadError of kind "syntax" for TypeScript diagnostics (already formatted): the first with
 * its code frame, the others listed; `what` names them ("syntax error", "duplicate property").
 */
function syntaxError(what, diags, file, moreLabel) {
  const first = diags[0];
  const more = diags.length > 1 ? `\n(${diags.length - 1} ${moreLabel}:\n  ${diags.slice(1).map((d) => d.text).join("\n  ")})` : "";
  return new LoadError(`${what} in ${first.text.replace(/ - error /, ": error ")}${codeFrame(first)}${more}`, {
    kind: "syntax",
    file: first.file ?? file,
    line: first.line,
    column: first.column,
    diagnostics: diags.map(({ sourceLine, ...rest }) => rest),
  });
}

module.exports = { LoadError, displayPath, formatDiagnostic, syntaxError };
