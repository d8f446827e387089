// Types of the qad-migrate JavaScript API (CommonJS entry; index.d.mts re-exports them for ESM).

/** A finding's severity: errors make the load refuse the input. */
export type Severity = "error" | "warning";

/** One finding of the validation. */
export interface Diagnostic {
  /** Stable rule code: E001.. errors, W101.. warnings. */
  code: string;
  /** Rule name, e.g. "missing-field". */
  rule: string;
  severity: Severity;
  /** App source id, "applicationsData[3]", "categories[2]", "developer:<key>", or null (whole input). */
  record: string | null;
  /** The field, e.g. "Name_En", "screenshots_en". */
  field: string | null;
  message: string;
  /** How to fix it. */
  hint: string;
  /** Positions inside a list field (omitted when empty). */
  items?: number[];
}

/** Row counts per table. */
export interface Counts {
  apps: number;
  categories: number;
  developers: number;
  app_categories: number;
  screenshots: number;
}

/** Where the data came from: the module path relative to the frontend root and its SHA-256. */
export interface SourceRef {
  module: string;
  sha256: string;
}

/** The validation report. */
export interface Report {
  source: SourceRef | null;
  counts: Counts;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
}

export interface DeveloperRow {
  id: string;
  key: string;
  name_en: string;
  name_ar: string | null;
  website: string | null;
  logo_url: string | null;
}

export interface CategoryRow {
  id: string;
  key: string;
  name_en: string;
  name_ar: string | null;
  icon_svg: string | null;
  sort_order: number;
}

export interface AppRow {
  id: string;
  slug: string;
  source_id: string;
  name_en: string;
  name_ar: string;
  short_description_en: string | null;
  short_description_ar: string | null;
  description_en: string | null;
  description_ar: string | null;
  status: string | null;
  sort_order: number;
  /** NUMERIC(3,2) as text, e.g. "4.90". */
  avg_rating: string | null;
  developer_id: string;
  application_icon_url: string | null;
  main_image_en_url: string | null;
  main_image_ar_url: string | null;
  google_play_url: string | null;
  app_store_url: string | null;
  app_gallery_url: string | null;
  developer_logo_url: string | null;
}

export interface AppCategoryRow {
  app_id: string;
  category_id: string;
  sort_order: number;
}

export interface ScreenshotRow {
  id: string;
  app_id: string;
  language: "ar" | "en";
  url: string;
  sort_order: number;
}

/** The rows a migration writes (field names are the PostgreSQL column names). */
export interface Dataset {
  developers: DeveloperRow[];
  categories: CategoryRow[];
  apps: AppRow[];
  app_categories: AppCategoryRow[];
  screenshots: ScreenshotRow[];
}

/** A developer whose records spell it in several ways (merged into one row). */
export interface DeveloperVariants {
  developer_id: string;
  key: string;
  apps: string[];
  names_en: string[];
  names_ar: string[];
  websites: string[];
}

/** The result of transform(): the rows and the report (rows of an input with errors must not be loaded). */
export interface Migration {
  dataset: Dataset;
  report: Report;
  developer_variants: DeveloperVariants[];
}

/** Category display names per language: appList.categories.<key> of the frontend's i18n files. */
export interface I18nNames {
  en: Record<string, string>;
  ar: Record<string, string>;
}

export interface MigrationOptions {
  /** App category key -> exported category key, e.g. { other: "tools" }. */
  categoryAliases?: Record<string, string>;
  /** Unknown fields dropped on purpose (`--ignore-field`): a value in one is warning W105, not error E023. */
  ignoreFields?: string[];
}

/** What loadFrontend hands to the core: the module's exports as JSON, plus names, source and options. */
export interface FrontendInput {
  applicationsData: unknown[];
  categories?: unknown[];
  i18n?: I18nNames;
  source?: SourceRef;
  options?: MigrationOptions;
}

/** The apps.json interchange file (format "qad-migrate/apps", version 1) that `qa-load --input` reads. */
export interface Envelope {
  format: "qad-migrate/apps";
  version: 1;
  generatedBy?: string;
  source?: SourceRef;
  options: { categoryAliases: Record<string, string>; ignoreFields?: string[] };
  applicationsData: unknown[];
  categories?: unknown[];
  i18n?: I18nNames;
}

/**
 * Anything the core decodes: a FrontendInput, an Envelope, a bare array of app records, JSON text,
 * or the bytes of a JSON file.
 */
export type Source = FrontendInput | Envelope | unknown[] | string | Uint8Array | ArrayBuffer;

export interface RuleDoc {
  code: string;
  name: string;
  severity: Severity;
  meaning: string;
  fix: string;
}

export type ReportFormat = "text" | "markdown" | "json";

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
  input: FrontendInput & { source: SourceRef; options: { categoryAliases: Record<string, string>; ignoreFields?: string[] } };
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

/** The module or its i18n files cannot be loaded (the command's exit code 3). */
export declare class LoadError extends Error {
  readonly name: "LoadError";
  readonly code: "QAD_LOAD_ERROR";
  readonly exitCode: 3;
  readonly kind: LoadErrorKind;
  readonly file?: string;
  /** 1-based, for syntax errors. */
  readonly line?: number;
  /** 1-based, for syntax errors. */
  readonly column?: number;
  readonly diagnostics: Array<{ code: string; message: string; text: string; file?: string; line?: number; column?: number }>;
}

export declare const VERSION: string;
export declare const EXIT_CODES: Readonly<{ ok: 0; validationErrors: 1; usage: 2; loadError: 3; ioError: 4 }>;
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
/** Category names out of the frontend's whole en.json / ar.json objects. */
export declare function i18nFromFrontendFiles(en: unknown, ar: unknown): I18nNames;
export declare function rules(): RuleDoc[];
export declare function rulesMarkdown(): string;
/** Version of the compiled core (qad-wasm). */
export declare function coreVersion(): string;
