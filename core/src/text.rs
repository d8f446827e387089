//! Text helpers shared by the transform and the rules: scripts, slugs, name keys, URLs.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Arabic script blocks (Arabic, Supplement, Extended-A/B, Presentation Forms A/B). U+FEFF, the
/// last code point of Presentation Forms-B, is the zero-width no-break space (BOM), not Arabic.
pub fn is_arabic_char(c: char) -> bool {
    matches!(c as u32,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x0870..=0x089F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFC)
}

pub fn has_arabic(text: &str) -> bool {
    // ASCII text (most English fields) is answered by one fast scan.
    !text.is_ascii() && text.chars().any(is_arabic_char)
}

/// Bidirectional embedding, override and isolate controls: the "Trojan Source" characters.
/// (Marks such as U+200F RLM and joiners such as U+200C ZWNJ are ordinary in Arabic text.)
pub fn has_bidi_control(text: &str) -> bool {
    // In UTF-8 these are E2 80 AA..AE and E2 81 A6..A9: scan bytes, not characters.
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&x| x == 0xE2) {
        let at = i + off;
        match (b.get(at + 1), b.get(at + 2)) {
            (Some(0x80), Some(0xAA..=0xAE)) | (Some(0x81), Some(0xA6..=0xA9)) => return true,
            _ => i = at + 1,
        }
    }
    false
}

/// One of the characters [`has_bidi_control`] looks for.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069)
}

/// A URL-safe slug: accents folded, letters and digits kept (any script), lower-cased,
/// apostrophes dropped, every other run of characters becomes one `-`.
pub fn slugify(text: &str) -> String {
    // ASCII is its own NFKD: skip the normaliser (most names are ASCII).
    if !text.is_ascii() {
        return slugify_normalising(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for b in text.bytes() {
        if matches!(b, b'\'' | b'`') {
            continue;
        }
        if b.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            pending_dash = true;
        }
    }
    out
}

/// [`slugify`] of any text, through NFKD.
fn slugify_normalising(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.nfkd() {
        if is_combining_mark(c) || matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`') {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

/// The key two spellings of one name share: NFKC, lower-case, punctuation and spacing folded.
/// `"Tarteel, Inc"` and `"tarteel inc"` give the same key.
pub fn name_key(text: &str) -> String {
    // ASCII is its own NFKC: skip the normaliser (most names are ASCII).
    if !text.is_ascii() {
        return name_key_normalising(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else if !matches!(b, b'\'' | b'.') {
            pending_space = true;
        }
    }
    out
}

/// [`name_key`] of any text, through NFKC.
fn name_key_normalising(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkc() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if !matches!(c, '\'' | '\u{2019}' | '.') {
            pending_space = true;
        }
    }
    out
}

/// The key two record ids collide on: NFKC and case folded.
pub fn id_key(text: &str) -> String {
    let text = text.trim();
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// Hosts that many unrelated developers share: a website there says nothing about who the
/// developer is, so it never merges developers.
const SHARED_HOSTS: &[&str] = &[
    "play.google.com",
    "apps.apple.com",
    "itunes.apple.com",
    "appgallery.huawei.com",
    "appgallery.cloud.huawei.com",
    "google.com",
    "sites.google.com",
    "facebook.com",
    "fb.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "linkedin.com",
    "youtube.com",
    "youtu.be",
    "tiktok.com",
    "snapchat.com",
    "t.me",
    "telegram.me",
    "wa.me",
    "whatsapp.com",
    "github.com",
    "github.io",
    "gitlab.com",
    "bitbucket.org",
    "linktr.ee",
    "bit.ly",
    "medium.com",
    "blogspot.com",
    "wordpress.com",
    "notion.site",
    "r2.dev",
];

/// The developer-identity key of a website: its host, lower-cased, without `www.`; the path
/// (`/ar`, `/`) is ignored. None for shared hosts and unparseable URLs.
pub fn website_key(url: &str) -> Option<String> {
    let mut host = url_host(url)?;
    if host.starts_with("www.") {
        host.drain(..4);
    }
    let shared = SHARED_HOSTS.iter().any(|s| {
        host.strip_suffix(s)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    });
    (!shared && !host.is_empty()).then_some(host)
}

/// What became of one raw link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOutcome {
    /// Empty or blank: loaded as null.
    Empty,
    /// A valid http(s) URL, trimmed, spaces percent-encoded.
    Valid { url: String, had_spaces: bool },
    /// Not loadable: the reason.
    Invalid(String),
}

/// Normalises a link: trims it, percent-encodes spaces, and checks that it parses as an
/// absolute http(s) URL with a host. The stored text is otherwise kept as written.
pub fn normalize_url(raw: &str) -> UrlOutcome {
    normalize_scanned_url(raw, is_plain_ascii(raw))
}

/// Whether a text has a control character (`char::is_control`: U+0000–U+001F, U+007F–U+009F),
/// scanned as UTF-8 bytes: U+0080–U+009F are C2 80..C2 9F, and C2 is never a continuation byte.
fn has_control_char(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &x)| {
        x < 0x20
            || x == 0x7F
            || (x == 0xC2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)))
    })
}

/// Printable ASCII without a space (`!` to `~`): no whitespace to trim, no control or bidi
/// character, no space to encode. Almost every real URL; one pass decides it.
pub fn is_plain_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x21..=0x7E).contains(&b))
}

/// [`normalize_url`] for a caller that already knows whether `raw` [`is_plain_ascii`].
pub(crate) fn normalize_scanned_url(raw: &str, plain: bool) -> UrlOutcome {
    let trimmed = if plain { raw } else { raw.trim() };
    if trimmed.is_empty() {
        return UrlOutcome::Empty;
    }
    if !plain && has_control_char(trimmed) {
        return UrlOutcome::Invalid("it contains control characters (tab, newline, ...)".into());
    }
    // A scheme other than http(s) is refused before parsing: parsing costs time and a copy in
    // proportion to the URL, and a `javascript:` URL may be megabytes long. (The scheme is what
    // the URL standard reads before the first `:`: a letter, then letters, digits, `+-.`.)
    if let Some((scheme, rest)) = trimmed.split_once(':') {
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if is_scheme
            && !scheme.eq_ignore_ascii_case("http")
            && !scheme.eq_ignore_ascii_case("https")
        {
            return UrlOutcome::Invalid(format!(
                "its scheme is {:?}; only http and https are allowed",
                scheme.to_ascii_lowercase()
            ));
        }
        // `https:example.org` and `https:/x` parse here (the URL standard reads a host
        // anyway), but a browser resolves them against the page as paths on its own site, and
        // the stored text is what the browser gets: the host checked must be the host used.
        if is_scheme && !rest.starts_with("//") {
            return UrlOutcome::Invalid(format!(
                "`{scheme}:` is not followed by `//`, so the URL is not absolute (a browser would read it as a path on its own site)"
            ));
        }
    }
    let had_spaces = !plain && trimmed.contains(' ');
    let url = if had_spaces {
        trimmed.replace(' ', "%20")
    } else {
        trimmed.to_string()
    };
    if fast_http_host(&url).is_some() {
        return UrlOutcome::Valid { url, had_spaces };
    }
    match url::Url::parse(&url) {
        Err(e) => UrlOutcome::Invalid(format!("it does not parse as a URL ({e})")),
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => UrlOutcome::Invalid(format!(
            "its scheme is {:?}; only http and https are allowed",
            parsed.scheme()
        )),
        Ok(parsed) if parsed.host_str().is_none_or(str::is_empty) => {
            UrlOutcome::Invalid("it has no host".into())
        }
        Ok(_) => UrlOutcome::Valid { url, had_spaces },
    }
}

/// The host of a normalised URL, lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    if let Some(host) = fast_http_host(url) {
        return Some(host.to_ascii_lowercase());
    }
    url::Url::parse(url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

/// The common case without the URL parser: `http(s)://host[:port][/path][?query][#fragment]`
/// made only of characters every URL parser takes as they are, and a plain ASCII domain name.
/// Returns the host when the URL is of that form; None sends it to the full parser. It accepts
/// only what the full parser also accepts, with the same host (a test compares them), and it is
/// about ten times faster: a directory has a dozen URLs per app.
pub fn fast_http_host(url: &str) -> Option<&str> {
    // Byte by byte throughout: it runs on every URL, and `str` searches with patterns of
    // several characters decode UTF-8 as they go.
    let b = url.as_bytes();
    let rest = if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        &url[8..]
    } else if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        &url[7..]
    } else {
        return None;
    };
    let authority_end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (host, port) = match authority.bytes().position(|c| c == b':') {
        Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
        None => (authority, None),
    };
    if let Some(port) = port {
        // The full parser takes an empty port too, but that is rare enough to leave to it.
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if port.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    // Labels of letters, digits and hyphens; none empty, none punycode (the parser checks
    // those); the last not numeric or hex, which the URL standard reads as an IPv4 address.
    let mut labels = 0;
    let mut last = "";
    for label in host.split('.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-')
            || (label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--"))
        {
            return None;
        }
        labels += 1;
        last = label;
    }
    if labels == 0
        || last.bytes().all(|c| c.is_ascii_digit())
        || (last.len() >= 2 && last[..2].eq_ignore_ascii_case("0x"))
    {
        return None;
    }
    // Path, query and fragment: unreserved, sub-delimiters, `:@/?#` and percent-escapes, in
    // one pass.
    let t = tail.as_bytes();
    let hex = |i: usize| t.get(i).is_some_and(u8::is_ascii_hexdigit);
    for (i, &c) in t.iter().enumerate() {
        if !PLAIN_URL_BYTE[usize::from(c)] || (c == b'%' && !(hex(i + 1) && hex(i + 2))) {
            return None;
        }
    }
    Some(host)
}

/// The bytes [`fast_http_host`] takes as they are in a path, query or fragment: unreserved,
/// sub-delimiters, `:@/?#` and `%` (whose escapes it checks apart). A table: every byte of every
/// URL is looked up.
const PLAIN_URL_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
                    | b'#'
                    | b'%'
            );
        b += 1;
    }
    table
};

/// True when a URL's file name marks it as the Arabic variant: `cover_photo_ar.png`,
/// `01_screenshots_ar.jpg`, `shot_ar_2.png`.
pub fn points_at_arabic_file(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let file = path.rsplit('/').next().unwrap_or(path).as_bytes();
    let stem = match file.iter().rposition(|&b| b == b'.') {
        Some(dot) => &file[..dot],
        None => file,
    };
    // Compared without a lower-cased copy: every English screenshot passes here.
    let is = |part: &[u8], pattern: &[u8]| part.eq_ignore_ascii_case(pattern);
    (stem.len() >= 3 && is(&stem[stem.len() - 3..], b"_ar"))
        || (stem.len() >= 3 && is(&stem[..3], b"ar_"))
        || stem.windows(4).any(|w| is(w, b"_ar_"))
}

/// A short, single-line quote of a value for messages.
pub fn excerpt(value: &str) -> String {
    const MAX: usize = 80;
    let one_line: String = value
        .chars()
        .take(MAX + 1)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > MAX {
        format!("{}…", one_line.chars().take(MAX).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_url_path_agrees_with_the_parser() {
        let hosts = [
            "example.org",
            "EXAMPLE.org",
            "a-b.example.co",
            "x.y.z",
            "localhost",
            "a1.b2",
            "1.2.3.4",
            "1.2.3.999",
            "0x7f.1",
            "a..b",
            "a.b.",
            ".a",
            "xn--mgba3a4f16a.com",
            "xn--.com",
            "a_b.com",
            "-a-.com",
            "ex%41mple.org",
            "ب.com",
            "a@b.com",
            "user:pw@b.com",
            "",
        ];
        let ports = [
            "", ":", ":0", ":443", ":8080", ":65535", ":65536", ":123456", ":x",
        ];
        let tails = [
            "",
            "/",
            "/a b",
            "/a/b.png",
            "/a%20b/c.png",
            "/%zz",
            "/%4",
            "?q=1&r=2",
            "#f",
            "/p?q#f",
            "/a\\b",
            "/a|b",
            "/a[b]",
            "/é",
            "/\"x\"",
            "/a^b",
            "/a{b}",
            "/~user/(1)*,;=:@",
        ];
        let mut fast = 0;
        for scheme in [
            "https://", "http://", "HTTPS://", "ftp://", "https:/", "https:",
        ] {
            for host in hosts {
                for port in ports {
                    for tail in tails {
                        let url = format!("{scheme}{host}{port}{tail}");
                        if let Some(h) = fast_http_host(&url) {
                            fast += 1;
                            let parsed = url::Url::parse(&url).unwrap_or_else(|e| {
                                panic!("{url}: fast path accepts, parser says {e}")
                            });
                            assert!(matches!(parsed.scheme(), "http" | "https"), "{url}");
                            assert_eq!(
                                parsed.host_str(),
                                Some(h.to_ascii_lowercase().as_str()),
                                "{url}"
                            );
                        }
                    }
                }
            }
        }
        assert!(fast > 500, "the fast path took {fast} URLs");
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Rayyaan & Bayaan"), "rayyaan-bayaan");
        assert_eq!(
            slugify("MA'ANONI DA SHIRIYAR ALQUR'ANI"),
            "maanoni-da-shiriyar-alqurani"
        );
        assert_eq!(slugify("  Quran.com  "), "quran-com");
        assert_eq!(slugify("Café Qur’an"), "cafe-quran");
        assert_eq!(slugify("وحي"), "وحي");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn name_keys_fold_case_punctuation_and_spacing() {
        assert_eq!(name_key("Tarteel, Inc"), name_key("tarteel   inc"));
        assert_eq!(name_key("Quran.com"), "qurancom");
        assert_ne!(name_key("Arabia IT"), name_key("Arabic IT"));
    }

    #[test]
    fn website_keys_ignore_www_and_path_but_not_shared_hosts() {
        assert_eq!(
            website_key("https://www.tarteel.ai"),
            Some("tarteel.ai".into())
        );
        assert_eq!(
            website_key("https://noorinternational.net/ar"),
            website_key("https://noorinternational.net")
        );
        assert_eq!(website_key("https://github.com/someone"), None);
        assert_eq!(website_key("https://someone.github.io/app"), None);
        assert_eq!(
            website_key("https://play.google.com/store/apps/dev?id=1"),
            None
        );
    }

    #[test]
    fn urls_are_trimmed_and_spaces_encoded() {
        assert_eq!(normalize_url("  "), UrlOutcome::Empty);
        assert_eq!(
            normalize_url(" https://x.dev/1_A b/icon.png "),
            UrlOutcome::Valid {
                url: "https://x.dev/1_A%20b/icon.png".into(),
                had_spaces: true
            }
        );
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<b>",
            "ftp://x.dev/a",
            "not a url",
            "https://",
            "https://a\tb.dev",
        ] {
            assert!(
                matches!(normalize_url(bad), UrlOutcome::Invalid(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn arabic_file_names() {
        assert!(points_at_arabic_file(
            "https://x.dev/a/01_screenshots_ar.png"
        ));
        assert!(points_at_arabic_file(
            "https://x.dev/a/cover_photo_ar.jpg?v=2"
        ));
        assert!(!points_at_arabic_file("https://x.dev/a/cover_photo_en.png"));
        assert!(!points_at_arabic_file("https://x.dev/radar/shot_arrow.png"));
    }

    #[test]
    fn scripts_and_controls() {
        assert!(has_arabic("مؤسسة تأثير للنشر"));
        assert!(!has_arabic("Quran.com"));
        assert!(has_bidi_control("abc\u{202E}def"));
        assert!(!has_bidi_control("كلمة\u{200C}كلمة"));
    }

    #[test]
    fn the_byte_scan_for_controls_agrees_with_char_is_control() {
        // Every code point up to U+3000, alone and between other text.
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("aé{c}ب")] {
                assert_eq!(
                    has_control_char(&text),
                    text.chars().any(char::is_control),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn ascii_fast_paths_agree_with_the_normalising_paths() {
        for text in [
            "Tarteel, Inc",
            "  It's  Quran.com ",
            "a`b'c.d-e_f",
            "ABC123",
            "",
            "...",
        ] {
            assert_eq!(slugify(text), slugify_normalising(text), "{text:?}");
            assert_eq!(name_key(text), name_key_normalising(text), "{text:?}");
            let slow_id: String = text.trim().nfkc().flat_map(char::to_lowercase).collect();
            assert_eq!(id_key(text), slow_id, "{text:?}");
        }
        // One non-ASCII character sends the same text down the normalising path.
        assert_eq!(name_key("Tarteel, Inc"), name_key("Tarteel, Inc\u{200B}"));
        assert_eq!(name_key("Tarteel, Inc"), "tarteel inc");
    }
}
