//! Which backend row each of the input's rows is.
//!
//! - A **category** is found by slug (the frontend's key: `mushaf`, `tools`).
//! - An **app** by the slug the backend's seed derives from its source id
//!   (`1_Wahy` → `1-wahy`, spaces kept), else by its English name. A row found keeps its slug;
//!   a new row takes the core's URL-safe slug, made unique with `-2`, `-3`, ...
//! - A **developer** first by the row qa-load last wrote under one of its English names (the
//!   ownership record: an admin who renames the row does not make it a new developer), then by
//!   English name: its own first, then the other English names it was merged
//!   from (in the input's order), then its websites. The core may merge rows the database keeps
//!   apart ("Arabia IT" and "Arabic IT" share a website): the rule above picks one row, the
//!   input's apps by that developer point to it, the other rows are left as they are, and a
//!   warning names them all.
//!
//! Rows of the database that no input row is are never touched. Two input rows found as one
//! database row, one app name shared by several unmatched rows, or a name that a new or renamed
//! row would share with another row (the backend's names are UNIQUE) refuse the plan.

use std::collections::{HashMap, HashSet};

use qad_core::RowId;
use qad_core::{Dataset, DeveloperVariants};

use crate::layout::{Identified, IdentifyError, Rows};
use qad_core::django::{new_app_slug, seed_slug};

pub fn identify(
    ds: &Dataset,
    variants: &[DeveloperVariants],
    existing: &Rows,
) -> Result<Identified, IdentifyError> {
    let mut out = Identified::default();
    categories(ds, existing, &mut out)?;
    developers(ds, variants, existing, &mut out)?;
    apps(ds, existing, &mut out)?;
    Ok(out)
}

fn categories(ds: &Dataset, existing: &Rows, out: &mut Identified) -> Result<(), IdentifyError> {
    let by_slug: HashMap<&str, RowId> = existing
        .categories
        .iter()
        .map(|c| (c.key.as_str(), c.id))
        .collect();
    for c in &ds.categories {
        if let Some(id) = by_slug.get(c.key.as_str()) {
            out.categories.insert(c.id, *id);
        }
    }
    // The backend's category names are UNIQUE in each language.
    for c in &ds.categories {
        let mine = out.categories.get(&c.id);
        for e in &existing.categories {
            if Some(&e.id) == mine {
                continue;
            }
            for (lang, ours, theirs) in [
                ("English", Some(&c.name_en), Some(&e.name_en)),
                ("Arabic", c.name_ar.as_ref(), e.name_ar.as_ref()),
            ] {
                if ours.is_some() && ours == theirs {
                    return Err(IdentifyError(format!(
                        "category {:?}: its {lang} name {:?} is already the name of category {:?} (id {}) in the database, \
                         and the backend's category names are unique; rename one of them",
                        c.key,
                        ours.cloned().unwrap_or_default(),
                        e.key,
                        e.id
                    )));
                }
            }
        }
    }
    Ok(())
}

fn developers(
    ds: &Dataset,
    variants: &[DeveloperVariants],
    existing: &Rows,
    out: &mut Identified,
) -> Result<(), IdentifyError> {
    let variants_of: HashMap<RowId, &DeveloperVariants> =
        variants.iter().map(|v| (v.developer_id, v)).collect();
    let mut by_name: HashMap<&str, Vec<&qad_core::Developer>> = HashMap::new();
    let mut by_website: HashMap<&str, Vec<&qad_core::Developer>> = HashMap::new();
    let mut by_recorded_name: HashMap<&str, Vec<&qad_core::Developer>> = HashMap::new();
    for (e, state) in existing.developers.iter().zip(&existing.states.developers) {
        // The name qa-load wrote, and the file's name a person kept the row's own against.
        let written = state.written.as_ref().and_then(|w| w.get("name_en"));
        for name in [written, state.kept.get("name_en")].into_iter().flatten() {
            if let Some(name) = name.as_str() {
                by_recorded_name.entry(name).or_default().push(e);
            }
        }
    }
    for e in &existing.developers {
        by_name.entry(e.name_en.as_str()).or_default().push(e);
        if let Some(w) = &e.website {
            by_website.entry(w.as_str()).or_default().push(e);
        }
    }
    let mut claimed: HashSet<RowId> = HashSet::new();
    for d in &ds.developers {
        let v = variants_of.get(&d.id);
        let mut names: Vec<&str> = vec![d.name_en.as_str()];
        let mut websites: Vec<&str> = d.website.iter().map(String::as_str).collect();
        if let Some(v) = v {
            names.extend(v.names_en.iter().map(String::as_str));
            websites.extend(v.websites.iter().map(String::as_str));
        }
        // Every database row this developer could be, in the rule's order.
        let mut candidates: Vec<(RowId, String)> = Vec::new();
        let found = names
            .iter()
            .flat_map(|n| by_recorded_name.get(n).into_iter().flatten())
            .chain(
                names
                    .iter()
                    .flat_map(|n| by_name.get(n).into_iter().flatten()),
            )
            .chain(
                websites
                    .iter()
                    .flat_map(|w| by_website.get(w).into_iter().flatten()),
            );
        for e in found {
            candidates.push((e.id, format!("{:?} (id {})", e.name_en, e.id)));
        }
        let mut seen = HashSet::new();
        candidates.retain(|(id, _)| seen.insert(*id));
        let chosen = candidates.iter().find(|(id, _)| !claimed.contains(id));
        if let Some((id, label)) = chosen {
            claimed.insert(*id);
            out.developers.insert(d.id, *id);
            if candidates.len() > 1 {
                let others: Vec<&str> = candidates
                    .iter()
                    .filter(|(o, _)| o != id)
                    .map(|(_, l)| l.as_str())
                    .collect();
                out.warnings.push(format!(
                    "developer {:?} is one developer in the input but several rows in the database: {label} and {}; \
                     its apps point to {label} (found by the first of its English names, then its websites), \
                     the other row(s) are left as they are",
                    d.name_en,
                    others.join(", ")
                ));
            }
        }
    }
    // Names are UNIQUE in each language: a new or renamed row must not take another row's.
    let mut holders: HashMap<(&str, &str), &qad_core::Developer> = HashMap::new();
    for e in &existing.developers {
        holders.insert(("English", e.name_en.as_str()), e);
        if let Some(ar) = &e.name_ar {
            holders.insert(("Arabic", ar.as_str()), e);
        }
    }
    let taken_by_input: HashMap<RowId, RowId> = out
        .developers
        .iter()
        .map(|(input, row)| (*row, *input))
        .collect();
    for d in &ds.developers {
        let mine = out.developers.get(&d.id);
        for (lang, ours) in [
            ("English", Some(&d.name_en)),
            ("Arabic", d.name_ar.as_ref()),
        ] {
            let Some(ours) = ours else { continue };
            let Some(e) = holders.get(&(lang, ours.as_str())) else {
                continue;
            };
            // Its own row, or a row another input developer is (which keeps or changes its
            // name itself).
            if Some(&e.id) == mine || taken_by_input.get(&e.id).is_some_and(|i| *i != d.id) {
                continue;
            }
            return Err(IdentifyError(format!(
                "developer {:?}: its {lang} name {ours:?} is already the name of another developer row, {:?} (id {}), \
                 and the backend's developer names are unique; rename one of them",
                d.name_en,
                e.name_en,
                e.id
            )));
        }
    }
    Ok(())
}

fn apps(ds: &Dataset, existing: &Rows, out: &mut Identified) -> Result<(), IdentifyError> {
    let by_slug: HashMap<&str, &qad_core::App> =
        existing.apps.iter().map(|a| (a.slug.as_str(), a)).collect();
    let mut by_name: HashMap<&str, Vec<&qad_core::App>> = HashMap::new();
    for e in &existing.apps {
        by_name.entry(e.name_en.as_str()).or_default().push(e);
    }
    let mut claimed: HashSet<RowId> = HashSet::new();
    // First every app found by its seed slug (or the URL-safe one qa-load gives the apps it
    // adds), so that a name match never takes a row another app of the input is by slug.
    for a in &ds.apps {
        let found = by_slug
            .get(seed_slug(&a.source_id).as_str())
            .or_else(|| by_slug.get(new_app_slug(&a.source_id).as_str()));
        if let Some(e) = found {
            if !claimed.insert(e.id) {
                return Err(IdentifyError(format!(
                    "two apps of the input are the database's app {:?} (id {}); the second is {:?}",
                    e.slug, e.id, a.source_id
                )));
            }
            out.apps.insert(a.id, e.id);
            out.app_slugs.insert(a.id, e.slug.clone());
        }
    }
    for a in &ds.apps {
        if out.apps.contains_key(&a.id) {
            continue;
        }
        let named: Vec<&qad_core::App> = by_name
            .get(a.name_en.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|e| !claimed.contains(&e.id))
            .collect();
        match named.as_slice() {
            [] => {}
            [e] => {
                claimed.insert(e.id);
                out.apps.insert(a.id, e.id);
                out.app_slugs.insert(a.id, e.slug.clone());
            }
            many => {
                let rows: Vec<String> = many
                    .iter()
                    .map(|e| format!("{:?} (id {})", e.slug, e.id))
                    .collect();
                return Err(IdentifyError(format!(
                    "app {:?} (English name {:?}) has no row with the slug {:?}, and several rows share its English name: {}; \
                     give the right row that slug, or remove the others",
                    a.source_id,
                    a.name_en,
                    seed_slug(&a.source_id),
                    rows.join(", ")
                )));
            }
        }
    }
    // New apps: the seed's slug made URL-safe (found again by it after a rename), else the
    // core's; unique among the rows read and the other new apps.
    let mut taken: HashSet<String> = existing.apps.iter().map(|e| e.slug.clone()).collect();
    taken.extend(out.app_slugs.values().cloned());
    for a in &ds.apps {
        if out.apps.contains_key(&a.id) {
            continue;
        }
        let base = Some(new_app_slug(&a.source_id))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| a.slug.clone());
        let mut slug = base.clone();
        let mut n = 2;
        while taken.contains(&slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        taken.insert(slug.clone());
        if slug != base {
            out.warnings.push(format!(
                "new app {:?}: the slug {base:?} is taken, it gets {slug:?}",
                a.source_id
            ));
        }
        out.app_slugs.insert(a.id, slug);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use qad_core::{App, Developer};
    use uuid::Uuid;

    fn dev(id: RowId, name: &str, ar: &str, site: Option<&str>) -> Developer {
        Developer {
            id,
            key: name.to_lowercase(),
            name_en: name.into(),
            name_ar: Some(ar.into()),
            website: site.map(Into::into),
            logo_url: None,
        }
    }

    fn app(id: RowId, slug: &str, source: &str, name: &str, developer_id: RowId) -> App {
        App {
            id,
            slug: slug.into(),
            source_id: source.into(),
            name_en: name.into(),
            name_ar: "ت".into(),
            short_description_en: None,
            short_description_ar: None,
            description_en: None,
            description_ar: None,
            status: None,
            sort_order: 0,
            avg_rating: None,
            developer_id,
            application_icon_url: None,
            main_image_en_url: None,
            main_image_ar_url: None,
            google_play_url: None,
            app_store_url: None,
            app_gallery_url: None,
            developer_logo_url: None,
        }
    }

    fn v5(s: &str) -> RowId {
        RowId::from(Uuid::new_v5(&Uuid::NAMESPACE_OID, s.as_bytes()))
    }

    #[test]
    fn apps_by_seed_slug_then_english_name_and_new_slugs_are_seed_slugs_and_unique() {
        let d = v5("dev");
        let ds = Dataset {
            developers: vec![dev(d, "Arabia IT", "عربية", Some("https://arabia-it.com"))],
            apps: vec![
                app(v5("a"), "wahy", "1_Wahy", "Wahy", d),
                app(v5("b"), "ayah", "15_Ayah", "Ayah", d),
                app(v5("c"), "surah", "99_Surah", "New Surah", d),
                app(v5("d"), "surah", "سورة", "Another Surah", d),
            ],
            ..Dataset::default()
        };
        let existing = Rows {
            developers: vec![
                dev(
                    RowId::from(23_i64),
                    "Arabia IT",
                    "أ",
                    Some("https://arabia-it.com"),
                ),
                dev(
                    RowId::from(25_i64),
                    "Arabic IT",
                    "ب",
                    Some("https://arabia-it.com"),
                ),
            ],
            apps: vec![
                app(
                    RowId::from(1_i64),
                    "1-wahy",
                    "",
                    "Wahy (old)",
                    RowId::from(23_i64),
                ),
                app(
                    RowId::from(2_i64),
                    "ayah-app",
                    "",
                    "Ayah",
                    RowId::from(23_i64),
                ),
                app(
                    RowId::from(3_i64),
                    "surah",
                    "",
                    "Surah",
                    RowId::from(25_i64),
                ),
            ],
            ..Rows::default()
        };
        let variants = [DeveloperVariants {
            developer_id: d,
            key: "arabia-it".into(),
            apps: vec![],
            names_en: vec!["Arabia IT".into(), "Arabic IT".into()],
            names_ar: vec![],
            websites: vec![],
        }];
        let out = identify(&ds, &variants, &existing).unwrap();
        assert_eq!(
            out.apps.get(&v5("a")),
            Some(&RowId::from(1_i64)),
            "by seed slug"
        );
        assert_eq!(
            out.apps.get(&v5("b")),
            Some(&RowId::from(2_i64)),
            "by English name"
        );
        assert_eq!(out.apps.get(&v5("c")), None);
        assert_eq!(
            out.app_slugs[&v5("a")],
            "1-wahy",
            "an existing slug is kept"
        );
        assert_eq!(
            out.app_slugs[&v5("c")],
            "99-surah",
            "a new app's slug is its seed slug, URL-safe"
        );
        assert_eq!(
            out.app_slugs[&v5("d")],
            "surah-2",
            "else the core's, made unique"
        );
        assert_eq!(
            out.developers[&d],
            RowId::from(23_i64),
            "its own English name first"
        );
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("\"Arabia IT\" (id 23) and \"Arabic IT\" (id 25)"));
    }

    #[test]
    fn ambiguous_names_and_taken_names_are_refused() {
        let d = v5("dev");
        let ds = Dataset {
            developers: vec![dev(d, "Someone", "أحد", None)],
            apps: vec![app(v5("a"), "x", "7_X", "Twin", d)],
            ..Dataset::default()
        };
        let mut existing = Rows {
            apps: vec![
                app(RowId::from(1_i64), "t-1", "", "Twin", RowId::from(9_i64)),
                app(RowId::from(2_i64), "t-2", "", "Twin", RowId::from(9_i64)),
            ],
            ..Rows::default()
        };
        let e = identify(&ds, &[], &existing).unwrap_err();
        assert!(e.0.contains("several rows share its English name"), "{e}");
        existing.apps.clear();
        // A new developer whose Arabic name another row has: the UNIQUE column would refuse it.
        existing
            .developers
            .push(dev(RowId::from(4_i64), "Other", "أحد", None));
        let e = identify(&ds, &[], &existing).unwrap_err();
        assert!(e.0.contains("Arabic name \"أحد\""), "{e}");
    }
}
