//! The SES API emulator (moto) for tests: `moto_server -H 127.0.0.1 -p PORT`
//! from `$OPSDECK_MOTO_SERVER`, else `.venv/bin/moto_server` in the repository.
//! A missing binary fails the test with a message naming it. The server is
//! killed when the guard drops.
//!
//! Tests give the SDK [`MotoServer::endpoint`] as its endpoint override.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct MotoServer {
    child: Child,
    port: u16,
    _logs: tempfile::TempDir,
}

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OPSDECK_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server")
}

/// The port moto says it listens on: werkzeug's " * Running on http://127.0.0.1:PORT" line.
fn port_in(log: &str) -> Option<u16> {
    log.lines().find_map(|l| {
        l.split("Running on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.trim().parse().ok())
    })
}

impl MotoServer {
    pub fn start() -> MotoServer {
        let bin = binary();
        assert!(
            bin.is_file(),
            "moto_server not found at {} - install moto[server] (python3 -m venv .venv && .venv/bin/pip install 'moto[server]') or set OPSDECK_MOTO_SERVER",
            bin.display()
        );
        let logs = tempfile::tempdir().expect("temp dir");
        // port 0: moto binds a port of its own and names it. A port found free here and handed
        // over would be free until moto binds it, and another test's server could take it meanwhile.
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.path().join("out")).expect("log file"))
            .stderr(std::fs::File::create(logs.path().join("err")).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut server = MotoServer {
            child,
            port: 0,
            _logs: logs,
        };
        // wait until it names its port and accepts connections (or dies)
        let err_log = server._logs.path().join("err");
        for _ in 0..300 {
            if let Ok(Some(status)) = server.child.try_wait() {
                let err = std::fs::read_to_string(&err_log).unwrap_or_default();
                panic!("moto_server exited with {status}: {err}");
            }
            if server.port == 0 {
                server.port =
                    port_in(&std::fs::read_to_string(&err_log).unwrap_or_default()).unwrap_or(0);
            }
            if server.port != 0 && TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let err = std::fs::read_to_string(&err_log).unwrap_or_default();
        panic!("moto_server did not accept connections within 30 s: {err}");
    }

    /// The endpoint to give the SDK.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The SDK's standard credential chain, pointed at dummy keys (moto accepts
/// any). Set once per test process, before any client is built.
pub fn dummy_aws_credentials() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before the SDK reads the environment; every
        // test in this process sets the same values.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/opsdeck-test");
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/opsdeck-test");
        }
    });
}
