use std::process::ExitCode;

fn main() -> ExitCode {
    match opsdeck::cli::main() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("opsdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}
