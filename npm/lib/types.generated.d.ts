// Generated from the Rust types of qad-core and qad-wasm by `npm run gen:types` (ts-rs): do not
// edit. test/types.test.js fails when this file is not what the generator writes.

export type Severity = "error" | "warning";

/**
 * One finding: which rule, which record and field, what is wrong and how to fix it.
 */
export type Diagnostic = {
  code: string,
  rule: string,
  severity: Severity,
  /**
   * The source record: an app's `id` (or `applicationsData[3]` when it has none),
   * `categories[2]`, or `developer:<key>`. None for whole-input findings.
   */
  record: string | null,
  /**
   * The field, e.g. `Name_En`, `screenshots_en`, `categories[1]`.
   */
  field: string | null,
  message: string,
  hint: string,
  /**
   * Positions inside a list field that the finding concerns (e.g. screenshot indexes).
   */
  items?: Array<number>,
};

/**
 * Row counts per table.
 */
export type Counts = {
  apps: number,
  categories: number,
  developers: number,
  app_categories: number,
  screenshots: number,
};

/**
 * Where the data came from.
 */
export type SourceRef = {
  /**
   * The module's path relative to the frontend root.
   */
  module: string,
  /**
   * SHA-256 (hex) of the module file's bytes.
   */
  sha256: string,
};

export type Report = {
  source: SourceRef | null,
  /**
   * Rows the migration would write (those of a dataset with errors are indicative only).
   */
  counts: Counts,
  errors: number,
  warnings: number,
  diagnostics: Array<Diagnostic>,
};

/**
 * A rating in hundredths (0..=500), written as the decimal text `"4.90"`.
 *
 * Kept as an integer so that the value is exact on every side (Rust, JS, NUMERIC(3,2)).
 */
export type Rating = string;

/**
 * A row's id as its table has it: a UUID (every row the transform makes, see [`crate::ids`],
 * and qa-load's own tables), or a `bigint` the database handed out (the directory backend's
 * tables). Serialised as the UUID's text or as the number; shown the same way.
 */
export type RowId = string;

/**
 * `developers`: one row per real developer, after deduplication.
 */
export type DeveloperRow = {
  id: RowId,
  /**
   * Natural key: the normalised English name of the first variant seen.
   */
  key: string,
  name_en: string,
  name_ar: string | null,
  website: string | null,
  logo_url: string | null,
};

/**
 * `categories`: the export's categories in display order.
 */
export type CategoryRow = {
  id: RowId,
  /**
   * Natural key: the key app records use (`mushaf`, `tools`, ...).
   */
  key: string,
  name_en: string,
  name_ar: string | null,
  /**
   * Inline SVG markup, exactly as exported. Render as an image, never inject.
   */
  icon_svg: string | null,
  sort_order: number,
};

/**
 * `apps`: one row per source record.
 */
export type AppRow = {
  id: RowId,
  /**
   * Natural key, unique, derived from the English name.
   */
  slug: string,
  /**
   * The source record's `id`, e.g. `1_Wahy`.
   */
  source_id: string,
  name_en: string,
  name_ar: string,
  short_description_en: string | null,
  short_description_ar: string | null,
  description_en: string | null,
  description_ar: string | null,
  status: string | null,
  sort_order: number,
  avg_rating: Rating | null,
  developer_id: RowId,
  application_icon_url: string | null,
  main_image_en_url: string | null,
  main_image_ar_url: string | null,
  google_play_url: string | null,
  app_store_url: string | null,
  app_gallery_url: string | null,
  /**
   * The record's own `Developer_Logo` (the developer row keeps the first one seen).
   */
  developer_logo_url: string | null,
};

/**
 * `app_categories`: primary key `(app_id, category_id)`.
 */
export type AppCategoryRow = {
  app_id: RowId,
  category_id: RowId,
  /**
   * Position of the category in the app's own list (the frontend shows them in that order).
   */
  sort_order: number,
};

export type Language = "ar" | "en";

/**
 * `screenshots`: one row per URL per language; natural key `(app_id, language, sort_order)`.
 */
export type ScreenshotRow = {
  id: RowId,
  app_id: RowId,
  language: Language,
  url: string,
  sort_order: number,
};

/**
 * Everything one migration writes, in load order.
 */
export type Dataset = {
  developers: Array<DeveloperRow>,
  categories: Array<CategoryRow>,
  apps: Array<AppRow>,
  app_categories: Array<AppCategoryRow>,
  screenshots: Array<ScreenshotRow>,
};

/**
 * Every spelling a developer row was merged from, for reports and the preview.
 */
export type DeveloperVariants = {
  developer_id: RowId,
  key: string,
  /**
   * Source ids of the apps by this developer, in source order.
   */
  apps: Array<string>,
  names_en: Array<string>,
  names_ar: Array<string>,
  websites: Array<string>,
};

/**
 * The result of a migration: the rows, and the report on the input.
 *
 * When the report has errors the dataset is still returned (for previews), but it must not
 * be loaded.
 */
export type Migration = {
  dataset: Dataset,
  report: Report,
  /**
   * Every spelling each developer was merged from.
   */
  developer_variants: Array<DeveloperVariants>,
  /**
   * The record each app row was made from, as the report's findings name it (one per row of
   * `dataset.apps`, in the same order): records that share an id are told apart there by
   * their position, `1_Wahy (applicationsData[3])`.
   */
  app_records: Array<string>,
};

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * The frontend's category display names: `appList.categories.<key>` per language.
 */
export type I18nNames = {
  en: { [key in string]: string },
  ar: { [key in string]: string },
};

/**
 * The database layout a migration is validated for: the tables the data is destined for, as
 * `qa-load --layout` names them (`options.layout`, JSON `{"kind": "qa-load"}` or
 * `{"kind": "django", "media_base_url": "https://…"}`). Earlier versions called it the target
 * (`options.target`, kind `generic` for qa-load's tables); both old names are still read.
 */
export type MigrationLayout = { "kind": "qa-load" } | { "kind": "django", media_base_url: string, };

/**
 * Options that change the transform; carried in the envelope so that `qa-load` re-validates
 * exactly as `extract` did.
 */
export type MigrationOptions = {
  /**
   * App category key -> exported category key, e.g. `other` -> `tools`.
   */
  categoryAliases: { [key in string]: string },
  /**
   * Unknown fields to drop on purpose: a value in one of them is warning W105 instead of
   * error E023. Names as the records spell them (case-sensitive). Written only when not empty.
   */
  ignoreFields?: Array<string>,
  /**
   * The database layout the rows are checked for: [`Layout::QaLoad`] (qa-load's own
   * tables, the default) or [`Layout::Django`] (the directory's Django backend, whose
   * narrower columns and UNIQUE names add the rules of [`crate::django`]). Written only
   * when not qa-load's. Read also under its old name, `target` (apps.json files written
   * before the rename).
   */
  layout?: MigrationLayout,
};

/**
 * The `apps.json` envelope.
 */
export type Envelope = {
  /**
   * Always [`FORMAT_NAME`].
   */
  format: "qad-migrate/apps",
  /**
   * [`FORMAT_VERSION`]; a newer version is refused rather than misread.
   */
  version: 1,
  generatedBy?: string,
  source?: SourceRef,
  options: MigrationOptions,
  applicationsData: Array<JsonValue>,
  categories?: Array<JsonValue>,
  i18n?: I18nNames,
};

/**
 * One rule's documentation, for reports and the README.
 */
export type RuleDoc = {
  code: string,
  name: string,
  severity: Severity,
  meaning: string,
  fix: string,
};

/**
 * One exit code of the programs: `qad_core::exit_codes::ALL`'s (name, code, meaning).
 */
export type ExitCode = {
  name: keyof ExitCodes,
  code: number,
  meaning: string,
};

/**
 * The exit codes of qad-migrate and qa-load (one table, `qad_core::exit_codes::ALL`): name -> code.
 */
export type ExitCodes = {
  /** success (warnings allowed): validated, loaded, nothing to change, verified equal, rolled back, dry run passed */
  ok: 0,
  /** invalid input: validation errors, or the input is unreadable or undecodable; nothing written */
  invalidInput: 1,
  /** usage error: bad option or value, malformed --alias or connection string */
  usage: 2,
  /** a write failed, timed out or was interrupted and was rolled back: the data is as before */
  writeFailed: 3,
  /** verify found differences between the input and the database */
  differences: 4,
  /** could not start: database unreachable, lock held by another run, pg_dump failed; nothing written */
  unavailable: 5,
  /** refused: a precondition does not hold (rollback blocked, schema newer or edited, tables not as expected); nothing written */
  refused: 6,
  /** the connection was lost during COMMIT and the outcome could not be found out: check `qa-load history` and `qa-load verify` */
  outcomeUnknown: 7,
  /** the source module cannot be loaded (missing, syntax error, no TypeScript, wrong export) */
  sourceUnloadable: 8,
  /** an output file cannot be written, or the preview server cannot start */
  outputFailed: 9,
  /** conflicts: the load would overwrite values changed in the database by someone else, and no decision covers them; nothing written */
  conflicts: 10,
};
