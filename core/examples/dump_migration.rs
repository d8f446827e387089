//! Prints a whole migration as JSON (dataset, report, developer variants): for comparing the
//! core's output before and after a change. `cargo run --release -p qad-core --example dump_migration -- apps.json`
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_migration <apps.json>");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let m = qad_core::migrate(
        qad_core::Input::Bytes(&bytes),
        &qad_core::Options::default(),
    )
    .unwrap_or_else(qad_core::Migration::from);
    match serde_json::to_string(&m) {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("cannot serialise: {e}");
            std::process::exit(1);
        }
    }
}
