//! `qa-load schema apply|status`: the versions of qa-load's bookkeeping and of the tables of the
//! layout it owns.

use anyhow::Context;

use crate::bookkeeping;
use crate::commands::write_session::{begin, WriteSession};
use crate::context::Ctx;
use crate::db::runid;
use crate::error::{Exit, Failure};
use crate::layout::qa_load::QaLoad;
use crate::layout::Layout;

pub async fn apply(ctx: &Ctx<'_>, target: Option<i32>, wait: bool) -> Result<Exit, Failure> {
    let layout = QaLoad;
    let latest = layout.version();
    if let Some(t) = target {
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
            &layout,
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
    let (conn, s, _) = ctx.read_session().await?;
    let status = bookkeeping::status(&s.client, &QaLoad.components())
        .await
        .map_err(|e| Failure::unavailable("schema status", e))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        );
    } else {
        println!("{}", conn.describe());
        print!("{}", status.to_text());
    }
    Ok(if status.refusal().is_some() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}
