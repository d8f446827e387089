//! The categories: the export's entries (or, without an export, the keys apps use) with their
//! display names, and every way an app may name one (key, display name, alias).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::RowId;

use crate::decode::{decode_category, SourceApp};
use crate::diagnostic::{Diagnostic, Listing};
use crate::django;
use crate::envelope::TypedInput;
use crate::ids;
use crate::limits::LIMIT_NAME;
use crate::model::Category;
use crate::rules::Rule;
use crate::text::{excerpt, id_key};
use crate::validate::Checks;

/// The categories of the export, with every way an app may name one.
pub(super) struct CategoryCatalogue {
    pub(super) rows: Vec<Category>,
    /// key → id
    by_key: HashMap<String, RowId>,
    /// lower-cased English display name → id
    by_display_name: HashMap<String, RowId>,
    /// alias key → id
    by_alias: HashMap<String, RowId>,
    /// What hints show: the known keys, and the key an alias example points at.
    hint_keys: String,
    hint_example: String,
}

impl CategoryCatalogue {
    pub(super) fn build(
        input: &TypedInput,
        apps: &[SourceApp],
        diags: &mut Vec<Diagnostic>,
        listing: &mut Listing,
    ) -> Self {
        let empty = BTreeMap::new();
        let (i18n_en, i18n_ar) = match &input.i18n {
            Some(i) => (&i.en, &i.ar),
            None => (&empty, &empty),
        };
        let mut cat = CategoryCatalogue {
            rows: Vec::new(),
            by_key: HashMap::new(),
            by_display_name: HashMap::new(),
            by_alias: HashMap::new(),
            hint_keys: String::new(),
            hint_example: String::new(),
        };

        // Lower-cased English display name -> the first key (in key order) that shows it.
        let mut key_of_shown: HashMap<String, &String> = HashMap::new();
        for (key, shown) in i18n_en {
            key_of_shown
                .entry(shown.trim().to_lowercase())
                .or_insert(key);
        }

        // (record, key, export name, icon)
        let mut entries: Vec<(String, String, String, Option<String>)> = Vec::new();
        match &input.categories {
            Some(export) => {
                for (i, value) in export.iter().enumerate() {
                    listing.settle(diags);
                    let ignore = &input.options.ignore_fields;
                    let Some(src) = decode_category(i, value, ignore, diags) else {
                        continue;
                    };
                    let mut c = Checks {
                        diags,
                        record: &src.record,
                    };
                    let Some(name) = c.required("name", &src.name, LIMIT_NAME) else {
                        continue;
                    };
                    let direct = name.trim().to_lowercase();
                    // A name that is no key but is a key's English display name maps to that key
                    // (the frontend shows key `tools` as "Other").
                    let key = if i18n_en.is_empty() || i18n_en.contains_key(&direct) {
                        direct
                    } else {
                        key_of_shown
                            .get(&direct)
                            .map(|k| (*k).clone())
                            .unwrap_or(direct)
                    };
                    if let Some(icon) = &src.icon {
                        c.text("icon", icon, None);
                    }
                    entries.push((src.record.clone(), key, name, src.icon.clone()));
                }
            }
            None => {
                // A bare array of records: derive the categories from the keys apps use.
                let mut seen = HashSet::<String>::new();
                for app in apps {
                    for (_, raw) in &app.categories {
                        let key = raw.trim().to_lowercase();
                        if !key.is_empty() && !seen.contains(&key) {
                            seen.insert(key.clone());
                            diags.push(Diagnostic::new(
                                Rule::CategoryDerived,
                                Some(format!("category:{key}")),
                                None,
                                format!(
                                    "category {:?} derived from app records (no categories export)",
                                    excerpt(&key)
                                ),
                            ));
                            entries.push((format!("category:{key}"), key.clone(), key, None));
                        }
                    }
                    listing.settle(diags);
                }
            }
        }

        // Keys that differ only in Unicode normalisation or case look the same to every reader:
        // NFKC- and case-folded key -> the key first seen.
        let mut folded_keys: HashMap<String, String> = HashMap::new();
        let django = !input.options.layout.is_qa_load();
        // The record of each row, for the Django layout's unique-name findings.
        let mut records: Vec<String> = Vec::new();
        for (record, key, export_name, icon) in entries {
            listing.settle(diags);
            if cat.by_key.contains_key(&key) {
                diags.push(Diagnostic::new(
                    Rule::DuplicateCategory,
                    Some(record),
                    Some("name".into()),
                    format!(
                        "category key {:?} is exported more than once",
                        excerpt(&key)
                    ),
                ));
                continue;
            }
            if let Some(first) = folded_keys.get(&id_key(&key)) {
                diags.push(Diagnostic::new(
                    Rule::DuplicateCategory,
                    Some(record),
                    Some("name".into()),
                    format!(
                        "category key {:?} is the key {:?} in another Unicode normal form or case",
                        excerpt(&key),
                        excerpt(first)
                    ),
                ));
                continue;
            }
            folded_keys.insert(id_key(&key), key.clone());
            // A key taken from the i18n files is not checked anywhere else; the table's key
            // column refuses an empty key, and PostgreSQL refuses NUL.
            if key.trim().is_empty() {
                diags.push(Diagnostic::new(
                    Rule::MissingField,
                    Some(record.clone()),
                    Some("key".into()),
                    format!(
                        "the key of category {:?} is empty (an empty key in the i18n files shows its name)",
                        excerpt(&export_name)
                    ),
                ));
            }
            Checks {
                diags,
                record: &record,
            }
            .text("key", &key, None);
            let id = ids::category_id(&key);
            let name_en = match i18n_en.get(&key) {
                Some(n) if !n.trim().is_empty() => n.clone(),
                _ => {
                    diags.push(Diagnostic::new(
                        Rule::CategoryNameMissing,
                        Some(record.clone()),
                        Some(format!("i18n.en.{key}")),
                        format!(
                            "no English display name; the export's name {:?} is used",
                            excerpt(&export_name)
                        ),
                    ));
                    export_name.clone()
                }
            };
            let name_ar = match i18n_ar.get(&key) {
                Some(n) if !n.trim().is_empty() => Some(n.clone()),
                _ if django => {
                    diags.push(django::category_arabic_name_missing(&record, &key));
                    None
                }
                _ => {
                    diags.push(Diagnostic::new(
                        Rule::CategoryNameMissing,
                        Some(record.clone()),
                        Some(format!("i18n.ar.{key}")),
                        "no Arabic display name; loaded as null".into(),
                    ));
                    None
                }
            };
            let mut c = Checks {
                diags,
                record: &record,
            };
            c.text("name_en", &name_en, Some(LIMIT_NAME));
            if let Some(n) = &name_ar {
                c.text("name_ar", n, Some(LIMIT_NAME));
            }
            cat.by_display_name
                .insert(name_en.trim().to_lowercase(), id);
            cat.by_display_name
                .insert(export_name.trim().to_lowercase(), id);
            cat.by_key.insert(key.clone(), id);
            let row = Category {
                id,
                key,
                name_en,
                name_ar,
                icon_svg: icon,
                sort_order: cat.rows.len() as i32,
            };
            if django {
                let mut c = Checks {
                    diags,
                    record: &record,
                };
                django::category(&mut c, &row);
            }
            cat.rows.push(row);
            records.push(record);
        }
        if django {
            listing.settle(diags);
            django::unique_names(
                records
                    .iter()
                    .zip(&cat.rows)
                    .map(|(record, r)| (record.as_str(), r.name_en.as_str(), r.name_ar.as_deref())),
                "categories",
                ["name_en", "name_ar"],
                diags,
            );
        }

        cat.hint_keys = cat.known_keys();
        // Suggest the catch-all category when there is one ("Other"), else the first.
        cat.hint_example = excerpt(
            cat.rows
                .iter()
                .find(|c| c.name_en.eq_ignore_ascii_case("other"))
                .or(cat.rows.first())
                .map_or("KEY", |c| c.key.as_str()),
        );
        for (from, to) in &input.options.category_aliases {
            listing.settle(diags);
            let (from, to) = (from.trim().to_lowercase(), to.trim().to_lowercase());
            match cat.by_key.get(&to) {
                Some(id) => {
                    cat.by_alias.insert(from, *id);
                }
                None => diags.push(
                    Diagnostic::new(
                        Rule::BadAlias,
                        Some(format!("alias:{from}")),
                        None,
                        format!(
                            "alias {}={} maps to {:?}, which is not a category key",
                            excerpt(&from),
                            excerpt(&to),
                            excerpt(&to)
                        ),
                    )
                    .with_hint(format!("Known category keys: {}.", cat.hint_keys)),
                ),
            }
        }
        listing.settle(diags);
        cat
    }

    pub(super) fn resolve(&self, raw: &str) -> Option<RowId> {
        // A key written as it is stored (trimmed, lower-case ASCII) needs no folded copy.
        if !raw.is_empty()
            && raw
                .bytes()
                .all(|b| !b.is_ascii_uppercase() && !b.is_ascii_whitespace() && b.is_ascii())
        {
            if let Some(id) = self.by_key.get(raw) {
                return Some(*id);
            }
        }
        let key = raw.trim().to_lowercase();
        self.by_key
            .get(&key)
            .or_else(|| self.by_alias.get(&key))
            .or_else(|| self.by_display_name.get(&key))
            .copied()
    }

    /// The keys for a hint: the first [`HINT_KEYS`], then how many more (a hint per unknown
    /// category must not grow with the number of categories).
    fn known_keys(&self) -> String {
        let mut keys = self
            .rows
            .iter()
            .take(HINT_KEYS)
            .map(|c| excerpt(&c.key))
            .collect::<Vec<_>>()
            .join(", ");
        if self.rows.len() > HINT_KEYS {
            keys.push_str(&format!(" and {} more", self.rows.len() - HINT_KEYS));
        }
        keys
    }

    pub(super) fn unknown_hint(&self, raw: &str) -> String {
        format!(
            "Known category keys: {}. Fix the key in the record, add the category to the `categories` export, or map it with an alias: `--alias {}={}`.",
            self.hint_keys,
            excerpt(&raw.trim().to_lowercase()),
            self.hint_example
        )
    }
}

/// How many category keys a hint lists.
const HINT_KEYS: usize = 30;
