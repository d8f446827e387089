//! The developers: one per real developer, deduplicated by normalised English name and by
//! website host, with every spelling they were merged from.

use std::collections::{HashMap, HashSet};

use crate::model::RowId;

use crate::decode::SourceApp;
use crate::diagnostic::{Diagnostic, Listing};
use crate::django;
use crate::ids;
use crate::limits::LIMIT_NAME;
use crate::migration::DeveloperVariants;
use crate::model::{Developer, Language};
use crate::rules::Rule;
use crate::text::{excerpt, name_key, normalize_url, website_key, UrlOutcome};
use crate::validate::Checks;

pub(super) struct DeveloperGroups {
    pub(super) rows: Vec<Developer>,
    /// App position → developer id (None when the app names no developer).
    pub(super) by_app: Vec<Option<RowId>>,
    pub(super) variants: Vec<DeveloperVariants>,
}

/// Deduplicates developers: one developer per normalised English name, and records that share
/// a (non-shared) website host are the same developer too. The first variant seen is kept.
/// For the Django layout (`django`) the rows are also checked against the Django columns.
pub(super) fn group_developers(
    apps: &[SourceApp],
    django: bool,
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> DeveloperGroups {
    // Union-find over app positions.
    let mut parent: Vec<usize> = (0..apps.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_host: HashMap<String, usize> = HashMap::new();
    let mut websites: Vec<Option<String>> = Vec::with_capacity(apps.len());

    for (pos, app) in apps.iter().enumerate() {
        listing.settle(diags);
        // The website as it will be loaded; its findings are reported once, here.
        let mut c = Checks {
            diags,
            record: &app.record,
        };
        let website = c.url(
            "Developer_Website",
            app.developer_website.as_deref(),
            false,
            None,
        );
        let name = app
            .developer_name_en
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        if c.required("Developer_Name_En", &app.developer_name_en, LIMIT_NAME)
            .is_none()
        {
            websites.push(website);
            continue;
        }
        c.optional("Developer_Name_Ar", &app.developer_name_ar, LIMIT_NAME);
        c.script("Developer_Name_En", Some(name), Language::En);
        if let Some(ar) = app
            .developer_name_ar
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            c.script("Developer_Name_Ar", Some(ar), Language::Ar);
        }
        let key = name_key(name);
        if key.is_empty() {
            // The key would be empty (the table refuses it), and every such name would share it.
            c.diags.push(
                Diagnostic::new(
                    Rule::EmptySlug,
                    Some(app.record.clone()),
                    Some("Developer_Name_En".into()),
                    format!(
                        "{:?} has no letter or digit to build the developer's key from",
                        excerpt(name)
                    ),
                )
                .with_hint("Give the developer an English name with letters or digits.".into()),
            );
        }
        if let Some(&first) = by_name.get(&key) {
            let (a, b) = (find(&mut parent, first), find(&mut parent, pos));
            parent[b.max(a)] = b.min(a);
        } else {
            by_name.insert(key, pos);
        }
        if let Some(host) = website.as_deref().and_then(website_key) {
            if let Some(&first) = by_host.get(&host) {
                let (a, b) = (find(&mut parent, first), find(&mut parent, pos));
                parent[b.max(a)] = b.min(a);
            } else {
                by_host.insert(host, pos);
            }
        }
        websites.push(website);
    }

    // Groups in order of their first app.
    let named: Vec<bool> = apps
        .iter()
        .map(|a| {
            a.developer_name_en
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
        })
        .collect();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (pos, _) in named.iter().enumerate().filter(|(_, named)| **named) {
        let root = find(&mut parent, pos);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(pos);
    }

    let mut rows = Vec::with_capacity(members.len());
    let mut by_app = vec![None; apps.len()];
    let mut variants = Vec::with_capacity(members.len());
    for group in members {
        listing.settle(diags);
        let first = &apps[group[0]];
        let name_en = first
            .developer_name_en
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_string();
        let key = name_key(&name_en);
        let id = ids::developer_id(&key);
        let nonblank =
            |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let mut v = DeveloperVariants {
            developer_id: id,
            key: key.clone(),
            apps: Vec::new(),
            names_en: Vec::new(),
            names_ar: Vec::new(),
            websites: Vec::new(),
        };
        let mut logo = None;
        let mut seen: [HashSet<String>; 3] = Default::default();
        for &pos in &group {
            let app = &apps[pos];
            by_app[pos] = Some(id);
            v.apps.push(app.record.clone());
            for ((list, value), seen) in [
                (&mut v.names_en, nonblank(app.developer_name_en.as_deref())),
                (&mut v.names_ar, nonblank(app.developer_name_ar.as_deref())),
                (&mut v.websites, websites[pos].clone()),
            ]
            .into_iter()
            .zip(seen.iter_mut())
            {
                if let Some(value) = value {
                    if seen.insert(value.clone()) {
                        list.push(value);
                    }
                }
            }
            if logo.is_none() {
                logo = app
                    .developer_logo
                    .as_deref()
                    .filter(|l| !l.trim().is_empty() && !l.trim_end().ends_with(".Not Found"))
                    .and_then(|l| match normalize_url(l) {
                        UrlOutcome::Valid { url, .. } => Some(url),
                        _ => None,
                    });
            }
        }
        for (field, list) in [
            ("Developer_Name_En", &v.names_en),
            ("Developer_Name_Ar", &v.names_ar),
            ("Developer_Website", &v.websites),
        ] {
            if list.len() > 1 {
                let quoted: Vec<String> = list.iter().map(|s| format!("{s:?}")).collect();
                diags.push(Diagnostic::new(
                    Rule::DeveloperMerged,
                    Some(format!("developer:{key}")),
                    Some(field.to_string()),
                    format!(
                        "{} are merged into one developer (apps: {}); kept {:?}",
                        quoted.join(" and "),
                        v.apps.join(", "),
                        list[0]
                    ),
                ));
            }
        }
        let row = Developer {
            id,
            key,
            name_en,
            name_ar: v.names_ar.first().cloned(),
            website: v.websites.first().cloned(),
            logo_url: logo,
        };
        if django {
            let record = format!("developer:{}", row.key);
            let mut c = Checks {
                diags,
                record: &record,
            };
            django::developer(&mut c, &row, &v.apps);
        }
        rows.push(row);
        variants.push(v);
    }
    if django {
        listing.settle(diags);
        let records: Vec<String> = rows
            .iter()
            .map(|r| format!("developer:{}", r.key))
            .collect();
        django::unique_names(
            rows.iter()
                .zip(&records)
                .map(|(r, record)| (record.as_str(), r.name_en.as_str(), r.name_ar.as_deref())),
            "developers",
            ["Developer_Name_En", "Developer_Name_Ar"],
            diags,
        );
    }
    listing.settle(diags);
    DeveloperGroups {
        rows,
        by_app,
        variants,
    }
}
