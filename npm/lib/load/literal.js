"use strict";
// The TypeScript-scanner path: a module that is only literal data, read token by token without
// emitting or evaluating it (see literalModule).

/**
 * The module as plain data without emitting or evaluating it, when it is nothing but
 * `export const NAME = <literal>;` statements whose literals are JSON-like: string literals,
 * template literals without substitutions, plain decimal numbers (optionally negated), true,
 * false, null, and arrays and object literals of those (property names: identifiers, keywords
 * or string literals). The module is read with the frontend's own TypeScript scanner, token by
 * token; the values are exactly what evaluating the module would give, already as the plain
 * JSON data `toJson` would make of them.
 *
 * Anything else (an import, a type annotation, an identifier, a spread, a call, a computed or
 * repeated property name, `__proto__`, a hole, a bigint, an octal or legacy escape, a number
 * JSON cannot carry, a scanner error, ...) returns null and the module goes through
 * transpileModule and evaluation as always, which reports syntax errors with their positions,
 * refuses repeated properties and evaluates what is not a literal. So this path only decides
 * how much memory a large plain-data module takes (no AST, no emitted JavaScript, no second
 * copy of the object graph), never what is accepted or how it is reported.
 *
 * Returns `{exports, names}` (exports in the order evaluation would create them) or null.
 */
function literalModule(ts, sourceText) {
  if (typeof ts.createScanner !== "function" || !ts.SyntaxKind || !ts.ScriptTarget || !ts.LanguageVariant) return null;
  // A `#!` line is trivia to the scanner but is kept by the emit (and refused when evaluated).
  if (sourceText.startsWith("#!")) return null;
  const K = ts.SyntaxKind;
  let failed = false;
  const scanner = ts.createScanner(ts.ScriptTarget.ES2020, true, ts.LanguageVariant.Standard, sourceText, () => {
    failed = true;
  });
  const bail = () => {
    throw literalModule.NOT_LITERAL;
  };
  let token = K.Unknown;
  const next = () => {
    token = scanner.scan();
    if (failed || scanner.isUnterminated()) bail();
    return token;
  };
  // "\0" followed by a digit, "\1".."\9": octal and legacy escapes (errors in a module).
  const hasLegacyEscape = (raw) => {
    for (let i = raw.indexOf("\\"); i >= 0; i = raw.indexOf("\\", i + 2)) {
      const c = raw.charCodeAt(i + 1);
      if (c >= 0x31 && c <= 0x39) return true;
      if (c === 0x30) {
        const d = raw.charCodeAt(i + 2);
        if (d >= 0x30 && d <= 0x39) return true;
      }
    }
    return false;
  };
  const stringValue = () => {
    if (token === K.StringLiteral) {
      if (hasLegacyEscape(scanner.getTokenText())) bail();
      return detach(scanner.getTokenValue());
    }
    if (token === K.NoSubstitutionTemplateLiteral) {
      const raw = scanner.getTokenText();
      // Escapes and carriage returns in templates have rules of their own: leave them to evaluation.
      if (raw.includes("\\") || raw.includes("\r")) bail();
      return detach(scanner.getTokenValue());
    }
    return bail();
  };
  // Plain decimal only: digits [. digits] [e [+-] digits], no leading zero, no separators.
  const decimalValue = (raw) => {
    const n = raw.length;
    let i = 0;
    let digits = 0;
    const isDigit = (c) => c >= 0x30 && c <= 0x39;
    while (i < n && isDigit(raw.charCodeAt(i))) i++;
    digits = i;
    if (digits > 1 && raw.charCodeAt(0) === 0x30) bail();
    if (i < n && raw.charCodeAt(i) === 0x2e) {
      i++;
      const from = i;
      while (i < n && isDigit(raw.charCodeAt(i))) i++;
      digits += i - from;
    }
    if (digits === 0) bail();
    if (i < n && (raw.charCodeAt(i) === 0x65 || raw.charCodeAt(i) === 0x45)) {
      i++;
      if (i < n && (raw.charCodeAt(i) === 0x2b || raw.charCodeAt(i) === 0x2d)) i++;
      const from = i;
      while (i < n && isDigit(raw.charCodeAt(i))) i++;
      if (i === from) bail();
    }
    if (i !== n) bail();
    const value = Number(raw);
    if (!Number.isFinite(value)) bail();
    return value;
  };
  // Parses the value starting at the current token and leaves the token after it current.
  const value = () => {
    switch (token) {
      case K.StringLiteral:
      case K.NoSubstitutionTemplateLiteral: {
        const v = stringValue();
        next();
        return v;
      }
      case K.NumericLiteral: {
        const v = decimalValue(scanner.getTokenText());
        next();
        return v;
      }
      case K.MinusToken: {
        if (next() !== K.NumericLiteral) bail();
        const v = -decimalValue(scanner.getTokenText());
        next();
        return v;
      }
      case K.TrueKeyword:
        next();
        return true;
      case K.FalseKeyword:
        next();
        return false;
      case K.NullKeyword:
        next();
        return null;
      case K.OpenBracketToken: {
        const out = [];
        next();
        while (token !== K.CloseBracketToken) {
          out.push(value());
          if (token === K.CommaToken) next();
          else if (token !== K.CloseBracketToken) bail();
        }
        next();
        return out;
      }
      case K.OpenBraceToken: {
        const out = {};
        next();
        while (token !== K.CloseBraceToken) {
          let key;
          if (token === K.StringLiteral) key = stringValue();
          else if (ts.tokenIsIdentifierOrKeyword(token) && !scanner.hasUnicodeEscape() && !scanner.hasExtendedUnicodeEscape()) key = scanner.getTokenText();
          else bail();
          if (key === "__proto__" || Object.prototype.hasOwnProperty.call(out, key)) bail();
          if (next() !== K.ColonToken) bail();
          next();
          out[key] = value();
          if (token === K.CommaToken) next();
          else if (token !== K.CloseBraceToken) bail();
        }
        next();
        return out;
      }
      default:
        return bail();
    }
  };

  const exports = {};
  const names = [];
  try {
    next();
    while (token !== K.EndOfFileToken) {
      if (token === K.SemicolonToken) {
        next();
        continue;
      }
      if (token !== K.ExportKeyword || next() !== K.ConstKeyword || next() !== K.Identifier) bail();
      if (scanner.hasUnicodeEscape() || scanner.hasExtendedUnicodeEscape()) bail();
      const name = scanner.getTokenText();
      if (name === "__esModule" || name === "eval" || name === "arguments" || Object.prototype.hasOwnProperty.call(exports, name)) bail();
      if (next() !== K.EqualsToken) bail();
      next();
      exports[name] = value();
      names.push(name);
      // The end of the statement: `;`, the end of the file, or (automatic semicolon insertion)
      // the next `export` on a new line. Anything else may continue the expression.
      if (token === K.SemicolonToken) next();
      else if (!(token === K.EndOfFileToken || (token === K.ExportKeyword && scanner.hasPrecedingLineBreak()))) bail();
    }
  } catch {
    // Not literal data (or too deeply nested for this reader, or a TypeScript whose scanner
    // lacks something used here): evaluation decides, as for any other module.
    return null;
  }
  if (names.length === 0) return null;
  return { exports, names };
}
literalModule.NOT_LITERAL = Symbol("not a literal module");

/**
 * The same string, as a copy of its own. The scanner's values are slices of the module's text,
 * and V8 keeps a slice of 13 or more characters as a view into its parent: a few of them would
 * keep the whole text (UTF-16, about twice the file when it has Arabic) alive for as long as the
 * data. A UTF-16 round trip copies the code units exactly (lone surrogates too), and V8 stores
 * the copy in one byte per character when it can.
 */
function detach(s) {
  return s.length < 13 ? s : Buffer.from(s, "utf16le").toString("utf16le");
}

module.exports = { literalModule };
