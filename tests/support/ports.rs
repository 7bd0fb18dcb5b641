//! Ports for the servers the tests start as separate programs (nginx, sshd, git daemon, Postfix),
//! without the race of a released port.
//!
//! Such a server is told its port in its configuration, so the test picks a free one first: it
//! binds port 0, reads the port and releases it for the server. Until the server binds it,
//! another test in the same binary may be given that port for its own listener (every in-process
//! server binds port 0). The server then fails with "Address already in use", and a check that
//! only connects to the port would even find it answering, by the wrong server. So a start here
//! counts only once the server's own process listens on every port (as /proc shows), and a start
//! that failed because a port was taken is tried again on new ports, a bounded number of times.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// How many sets of ports a server is tried on before its start fails the test.
pub const ATTEMPTS: usize = 5;

/// What a server's error output says when a port it was given is taken (the text of EADDRINUSE,
/// which nginx, sshd, git daemon and Postfix all print).
pub const ADDRESS_IN_USE: &str = "Address already in use";

/// `N` distinct free ports on 127.0.0.1: bound together (so no two are the same), then
/// released for a server to bind.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: [TcpListener; N] = std::array::from_fn(|_| {
        TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 for a free port")
    });
    listeners.map(|l| l.local_addr().expect("bound address").port())
}

/// A start that failed because a port was taken: the server's own words, for the final panic.
#[derive(Debug)]
pub struct PortTaken(pub String);

/// Start a server on each set of `candidates` in turn until one start succeeds, at most
/// [`ATTEMPTS`] times; returns the server and the ports it listens on. `start` gives
/// [`PortTaken`] when the server could not bind a port (try the next set) and panics on any
/// other failure. Panics, naming `what` and the last error, when every attempt found a port
/// taken.
pub fn start_on_ports<const N: usize, T>(
    what: &str,
    candidates: impl IntoIterator<Item = [u16; N]>,
    mut start: impl FnMut([u16; N]) -> Result<T, PortTaken>,
) -> (T, [u16; N]) {
    let mut last = None;
    for (attempt, ports) in candidates.into_iter().take(ATTEMPTS).enumerate() {
        match start(ports) {
            Ok(server) => return (server, ports),
            Err(PortTaken(error)) => last = Some((attempt + 1, ports, error)),
        }
    }
    match last {
        Some((attempts, ports, error)) => panic!(
            "{what} found a port taken at every try ({attempts}); the last, on {ports:?}, said:\n{error}"
        ),
        None => panic!("{what}: no ports to try"),
    }
}

/// Endless fresh sets of free ports, the usual `candidates` for [`start_on_ports`].
pub fn fresh_ports<const N: usize>() -> impl Iterator<Item = [u16; N]> {
    std::iter::repeat_with(free_ports)
}

/// How waiting for a server to listen ended.
#[derive(Debug)]
pub enum Wait {
    /// The process listens on every port.
    Listening,
    /// The process exited first.
    Exited(ExitStatus),
}

/// Wait until `child` listens on every port in `ports` itself, or exits; after `limit`, kills
/// it and panics, naming `what`. A connection to the port is no proof: another program may hold
/// it.
pub fn wait_listening(child: &mut Child, what: &str, ports: &[u16], limit: Duration) -> Wait {
    let pid = child.id();
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Wait::Exited(status);
        }
        if ports.iter().all(|&port| listens(pid, port)) {
            return Wait::Listening;
        }
        if Instant::now() >= deadline {
            // Not left running after the test fails.
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} (pid {pid}) did not listen on {ports:?} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` holds a TCP socket listening on `port` (any address, IPv4 or IPv6).
pub fn listens(pid: u32, port: u16) -> bool {
    let own = socket_inodes(pid);
    listening_inodes(port)
        .iter()
        .any(|inode| own.contains(inode))
}

/// The inodes of the sockets among `pid`'s open files (`socket:[INODE]` links in /proc/PID/fd).
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?;
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// The inodes of the TCP sockets in LISTEN state on `port`, from /proc/net/tcp and tcp6
/// (`sl local_address rem_address st ... inode`, the port in hex after the colon, LISTEN = 0A).
fn listening_inodes(port: u16) -> Vec<u64> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let on_port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
                == Some(port);
            if on_port && *state == "0A" {
                inodes.extend(inode.parse::<u64>());
            }
        }
    }
    inodes
}
