//! The TypeScript declarations of the values the exports return, generated from the Rust types
//! (ts-rs derives behind qad-core's `ts` feature), as one file: npm/lib/types.generated.d.ts.
//!
//! The names are those of the npm package's API (`AppRow`, `SourceRef`, ...), set with
//! `#[ts(rename)]` beside the derives. What serde emits decides each field: `Option<T>` is
//! `T | null` (serde-wasm-bindgen's JSON-compatible mode writes `null`), a field with
//! `skip_serializing_if` and `default` is optional (`items?:`), `rename_all` renames, enums are
//! string unions, integers are `number`, UUIDs `string`.

use qad_core::{
    App, AppCategory, Category, Counts, Dataset, Developer, DeveloperVariants, Diagnostic,
    Envelope, I18n, Language, Layout, Migration, Options, Rating, Report, RowId, Severity,
    SourceInfo,
};
use ts_rs::{Config, TS};

use crate::ExitCode;

const HEADER: &str = "\
// Generated from the Rust types of qad-core and qad-wasm by `npm run gen:types` (ts-rs): do not
// edit. test/types.test.js fails when this file is not what the generator writes.
";

fn push<T: TS + ?Sized>(out: &mut String, cfg: &Config) {
    out.push('\n');
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&one_member_a_line(&T::decl(cfg)));
    out.push('\n');
}

/// ts-rs writes an object type on one line (with its members' doc comments inside it): one
/// member a line instead, indented, so that the file reads like the hand-written one did.
/// Declarations that are not `type X = { ... };` are left as they are.
fn one_member_a_line(decl: &str) -> String {
    let Some((head, body)) = decl
        .split_once(" = { ")
        .and_then(|(head, rest)| Some((head, rest.strip_suffix("};")?)))
    else {
        return decl.to_string();
    };
    // A union of object types (`{ "kind": "a" } | { "kind": "b", ... }`) is left on its line.
    if closes_early(body) {
        return decl.to_string();
    }
    let mut out = format!("{head} = {{\n");
    for member in split_members(body) {
        let (docs, field) = match member.rfind("*/") {
            Some(end) => (&member[..end + 2], member[end + 2..].trim()),
            None => ("", member),
        };
        for line in docs.lines() {
            let line = line.trim();
            let indent = if line.starts_with('*') { "   " } else { "  " };
            out.push_str(indent);
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("  ");
        out.push_str(field);
        out.push_str(",\n");
    }
    out.push_str("};");
    out
}

/// Whether the first object type's `{` is closed inside `body` (so the declaration is a union
/// of object types, not one object type), brackets in comments and strings not counted.
fn closes_early(body: &str) -> bool {
    let bytes = body.as_bytes();
    let (mut depth, mut i) = (0i32, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += body[i..].find("*/").map_or(body.len() - i, |end| end + 1);
            }
            b'"' => {
                i += body[i + 1..]
                    .find('"')
                    .map_or(body.len() - i, |end| end + 1)
            }
            b'{' => depth += 1,
            b'}' if depth == 0 => return true,
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    false
}

/// The members of an object type's body: split at the commas outside brackets, comments and
/// strings, trimmed, empty ones left out.
fn split_members(body: &str) -> Vec<&str> {
    let bytes = body.as_bytes();
    let (mut members, mut depth, mut start, mut i) = (Vec::new(), 0i32, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += body[i..].find("*/").map_or(body.len() - i, |end| end + 1);
            }
            b'"' => {
                i += body[i + 1..]
                    .find('"')
                    .map_or(body.len() - i, |end| end + 1)
            }
            b'{' | b'<' | b'(' | b'[' => depth += 1,
            b'}' | b'>' | b')' | b']' => depth -= 1,
            b',' if depth == 0 => {
                members.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    members.push(body[start..].trim());
    members.retain(|m| !m.is_empty());
    members
}

/// The whole generated file.
pub fn declarations() -> String {
    let cfg = Config::new();
    let mut out = String::from(HEADER);
    // The report
    push::<Severity>(&mut out, &cfg);
    push::<Diagnostic>(&mut out, &cfg);
    push::<Counts>(&mut out, &cfg);
    push::<SourceInfo>(&mut out, &cfg);
    push::<Report>(&mut out, &cfg);
    // The rows
    push::<Rating>(&mut out, &cfg);
    push::<RowId>(&mut out, &cfg);
    push::<Developer>(&mut out, &cfg);
    push::<Category>(&mut out, &cfg);
    push::<App>(&mut out, &cfg);
    push::<AppCategory>(&mut out, &cfg);
    push::<Language>(&mut out, &cfg);
    push::<qad_core::Screenshot>(&mut out, &cfg);
    push::<Dataset>(&mut out, &cfg);
    push::<DeveloperVariants>(&mut out, &cfg);
    push::<Migration>(&mut out, &cfg);
    // The apps.json envelope
    push::<serde_json::Value>(&mut out, &cfg);
    push::<I18n>(&mut out, &cfg);
    push::<Layout>(&mut out, &cfg);
    push::<Options>(&mut out, &cfg);
    push::<Envelope>(&mut out, &cfg);
    // Rules and exit codes
    push::<qad_core::rules::RuleDoc>(&mut out, &cfg);
    push::<ExitCode>(&mut out, &cfg);
    out.push_str(&exit_codes_type());
    out
}

/// `ExitCodes`: each name of `qad_core::exit_codes::ALL` with its code as a literal type.
fn exit_codes_type() -> String {
    let mut out = String::from(
        "\n/**\n * The exit codes of qad-migrate and qa-load (one table, `qad_core::exit_codes::ALL`): name -> code.\n */\nexport type ExitCodes = {",
    );
    for (i, (name, code, meaning)) in qad_core::exit_codes::ALL.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        out.push_str(&format!("{sep}\n  /** {meaning} */\n  {name}: {code}"));
    }
    out.push_str(",\n};\n");
    out
}
