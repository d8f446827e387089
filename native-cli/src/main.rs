fn main() {
    std::process::exit(qa_load::cli::main());
}
