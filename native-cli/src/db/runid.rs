//! Run ids: `20250317T101500Z-3fa9c1`, the UTC start time and six random hex digits.
//! Sortable, short enough to type after `rollback --run`, and within PostgreSQL's 63-byte
//! `application_name` as `qa-load/<run id>`.

pub fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &random[..6])
}

/// The `application_name` of every connection a run opens.
pub fn application_name(run_id: &str) -> String {
    format!("{APPLICATION_NAME_PREFIX}{run_id}")
}

/// What every run's `application_name` starts with, before the run id.
pub const APPLICATION_NAME_PREFIX: &str = "qa-load/";

/// The run id out of an `application_name` set by [`application_name`].
pub fn run_id_of(application_name: &str) -> Option<&str> {
    application_name.strip_prefix(APPLICATION_NAME_PREFIX)
}

/// A timestamp for default file names: `20250317T101500Z`.
pub fn file_timestamp() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Is this a syntactically valid run id (used to reject typos before querying)?
pub fn looks_like_run_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 23
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[17..].iter().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_well_formed_and_fit_application_name() {
        let id = new_run_id();
        assert!(looks_like_run_id(&id), "{id}");
        assert!(application_name(&id).len() < 64);
        assert_eq!(run_id_of(&application_name(&id)), Some(id.as_str()));
        assert!(!looks_like_run_id("20250317T101500Z-3fa9cg"));
        assert!(!looks_like_run_id("last"));
    }
}
