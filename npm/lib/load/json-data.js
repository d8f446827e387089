"use strict";
// The evaluated exports as plain JSON data: strictly (a value JSON cannot carry is an error
// naming its path, not silently dropped).

const { LoadError } = require("./errors.js");

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const t = typeof value;
  if (t === "object") {
    const proto = Object.getPrototypeOf(value);
    const name = proto && proto.constructor && proto.constructor.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (t === "undefined") return "undefined";
  return `a ${t}`;
}

function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  // Plain objects of any realm (the module runs in its own vm context).
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Converts an evaluated export to plain JSON data. Undefined object members are left out (as in
 * JSON.stringify: an optional field); anything JSON cannot carry is an error naming its path.
 */
function toJson(value, where, file, ancestors = [], label = file) {
  const fail = (why) => {
    throw new LoadError(`${label}: the export ${where} ${why}; the exports must be plain JSON-like data`, {
      kind: "export-shape",
      file,
    });
  };
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) fail(`is ${value}, which JSON cannot carry`);
      return value;
    case "undefined":
      return fail("is undefined (a hole in an array, e.g. `,,`?)");
    case "bigint":
    case "symbol":
    case "function":
      return fail(`is ${describe(value)}`);
    default:
      break;
  }
  if (value === null) return null;
  if (ancestors.includes(value)) fail("refers to itself (a cycle)");
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(`has a hole at index ${i} (two commas in a row?)`);
      out[i] = toJson(value[i], `${where}[${i}]`, file, inner, label);
    }
    return out;
  }
  if (!isPlainObject(value)) fail(`is ${describe(value)}`);
  const out = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    const path = /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
    out[key] = toJson(v, path, file, inner, label);
  }
  return out;
}

module.exports = { describe, toJson };
