// Types of the qad-migrate JavaScript API (CommonJS entry; index.d.mts re-exports them for ESM).

// The types of what the WebAssembly core returns are generated from its Rust types
// (`npm run gen:types`, types.generated.d.ts); this file writes only the JavaScript API's own.
import type {
  Envelope,
  ExitCodes,
  I18nNames,
  Migration,
  MigrationLayout,
  MigrationOptions,
  Report,
  RuleDoc,
  SourceRef,
} from "./types.generated";

export * from "./types.generated";

/** What loadFrontend hands to the core: the module's exports as JSON, plus names, source and options. */
export interface FrontendInput {
  applicationsData: unknown[];
  categories?: unknown[];
  i18n?: I18nNames;
  source?: SourceRef;
  options?: MigrationOptions;
}

/**
 * Anything the core decodes: a FrontendInput, an Envelope, a bare array of app records, JSON text,
 * or the bytes of a JSON file.
 */
export type Source = FrontendInput | Envelope | unknown[] | string | Uint8Array | ArrayBuffer;

export type ReportFormat = "text" | "markdown" | "json";

/** The old name of qa-load's own layout (`{kind: "qa-load"}`), still taken as input. */
export type LegacyQaLoadLayout = { kind: "generic" };

/** @deprecated The old name of `MigrationLayout`. */
export type MigrationTarget = MigrationLayout;

export interface LoadFrontendOptions {
  /** The frontend's root folder (default: process.cwd()). */
  root?: string;
  /** The data module, absolute or relative to root (default "src/app/services/applicationsData.ts"). */
  modulePath?: string;
  /** The folder of en.json / ar.json, relative to root (default "src/assets/i18n"); false: do not read them. */
  i18nDir?: string | false;
  /** Category aliases: ["other=tools"] specs or { other: "tools" }. */
  aliases?: string[] | Record<string, string>;
  /** Unknown fields to drop on purpose, e.g. ["mainImage"]: a value in one is then warning W105 instead of error E023. */
  ignoreFields?: string[];
  /**
   * The database layout to validate for, the tables the data is destined for (default
   * `{kind: "qa-load"}`, qa-load's own tables): `{kind: "django", media_base_url}` adds the
   * Django backend's rules (E024-E027) and is written into apps.json's `options.layout`.
   */
  layout?: MigrationLayout | LegacyQaLoadLayout;
  /** @deprecated The old name of `layout` (taken when `layout` is not given; not both). */
  target?: MigrationLayout | LegacyQaLoadLayout;
  /** Longest time the module may take to evaluate, in ms (default 10000). */
  timeoutMs?: number;
}

export interface SourceInfo {
  /** Absolute frontend root. */
  root: string;
  /** Absolute path of the module. */
  modulePath: string;
  /** The module's path relative to root, with "/" separators (as written into apps.json). */
  module: string;
  /** SHA-256 (hex) of the module file's bytes. */
  sha256: string;
  /** The names the module exports. */
  exports: string[];
  /** Absolute paths of the i18n files read (null: absent). */
  i18nFiles: { en: string | null; ar: string | null };
  /** Version of the frontend's TypeScript compiler used. */
  typescriptVersion: string;
  /** Output the module printed with console.* while being evaluated. */
  warnings: string[];
}

export interface LoadedFrontend {
  input: FrontendInput & { source: SourceRef; options: { categoryAliases: Record<string, string>; ignoreFields?: string[]; layout?: MigrationLayout } };
  sourceInfo: SourceInfo;
}

export interface ExtractOptions extends LoadFrontendOptions {
  /** Where to write apps.json (relative to process.cwd()); written only when there are no errors. */
  out?: string;
  /** The envelope's generatedBy (default "qad-migrate <version>"). */
  generatedBy?: string;
}

export interface ExtractResult {
  /** No validation errors. */
  ok: boolean;
  report: Report;
  /** The envelope, or null when the data has errors. */
  envelope: Envelope | null;
  input: LoadedFrontend["input"];
  sourceInfo: SourceInfo;
  /** Absolute path written, or null. */
  written: string | null;
}

export type LoadErrorKind = "missing-file" | "typescript-missing" | "syntax" | "evaluation" | "export-shape" | "i18n";

/** The module or its i18n files cannot be loaded (the command's exit code EXIT_CODES.loadError, 8). */
export declare class LoadError extends Error {
  readonly name: "LoadError";
  readonly code: "QAD_LOAD_ERROR";
  readonly exitCode: ExitCodes["sourceUnloadable"];
  readonly kind: LoadErrorKind;
  readonly file?: string;
  /** 1-based, for syntax errors. */
  readonly line?: number;
  /** 1-based, for syntax errors. */
  readonly column?: number;
  readonly diagnostics: Array<{ code: string; message: string; text: string; file?: string; line?: number; column?: number }>;
}

export declare const VERSION: string;
/** The command's exit codes: its entries of the exit-code table it shares with qa-load. */
export declare const EXIT_CODES: Readonly<{
  ok: ExitCodes["ok"];
  validationErrors: ExitCodes["invalidInput"];
  usage: ExitCodes["usage"];
  loadError: ExitCodes["sourceUnloadable"];
  ioError: ExitCodes["outputFailed"];
}>;
export declare const DEFAULT_MODULE: "src/app/services/applicationsData.ts";
export declare const DEFAULT_I18N_DIR: "src/assets/i18n";

/** Imports the frontend's module with its own TypeScript compiler and reads its i18n files. Throws LoadError. */
export declare function loadFrontend(options?: LoadFrontendOptions): LoadedFrontend;
/** loadFrontend + validate. Throws LoadError. */
export declare function validateFrontend(options?: LoadFrontendOptions): { report: Report; input: LoadedFrontend["input"]; sourceInfo: SourceInfo };
/** loadFrontend + validate + envelope; writes `out` only when there are no errors. Throws LoadError. */
export declare function extract(options?: ExtractOptions): ExtractResult;
/** Validates; never throws for bad data (E001/E002 in the report). */
export declare function validate(source: Source): Report;
/** Transforms and validates. */
export declare function transform(source: Source): Migration;
/** The report as text (console), markdown or json: identical to qa-load's. */
export declare function renderReport(report: Report, format?: ReportFormat): string;
/** The apps.json envelope for a source (throws if it cannot be decoded). */
export declare function makeEnvelope(source: Source, generatedBy?: string): Envelope;
/** The envelope as extract writes it: 2-space JSON and a final newline. */
export declare function envelopeText(envelope: Envelope): string;
/** Writes via a temporary file and a rename. */
export declare function writeFileAtomic(file: string, text: string): void;
/** Parses ["from=to"] alias specs (or an object) to { from: to }, lower-cased. Throws TypeError. */
export declare function parseAliases(aliases: string[] | Record<string, string> | undefined): Record<string, string>;
/** Checks ignore-field names (not blank; throws TypeError) and returns them sorted, without repeats. */
export declare function parseIgnoreFields(names: string[] | undefined): string[];
/** Checks a layout (undefined: qa-load's own tables) with the core's parser and returns it; throws TypeError. */
export declare function parseLayout(layout: MigrationLayout | LegacyQaLoadLayout | undefined): MigrationLayout;
/** @deprecated The old name of `parseLayout` (the same function). */
export declare function parseTarget(target: MigrationLayout | LegacyQaLoadLayout | undefined): MigrationLayout;
/** Category names out of the frontend's whole en.json / ar.json objects. */
export declare function i18nFromFrontendFiles(en: unknown, ar: unknown): I18nNames;
export declare function rules(): RuleDoc[];
export declare function rulesMarkdown(): string;
/** Version of the compiled core (qad-wasm). */
export declare function coreVersion(): string;
