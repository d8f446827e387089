//! The validation report: structured diagnostics, rendered as JSON, Markdown and plain text.
//!
//! Node (`qad-migrate validate`) and `qa-load` both print these renderings, so the same input
//! gives the same report byte for byte on both sides.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::model::Counts;
use crate::rules::Severity;
use crate::source::SourceInfo;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    pub source: Option<SourceInfo>,
    /// Rows the migration would write (those of a dataset with errors are indicative only).
    pub counts: Counts,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// How many findings one rule produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub code: String,
    pub rule: String,
    pub severity: Severity,
    pub count: usize,
}

impl Report {
    pub fn new(source: Option<SourceInfo>, counts: Counts, diagnostics: Vec<Diagnostic>) -> Self {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        Report {
            source,
            counts,
            errors,
            warnings: diagnostics.len() - errors,
            diagnostics,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Counts per rule, in code order (errors first).
    pub fn by_rule(&self) -> Vec<RuleCount> {
        let mut map: BTreeMap<&str, RuleCount> = BTreeMap::new();
        for d in &self.diagnostics {
            map.entry(d.code.as_str())
                .or_insert_with(|| RuleCount {
                    code: d.code.clone(),
                    rule: d.rule.clone(),
                    severity: d.severity,
                    count: 0,
                })
                .count += 1;
        }
        map.into_values().collect()
    }

    /// Diagnostics grouped by record, records in first-seen order; whole-input findings first.
    pub fn by_record(&self) -> Vec<(Option<&str>, Vec<&Diagnostic>)> {
        let mut order: Vec<Option<&str>> = Vec::new();
        let mut groups: BTreeMap<Option<&str>, Vec<&Diagnostic>> = BTreeMap::new();
        for d in &self.diagnostics {
            let key = d.record.as_deref();
            if !groups.contains_key(&key) {
                order.push(key);
            }
            groups.entry(key).or_default().push(d);
        }
        order.sort_by_key(|k| k.is_some());
        order
            .into_iter()
            .map(|k| (k, groups.remove(&k).unwrap_or_default()))
            .collect()
    }

    pub fn to_json(&self) -> String {
        let value = serde_json::json!({
            "source": self.source,
            "counts": self.counts,
            "errors": self.errors,
            "warnings": self.warnings,
            "byRule": self.by_rule(),
            "diagnostics": self.diagnostics,
        });
        // A `Value` built from plain data always serialises.
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    fn verdict(&self) -> &'static str {
        if self.has_errors() {
            "INVALID: the load will refuse this input"
        } else {
            "VALID: the load can proceed"
        }
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# Migration validation report\n\n");
        if let Some(src) = &self.source {
            out.push_str(&format!(
                "Source: `{}` (SHA-256 `{}`)\n\n",
                src.module, src.sha256
            ));
        }
        out.push_str(&format!(
            "**{}** — {} error(s), {} warning(s).\n\n",
            self.verdict(),
            self.errors,
            self.warnings
        ));
        let c = &self.counts;
        out.push_str("| apps | categories | developers | app–category links | screenshots |\n| ---: | ---: | ---: | ---: | ---: |\n");
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n\n",
            c.apps, c.categories, c.developers, c.app_categories, c.screenshots
        ));
        out.push_str("## By rule\n\n");
        if self.diagnostics.is_empty() {
            out.push_str("No findings.\n\n");
        } else {
            out.push_str("| code | rule | severity | count |\n| --- | --- | --- | ---: |\n");
            for r in self.by_rule() {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    r.code,
                    r.rule,
                    r.severity.as_str(),
                    r.count
                ));
            }
            out.push('\n');
            out.push_str("## By record\n\n");
            for (record, diags) in self.by_record() {
                out.push_str(&format!(
                    "### {}\n\n",
                    md_escape(record.unwrap_or("(whole input)"))
                ));
                out.push_str("| code | severity | field | message | hint |\n| --- | --- | --- | --- | --- |\n");
                for d in diags {
                    out.push_str(&format!(
                        "| {} | {} | {} | {} | {} |\n",
                        d.code,
                        d.severity.as_str(),
                        md_escape(d.field.as_deref().unwrap_or("")),
                        md_escape(&d.message),
                        md_escape(&d.hint)
                    ));
                }
                out.push('\n');
            }
        }
        out
    }

    /// The console rendering: grouped by record, with counts.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (record, diags) in self.by_record() {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            out.push_str(&format!(
                "{} ({} error(s), {} warning(s))\n",
                visible(record.unwrap_or("(whole input)")),
                errors,
                diags.len() - errors
            ));
            for d in diags {
                let field = d
                    .field
                    .as_deref()
                    .map(|f| format!(" {}:", visible(f)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {} {} [{}]{} {}\n",
                    d.severity.as_str(),
                    d.code,
                    d.rule,
                    field,
                    visible(&d.message)
                ));
                if d.is_error() {
                    out.push_str(&format!("      hint: {}\n", visible(&d.hint)));
                }
            }
        }
        if !self.diagnostics.is_empty() {
            out.push_str("\nBy rule:\n");
            for r in self.by_rule() {
                out.push_str(&format!("  {} {:<26} {:>5}\n", r.code, r.rule, r.count));
            }
        }
        let c = &self.counts;
        out.push_str(&format!(
            "\n{} apps, {} categories, {} developers, {} app-category links, {} screenshots\n",
            c.apps, c.categories, c.developers, c.app_categories, c.screenshots
        ));
        out.push_str(&format!(
            "{} — {} error(s), {} warning(s)\n",
            self.verdict(),
            self.errors,
            self.warnings
        ));
        out
    }
}

/// Control characters and bidirectional controls are shown escaped (`\u{1b}`) in the text and
/// Markdown renderings: a record id or field name from the input must not move the console's
/// cursor, recolour it, forge a line, or reorder what the reader sees.
fn needs_escape(c: char) -> bool {
    c.is_control() || crate::text::is_bidi_control(c)
}

fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes text for a Markdown table cell: pipes, newlines and HTML-significant characters.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            _ => out.push(ch),
        }
    }
    out
}
