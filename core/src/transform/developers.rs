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
    let (websites, mut same) = check_and_link(apps, diags, listing);
    let groups = groups_in_order(apps, &mut same);
    let mut out = DeveloperGroups {
        rows: Vec::with_capacity(groups.len()),
        by_app: vec![None; apps.len()],
        variants: Vec::with_capacity(groups.len()),
    };
    for group in groups {
        listing.settle(diags);
        let (row, variants) = merge_group(apps, &group, &websites, diags);
        if django {
            check_django_row(&row, &variants.apps, diags);
        }
        for &pos in &group {
            out.by_app[pos] = Some(row.id);
        }
        out.rows.push(row);
        out.variants.push(variants);
    }
    if django {
        listing.settle(diags);
        check_django_unique_names(&out.rows, diags);
    }
    listing.settle(diags);
    out
}

/// Union-find over app positions: which apps name the same developer.
struct SameDeveloper(Vec<usize>);

impl SameDeveloper {
    /// The representative of the set `i` is in (halving the path on the way).
    fn find(&mut self, mut i: usize) -> usize {
        let parent = &mut self.0;
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }

    /// Joins app `pos` to the first app seen with the same `key` (a name key or a website
    /// host), or records `pos` as that first app; the lower representative stays.
    fn join_first(&mut self, first_with: &mut HashMap<String, usize>, key: String, pos: usize) {
        if let Some(&first) = first_with.get(&key) {
            let (a, b) = (self.find(first), self.find(pos));
            self.0[b.max(a)] = b.min(a);
        } else {
            first_with.insert(key, pos);
        }
    }
}

/// Checks every app's developer fields (each finding once, here) and links the apps that share
/// a name key or a website host; gives each app's website as it will be loaded.
fn check_and_link(
    apps: &[SourceApp],
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> (Vec<Option<String>>, SameDeveloper) {
    let mut same = SameDeveloper((0..apps.len()).collect());
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_host: HashMap<String, usize> = HashMap::new();
    let mut websites: Vec<Option<String>> = Vec::with_capacity(apps.len());
    for (pos, app) in apps.iter().enumerate() {
        listing.settle(diags);
        let (website, key) = check_developer(app, diags);
        if let Some(key) = key {
            same.join_first(&mut by_name, key, pos);
            if let Some(host) = website.as_deref().and_then(website_key) {
                same.join_first(&mut by_host, host, pos);
            }
        }
        websites.push(website);
    }
    (websites, same)
}

/// One app's developer fields checked: its website as it will be loaded, and the key of its
/// English name (None when the name is refused: the app is grouped by nothing).
fn check_developer(
    app: &SourceApp,
    diags: &mut Vec<Diagnostic>,
) -> (Option<String>, Option<String>) {
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
        return (website, None);
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
    (website, Some(key))
}

/// The groups of app positions (each in source order) in the order of their first app; apps
/// without an English name are in none.
fn groups_in_order(apps: &[SourceApp], same: &mut SameDeveloper) -> Vec<Vec<usize>> {
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (pos, app) in apps.iter().enumerate() {
        if nonblank(app.developer_name_en.as_deref()).is_none() {
            continue;
        }
        let root = same.find(pos);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(pos);
    }
    members
}

/// One group's developer row (its first app's name, the first of every other value) and every
/// spelling it was merged from, with a finding for each field that had more than one (W104).
fn merge_group(
    apps: &[SourceApp],
    group: &[usize],
    websites: &[Option<String>],
    diags: &mut Vec<Diagnostic>,
) -> (Developer, DeveloperVariants) {
    let name_en = apps[group[0]]
        .developer_name_en
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_string();
    let key = name_key(&name_en);
    let id = ids::developer_id(&key);
    let variants = collect_variants(apps, group, websites, id, key.clone());
    report_merged(&variants, diags);
    let row = Developer {
        id,
        key,
        name_en,
        name_ar: variants.names_ar.first().cloned(),
        website: variants.websites.first().cloned(),
        logo_url: first_logo(apps, group),
    };
    (row, variants)
}

/// The group's apps and the distinct names and websites they give, in source order.
fn collect_variants(
    apps: &[SourceApp],
    group: &[usize],
    websites: &[Option<String>],
    developer_id: RowId,
    key: String,
) -> DeveloperVariants {
    let mut v = DeveloperVariants {
        developer_id,
        key,
        apps: Vec::new(),
        names_en: Vec::new(),
        names_ar: Vec::new(),
        websites: Vec::new(),
    };
    let mut seen: [HashSet<String>; 3] = Default::default();
    for &pos in group {
        let app = &apps[pos];
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
    }
    v
}

/// The first logo in the group that is a valid URL (the export's ".Not Found" placeholders and
/// blanks skipped).
fn first_logo(apps: &[SourceApp], group: &[usize]) -> Option<String> {
    group.iter().find_map(|&pos| {
        apps[pos]
            .developer_logo
            .as_deref()
            .filter(|l| !l.trim().is_empty() && !l.trim_end().ends_with(".Not Found"))
            .and_then(|l| match normalize_url(l) {
                UrlOutcome::Valid { url, .. } => Some(url),
                _ => None,
            })
    })
}

/// Says which spellings or websites were merged into one developer, and which was kept (W104).
fn report_merged(v: &DeveloperVariants, diags: &mut Vec<Diagnostic>) {
    for (field, list) in [
        ("Developer_Name_En", &v.names_en),
        ("Developer_Name_Ar", &v.names_ar),
        ("Developer_Website", &v.websites),
    ] {
        if list.len() > 1 {
            let quoted: Vec<String> = list.iter().map(|s| format!("{s:?}")).collect();
            diags.push(Diagnostic::new(
                Rule::DeveloperMerged,
                Some(record_of(&v.key)),
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
}

/// The Django layout's checks of one developer row against its columns, named by its record.
fn check_django_row(row: &Developer, apps: &[String], diags: &mut Vec<Diagnostic>) {
    let mut c = Checks {
        diags,
        record: &record_of(&row.key),
    };
    django::developer(&mut c, row, apps);
}

/// The Django tables' names are unique (E027): each developer row's, named by its record.
fn check_django_unique_names(rows: &[Developer], diags: &mut Vec<Diagnostic>) {
    let records: Vec<String> = rows.iter().map(|r| record_of(&r.key)).collect();
    django::unique_names(
        rows.iter()
            .zip(&records)
            .map(|(r, record)| (record.as_str(), r.name_en.as_str(), r.name_ar.as_deref())),
        "developers",
        ["Developer_Name_En", "Developer_Name_Ar"],
        diags,
    );
}

/// The record a developer's own findings name: `developer:KEY`.
fn record_of(key: &str) -> String {
    format!("developer:{key}")
}

/// A text trimmed, or None when blank.
fn nonblank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}
