//! Part of a test run as another user. Root reads and writes any file whatever its mode, and
//! the tests run as root: a permission path (a log only its group may read, a lock another
//! deployer made) runs for real only as someone else. `setpriv` (util-linux) drops to the user
//! nobody, without supplementary groups.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// Set in the inner run of a test that runs again as nobody ([`pass_as_nobody`]): the directory
/// the outer run set up for it.
pub const AS_NOBODY_IN: &str = "OPSDECK_TEST_AS_NOBODY_IN";

/// `program` to be run as nobody: add its arguments, then run it.
pub fn as_nobody(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(program)
        // the inner run's temporary files where nobody may write them
        .env("TMPDIR", "/tmp");
    cmd
}

/// This test binary's test `name`, run again as nobody (with `dir` in [`AS_NOBODY_IN`] when
/// given): a command to add to (its environment), then run.
pub fn test_as_nobody(name: &str, dir: Option<&Path>) -> Command {
    let mut cmd = as_nobody(std::env::current_exe().expect("the test binary"));
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    if let Some(dir) = dir {
        cmd.env(AS_NOBODY_IN, dir);
    }
    cmd
}

/// Run this test binary's test `name` again as nobody ([`test_as_nobody`]), and fail with what
/// it printed unless it passed.
pub fn pass_as_nobody(name: &str, dir: Option<&Path>) {
    assert_passes(&mut test_as_nobody(name, dir));
}

/// Run `inner`, a [`test_as_nobody`] given more to go by (its environment), and fail with what it
/// printed unless its test passed.
pub fn assert_passes(inner: &mut Command) {
    let out = inner.output().expect("setpriv (util-linux)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.contains("1 passed"), "{said}");
}
