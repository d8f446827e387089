//! Which backend row each of the input's rows is.
//!
//! - A **category** is found by slug (the frontend's key: `mushaf`, `tools`).
//! - An **app** by the slug the backend's seed derives from its source id
//!   (`1_Wahy` → `1-wahy`, spaces kept), else by its English name. A row found keeps its slug;
//!   a new row takes the core's URL-safe slug, made unique with `-2`, `-3`, ...
//! - A **developer** by English name: its own first, then the other English names it was merged
//!   from (in the input's order), then its websites. The core may merge rows the database keeps
//!   apart ("Arabia IT" and "Arabic IT" share a website): the rule above picks one row, the
//!   input's apps by that developer point to it, the other rows are left as they are, and a
//!   warning names them all.
//!
//! Rows of the database that no input row is are never touched. Two input rows found as one
//! database row, one app name shared by several unmatched rows, or a name that a new or renamed
//! row would share with another row (the backend's names are UNIQUE) refuse the plan.

use std::collections::{HashMap, HashSet};

use qad_core::{Dataset, DeveloperVariants};
use uuid::Uuid;

use crate::layout::{show_key, Identified, IdentifyError, Rows};
use qad_core::django::seed_slug;

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
    let by_slug: HashMap<&str, Uuid> = existing
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
                        show_key(&e.id)
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
    let variants_of: HashMap<Uuid, &DeveloperVariants> =
        variants.iter().map(|v| (v.developer_id, v)).collect();
    let mut claimed: HashSet<Uuid> = HashSet::new();
    for d in &ds.developers {
        let v = variants_of.get(&d.id);
        let mut names: Vec<&str> = vec![d.name_en.as_str()];
        let mut websites: Vec<&str> = d.website.iter().map(String::as_str).collect();
        if let Some(v) = v {
            names.extend(v.names_en.iter().map(String::as_str));
            websites.extend(v.websites.iter().map(String::as_str));
        }
        // Every database row this developer could be, in the rule's order.
        let mut candidates: Vec<(Uuid, String)> = Vec::new();
        for n in &names {
            for e in existing.developers.iter().filter(|e| e.name_en == *n) {
                candidates.push((e.id, format!("{:?} (id {})", e.name_en, show_key(&e.id))));
            }
        }
        for w in &websites {
            for e in existing
                .developers
                .iter()
                .filter(|e| e.website.as_deref() == Some(*w))
            {
                candidates.push((e.id, format!("{:?} (id {})", e.name_en, show_key(&e.id))));
            }
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
    for d in &ds.developers {
        let mine = out.developers.get(&d.id);
        for e in &existing.developers {
            if Some(&e.id) == mine {
                continue;
            }
            for (lang, ours, theirs) in [
                ("English", Some(&d.name_en), Some(&e.name_en)),
                ("Arabic", d.name_ar.as_ref(), e.name_ar.as_ref()),
            ] {
                if ours.is_some() && ours == theirs && !claimed_elsewhere(out, &e.id, &d.id) {
                    return Err(IdentifyError(format!(
                        "developer {:?}: its {lang} name {:?} is already the name of another developer row, {:?} (id {}), \
                         and the backend's developer names are unique; rename one of them",
                        d.name_en,
                        ours.cloned().unwrap_or_default(),
                        e.name_en,
                        show_key(&e.id)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Row `row` is another input developer's (which then keeps or changes its name itself).
fn claimed_elsewhere(out: &Identified, row: &Uuid, mine: &Uuid) -> bool {
    out.developers
        .iter()
        .any(|(input, found)| found == row && input != mine)
}

fn apps(ds: &Dataset, existing: &Rows, out: &mut Identified) -> Result<(), IdentifyError> {
    let by_slug: HashMap<&str, &qad_core::App> =
        existing.apps.iter().map(|a| (a.slug.as_str(), a)).collect();
    let mut claimed: HashSet<Uuid> = HashSet::new();
    // First every app found by its seed slug, so that a name match never takes a row another
    // app of the input is by slug.
    for a in &ds.apps {
        if let Some(e) = by_slug.get(seed_slug(&a.source_id).as_str()) {
            if !claimed.insert(e.id) {
                return Err(IdentifyError(format!(
                    "two apps of the input are the database's app {:?} (id {}); the second is {:?}",
                    e.slug,
                    show_key(&e.id),
                    a.source_id
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
        let named: Vec<&qad_core::App> = existing
            .apps
            .iter()
            .filter(|e| e.name_en == a.name_en && !claimed.contains(&e.id))
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
                    .map(|e| format!("{:?} (id {})", e.slug, show_key(&e.id)))
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
    // New apps: the core's slug, unique among the rows read and the other new apps.
    let mut taken: HashSet<String> = existing.apps.iter().map(|e| e.slug.clone()).collect();
    taken.extend(out.app_slugs.values().cloned());
    for a in &ds.apps {
        if out.apps.contains_key(&a.id) {
            continue;
        }
        let mut slug = a.slug.clone();
        let mut n = 2;
        while taken.contains(&slug) {
            slug = format!("{}-{n}", a.slug);
            n += 1;
        }
        taken.insert(slug.clone());
        if slug != a.slug {
            out.warnings.push(format!(
                "new app {:?}: the slug {:?} is taken, it gets {slug:?}",
                a.source_id, a.slug
            ));
        }
        out.app_slugs.insert(a.id, slug);
    }
    Ok(())
}
