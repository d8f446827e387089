//! The validation rules: one stable code each, with its severity, meaning and fix.
//!
//! Codes never change meaning; a retired rule keeps its code reserved. The README's rule table
//! and the reports are both generated from [`Rule::ALL`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    /// The load must refuse the input.
    Error,
    /// The load proceeds; the report shows it.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    InputJson,
    InputShape,
    MissingField,
    WrongType,
    RatingRange,
    DuplicateId,
    DuplicateSlug,
    UnknownCategory,
    InvalidUrl,
    StoreHost,
    TooLong,
    NulCharacter,
    DuplicateCategory,
    BadAlias,
    EmptySlug,
    UnknownFieldValue,
    MediaOutsideBase,
    DjangoTooLong,
    ArabicNameMissing,
    DuplicateName,
    NotFoundSentinel,
    EnglishImageIsArabic,
    ScriptMismatch,
    DeveloperMerged,
    UnknownField,
    RatingRounded,
    BidiControl,
    CategoryDerived,
    CategoryNameMissing,
    EmptyLink,
    UrlSpaces,
    DuplicateLink,
}

impl Rule {
    pub const ALL: [Rule; 32] = [
        Rule::InputJson,
        Rule::InputShape,
        Rule::MissingField,
        Rule::WrongType,
        Rule::RatingRange,
        Rule::DuplicateId,
        Rule::DuplicateSlug,
        Rule::UnknownCategory,
        Rule::InvalidUrl,
        Rule::StoreHost,
        Rule::TooLong,
        Rule::NulCharacter,
        Rule::DuplicateCategory,
        Rule::BadAlias,
        Rule::EmptySlug,
        Rule::UnknownFieldValue,
        Rule::MediaOutsideBase,
        Rule::DjangoTooLong,
        Rule::ArabicNameMissing,
        Rule::DuplicateName,
        Rule::NotFoundSentinel,
        Rule::EnglishImageIsArabic,
        Rule::ScriptMismatch,
        Rule::DeveloperMerged,
        Rule::UnknownField,
        Rule::RatingRounded,
        Rule::BidiControl,
        Rule::CategoryDerived,
        Rule::CategoryNameMissing,
        Rule::EmptyLink,
        Rule::UrlSpaces,
        Rule::DuplicateLink,
    ];

    /// (code, name, severity, meaning, how to fix)
    fn spec(
        self,
    ) -> (
        &'static str,
        &'static str,
        Severity,
        &'static str,
        &'static str,
    ) {
        use Severity::{Error as E, Warning as W};
        match self {
            Rule::InputJson => ("E001", "input-json", E, "The input is not valid UTF-8 JSON.", "Fix the syntax at the reported line and column; regenerate the file with `qad-migrate extract`."),
            Rule::InputShape => ("E002", "input-shape", E, "The input is JSON but neither an apps.json envelope of a known version nor an array of app records, or it has more than 100,000 app records.", "Produce the file with `qad-migrate extract`, or pass a JSON array of app records."),
            Rule::MissingField => ("E010", "missing-field", E, "A required field is missing, null or empty (id, Name_En, Name_Ar, Developer_Name_En, at least one category; a category's name).", "Fill in the field in applicationsData.ts."),
            Rule::WrongType => ("E011", "wrong-type", E, "A field has the wrong JSON type (e.g. a number where text is expected, or a sort that is not a whole number).", "Give the field the type the data dictionary lists."),
            Rule::RatingRange => ("E012", "rating-range", E, "Apps_Avg_Rating is not a number from 0 to 5.", "Use a number such as 4.5; leave the field out when there is no rating."),
            Rule::DuplicateId => ("E013", "duplicate-id", E, "Two records share an id (compared case-insensitively after Unicode NFKC normalisation).", "Give every record its own id."),
            Rule::DuplicateSlug => ("E014", "duplicate-slug", E, "Two records' English names give the same slug.", "Make the English names distinct."),
            Rule::UnknownCategory => ("E015", "unknown-category", E, "An app uses a category key that no exported category, display name or alias resolves.", "Add the category to the `categories` export, fix the key, or map it with an alias (`--alias from=to`)."),
            Rule::InvalidUrl => ("E016", "invalid-url", E, "A URL does not parse after normalisation, or is not http(s).", "Use an absolute http:// or https:// URL, or an empty string when there is none."),
            Rule::StoreHost => ("E017", "store-host", E, "A store link points at the wrong host (Google Play: play.google.com; App Store: apps.apple.com or itunes.apple.com; AppGallery: appgallery.huawei.com or appgallery.cloud.huawei.com).", "Put the link in the field of its store."),
            Rule::TooLong => ("E018", "too-long", E, "A text is longer than its column (names 200, short descriptions 500, descriptions 5000, URLs 500 characters); it is never truncated.", "Shorten the text in the source."),
            Rule::NulCharacter => ("E019", "nul-character", E, "A text contains a NUL character, which PostgreSQL cannot store.", "Remove the NUL (\\u0000) from the source text."),
            Rule::DuplicateCategory => ("E020", "duplicate-category", E, "Two exported categories resolve to the same key.", "Remove or rename one of them."),
            Rule::BadAlias => ("E021", "bad-alias", E, "A category alias maps to a key that is not an exported category.", "Use `--alias from=to` with `to` one of the known category keys."),
            Rule::EmptySlug => ("E022", "empty-slug", E, "An English app name has no letter or digit to build a slug from, or an English developer name none to build the developer's key from.", "Give the app (or developer) an English name with letters or digits."),
            Rule::UnknownFieldValue => ("E023", "unknown-field-value", E, "A record has a field the migrator does not know, and it holds a value (a non-blank string, a number or boolean, or a list or object with such a value inside): the load would lose it. Often a field of an older frontend format, e.g. `mainImage` and `screenshots` before they were split into `_en` and `_ar`.", "Rename the field to the one the hint names, or remove it; to load without it on purpose, pass `--ignore-field NAME` (it is then warning W105)."),
            Rule::MediaOutsideBase => ("E024", "django-media-base", E, "Django layout only: an app icon, cover image or screenshot URL is not under the media base URL (`--media-base-url`, the backend's R2_PUBLIC_URL); the backend's image columns store the path relative to it.", "Upload the image to the backend's bucket and use its URL, or give the media base URL the images are under."),
            Rule::DjangoTooLong => ("E025", "django-too-long", E, "Django layout only: a value is longer than the backend's column (app icon path 100; store links, developer website and logo URL 200; app and developer names 200; app slug made from the id 220; category names 100, key 120; cover image and screenshot paths 500 characters). For an image the length is the stored path's, after the media base URL.", "Shorten the value (rename the file, use a shorter link) in the source."),
            Rule::ArabicNameMissing => ("E026", "django-name-ar-missing", E, "Django layout only: a developer has no Arabic name in any of its records, or a category no Arabic display name (the backend's columns require one; for a category this replaces warning W109).", "Fill in Developer_Name_Ar in the developer's records, or add `appList.categories.<key>` to src/assets/i18n/ar.json."),
            Rule::DuplicateName => ("E027", "django-duplicate-name", E, "Django layout only: two developers, or two categories, have the same English or the same Arabic name (the backend's name columns are UNIQUE).", "Give each developer and each category its own name in each language."),
            Rule::NotFoundSentinel => ("W101", "not-found-sentinel", W, "An image URL ends in `.Not Found` (the frontend's placeholder for a missing file); it is loaded as null.", "Upload the image and put its real URL in the source."),
            Rule::EnglishImageIsArabic => ("W102", "english-image-is-arabic", W, "An English cover image or screenshot points at an `_ar` file.", "Upload the English image and point the `_en` field at it."),
            Rule::ScriptMismatch => ("W103", "script-mismatch", W, "An `_En` field contains Arabic script, or an `_Ar` field contains none.", "Move the text to the field of its language."),
            Rule::DeveloperMerged => ("W104", "developer-merged", W, "Records name the same developer (same normalised name or same website) with differing spellings or websites; they are merged into one developer, the first variant kept.", "Spell the developer the same way in every record."),
            Rule::UnknownField => ("W105", "unknown-field", W, "A record has a field the migrator does not know that is empty (null, a blank string, or a list or object with nothing else inside), or one named by `--ignore-field`; it is not loaded.", "Remove the field, or ask for it to be added to the schema."),
            Rule::RatingRounded => ("W106", "rating-rounded", W, "Apps_Avg_Rating has more than two decimals; it is rounded to two (the column is NUMERIC(3,2)).", "Round the rating in the source."),
            Rule::BidiControl => ("W107", "bidi-control", W, "A text contains bidirectional override or isolate control characters (U+202A-U+202E, U+2066-U+2069); it is stored verbatim.", "Remove the control characters unless they are intended."),
            Rule::CategoryDerived => ("W108", "category-derived", W, "The input has no `categories` export; the category was derived from the keys the apps use.", "Extract with `qad-migrate extract` so the export's names, icons and order are kept."),
            Rule::CategoryNameMissing => ("W109", "category-name-missing", W, "A category has no display name in the i18n files for a language.", "Add `appList.categories.<key>` to src/assets/i18n/{en,ar}.json."),
            Rule::EmptyLink => ("W110", "empty-link", W, "A link or website is an empty string; it is loaded as null.", "Fill in the link, or leave it out when there is none."),
            Rule::UrlSpaces => ("W111", "url-spaces", W, "A URL contains spaces; they are percent-encoded as %20.", "Rename the file without spaces, or encode the URL in the source."),
            Rule::DuplicateLink => ("W112", "duplicate-link", W, "An app lists the same category more than once; it is linked once.", "Remove the repeated key from the app's `categories`."),
        }
    }

    pub fn code(self) -> &'static str {
        self.spec().0
    }
    pub fn name(self) -> &'static str {
        self.spec().1
    }
    pub fn severity(self) -> Severity {
        self.spec().2
    }
    pub fn meaning(self) -> &'static str {
        self.spec().3
    }
    pub fn fix(self) -> &'static str {
        self.spec().4
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// One rule's documentation, for reports and the README.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RuleDoc {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub meaning: &'static str,
    pub fix: &'static str,
}

pub fn rule_docs() -> Vec<RuleDoc> {
    Rule::ALL
        .into_iter()
        .map(|r| RuleDoc {
            code: r.code(),
            name: r.name(),
            severity: r.severity(),
            meaning: r.meaning(),
            fix: r.fix(),
        })
        .collect()
}

/// The rule table in Markdown, as README.md shows it.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "| code | name | severity | meaning | how to fix |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in Rule::ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.code(),
            r.name(),
            r.severity().as_str(),
            r.meaning().replace('|', "\\|"),
            r.fix().replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_prefixed_by_severity() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Rule::ALL {
            assert!(seen.insert(r.code()), "duplicate code {}", r.code());
            let prefix = if r.severity() == Severity::Error {
                'E'
            } else {
                'W'
            };
            assert!(r.code().starts_with(prefix), "{}", r.code());
            assert_eq!(Rule::from_code(r.code()), Some(r));
        }
    }
}
