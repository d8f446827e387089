// The COPY floor: a psql script that writes a dataset's rows with COPY in one transaction.
//
// The rows are the core's own dataset for the input (core.transform, the same rows qa-load
// writes: developers, categories, apps, app_categories, screenshots; serde field names are the
// column names). The script times itself with the server's clock, from just before BEGIN to just
// after COMMIT, and prints `copy_ms=<ms>` as its only output line.

import fs from "node:fs";

export const TABLES = ["developers", "categories", "apps", "app_categories", "screenshots"];

/** A value in COPY's text format. */
export function copyValue(v) {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v !== "string") throw new Error(`cannot COPY a ${typeof v}`);
  return v.replace(/[\\\n\r\t]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]);
}

/** Writes the psql script for `dataset` to `file`; returns the row count per table. */
export function writeCopyScript(dataset, file) {
  const fd = fs.openSync(file, "w");
  const counts = {};
  const out = (s) => fs.writeSync(fd, s);
  try {
    out("\\set ON_ERROR_STOP on\n");
    out("SELECT clock_timestamp() AS bench_t0 \\gset\n");
    out("BEGIN;\n");
    for (const table of TABLES) {
      const rows = dataset[table];
      if (!Array.isArray(rows)) throw new Error(`the dataset has no ${table}`);
      counts[table] = rows.length;
      if (rows.length === 0) continue;
      const columns = Object.keys(rows[0]);
      out(`COPY ${table} (${columns.join(", ")}) FROM STDIN;\n`);
      let chunk = "";
      for (const row of rows) {
        const keys = Object.keys(row);
        if (keys.length !== columns.length) throw new Error(`${table}: rows with different columns`);
        chunk += `${columns.map((c) => copyValue(row[c])).join("\t")}\n`;
        if (chunk.length > 1 << 20) {
          out(chunk);
          chunk = "";
        }
      }
      out(chunk);
      out("\\.\n");
    }
    out("COMMIT;\n");
    out("SELECT 'copy_ms=' || round((extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz) * 1000)::numeric, 3);\n");
  } finally {
    fs.closeSync(fd);
  }
  return counts;
}
