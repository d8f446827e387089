//! Prints the validation rule table that docs/rules.md embeds: `cargo run -p qad-core --example rules_markdown`.
fn main() {
    print!("{}", qad_core::rules::rules_markdown());
}
