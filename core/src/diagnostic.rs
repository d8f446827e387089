//! One finding of the validation (a [`Diagnostic`]), and the quotas that keep a report of a
//! hostile input bounded (`Listing`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::rules::{Rule, Severity};

/// One finding: which rule, which record and field, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnostic {
    pub code: String,
    pub rule: String,
    pub severity: Severity,
    /// The source record: an app's `id` (or `applicationsData[3]` when it has none),
    /// `categories[2]`, or `developer:<key>`. None for whole-input findings.
    pub record: Option<String>,
    /// The field, e.g. `Name_En`, `screenshots_en`, `categories[1]`.
    pub field: Option<String>,
    pub message: String,
    pub hint: String,
    /// Positions inside a list field that the finding concerns (e.g. screenshot indexes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<usize>,
}

impl Diagnostic {
    pub fn new(rule: Rule, record: Option<String>, field: Option<String>, message: String) -> Self {
        Diagnostic {
            code: rule.code().to_string(),
            rule: rule.name().to_string(),
            severity: rule.severity(),
            record,
            field,
            message,
            hint: rule.fix().to_string(),
            items: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: String) -> Self {
        self.hint = hint;
        self
    }

    pub fn with_items(mut self, items: Vec<usize>) -> Self {
        self.items = items;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// At most this many findings of one rule are listed in a report; the rest are counted in one
/// closing finding of the same rule (so a report never loses its errors, and a hostile input of
/// millions of bad items cannot make a report of gigabytes).
pub(crate) const MAX_LISTED_PER_RULE: usize = 1000;

/// At most this many findings are listed one by one for the items of one list field, or the
/// unknown fields of one record; then one finding counts the rest. Lower than
/// [`MAX_LISTED_PER_RULE`], so that the count itself is listed.
pub(crate) const MAX_LISTED_PER_FIELD: usize = 100;

/// Applies [`MAX_LISTED_PER_RULE`] to a growing list of findings: call [`Listing::settle`] after
/// each step that may add findings, and [`Listing::finish`] once at the end.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    listed: HashMap<String, usize>,
    unlisted: BTreeMap<String, usize>,
    settled: usize,
}

impl Listing {
    /// Drops the findings added since the last call that are over their rule's quota, keeping
    /// the order of the others.
    pub(crate) fn settle(&mut self, diags: &mut Vec<Diagnostic>) {
        let start = self.settled.min(diags.len());
        let mut keep = start;
        for i in start..diags.len() {
            let listed = match self.listed.get_mut(&diags[i].code) {
                Some(n) => n,
                None => self.listed.entry(diags[i].code.clone()).or_insert(0),
            };
            if *listed < MAX_LISTED_PER_RULE {
                *listed += 1;
                diags.swap(keep, i);
                keep += 1;
            } else {
                *self.unlisted.entry(diags[i].code.clone()).or_insert(0) += 1;
            }
        }
        diags.truncate(keep);
        self.settled = keep;
    }

    /// Settles the last findings and adds one closing finding per rule that went over its quota.
    pub(crate) fn finish(mut self, diags: &mut Vec<Diagnostic>) {
        self.settle(diags);
        for (code, count) in self.unlisted {
            if let Some(rule) = Rule::from_code(&code) {
                diags.push(Diagnostic::new(
                    rule,
                    None,
                    None,
                    format!(
                        "{count} more {code} finding(s) are not listed: a report lists the first {MAX_LISTED_PER_RULE} of each rule"
                    ),
                ));
            }
        }
    }
}
