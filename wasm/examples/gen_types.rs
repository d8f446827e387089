//! Writes the TypeScript declarations of the values the wasm exports return
//! (`qad_wasm::typescript::declarations()`) to the file given as the first argument, or to
//! stdout. `npm run gen:types` in npm/ runs it:
//!
//! ```sh
//! cargo run -q -p qad-wasm --features ts --example gen-types -- npm/lib/types.generated.d.ts
//! ```

use std::io::Write;

fn main() {
    let text = qad_wasm::typescript::declarations();
    match std::env::args_os().nth(1) {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("gen-types: cannot write {}: {e}", path.to_string_lossy());
                std::process::exit(qad_core::exit_codes::OUTPUT_FAILED);
            }
        }
        None => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
}
