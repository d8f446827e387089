//! Times the core on one input file, stage by stage (decode, migrate, checksum, reports):
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
        let t0 = Instant::now();
        let input = match qad_core::decode_bytes_typed(&bytes) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let t1 = Instant::now();
        let m = qad_core::migrate_typed(input);
        let t2 = Instant::now();
        let sum = m.dataset.checksum();
        let t3 = Instant::now();
        let json = m.report.to_json();
        let t4 = Instant::now();
        println!(
            "decode {:>7.1} ms  migrate {:>7.1} ms  checksum {:>6.1} ms  report {:>6.1} ms  ({} apps, {} findings, {}…, {} B report)",
            (t1 - t0).as_secs_f64() * 1e3,
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
