//! Prints the validation report of an input file: `cargo run -p qad-core --example report -- apps.json [text|markdown|json]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: report <input.json> [text|markdown|json]");
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
    match args.next().as_deref() {
        Some("markdown") => print!("{}", m.report.to_markdown()),
        Some("json") => println!("{}", m.report.to_json()),
        _ => print!("{}", m.report.to_text()),
    }
    std::process::exit(i32::from(m.report.has_errors()));
}
