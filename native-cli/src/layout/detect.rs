//! Which layout a database has, when `--layout` does not say: the directory backend's Django
//! tables when its migration history and its `apps` table are there, else qa-load's own.

use anyhow::Result;
use tokio_postgres::GenericClient;

use super::LayoutName;

/// The layout of the database `c` is connected to, and why.
pub async fn detect<C: GenericClient + Sync>(c: &C) -> Result<(LayoutName, &'static str)> {
    let row = c
        .query_one(
            "SELECT to_regclass('django_migrations') IS NOT NULL, to_regclass('apps') IS NOT NULL",
            &[],
        )
        .await?;
    let (history, apps): (bool, bool) = (row.get(0), row.get(1));
    if history && apps {
        let backend: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM django_migrations WHERE app = 'apps')",
                &[],
            )
            .await?
            .get(0);
        if backend {
            return Ok((
                LayoutName::Django,
                "the directory backend's tables and its Django migration records are there",
            ));
        }
    }
    Ok((
        LayoutName::QaLoad,
        "no Django backend tables: qa-load's own tables",
    ))
}
