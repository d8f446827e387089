#!/usr/bin/env node
"use strict";
// qad-migrate: validate and extract the Quran Apps Directory frontend's data.
// See `qad-migrate --help` and README.md. Exit codes: 0 ok, 1 validation errors, 2 usage,
// 8 module cannot be loaded, 9 output or preview server failure (lib/core.js: EXIT_CODES).

const { main } = require("../lib/cli.js");
const { EXIT_CODES } = require("../lib/core.js");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`qad-migrate: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = EXIT_CODES.ioError;
  },
);
