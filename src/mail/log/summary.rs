//! `opsdeck summary`: a failure report over whole log files (issue 3).

/// Arguments of `opsdeck summary`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SummaryArgs {}

/// Run the report; returns the process exit status.
pub fn run(_args: SummaryArgs) -> anyhow::Result<i32> {
    eprintln!("opsdeck summary: not available yet");
    Ok(3)
}
