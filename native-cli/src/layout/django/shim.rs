//! TEMPORARY: stands in for `qad_core::django` until that lands.
pub fn seed_slug(source_id: &str) -> String {
    source_id.replace('_', "-").to_lowercase()
}
pub fn media_path(url: &str, base: &str) -> Option<String> {
    let base = base.trim_end_matches('/');
    let rest = url
        .strip_prefix(base)?
        .strip_prefix('/')
        .filter(|p| !p.is_empty())?;
    Some(percent_decode(rest))
}
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}
pub fn media_url(path: &str, base: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
