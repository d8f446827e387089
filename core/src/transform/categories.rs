//! The categories: the export's entries (or, without an export, the keys apps use) with their
//! display names, and every way an app may name one (key, display name, alias).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::Value;

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
#[derive(Default)]
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

/// A category as the input gives it (an export entry, or a key apps use), before it is checked
/// against the others.
struct Candidate {
    /// The record its findings name.
    record: String,
    key: String,
    /// The name the export gives it (the key itself when derived from the apps).
    export_name: String,
    icon: Option<String>,
}

/// The i18n files' display names by key, English and Arabic (none without the files).
#[derive(Clone, Copy)]
struct DisplayNames<'a> {
    en: &'a BTreeMap<String, String>,
    ar: &'a BTreeMap<String, String>,
}

impl CategoryCatalogue {
    /// The catalogue, step by step in the order its findings are reported: the candidates, their
    /// rows, the Django layout's unique names, the hints, the aliases.
    pub(super) fn build(
        input: &TypedInput,
        apps: &[SourceApp],
        diags: &mut Vec<Diagnostic>,
        listing: &mut Listing,
    ) -> Self {
        let names = DisplayNames::of(input);
        let ignore = &input.options.ignore_fields;
        let candidates = match &input.categories {
            Some(export) => exported_candidates(export, ignore, names.en, diags, listing),
            None => derived_candidates(apps, diags, listing),
        };
        let django = !input.options.layout.is_qa_load();
        let mut cat = CategoryCatalogue::default();
        let records = cat.add_rows(candidates, names, django, diags, listing);
        if django {
            listing.settle(diags);
            cat.check_django_unique_names(&records, diags);
        }
        cat.set_hints();
        cat.add_aliases(&input.options.category_aliases, diags, listing);
        listing.settle(diags);
        cat
    }

    /// Makes a row of each candidate whose key is not taken yet, in order; gives each row's
    /// record (the Django layout's unique-name findings name it).
    fn add_rows(
        &mut self,
        candidates: Vec<Candidate>,
        names: DisplayNames,
        django: bool,
        diags: &mut Vec<Diagnostic>,
        listing: &mut Listing,
    ) -> Vec<String> {
        // Keys that differ only in Unicode normalisation or case look the same to every reader:
        // NFKC- and case-folded key -> the key first seen.
        let mut folded_keys: HashMap<String, String> = HashMap::new();
        let mut records = Vec::new();
        for candidate in candidates {
            listing.settle(diags);
            if self.is_duplicate(&candidate, &mut folded_keys, diags) {
                continue;
            }
            records.push(self.add_row(candidate, names, django, diags));
        }
        records
    }

    /// A key already taken, as it is or in another normal form or case, is refused (E020);
    /// otherwise its folded form is claimed.
    fn is_duplicate(
        &self,
        candidate: &Candidate,
        folded_keys: &mut HashMap<String, String>,
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let key = &candidate.key;
        let message = if self.by_key.contains_key(key) {
            format!("category key {:?} is exported more than once", excerpt(key))
        } else if let Some(first) = folded_keys.get(&id_key(key)) {
            format!(
                "category key {:?} is the key {:?} in another Unicode normal form or case",
                excerpt(key),
                excerpt(first)
            )
        } else {
            folded_keys.insert(id_key(key), key.clone());
            return false;
        };
        diags.push(Diagnostic::new(
            Rule::DuplicateCategory,
            Some(candidate.record.clone()),
            Some("name".into()),
            message,
        ));
        true
    }

    /// The candidate's row with its display names, checked, and every way to look it up;
    /// gives back its record.
    fn add_row(
        &mut self,
        candidate: Candidate,
        names: DisplayNames,
        django: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> String {
        let Candidate {
            record,
            key,
            export_name,
            icon,
        } = candidate;
        check_key(&record, &key, &export_name, diags);
        let name_en = english_name(&record, &key, &export_name, names.en, diags);
        let name_ar = arabic_name(&record, &key, names.ar, django, diags);
        let mut c = Checks {
            diags,
            record: &record,
        };
        c.text("name_en", &name_en, Some(LIMIT_NAME));
        if let Some(n) = &name_ar {
            c.text("name_ar", n, Some(LIMIT_NAME));
        }
        let id = ids::category_id(&key);
        self.by_display_name.insert(lookup_form(&name_en), id);
        self.by_display_name.insert(lookup_form(&export_name), id);
        self.by_key.insert(key.clone(), id);
        let row = Category {
            id,
            key,
            name_en,
            name_ar,
            icon_svg: icon,
            sort_order: self.rows.len() as i32,
        };
        if django {
            django::category(&mut c, &row);
        }
        self.rows.push(row);
        record
    }

    /// The Django tables' names are unique (E027): each row's, named by its record.
    fn check_django_unique_names(&self, records: &[String], diags: &mut Vec<Diagnostic>) {
        django::unique_names(
            records
                .iter()
                .zip(&self.rows)
                .map(|(record, r)| (record.as_str(), r.name_en.as_str(), r.name_ar.as_deref())),
            "categories",
            ["name_en", "name_ar"],
            diags,
        );
    }

    /// What every hint shows, worked out once: the known keys and an alias example.
    fn set_hints(&mut self) {
        self.hint_keys = self.known_keys();
        // Suggest the catch-all category when there is one ("Other"), else the first.
        self.hint_example = excerpt(
            self.rows
                .iter()
                .find(|c| c.name_en.eq_ignore_ascii_case("other"))
                .or(self.rows.first())
                .map_or("KEY", |c| c.key.as_str()),
        );
    }

    /// The caller's aliases, each to a category key (an alias to anything else is E021).
    fn add_aliases(
        &mut self,
        aliases: &BTreeMap<String, String>,
        diags: &mut Vec<Diagnostic>,
        listing: &mut Listing,
    ) {
        for (from, to) in aliases {
            listing.settle(diags);
            let (from, to) = (lookup_form(from), lookup_form(to));
            match self.by_key.get(&to) {
                Some(id) => {
                    self.by_alias.insert(from, *id);
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
                    .with_hint(format!("Known category keys: {}.", self.hint_keys)),
                ),
            }
        }
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
        let key = lookup_form(raw);
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
            excerpt(&lookup_form(raw)),
            self.hint_example
        )
    }
}

/// How many category keys a hint lists.
const HINT_KEYS: usize = 30;

impl<'a> DisplayNames<'a> {
    /// The input's i18n names, or none.
    fn of(input: &'a TypedInput) -> Self {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        match &input.i18n {
            Some(i) => DisplayNames {
                en: &i.en,
                ar: &i.ar,
            },
            None => DisplayNames {
                en: &NONE,
                ar: &NONE,
            },
        }
    }
}

/// The form keys, names and aliases are stored and looked up in: trimmed, lower-case.
fn lookup_form(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The export's entries, decoded, each with a name and the key that name stands for.
fn exported_candidates(
    export: &[Value],
    ignore: &BTreeSet<String>,
    names_en: &BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> Vec<Candidate> {
    let key_of_shown = keys_by_display_name(names_en);
    let mut candidates = Vec::new();
    for (i, value) in export.iter().enumerate() {
        listing.settle(diags);
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
        let key = export_key(&name, names_en, &key_of_shown);
        if let Some(icon) = &src.icon {
            c.text("icon", icon, None);
        }
        candidates.push(Candidate {
            record: src.record,
            key,
            export_name: name,
            icon: src.icon,
        });
    }
    candidates
}

/// Lower-cased English display name → the first key (in key order) that shows it, so that an
/// export's name that is a display name finds its key.
fn keys_by_display_name(names_en: &BTreeMap<String, String>) -> HashMap<String, &String> {
    let mut key_of_shown: HashMap<String, &String> = HashMap::new();
    for (key, shown) in names_en {
        key_of_shown.entry(lookup_form(shown)).or_insert(key);
    }
    key_of_shown
}

/// The key an exported name stands for: a name that is no key but is a key's English display
/// name maps to that key (the frontend shows key `tools` as "Other").
fn export_key(
    name: &str,
    names_en: &BTreeMap<String, String>,
    key_of_shown: &HashMap<String, &String>,
) -> String {
    let direct = lookup_form(name);
    if names_en.is_empty() || names_en.contains_key(&direct) {
        direct
    } else {
        key_of_shown
            .get(&direct)
            .map(|k| (*k).clone())
            .unwrap_or(direct)
    }
}

/// Without an export (a bare array of records), the categories are the keys apps use, in the
/// order first used, each said to be derived (W108).
fn derived_candidates(
    apps: &[SourceApp],
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> Vec<Candidate> {
    let mut seen = HashSet::<String>::new();
    let mut candidates = Vec::new();
    for app in apps {
        for (_, raw) in &app.categories {
            let key = lookup_form(raw);
            if !key.is_empty() && seen.insert(key.clone()) {
                let record = format!("category:{key}");
                diags.push(Diagnostic::new(
                    Rule::CategoryDerived,
                    Some(record.clone()),
                    None,
                    format!(
                        "category {:?} derived from app records (no categories export)",
                        excerpt(&key)
                    ),
                ));
                candidates.push(Candidate {
                    record,
                    key: key.clone(),
                    export_name: key,
                    icon: None,
                });
            }
        }
        listing.settle(diags);
    }
    candidates
}

/// A key taken from the i18n files is not checked anywhere else; the table's key column
/// refuses an empty key, and PostgreSQL refuses NUL.
fn check_key(record: &str, key: &str, export_name: &str, diags: &mut Vec<Diagnostic>) {
    if key.trim().is_empty() {
        diags.push(Diagnostic::new(
            Rule::MissingField,
            Some(record.to_string()),
            Some("key".into()),
            format!(
                "the key of category {:?} is empty (an empty key in the i18n files shows its name)",
                excerpt(export_name)
            ),
        ));
    }
    Checks { diags, record }.text("key", key, None);
}

/// The English display name, or the export's name when the i18n files give none (W109).
fn english_name(
    record: &str,
    key: &str,
    export_name: &str,
    names_en: &BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> String {
    match names_en.get(key) {
        Some(n) if !n.trim().is_empty() => n.clone(),
        _ => {
            diags.push(Diagnostic::new(
                Rule::CategoryNameMissing,
                Some(record.to_string()),
                Some(format!("i18n.en.{key}")),
                format!(
                    "no English display name; the export's name {:?} is used",
                    excerpt(export_name)
                ),
            ));
            export_name.to_string()
        }
    }
}

/// The Arabic display name, or null when the i18n files give none (W109; E026 for the Django
/// layout, whose column requires one).
fn arabic_name(
    record: &str,
    key: &str,
    names_ar: &BTreeMap<String, String>,
    django: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match names_ar.get(key) {
        Some(n) if !n.trim().is_empty() => Some(n.clone()),
        _ if django => {
            diags.push(django::category_arabic_name_missing(record, key));
            None
        }
        _ => {
            diags.push(Diagnostic::new(
                Rule::CategoryNameMissing,
                Some(record.to_string()),
                Some(format!("i18n.ar.{key}")),
                "no Arabic display name; loaded as null".into(),
            ));
            None
        }
    }
}
