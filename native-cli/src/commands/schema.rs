//! `qa-load schema apply|status`: the versions of qa-load's bookkeeping and of the tables of the
//! layout, when qa-load owns them (the django layout's are the backend's: checked, never
//! migrated).

use crate::bookkeeping;
use crate::commands::write_session::WriteSession;
use crate::context::Ctx;
use crate::db::runid;
use crate::error::{Exit, Failure};
use crate::layout::Tables;
use crate::with_tables;

pub async fn apply(ctx: &Ctx<'_>, to_version: Option<i32>, wait: bool) -> Result<Exit, Failure> {
    let layout = ctx.layout().await?;
    with_tables!(layout.tables(), t => apply_with(ctx, t, to_version, wait).await)
}

async fn apply_with<L: Tables>(
    ctx: &Ctx<'_>,
    layout: &L,
    to_version: Option<i32>,
    wait: bool,
) -> Result<Exit, Failure> {
    let latest = layout.version();
    if let Some(t) = to_version {
        if latest == 0 {
            return Err(Failure::usage(
                "usage",
                format!(
                    "--to-version {t}: the {} layout's tables are not qa-load's, and have no qa-load schema versions",
                    layout.name().as_str()
                ),
            ));
        }
        if t < 1 || t > latest {
            return Err(Failure::usage(
                "usage",
                format!(
                    "--to-version {t}: this qa-load knows {} schema versions 1 to {latest}",
                    layout.name().as_str()
                ),
            ));
        }
    }
    let session = WriteSession::new(ctx, runid::new_run_id())?;
    let components = layout.components();
    let (applied, after) = session
        .run(
            wait,
            layout,
            async |client, before| {
                let applied = session
                    .bring_up_to_date(client, &components, &before, to_version)
                    .await?;
                let after = bookkeeping::status(&*client, &components)
                    .await
                    .map_err(|e| Failure::unavailable("schema", e))?;
                Ok((applied, after))
            },
            async |_, _| {},
        )
        .await?;
    let database = session.database.describe();
    if applied.is_empty() {
        println!("Schema already up to date in {database}: nothing to apply.");
    } else {
        println!(
            "Applied schema version(s) {} to {database}.",
            applied.join(", ")
        );
    }
    print!("{}", after.to_text());
    Ok(Exit::Ok)
}

pub async fn status(ctx: &Ctx<'_>, json: bool) -> Result<Exit, Failure> {
    let layout = ctx.layout().await?;
    let (components, note) = with_tables!(layout.tables(), t => (t.components(), t.status_note()));
    let (conn, s, _) = ctx.read_session().await?;
    let status = bookkeeping::status(&s.client, &components)
        .await
        .map_err(|e| Failure::unavailable("schema status", e))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        );
    } else {
        println!("{}", conn.describe());
        if let Some(note) = note {
            println!("{note}");
        }
        print!("{}", status.to_text());
    }
    Ok(if status.refusal().is_some() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}
