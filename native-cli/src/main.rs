fn main() {
    std::process::exit(qa_load::dispatch::main());
}
