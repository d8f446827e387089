//! What comes with the records: where they came from ([`SourceInfo`]), the frontend's category
//! display names ([`I18n`]) and the options that change the transform ([`Options`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SourceRef"))]
pub struct SourceInfo {
    /// The module's path relative to the frontend root.
    pub module: String,
    /// SHA-256 (hex) of the module file's bytes.
    pub sha256: String,
}

/// The frontend's category display names: `appList.categories.<key>` per language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "I18nNames"))]
pub struct I18n {
    #[serde(default)]
    pub en: BTreeMap<String, String>,
    #[serde(default)]
    pub ar: BTreeMap<String, String>,
}

impl I18n {
    /// Takes `appList.categories` out of the frontend's whole `en.json` / `ar.json` objects.
    /// Non-string entries are ignored: they are not display names.
    pub fn from_frontend_files(en: &Value, ar: &Value) -> I18n {
        fn names(file: &Value) -> BTreeMap<String, String> {
            file.get("appList")
                .and_then(|a| a.get("categories"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        }
        I18n {
            en: names(en),
            ar: names(ar),
        }
    }
}

/// Options that change the transform; carried in the envelope so that `qa-load` re-validates
/// exactly as `extract` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "MigrationOptions"))]
pub struct Options {
    /// App category key -> exported category key, e.g. `other` -> `tools`.
    #[serde(default)]
    pub category_aliases: BTreeMap<String, String>,
    /// Unknown fields to drop on purpose: a value in one of them is warning W105 instead of
    /// error E023. Names as the records spell them (case-sensitive). Written only when not empty.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ignore_fields: BTreeSet<String>,
    /// The database layout the rows are checked for: [`Layout::QaLoad`] (qa-load's own
    /// tables, the default) or [`Layout::Django`] (the directory's Django backend, whose
    /// narrower columns and UNIQUE names add the rules of [`crate::django`]). Written only
    /// when not qa-load's. Read also under its old name, `target` (apps.json files written
    /// before the rename).
    #[serde(default, alias = "target", skip_serializing_if = "Layout::is_qa_load")]
    pub layout: Layout,
}

/// The database layout a migration is validated for: the tables the data is destined for, as
/// `qa-load --layout` names them (`options.layout`, JSON `{"kind": "qa-load"}` or
/// `{"kind": "django", "media_base_url": "https://…"}`). Earlier versions called it the target
/// (`options.target`, kind `generic` for qa-load's tables); both old names are still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "MigrationLayout"))]
pub enum Layout {
    /// qa-load's own tables: the core's rules only. Read also as the old kind `generic`.
    #[default]
    #[serde(alias = "generic")]
    QaLoad,
    /// The Django backend's tables: the core's rules plus the backend's column lengths, its
    /// required Arabic names, its UNIQUE names, and image URLs under `media_base_url` (the
    /// backend's `R2_PUBLIC_URL`; the image columns store the path relative to it).
    Django { media_base_url: String },
}

impl Layout {
    /// Whether this is qa-load's own tables (the default, not written into apps.json).
    pub fn is_qa_load(&self) -> bool {
        *self == Layout::QaLoad
    }

    /// The media base URL of the Django layout; None for qa-load's.
    pub fn media_base_url(&self) -> Option<&str> {
        match self {
            Layout::QaLoad => None,
            Layout::Django { media_base_url } => Some(media_base_url),
        }
    }

    /// Builds a layout as the command lines take it: `--layout qa-load|django` (`generic`, the
    /// old name of `qa-load`, is still accepted) and `--media-base-url URL` (required with, and
    /// only with, `django`; an absolute http(s) URL).
    pub fn parse(kind: &str, media_base_url: Option<&str>) -> Result<Layout, String> {
        match (kind, media_base_url) {
            ("qa-load" | "generic", None) => Ok(Layout::QaLoad),
            ("qa-load" | "generic", Some(_)) => {
                Err("--media-base-url applies only to --layout django".to_string())
            }
            ("django", None) => Err(
                "--layout django needs --media-base-url URL (the backend's R2_PUBLIC_URL)"
                    .to_string(),
            ),
            ("django", Some(base)) => {
                let host = base
                    .trim()
                    .strip_prefix("https://")
                    .or_else(|| base.trim().strip_prefix("http://"))
                    .map(|rest| rest.trim_end_matches('/'));
                if !matches!(host, Some(h) if !h.is_empty()) {
                    return Err(format!(
                        "--media-base-url {base:?} is not an absolute http(s) URL (e.g. https://pub-….r2.dev)"
                    ));
                }
                Ok(Layout::Django {
                    media_base_url: base.trim().to_string(),
                })
            }
            (other, _) => Err(format!(
                "--layout {other:?} is not a layout; expected qa-load or django"
            )),
        }
    }
}

impl Options {
    /// Parses `from=to` alias specs as the command lines take them.
    pub fn parse_alias(spec: &str) -> Result<(String, String), String> {
        match spec.split_once('=') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                Ok((from.trim().to_lowercase(), to.trim().to_lowercase()))
            }
            _ => Err(format!(
                "alias {spec:?} is not of the form from=to (e.g. other=tools)"
            )),
        }
    }

    /// Adds a caller's options (e.g. a command line's) to the input's own: an alias of the
    /// caller's replaces the input's for the same key; the ignored fields are both lists; a
    /// caller's layout (when not qa-load's) replaces the input's.
    pub fn merge(&mut self, more: &Options) {
        if !more.layout.is_qa_load() {
            self.layout = more.layout.clone();
        }
        for (from, to) in &more.category_aliases {
            self.category_aliases.insert(from.clone(), to.clone());
        }
        self.ignore_fields
            .extend(more.ignore_fields.iter().cloned());
    }

    /// Checks an `--ignore-field NAME` value as the command lines take it: the name as the
    /// records spell it, not blank.
    pub fn parse_ignore_field(name: &str) -> Result<String, String> {
        if name.trim().is_empty() {
            Err("--ignore-field needs a field name (e.g. --ignore-field mainImage)".to_string())
        } else {
            Ok(name.to_string())
        }
    }
}
