//! When two values of a column are the same value: the one comparison load, dry-run, plan and
//! verify use, so that a row is never rewritten (nor reported as different, nor named as a
//! conflict) for its spelling alone.
//!
//! - `''` and NULL are the same (the backend stores `''` where the file has nothing);
//! - text is compared after Unicode NFC normalisation (not NFKC: that would expand ﷺ into three
//!   words);
//! - URLs also after decoding the percent-escapes of unreserved characters and of the space only
//!   (`%20` is a space, `%7E` is `~`; `%2F` stays `%2F`: it is not `/`);
//! - numbers by value, whatever their scale (`4.5` is `4.50`);
//! - lists element by element, each compared as its column's kind says;
//! - a long text the ownership record keeps as its digest (`{"sha256": hex, "chars": n}`, see
//!   [`LONG_TEXT`]) is the same as a text with that SHA-256 (of its UTF-8 bytes, as written).

use std::borrow::Cow;

use serde_json::Value;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Texts longer than this many characters the ownership record keeps as a digest, not in full:
/// the descriptions are most of a catalogue's bytes, and a first load journals every row.
pub const LONG_TEXT: usize = 256;

/// The SHA-256 of a text's UTF-8 bytes, in lower-case hex: a long text's digest.
pub fn text_digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest a value holds, when it is a long text kept as its digest.
pub fn digest_of(v: &Value) -> Option<&str> {
    v.as_object()?.get("sha256")?.as_str()
}

/// How a column's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Text: `''` is NULL, NFC.
    Text,
    /// A URL or a path under the media host: as text, and percent-escapes of unreserved
    /// characters and spaces decoded.
    Url,
    /// A number, by value.
    Number,
    /// Keys, references, enumerations: exactly.
    Exact,
}

/// `text` in NFC (borrowed when it already is).
fn nfc(text: &str) -> Cow<'_, str> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Whether two optional texts are the same text: `''` and None alike, then NFC.
pub fn same_text(a: Option<&str>, b: Option<&str>) -> bool {
    let (a, b) = (a.unwrap_or(""), b.unwrap_or(""));
    a == b || nfc(a) == nfc(b)
}

/// `url` with the percent-escapes of unreserved characters (RFC 3986: letters, digits,
/// `-._~`) and of the space decoded; every other escape kept, with its hex digits in upper case.
fn decode_unreserved(url: &str) -> Cow<'_, str> {
    if !url.contains('%') {
        return Cow::Borrowed(url);
    }
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        if escape {
            let hex = &url[i + 1..i + 3];
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b' ') {
                    out.push(b as char);
                } else {
                    out.push('%');
                    out.push_str(&hex.to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Push the whole character starting here (the URL may hold non-ASCII text).
        let ch = url[i..].chars().next().unwrap_or('%');
        out.push(ch);
        i += ch.len_utf8();
    }
    Cow::Owned(out)
}

/// Whether two optional URLs are the same URL (see the module documentation).
pub fn same_url(a: Option<&str>, b: Option<&str>) -> bool {
    let (a, b) = (a.unwrap_or(""), b.unwrap_or(""));
    a == b || nfc(&decode_unreserved(a)) == nfc(&decode_unreserved(b))
}

/// A decimal number's value as (negative, digits without leading zeros, exponent): `4.50` and
/// `4.5` give the same. None when `text` is not a plain decimal.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let exponent = exp - frac.len() as i64;
    let trimmed_end = digits.trim_end_matches('0');
    let exponent = exponent + (digits.len() - trimmed_end.len()) as i64;
    let digits = trimmed_end.trim_start_matches('0').to_string();
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, digits, exponent))
}

/// Whether two numbers, written as text (`4.50`, `4.5`, `45e-1`), are the same value.
pub fn same_number(a: &str, b: &str) -> bool {
    a == b || matches!((decimal(a), decimal(b)), (Some(x), Some(y)) if x == y)
}

fn as_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Whether two values of a column of `kind` are the same value, as JSON (what the ownership
/// record keeps, and how rows are rendered): lists element by element.
pub fn same_value(kind: Kind, a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(kind, x, y))
        }
        (Value::Array(x), Value::Null) | (Value::Null, Value::Array(x)) => {
            x.is_empty() && kind != Kind::Exact
        }
        (Value::Object(_), _) | (_, Value::Object(_))
            if digest_of(a).is_some() || digest_of(b).is_some() =>
        {
            let digest = |v: &Value| match v {
                Value::String(s) => Some(text_digest(s)),
                other => digest_of(other).map(str::to_string),
            };
            matches!((digest(a), digest(b)), (Some(x), Some(y)) if x == y)
        }
        (Value::Array(_), _)
        | (_, Value::Array(_))
        | (Value::Object(_), _)
        | (_, Value::Object(_)) => false,
        _ => {
            let (x, y) = (as_text(a), as_text(b));
            match kind {
                Kind::Text => same_text(x.as_deref(), y.as_deref()),
                Kind::Url => same_url(x.as_deref(), y.as_deref()),
                Kind::Number => match (x, y) {
                    (Some(x), Some(y)) => same_number(&x, &y),
                    (None, None) => true,
                    _ => false,
                },
                Kind::Exact => x == y,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_and_null_are_the_same_text_and_url() {
        assert!(same_text(None, Some("")));
        assert!(same_text(Some(""), None));
        assert!(same_url(None, Some("")));
        assert!(!same_text(None, Some(" ")));
        assert!(same_value(Kind::Text, &Value::Null, &json!("")));
        assert!(same_value(Kind::Url, &json!(""), &Value::Null));
        assert!(!same_value(Kind::Exact, &json!(""), &Value::Null));
    }

    #[test]
    fn text_is_compared_in_nfc_not_nfkc() {
        // é precomposed and as e + combining acute.
        assert!(same_text(Some("caf\u{e9}"), Some("cafe\u{301}")));
        // Arabic: alef with hamza above, precomposed and decomposed.
        assert!(same_text(Some("\u{623}"), Some("\u{627}\u{654}")));
        // NFKC would expand the ligature ﷺ; NFC keeps it distinct from its expansion.
        assert!(!same_text(Some("\u{fdfa}"), Some("صلى الله عليه وسلم")));
        assert!(!same_text(Some("a"), Some("A")));
    }

    #[test]
    fn urls_decode_unreserved_escapes_and_spaces_only() {
        let a = "https://media.example/5_Quran/developer logo.png";
        let b = "https://media.example/5_Quran/developer%20logo.png";
        assert!(same_url(Some(a), Some(b)));
        assert!(same_url(
            Some("https://x/%7Euser/a%2Db"),
            Some("https://x/~user/a-b")
        ));
        // A reserved character's escape is not the character.
        assert!(!same_url(Some("https://x/a%2Fb"), Some("https://x/a/b")));
        // Hex case does not matter for escapes kept.
        assert!(same_url(Some("https://x/a%2fb"), Some("https://x/a%2Fb")));
        assert!(!same_url(Some("https://x/a.png"), Some("https://x/b.png")));
        // A stray % is compared as it is.
        assert!(same_url(Some("https://x/100%"), Some("https://x/100%")));
        assert!(!same_url(Some("https://x/100%"), Some("https://x/100%25")));
        assert!(same_url(Some("https://x/%D8%A7"), Some("https://x/%d8%a7")));
        // Text is NFC'd in URLs too.
        assert!(same_url(
            Some("https://x/caf\u{e9}"),
            Some("https://x/cafe\u{301}")
        ));
    }

    #[test]
    fn numbers_by_value_whatever_their_scale() {
        assert!(same_number("4.5", "4.50"));
        assert!(same_number("4.50", "4.5"));
        assert!(same_number("0", "0.00"));
        assert!(same_number("-0", "0"));
        assert!(same_number("45e-1", "4.5"));
        assert!(same_number("010", "10"));
        assert!(!same_number("4.5", "4.05"));
        assert!(!same_number("-1", "1"));
        assert!(!same_number("1", "x"));
        assert!(same_value(Kind::Number, &json!(4.5), &json!("4.50")));
        assert!(same_value(Kind::Number, &json!(3), &json!(3.0)));
        assert!(!same_value(Kind::Number, &json!(3), &Value::Null));
    }

    #[test]
    fn lists_compare_element_by_element() {
        let a = json!(["https://x/a b.png", "https://x/c.png"]);
        let b = json!(["https://x/a%20b.png", "https://x/c.png"]);
        assert!(same_value(Kind::Url, &a, &b));
        let reordered = json!(["https://x/c.png", "https://x/a b.png"]);
        assert!(!same_value(Kind::Url, &a, &reordered));
        assert!(same_value(Kind::Url, &json!([]), &Value::Null));
        assert!(!same_value(Kind::Url, &json!(["x"]), &json!("x")));
    }

    #[test]
    fn a_long_text_kept_as_its_digest_is_the_text_with_that_digest() {
        let text = "بسم الله ".repeat(40);
        let kept = json!({"sha256": text_digest(&text), "chars": text.chars().count()});
        assert!(same_value(Kind::Text, &kept, &json!(text)));
        assert!(same_value(Kind::Text, &json!(text), &kept));
        assert!(same_value(Kind::Text, &kept, &kept.clone()));
        assert!(!same_value(Kind::Text, &kept, &json!(format!("{text}!"))));
        assert!(!same_value(Kind::Text, &kept, &Value::Null));
        // The digest of "abc", as PostgreSQL's sha256(convert_to('abc', 'UTF8')) gives it.
        assert_eq!(
            text_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn exact_values_compare_exactly() {
        assert!(same_value(Kind::Exact, &json!(12), &json!(12)));
        assert!(!same_value(Kind::Exact, &json!(12), &json!(13)));
        assert!(same_value(Kind::Exact, &json!("en"), &json!("en")));
    }
}
