use std::process::ExitCode;

fn main() -> ExitCode {
    match opsdeck::cli::main() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The message can quote outside text (a path from the command line or the
            // environment, a value from the configuration): it passes the same gate.
            opsdeck::stderr_line!(
                "opsdeck: {}",
                opsdeck::sanitize::sanitize_lines(&format!("{e:#}"), 2000)
            );
            ExitCode::from(2)
        }
    }
}
