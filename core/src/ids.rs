//! Deterministic row IDs: UUID v5 in one fixed namespace, from each entity's natural key.
//!
//! The same input always yields the same IDs, so a preview shows the exact IDs a load will
//! write and a re-run finds its own rows.

use uuid::Uuid;

use crate::model::RowId;

/// The project's namespace: UUID v5 of the URL namespace and the project's name. Never change it:
/// every ID already loaded anywhere derives from it.
pub fn namespace() -> Uuid {
    NAMESPACE
}

/// [`namespace`], computed once (a test recomputes it): hashing it again for every row doubled
/// the cost of each ID, which a million screenshots feel.
const NAMESPACE: Uuid = Uuid::from_u128(0xd621_9008_821d_51d9_878a_9430_71a6_3e93);

fn id(kind: &str, key: &str) -> RowId {
    RowId::from(Uuid::new_v5(
        &namespace(),
        format!("{kind}:{key}").as_bytes(),
    ))
}

pub fn developer_id(key: &str) -> RowId {
    id("developer", key)
}

pub fn category_id(key: &str) -> RowId {
    id("category", key)
}

pub fn app_id(slug: &str) -> RowId {
    id("app", slug)
}

pub fn screenshot_id(app_slug: &str, language: &str, sort_order: i32) -> RowId {
    // The key `screenshot:<slug>:<language>:<order>`, put together without the formatting
    // machinery: there is one per screenshot.
    let mut key = Vec::with_capacity(11 + app_slug.len() + language.len() + 13);
    key.extend_from_slice(b"screenshot:");
    key.extend_from_slice(app_slug.as_bytes());
    key.push(b':');
    key.extend_from_slice(language.as_bytes());
    key.push(b':');
    key.extend_from_slice(itoa::Buffer::new().format(sort_order).as_bytes());
    RowId::from(Uuid::new_v5(&namespace(), &key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenshot_ids_hash_the_documented_key() {
        for (slug, lang, order) in [
            ("wahy", "ar", 0),
            ("quran-com", "en", 12),
            ("x", "en", -7),
            ("x", "ar", i32::MIN),
            ("x", "ar", i32::MAX),
        ] {
            let key = format!("screenshot:{slug}:{lang}:{order}");
            assert_eq!(
                screenshot_id(slug, lang, order),
                RowId::from(Uuid::new_v5(&namespace(), key.as_bytes())),
                "{key}"
            );
        }
    }

    #[test]
    fn ids_are_stable_and_distinct_per_kind() {
        // Pinned: changing the namespace or key format would orphan every loaded row.
        assert_eq!(app_id("wahy").to_string(), app_id("wahy").to_string());
        assert_eq!(app_id("wahy").uuid().map(|u| u.get_version_num()), Some(5));
        assert_ne!(app_id("x"), developer_id("x"));
        assert_ne!(screenshot_id("a", "en", 0), screenshot_id("a", "ar", 0));
        assert_eq!(namespace().to_string(), NAMESPACE_PIN);
        assert_eq!(
            namespace(),
            Uuid::new_v5(
                &Uuid::NAMESPACE_URL,
                b"https://github.com/Itqan-community/qad-migrate"
            )
        );
    }

    const NAMESPACE_PIN: &str = "d6219008-821d-51d9-878a-943071a63e93";
}
