"use strict";
// The `qad-migrate` command-line program.

const path = require("node:path");
const { parseArgs } = require("node:util");

const api = require("./index.js");

const { EXIT_CODES } = api;

class UsageError extends Error {}
class IoError extends Error {}

const LOAD_OPTIONS = {
  root: { type: "string" },
  module: { type: "string" },
  i18n: { type: "string" },
  "no-i18n": { type: "boolean" },
  alias: { type: "string", multiple: true },
  "ignore-field": { type: "string", multiple: true },
  layout: { type: "string" },
  "media-base-url": { type: "string" },
  // The old name of --layout, deprecated and not in the help: still taken, with a note on stderr.
  target: { type: "string" },
};

const COMMANDS = {
  validate: {
    options: { ...LOAD_OPTIONS, format: { type: "string" }, report: { type: "string" } },
    summary: "validate the module and print the report (exit 1 on errors)",
  },
  extract: {
    options: { ...LOAD_OPTIONS, out: { type: "string", short: "o" }, format: { type: "string" }, report: { type: "string" } },
    summary: "validate, then write the apps.json envelope that `qa-load --input` reads",
  },
  preview: {
    options: { ...LOAD_OPTIONS, port: { type: "string", short: "p" }, host: { type: "string" }, "allow-remote": { type: "boolean" } },
    summary: "serve a local browser preview of the migrated data",
  },
  rules: {
    options: { format: { type: "string" } },
    summary: "print the validation rules (codes, meaning, how to fix)",
  },
};

const LOAD_HELP = `Frontend options:
  --root DIR          the frontend's root folder (default: the current directory)
  --module FILE       the data module, relative to the root
                      (default: ${api.DEFAULT_MODULE})
  --i18n DIR          the folder of en.json / ar.json, relative to the root
                      (default: ${api.DEFAULT_I18N_DIR}; the files are optional)
  --no-i18n           do not read the i18n files
  --alias FROM=TO     map the category key FROM used by apps to the exported category TO
                      (repeatable), e.g. --alias other=tools
  --ignore-field NAME load without the unknown field NAME on purpose (repeatable): a value
                      in it is then warning W105 instead of error E023, e.g. --ignore-field
                      mainImage for the older format's cover image
  --layout qa-load|django
                      the database layout to validate for, as qa-load names it (default
                      qa-load: qa-load's own tables); django adds the Django backend's limits
                      (errors E024-E027: images under the media base URL, its column lengths,
                      Arabic names required, names unique) and is written into apps.json
  --media-base-url URL
                      with --layout django: the backend's R2_PUBLIC_URL, under which every
                      app icon, cover image and screenshot must be (the backend stores the
                      path relative to it)`;

const HELP = {
  main: `qad-migrate ${api.VERSION}: validate and extract the Quran Apps Directory data

Usage:
  qad-migrate validate [options]            ${COMMANDS.validate.summary}
  qad-migrate extract --out apps.json [options]
                                            ${COMMANDS.extract.summary}
  qad-migrate preview [options]             ${COMMANDS.preview.summary}
  qad-migrate rules [--format text|markdown|json]
                                            ${COMMANDS.rules.summary}
  qad-migrate help [COMMAND] | --help | --version

${LOAD_HELP}

Exit codes:
  ${EXIT_CODES.ok}  success (warnings allowed)
  ${EXIT_CODES.validationErrors}  the data has validation errors (extract writes nothing)
  ${EXIT_CODES.usage}  usage error (unknown command or option, bad value)
  ${EXIT_CODES.loadError}  the module cannot be loaded: missing file, syntax error, TypeScript not installed,
     evaluation error, or an export of another name or shape
  ${EXIT_CODES.ioError}  an output file cannot be written, or the preview server cannot start
`,
  validate: `Usage: qad-migrate validate [options]

Imports the module with the frontend's TypeScript compiler, validates applicationsData and
categories, and prints the report: findings grouped by app, counts per rule, row counts.

Options:
  --format FORMAT     text (default), json (the structured report) or markdown
  --report FILE       also write the Markdown report to FILE (e.g. migration-report.md)
${LOAD_HELP}

Exit: ${EXIT_CODES.ok} no errors (warnings allowed), ${EXIT_CODES.validationErrors} validation errors, ${EXIT_CODES.usage} usage, ${EXIT_CODES.loadError} module cannot be loaded,
${EXIT_CODES.ioError} the report file cannot be written.
`,
  extract: `Usage: qad-migrate extract --out FILE [options]

Validates like \`validate\`, then writes the interchange file (format qad-migrate/apps, version 1):
the exported data, the i18n category names, the alias, ignore-field and layout options, and the module's path relative
to the root with the SHA-256 of its bytes. \`qa-load --input FILE\` reads it. When the data has
validation errors nothing is written (an existing FILE is left as it was) and the exit code is 1.

Options:
  -o, --out FILE      where to write the apps.json envelope (required; "-" for stdout, the
                      report then goes to stderr)
  --format FORMAT     how to print the report: text (default), json or markdown
  --report FILE       also write the Markdown report to FILE
${LOAD_HELP}

Exit: ${EXIT_CODES.ok} written, ${EXIT_CODES.validationErrors} validation errors (nothing written), ${EXIT_CODES.usage} usage, ${EXIT_CODES.loadError} module cannot be loaded,
${EXIT_CODES.ioError} the output cannot be written.
`,
  preview: `Usage: qad-migrate preview [options]

Starts a local web server that shows the migrated data as the new directory would (apps,
categories, developers, screenshots) with the validation report beside it, refreshing by itself
when the module or the i18n files change. Stop it with Ctrl+C.

Options:
  -p, --port N        the port to listen on (default 0: any free port; the URL is printed)
  --host HOST         the address to listen on (default 127.0.0.1); must be a loopback
                      address (127.0.0.0/8, ::1, localhost) unless --allow-remote is given
  --allow-remote      allow a non-loopback --host (the preview has no authentication)
${LOAD_HELP}

Exit: ${EXIT_CODES.ok} stopped (Ctrl+C), ${EXIT_CODES.usage} usage (e.g. a non-loopback --host without --allow-remote),
${EXIT_CODES.loadError} module cannot be loaded, ${EXIT_CODES.ioError} the server cannot start (port in use, wasm not built).
`,
  rules: `Usage: qad-migrate rules [--format text|markdown|json]

Prints the validation rules: code, name, severity, meaning and how to fix.
`,
};

function usage(message) {
  return new UsageError(message);
}

function parse(command, argv) {
  const spec = COMMANDS[command];
  try {
    return parseArgs({
      args: argv,
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw usage(e.message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

function checkFormat(format, allowed) {
  const f = format ?? "text";
  if (!allowed.includes(f)) {
    throw usage(`--format must be one of ${allowed.join(", ")}; got "${f}"`);
  }
  return f;
}

function loadOptions(io, values) {
  let aliases;
  try {
    aliases = api.parseAliases(values.alias ?? []);
  } catch (e) {
    throw usage(`--alias: ${e.message}`);
  }
  let ignoreFields;
  try {
    ignoreFields = api.parseIgnoreFields(values["ignore-field"] ?? []);
  } catch (e) {
    throw usage(e.message);
  }
  if (values.target !== undefined) {
    if (values.layout !== undefined) throw usage("--target is the old name of --layout; give --layout only");
    io.err("qad-migrate: --target is deprecated, use --layout qa-load|django (--target generic is --layout qa-load)\n");
  }
  const kind = values.layout ?? values.target;
  let layout;
  if (kind !== undefined || values["media-base-url"] !== undefined) {
    try {
      layout = api.parseLayout({ kind: kind ?? "qa-load", media_base_url: values["media-base-url"] });
    } catch (e) {
      throw usage(e.message);
    }
  }
  if (values.i18n !== undefined && values["no-i18n"]) throw usage("--i18n and --no-i18n exclude each other");
  for (const name of ["root", "module", "i18n"]) {
    if (values[name] === "") throw usage(`--${name} needs a value`);
  }
  return {
    root: path.resolve(values.root ?? process.cwd()),
    modulePath: values.module,
    i18nDir: values["no-i18n"] ? false : values.i18n,
    aliases,
    ignoreFields,
    layout,
  };
}

function writeOutput(file, text, what) {
  try {
    api.writeFileAtomic(path.resolve(file), text);
  } catch (e) {
    throw new IoError(`cannot write the ${what} ${file}: ${e.message}`);
  }
}

function describeLoad(io, { input, sourceInfo }) {
  const apps = input.applicationsData.length;
  const cats = input.categories ? `${input.categories.length} categories` : "no `categories` export";
  const i18n = [sourceInfo.i18nFiles.en && "en", sourceInfo.i18nFiles.ar && "ar"].filter(Boolean);
  io.err(
    `qad-migrate: ${sourceInfo.module} (sha256 ${sourceInfo.sha256.slice(0, 12)}…): ${apps} app record(s), ${cats}; ` +
      `i18n: ${i18n.length ? i18n.join(", ") : "none"}; TypeScript ${sourceInfo.typescriptVersion}\n`,
  );
  for (const w of sourceInfo.warnings) io.err(`qad-migrate: the module printed ${w}\n`);
}

function printReport(io, report, format, stream = "out") {
  const text = api.renderReport(report, format);
  io[stream](text.endsWith("\n") ? text : `${text}\n`);
}

function cmdValidate(io, values) {
  const format = checkFormat(values.format, ["text", "json", "markdown"]);
  const opts = loadOptions(io, values);
  const loaded = api.loadFrontend(opts);
  describeLoad(io, loaded);
  const report = api.validate(loaded.input);
  printReport(io, report, format);
  if (values.report) writeOutput(values.report, api.renderReport(report, "markdown"), "report");
  return report.errors > 0 ? EXIT_CODES.validationErrors : EXIT_CODES.ok;
}

function cmdExtract(io, values) {
  if (!values.out) throw usage("extract needs --out FILE (e.g. --out apps.json, or --out - for stdout)");
  const format = checkFormat(values.format, ["text", "json", "markdown"]);
  const opts = loadOptions(io, values);
  const toStdout = values.out === "-";
  const loaded = api.loadFrontend(opts);
  describeLoad(io, loaded);
  const report = api.validate(loaded.input);
  printReport(io, report, format, toStdout ? "err" : "out");
  if (values.report) writeOutput(values.report, api.renderReport(report, "markdown"), "report");
  if (report.errors > 0) {
    io.err(`qad-migrate: ${values.out === "-" ? "nothing" : values.out} not written: the data has ${report.errors} validation error(s)\n`);
    return EXIT_CODES.validationErrors;
  }
  const envelope = api.makeEnvelope(loaded.input);
  const text = api.envelopeText(envelope);
  if (toStdout) {
    io.out(text);
  } else {
    writeOutput(values.out, text, "output");
    io.err(`qad-migrate: wrote ${values.out} (${envelope.applicationsData.length} app records, ${report.warnings} warning(s))\n`);
  }
  return EXIT_CODES.ok;
}

function cmdRules(io, values) {
  const format = checkFormat(values.format, ["text", "json", "markdown"]);
  if (format === "markdown") {
    io.out(api.rulesMarkdown());
  } else if (format === "json") {
    io.out(`${JSON.stringify(api.rules(), null, 2)}\n`);
  } else {
    for (const r of api.rules()) {
      io.out(`${r.code} ${r.name} (${r.severity})\n  ${r.meaning}\n  fix: ${r.fix}\n`);
    }
  }
  return EXIT_CODES.ok;
}

async function cmdPreview(io, values, signals) {
  const opts = loadOptions(io, values);
  let port;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw usage(`--port must be a number from 0 to 65535; got "${values.port}"`);
    port = Number(values.port);
  }
  const modulePath = path.resolve(opts.root, opts.modulePath ?? api.DEFAULT_MODULE);
  // Load once up front: a module that cannot be loaded is reported (exit 8) before serving.
  describeLoad(io, api.loadFrontend({ ...opts, modulePath }));
  // ESM, imported when needed (validate and extract never load the HTTP server).
  const { startPreview } = await import("./preview-server.mjs");
  let server;
  try {
    server = await startPreview({
      root: opts.root,
      modulePath,
      port,
      host: values.host,
      allowNonLoopback: Boolean(values["allow-remote"]),
      i18nDir: opts.i18nDir,
      aliases: opts.aliases,
      ignoreFields: opts.ignoreFields,
      layout: opts.layout,
    });
  } catch (e) {
    if (e instanceof api.LoadError || (e && e.exitCode === EXIT_CODES.loadError)) throw e;
    if (e && e.code === "ERR_QAD_MODULE_MISSING") throw new api.LoadError(e.message, { kind: "missing-file", file: modulePath });
    if (e && (e.code === "ERR_QAD_NON_LOOPBACK" || e.exitCode === EXIT_CODES.usage)) throw usage(e.message);
    throw new IoError(`the preview server cannot start: ${e && e.message ? e.message : e}`);
  }
  io.out(`qad-migrate preview: ${server.url}  (Ctrl+C to stop)\n`);
  await new Promise((resolve) => signals(resolve));
  await server.close();
  return EXIT_CODES.ok;
}

function defaultSignals(resolve) {
  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    resolve();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/**
 * Runs the program. Returns the exit code; never calls process.exit.
 *
 * @param {string[]} argv the arguments after the program name
 * @param {{out?: (s: string) => void, err?: (s: string) => void, signals?: (stop: () => void) => void}} [io]
 */
async function main(argv, io = {}) {
  const out = io.out ?? ((s) => process.stdout.write(s));
  const err = io.err ?? ((s) => process.stderr.write(s));
  const stdio = { out, err };
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      err(HELP.main);
      return EXIT_CODES.usage;
    }
    if (first === "--help" || first === "-h") {
      out(HELP.main);
      return EXIT_CODES.ok;
    }
    if (first === "--version" || first === "-V" || first === "version") {
      out(`qad-migrate ${api.VERSION} (core ${api.coreVersion()})\n`);
      return EXIT_CODES.ok;
    }
    if (first === "help") {
      const topic = rest[0];
      if (topic !== undefined && !HELP[topic]) throw usage(`unknown command "${topic}"`);
      out(HELP[topic ?? "main"]);
      return EXIT_CODES.ok;
    }
    if (!Object.hasOwn(COMMANDS, first)) {
      throw usage(first.startsWith("-") ? `a command comes first (validate, extract, preview, rules); got "${first}"` : `unknown command "${first}"`);
    }
    const values = parse(first, rest);
    if (values.help) {
      out(HELP[first]);
      return EXIT_CODES.ok;
    }
    switch (first) {
      case "validate":
        return cmdValidate(stdio, values);
      case "extract":
        return cmdExtract(stdio, values);
      case "rules":
        return cmdRules(stdio, values);
      case "preview":
        return await cmdPreview(stdio, values, io.signals ?? defaultSignals);
      default:
        throw usage(`unknown command "${first}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`qad-migrate: ${e.message}\nRun \`qad-migrate --help\` for usage.\n`);
      return EXIT_CODES.usage;
    }
    if (e instanceof api.LoadError) {
      err(`qad-migrate: cannot load the module: ${e.message}\n`);
      return EXIT_CODES.loadError;
    }
    if (e instanceof IoError) {
      err(`qad-migrate: ${e.message}\n`);
      return EXIT_CODES.ioError;
    }
    err(`qad-migrate: internal error: ${e && e.stack ? e.stack : e}\n`);
    return EXIT_CODES.ioError;
  }
}

module.exports = { main, HELP };
