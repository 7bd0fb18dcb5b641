//! `opsdeck demo`: a self-contained sandbox in a temp directory. Each
//! feature writes its part (a live mail log, a git repository with a remote,
//! an echo listener behind a forwarding hop, ...) and points the config at
//! it. The sandbox is removed when the demo ends.

use crate::config::Config;

/// The host the demo stands for: its Postfix's `myhostname`, the name its mail log's lines carry
/// (first label) and the one the status bar shows. The machine running the demo is not named: its
/// mail is not the demo's.
pub const HOSTNAME: &str = "mx1.example.com";

/// The most messages a second the demo's SES account takes (its `MaxSendRate`): a retry of mail
/// it throttled gets this many through and is throttled again for the rest.
pub const SES_MAX_SEND_RATE: usize = 14;

/// The demo's temp directory; removed on drop.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// Create the sandbox and let every feature add its part. Must be called
    /// inside the runtime (features spawn their live writers).
    pub fn create(config: &mut Config) -> anyhow::Result<Sandbox> {
        let dir = tempfile::Builder::new().prefix("opsdeck-demo-").tempdir()?;
        config.demo = true;
        let root = dir.path();
        // the queue first: the mail log writes its messages' lines
        let queued = crate::mail::queue::demo(root, config)?;
        crate::mail::log::demo(root, config, &queued)?;
        crate::mail::senders::demo(root, config)?;
        crate::deploy::demo(root, config)?;
        crate::probe::demo(root, config)?;
        Ok(Sandbox { dir })
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}
