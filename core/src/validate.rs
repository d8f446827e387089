//! The field rules: required values, column limits, scripts, control characters and links.
//!
//! Each check pushes diagnostics and returns the value to load (or None), so the transform
//! reads as a list of fields with their rules.

use std::fmt::Display;

use crate::diagnostic::Diagnostic;
use crate::limits::LIMIT_URL;
use crate::model::Language;
use crate::rules::Rule;
use crate::text::{
    excerpt, has_arabic, has_bidi_control, is_plain_ascii, normalize_scanned_url, url_host,
    UrlOutcome,
};

/// A store link field and the hosts it may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    GooglePlay,
    AppStore,
    AppGallery,
}

impl Store {
    pub fn hosts(self) -> &'static [&'static str] {
        match self {
            Store::GooglePlay => &["play.google.com"],
            Store::AppStore => &["apps.apple.com", "itunes.apple.com"],
            Store::AppGallery => &["appgallery.huawei.com", "appgallery.cloud.huawei.com"],
        }
    }
}

/// A list item's field name, `screenshots_en[3]`, formatted only when a finding needs it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a>(pub &'a str, pub usize);

impl Display for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// Checks that apply to every loaded text: length, NUL, bidi controls.
pub struct Checks<'a> {
    pub diags: &'a mut Vec<Diagnostic>,
    pub record: &'a str,
}

impl Checks<'_> {
    pub(crate) fn push(
        &mut self,
        rule: Rule,
        field: impl Display,
        message: String,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(
            rule,
            Some(self.record.to_string()),
            Some(field.to_string()),
            message,
        ));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Length (never truncated), NUL and bidi controls. Returns whether the text is loadable.
    pub fn text(&mut self, field: impl Display + Copy, value: &str, limit: Option<usize>) -> bool {
        let mut ok = true;
        if let Some(limit) = limit {
            // A text of at most `limit` bytes has at most `limit` characters; longer ones are
            // counted only as far as needed, so a 100 MB string costs no more than the limit.
            let over = value.len() > limit && value.chars().nth(limit).is_some();
            if over {
                let len = value.chars().count();
                self.push(
                    Rule::TooLong,
                    field,
                    format!("{len} characters; the column holds {limit}"),
                );
                ok = false;
            }
        }
        if value.as_bytes().contains(&0) {
            self.push(
                Rule::NulCharacter,
                field,
                "contains a NUL character (\\u0000)".into(),
            );
            ok = false;
        }
        if has_bidi_control(value) {
            self.push(
                Rule::BidiControl,
                field,
                "contains bidirectional control characters; stored verbatim".into(),
            );
        }
        ok
    }

    /// Whether a text may be loaded: blank is missing (an error when `required`, else null),
    /// then the checks of [`Checks::text`].
    fn accept(&mut self, field: &str, value: Option<&str>, limit: usize, required: bool) -> bool {
        match value {
            Some(v) if !v.trim().is_empty() => self.text(field, v, Some(limit)),
            Some(_) if required => {
                self.push(Rule::MissingField, field, "is empty".into());
                false
            }
            None if required => {
                self.push(Rule::MissingField, field, "is missing".into());
                false
            }
            _ => false,
        }
    }

    /// A required text: missing, null or blank is an error.
    pub fn required(
        &mut self,
        field: &str,
        value: &Option<String>,
        limit: usize,
    ) -> Option<String> {
        self.accept(field, value.as_deref(), limit, true)
            .then(|| value.clone())
            .flatten()
    }

    /// [`Checks::required`] for a value the caller gives up: it is moved, not copied.
    pub fn required_owned(
        &mut self,
        field: &str,
        value: Option<String>,
        limit: usize,
    ) -> Option<String> {
        if self.accept(field, value.as_deref(), limit, true) {
            value
        } else {
            None
        }
    }

    /// An optional text: blank is loaded as null.
    pub fn optional(
        &mut self,
        field: &str,
        value: &Option<String>,
        limit: usize,
    ) -> Option<String> {
        self.accept(field, value.as_deref(), limit, false)
            .then(|| value.clone())
            .flatten()
    }

    /// [`Checks::optional`] for a value the caller gives up: it is moved, not copied.
    pub fn optional_owned(
        &mut self,
        field: &str,
        value: Option<String>,
        limit: usize,
    ) -> Option<String> {
        if self.accept(field, value.as_deref(), limit, false) {
            value
        } else {
            None
        }
    }

    /// Warns when a text is in the other language's script.
    pub fn script(&mut self, field: &str, value: Option<&str>, language: Language) {
        let Some(value) = value else { return };
        match language {
            Language::En if has_arabic(value) => {
                self.push(
                    Rule::ScriptMismatch,
                    field,
                    format!(
                        "the English field contains Arabic script: {}",
                        excerpt(value)
                    ),
                );
            }
            Language::Ar if !has_arabic(value) => {
                self.push(
                    Rule::ScriptMismatch,
                    field,
                    format!(
                        "the Arabic field contains no Arabic script: {}",
                        excerpt(value)
                    ),
                );
            }
            _ => {}
        }
    }

    /// A link: trimmed, `""` → null (warned), spaces encoded (warned), must be http(s) and fit
    /// its column; `.Not Found` image placeholders become null (warned) when `sentinel` is set;
    /// store links must point at their store.
    pub fn url(
        &mut self,
        field: impl Display + Copy,
        raw: Option<&str>,
        sentinel: bool,
        store: Option<Store>,
    ) -> Option<String> {
        let raw = raw?;
        // Printable ASCII has no NUL or bidi control: the text checks can only pass.
        let plain = is_plain_ascii(raw);
        if !plain && !self.text(field, raw, None) {
            return None;
        }
        if sentinel && raw.trim_end().ends_with(".Not Found") {
            self.push(
                Rule::NotFoundSentinel,
                field,
                format!(
                    "{:?} is the frontend's missing-image placeholder; loaded as null",
                    excerpt(raw.trim())
                ),
            );
            return None;
        }
        match normalize_scanned_url(raw, plain) {
            UrlOutcome::Empty => {
                self.push(
                    Rule::EmptyLink,
                    field,
                    "is an empty string; loaded as null".into(),
                );
                None
            }
            UrlOutcome::Invalid(reason) => {
                self.push(
                    Rule::InvalidUrl,
                    field,
                    format!("{:?}: {reason}", excerpt(raw)),
                );
                None
            }
            UrlOutcome::Valid { url, had_spaces } => {
                if had_spaces {
                    self.push(
                        Rule::UrlSpaces,
                        field,
                        format!("contains spaces; loaded as {}", excerpt(&url)),
                    );
                }
                if url.len() > LIMIT_URL && url.chars().nth(LIMIT_URL).is_some() {
                    self.push(
                        Rule::TooLong,
                        field,
                        format!(
                            "{} characters; the column holds {LIMIT_URL}",
                            url.chars().count()
                        ),
                    );
                    return None;
                }
                if let Some(store) = store {
                    let host = url_host(&url).unwrap_or_default();
                    if !store.hosts().contains(&host.as_str()) {
                        self.push(
                            Rule::StoreHost,
                            field,
                            format!(
                                "points at {host:?}; expected {}",
                                store.hosts().join(" or ")
                            ),
                        );
                        return None;
                    }
                }
                Some(url)
            }
        }
    }
}
