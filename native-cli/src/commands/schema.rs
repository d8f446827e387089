//! `qa-load schema apply|status`: the versions of qa-load's bookkeeping and of the tables of the
//! layout, when qa-load owns them (the django layout's are the backend's: checked, never
//! migrated).

use anyhow::Context;

use crate::bookkeeping;
use crate::commands::write_session::{begin, WriteSession};
use crate::context::Ctx;
use crate::db::runid;
use crate::error::{Exit, Failure};
use crate::layout::django::Django;
use crate::layout::qa_load::QaLoad;
use crate::layout::{Layout, LayoutName};

pub async fn apply(ctx: &Ctx<'_>, target: Option<i32>, wait: bool) -> Result<Exit, Failure> {
    match ctx.layout().await? {
        LayoutName::QaLoad => apply_with(ctx, &QaLoad, target, wait).await,
        // Applying the bookkeeping reads no image: the media base URL is not needed.
        LayoutName::Django => apply_with(ctx, &Django::default(), target, wait).await,
    }
}

async fn apply_with<L: Layout>(
    ctx: &Ctx<'_>,
    layout: &L,
    target: Option<i32>,
    wait: bool,
) -> Result<Exit, Failure> {
    let latest = layout.version();
    if let Some(t) = target {
        if latest == 0 {
            return Err(Failure::usage(
                "usage",
                format!(
                    "--target {t}: the {} layout's tables are not qa-load's, and have no qa-load schema versions",
                    layout.name().as_str()
                ),
            ));
        }
        if t < 1 || t > latest {
            return Err(Failure::usage(
                "usage",
                format!(
                    "--target {t}: this qa-load knows {} schema versions 1 to {latest}",
                    layout.name().as_str()
                ),
            ));
        }
    }
    let session = WriteSession::new(ctx, runid::new_run_id())?;
    let components = layout.components();
    let stage = &session.stage;
    let (applied, after) = session
        .run(
            wait,
            layout,
            async |client, _before| {
                let fail = |e: anyhow::Error| Failure::write("schema apply", e);
                let tx = begin(client, stage, false, "schema").await?;
                let applied = bookkeeping::apply_pending(&tx, &components, target)
                    .await
                    .map_err(fail)?;
                tx.commit()
                    .await
                    .context("the commit failed")
                    .map_err(fail)?;
                stage.in_transaction(false);
                let after = bookkeeping::status(&*client, &components)
                    .await
                    .map_err(|e| Failure::unavailable("schema", e))?;
                Ok((applied, after))
            },
            async |_, _| {},
        )
        .await?;
    let database = session.target.describe();
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
    let components = match layout {
        LayoutName::QaLoad => QaLoad.components(),
        LayoutName::Django => Django::default().components(),
    };
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
        if layout == LayoutName::Django {
            println!(
                "layout django: the backend's own tables (checked before every write, never migrated by qa-load)"
            );
        }
        print!("{}", status.to_text());
    }
    Ok(if status.refusal().is_some() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}
