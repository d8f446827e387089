//! Times the core on one input file, stage by stage (migrate — decoding included: the typed
//! decoder feeds the transform —, checksum, reports):
//! `cargo run --release -p qad-core --example time_migrate -- apps.json [repetitions]`.
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: time_migrate <apps.json> [repetitions]");
        std::process::exit(2);
    };
    let reps: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    for _ in 0..reps {
        let t1 = Instant::now();
        let m = match qad_core::migrate(qad_core::Input::Bytes(&bytes), &Default::default()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let t2 = Instant::now();
        let sum = m.dataset.checksum();
        let t3 = Instant::now();
        let json = m.report.to_json();
        let t4 = Instant::now();
        println!(
            "decode+migrate {:>7.1} ms  checksum {:>6.1} ms  report {:>6.1} ms  ({} apps, {} findings, {}…, {} B report)",
            (t2 - t1).as_secs_f64() * 1e3,
            (t3 - t2).as_secs_f64() * 1e3,
            (t4 - t3).as_secs_f64() * 1e3,
            m.dataset.apps.len(),
            m.report.diagnostics.len(),
            &sum[..8],
            json.len()
        );
    }
}
