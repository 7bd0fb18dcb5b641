//! The Postfix commands this feature runs, and running them.
//!
//! Commands are built as argument vectors (never through a shell), with the
//! instance's `command_prefix` in front and `-c DIR` for a named instance.
//! Queue ids reach `postsuper` only on standard input (`postsuper -d -`), and
//! only as [`QueueId`]s, so `ALL`, `-` or an option can never be passed.
//! Every function that changes the queue takes a [`WriteAccess`]. This module
//! never touches state or the terminal.

use std::ffi::OsString;
use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::QueueError;
use super::id::QueueId;
use super::parse::QueueName;
use crate::access::WriteAccess;
use crate::config::PostfixInstance;
use crate::mail::hide_main_cf_values;
use crate::sanitize::Clean;
use crate::ui::widgets::plural;

/// One command line, ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    pub argv: Vec<OsString>,
    /// Written to standard input, then closed (None: stdin is /dev/null).
    pub stdin: Option<Vec<u8>>,
}

impl CommandSpec {
    /// A command line built as a [`std::process::Command`] (program and arguments; its
    /// environment and directory are not carried over), to be run by [`run`] or [`capture`].
    pub fn from_command(cmd: &std::process::Command) -> CommandSpec {
        CommandSpec {
            argv: std::iter::once(cmd.get_program())
                .chain(cmd.get_args())
                .map(OsString::from)
                .collect(),
            stdin: None,
        }
    }

    /// How the command is named in messages: the program and its options.
    pub fn display(&self) -> String {
        let words: Vec<String> = self
            .argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        crate::sanitize::sanitize_capped(&words.join(" "), 200)
    }
}

fn base(inst: &PostfixInstance, program: &str) -> Vec<OsString> {
    let mut argv: Vec<OsString> = inst.command_prefix.iter().map(OsString::from).collect();
    argv.push(program.into());
    if !inst.is_default_dir() {
        argv.push("-c".into());
        argv.push(inst.config_dir.clone().into_os_string());
    }
    argv
}

/// `postqueue -j`, or the configured replacement.
pub fn list(inst: &PostfixInstance, replacement: Option<&[String]>) -> CommandSpec {
    let argv = match replacement {
        Some(cmd) if !cmd.is_empty() => cmd.iter().map(OsString::from).collect(),
        _ => {
            let mut a = base(inst, "postqueue");
            a.push("-j".into());
            a
        }
    };
    CommandSpec { argv, stdin: None }
}

/// `postconf -h mail_version maximal_queue_lifetime bounce_queue_lifetime`:
/// the version, and how long mail is kept trying (held mail released after
/// that is returned at its first failed attempt).
pub fn version(inst: &PostfixInstance) -> CommandSpec {
    let mut argv = base(inst, "postconf");
    argv.push("-h".into());
    for p in [
        "mail_version",
        "maximal_queue_lifetime",
        "bounce_queue_lifetime",
    ] {
        argv.push(p.into());
    }
    CommandSpec { argv, stdin: None }
}

/// `postcat -q -h ID` (headers) or `postcat -q -b ID` (body).
pub fn postcat(inst: &PostfixInstance, id: &QueueId, part: Part) -> CommandSpec {
    let mut argv = base(inst, "postcat");
    argv.push("-q".into());
    argv.push(
        match part {
            Part::Headers => "-h",
            Part::Body => "-b",
        }
        .into(),
    );
    argv.push(id.as_str().into());
    CommandSpec { argv, stdin: None }
}

/// Which part of a message to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Headers,
    Body,
}

/// A change to queued messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    Hold,
    Release,
    Requeue,
    Delete,
    /// `postsuper -e` (Postfix 3.5+): return to sender at the next attempt.
    Expire,
    /// `postqueue -i ID`: try this message now.
    DeliverNow,
}

impl QueueOp {
    /// The verb of the confirm dialog.
    pub fn verb(self) -> &'static str {
        match self {
            QueueOp::Hold => "hold",
            QueueOp::Release => "release",
            QueueOp::Requeue => "requeue",
            QueueOp::Delete => "delete",
            QueueOp::Expire => "force-expire",
            QueueOp::DeliverNow => "deliver now",
        }
    }

    /// What the status line says while this operation runs on one
    /// message (a count, "0 of 1 done", says nothing of it), with the
    /// command it runs.
    pub fn running_on(self, id: &QueueId) -> String {
        match self {
            QueueOp::Hold => format!("putting {id} on hold (postsuper -h)…"),
            QueueOp::Release => format!("releasing {id} from hold (postsuper -H)…"),
            QueueOp::Requeue => format!("requeueing {id} (postsuper -r)…"),
            QueueOp::Delete => format!("deleting {id} (postsuper -d)…"),
            QueueOp::Expire => format!("force-expiring {id} (postsuper -e)…"),
            QueueOp::DeliverNow => format!("asking Postfix to deliver {id} now (postqueue -i)…"),
        }
    }

    /// What the confirm dialog adds about the consequence, for `n` messages.
    pub fn consequence(self, n: usize) -> &'static str {
        if n == 1 {
            return match self {
                QueueOp::Hold => "It stays in the hold queue until released.",
                QueueOp::Release => "It goes back to the deferred queue and is retried.",
                QueueOp::Requeue => "It is re-read from the maildrop with a NEW queue id.",
                QueueOp::Delete => "It is removed for good. No bounce is sent.",
                QueueOp::Expire => "It is returned to its sender at the next delivery attempt.",
                QueueOp::DeliverNow => "A delivery attempt is made at once.",
            };
        }
        match self {
            QueueOp::Hold => "They stay in the hold queue until released.",
            QueueOp::Release => "They go back to the deferred queue and are retried.",
            QueueOp::Requeue => "They are re-read from the maildrop with NEW queue ids.",
            QueueOp::Delete => "They are removed for good. No bounce is sent.",
            QueueOp::Expire => "They are returned to their senders at the next delivery attempt.",
            QueueOp::DeliverNow => "A delivery attempt is made at once.",
        }
    }

    /// Can this operation act on a message in queue `q`? `postsuper -H`
    /// only releases held mail, `postsuper -h` has nothing to do with it,
    /// and `postqueue -i` only moves deferred mail on: held mail is not
    /// delivered, and active, incoming or maildrop mail is on its way
    /// already (the flush service leaves it, and says nothing). Mail in the
    /// maildrop has no queue file yet: postsuper holds, expires and requeues
    /// none there ("0 messages"), and deletes it.
    pub fn applies_to(self, q: QueueName) -> bool {
        match self {
            QueueOp::Release => q == QueueName::Hold,
            QueueOp::Hold => q != QueueName::Hold && q != QueueName::Maildrop,
            QueueOp::DeliverNow => q == QueueName::Deferred,
            QueueOp::Requeue | QueueOp::Expire => q != QueueName::Maildrop,
            QueueOp::Delete => true,
        }
    }

    /// What a message in queue `q` this operation does not apply to is
    /// (after "is" or "are"): "not on hold", "already on hold".
    pub fn left_out_because(self, q: QueueName) -> &'static str {
        match self {
            QueueOp::Release => "not on hold",
            QueueOp::Hold | QueueOp::Requeue | QueueOp::Expire if q == QueueName::Maildrop => {
                "in the maildrop, out of postsuper's reach"
            }
            QueueOp::DeliverNow if q == QueueName::Maildrop => {
                "in the maildrop, not yet in a queue postqueue -i takes"
            }
            QueueOp::Hold => "already on hold",
            QueueOp::DeliverNow if q == QueueName::Hold => "on hold",
            QueueOp::DeliverNow => "not deferred (on its way already)",
            QueueOp::Requeue | QueueOp::Delete | QueueOp::Expire => "not in a queue it takes",
        }
    }

    /// Why postsuper did not act on a message it was given (after a count):
    /// it had changed since the listing the user picked it from.
    pub fn missed_because(self) -> &'static str {
        match self {
            QueueOp::Hold => "no longer queued or already on hold",
            QueueOp::Release => "no longer on hold",
            _ => "no longer queued",
        }
    }

    /// What to do instead, for messages in queue `q` this operation does
    /// not apply to.
    pub fn left_out_hint(self, q: QueueName) -> Option<&'static str> {
        match self {
            QueueOp::DeliverNow if q == QueueName::Hold => {
                Some("held mail is not delivered - release it first (H)")
            }
            QueueOp::Hold | QueueOp::Requeue | QueueOp::Expire | QueueOp::DeliverNow
                if q == QueueName::Maildrop =>
            {
                Some(
                    "maildrop mail waits for Postfix's pickup service (is Postfix running?); delete (D) works there",
                )
            }
            _ => None,
        }
    }

    /// The postsuper option, or None for postqueue operations.
    fn postsuper_flag(self) -> Option<&'static str> {
        match self {
            QueueOp::Hold => Some("-h"),
            QueueOp::Release => Some("-H"),
            QueueOp::Requeue => Some("-r"),
            QueueOp::Delete => Some("-d"),
            QueueOp::Expire => Some("-e"),
            QueueOp::DeliverNow => None,
        }
    }
}

/// The commands for an operation: one `postsuper FLAG -` with the ids on
/// standard input, or one `postqueue -i ID` per message.
pub fn op_commands(inst: &PostfixInstance, op: QueueOp, ids: &[QueueId]) -> Vec<CommandSpec> {
    match op.postsuper_flag() {
        Some(flag) => {
            let mut argv = base(inst, "postsuper");
            argv.push(flag.into());
            argv.push("-".into());
            let mut stdin = Vec::with_capacity(ids.len() * 12);
            for id in ids {
                stdin.extend_from_slice(id.as_str().as_bytes());
                stdin.push(b'\n');
            }
            vec![CommandSpec {
                argv,
                stdin: Some(stdin),
            }]
        }
        None => ids
            .iter()
            .map(|id| {
                let mut argv = base(inst, "postqueue");
                argv.push("-i".into());
                argv.push(id.as_str().into());
                CommandSpec { argv, stdin: None }
            })
            .collect(),
    }
}

/// The command line an action on `ids` runs, as the pane says it while it runs: for a
/// deliver now of several messages (one `postqueue -i` each), the first one's and "…".
pub fn action_line(inst: &PostfixInstance, op: QueueOp, ids: &[QueueId]) -> Clean {
    let specs = op_commands(inst, op, ids);
    // `display` is sanitized already: not escaped again
    let mut line = Clean::joined(specs.first().map(CommandSpec::display).unwrap_or_default());
    if specs.len() > 1 {
        line.push(" …");
    }
    line
}

/// `postkick public pickup W`: wake pickup to read the maildrop now.
pub fn wake_pickup(inst: &PostfixInstance) -> CommandSpec {
    let mut argv = base(inst, "postkick");
    argv.extend(["public", "pickup", "W"].map(OsString::from));
    CommandSpec { argv, stdin: None }
}

/// `postqueue -f`.
pub fn flush_command(inst: &PostfixInstance) -> CommandSpec {
    let mut argv = base(inst, "postqueue");
    argv.push("-f".into());
    CommandSpec { argv, stdin: None }
}

/// Standard error kept from its start, and from its end (where postsuper
/// prints its count).
const STDERR_HEAD: usize = 64 * 1024;
const STDERR_TAIL: usize = 4 * 1024;
/// A longer line of standard error is cut there when handed on line by line.
const STDERR_LINE_MAX: usize = 4 * 1024;

/// The first `head` and the last `tail` bytes of a stream, with a line
/// between them saying how much was left out.
struct HeadTail {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    dropped: u64,
}

impl HeadTail {
    fn new(head_cap: usize, tail_cap: usize) -> HeadTail {
        HeadTail {
            head: Vec::new(),
            tail: std::collections::VecDeque::new(),
            head_cap,
            tail_cap,
            dropped: 0,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        let room = self.head_cap.saturating_sub(self.head.len());
        let now = data.len().min(room);
        self.head.extend_from_slice(&data[..now]);
        data = &data[now..];
        self.tail.extend(data);
        let over = self.tail.len().saturating_sub(self.tail_cap);
        self.tail.drain(..over);
        self.dropped += over as u64;
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.head;
        if self.tail.is_empty() {
            return out;
        }
        let mut tail: Vec<u8> = self.tail.into();
        let mut dropped = self.dropped;
        if dropped > 0 {
            // Start the tail at a whole line.
            let cut = tail.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            dropped += cut as u64;
            tail.drain(..cut);
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(format!("[{dropped} bytes of output left out]\n").as_bytes());
        }
        out.extend_from_slice(&tail);
        out
    }
}

/// What a finished command printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Standard output went past the limit and was cut.
    pub cut: bool,
}

/// What the user throws to stop the queue commands that hang (`x` in the Queue pane: an `ssh
/// mx1` prefix to a host that went away, a postsuper waiting on a lock). Every action or flush
/// the pane starts carries a switch of its own, so that a stop stops what its dialog named and
/// nothing else; thrown, it stops each command started with it that still runs, with everything
/// the command started.
#[derive(Clone, Debug)]
pub struct StopSwitch(std::sync::Arc<tokio::sync::watch::Sender<bool>>);

impl Default for StopSwitch {
    fn default() -> StopSwitch {
        StopSwitch(std::sync::Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl StopSwitch {
    /// Stop the commands started with this switch (and any started with it from now on).
    /// Stopping a change part-way changes the host too: it takes the write access.
    pub fn throw(&self, _access: &WriteAccess) {
        self.0.send_replace(true);
    }

    /// Has it been thrown?
    pub fn is_thrown(&self) -> bool {
        *self.0.borrow()
    }

    /// Held by a change that carries this switch, from when its effect is run until its
    /// commands are done: while one is held, a stop thrown has something to stop.
    pub fn carry(&self) -> Carrying {
        Carrying {
            _listening: self.0.subscribe(),
        }
    }

    /// Is something still listening for this switch: a change that carries it (see
    /// [`StopSwitch::carry`]), or a command that runs with it? A stop confirmed after what its
    /// dialog named has ended finds none.
    pub fn is_carried(&self) -> bool {
        self.0.receiver_count() > 0
    }

    /// Ready once the switch is thrown (at once if it was).
    async fn thrown(&self) {
        let mut rx = self.0.subscribe();
        // the sender lives as long as `self`: the wait ends only when it is thrown
        let _ = rx.wait_for(|thrown| *thrown).await;
    }
}

/// A change's hold on the switch it carries (see [`StopSwitch::carry`]), let go when dropped.
#[derive(Debug)]
pub struct Carrying {
    _listening: tokio::sync::watch::Receiver<bool>,
}

/// How long a command stopped by the user has, after SIGTERM, before SIGKILL. SIGTERM first: a
/// `sudo` in `command_prefix` passes it on to the command it runs as root, which a SIGKILL to
/// the group could not reach from a user other than root; `ssh` ends its connection.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// How long, after SIGKILL, the output of a stopped command is still read: a process outside
/// its group (a daemon it started, an ssh master connection) may hold its pipes open for ever.
const STOP_DRAIN: std::time::Duration = std::time::Duration::from_secs(1);

/// The process group a command runs in (its own, led by it), killed whole when the run ends
/// before the command did: a run cut at its output limit, or dropped at a time limit
/// (`opsdeck check`'s deadline), leaves nothing it started running, not the command and not
/// its children (a wrapper script's `sleep`, a `postdrop` it started).
struct Group(Option<nix::unistd::Pid>);

impl Group {
    fn of(child: &tokio::process::Child) -> Group {
        Group(
            child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .map(nix::unistd::Pid::from_raw),
        )
    }

    /// SIGKILL to every process of the group.
    fn kill(&self) {
        self.signal(nix::sys::signal::Signal::SIGKILL);
    }

    /// `sig` to every process of the group.
    fn signal(&self, sig: nix::sys::signal::Signal) {
        if let Some(pgid) = self.0 {
            let _ = nix::sys::signal::killpg(pgid, sig);
        }
    }

    /// The leader was waited for: its id may be reused from now on, so it is never signalled.
    fn reaped(&mut self) {
        self.0 = None;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Run a command; a non-zero exit is an error classified by its stderr.
/// Standard output is read up to `max_stdout` bytes (then the process is
/// stopped and `cut` is set).
pub async fn run(spec: &CommandSpec, max_stdout: usize) -> Result<Captured, QueueError> {
    run_watching(spec, max_stdout, None, |_| {}).await
}

/// [`run`], stopped when `stop` is thrown: [`QueueError::StoppedByUser`].
async fn run_stoppable(
    spec: &CommandSpec,
    max_stdout: usize,
    stop: &StopSwitch,
) -> Result<Captured, QueueError> {
    run_watching(spec, max_stdout, Some(stop), |_| {}).await
}

/// [`run`], handing every line of standard error to `on_stderr_line` as it
/// is read, all of them, even those the kept output leaves out, and stopped when `stop` is
/// thrown.
async fn run_watching(
    spec: &CommandSpec,
    max_stdout: usize,
    stop: Option<&StopSwitch>,
    on_stderr_line: impl FnMut(&str),
) -> Result<Captured, QueueError> {
    let (status, c) = capture_watching(spec, max_stdout, stop, on_stderr_line).await?;
    match status {
        Some(status) if !status.success() => Err(QueueError::from_exit(
            &spec.display(),
            &status.to_string(),
            &c.stderr,
        )),
        _ => Ok(c),
    }
}

/// Run a command and keep what it printed, whatever its exit status (None when it was stopped
/// at the output limit), for a caller that reads the failure in its own words (`postconf` in
/// the Senders part of `opsdeck check`). Only a command that could not be started is an error.
/// As with [`run`], dropping the future stops the command and everything it started.
pub async fn capture(
    spec: &CommandSpec,
    max_stdout: usize,
) -> Result<(Option<std::process::ExitStatus>, Captured), QueueError> {
    capture_watching(spec, max_stdout, None, |_| {}).await
}

/// [`capture`], handing every line of standard error to `on_stderr_line`. When `stop` is
/// thrown, the command's process group gets SIGTERM, then SIGKILL after [`STOP_GRACE`], the
/// command is reaped, and the run is [`QueueError::StoppedByUser`].
async fn capture_watching(
    spec: &CommandSpec,
    max_stdout: usize,
    stop: Option<&StopSwitch>,
    mut on_stderr_line: impl FnMut(&str),
) -> Result<(Option<std::process::ExitStatus>, Captured), QueueError> {
    let name = spec.display();
    let Some((prog, args)) = spec.argv.split_first() else {
        return Err(QueueError::Spawn {
            command: name,
            detail: "empty command".into(),
        });
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // a session of its own, without the terminal, and so a process group of its own too
    crate::child::without_terminal(cmd.as_std_mut());
    let mut child = cmd.spawn().map_err(|e| QueueError::from_spawn(&name, &e))?;
    // declared after the child, so dropped before it: the group is killed while its leader
    // is still unreaped and its id cannot have been taken by another process
    let mut group = Group::of(&child);
    if let (Some(data), Some(mut stdin)) = (spec.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            let _ = stdin.write_all(&data).await;
            let _ = stdin.shutdown().await;
        });
    }
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let read_out = async {
        let mut buf = Vec::new();
        let mut cut = false;
        if let Some(o) = out.as_mut() {
            // On the heap: a future holding a large array overflows small stacks.
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                match o.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let room = max_stdout.saturating_sub(buf.len());
                        buf.extend_from_slice(&chunk[..n.min(room)]);
                        if n > room {
                            cut = true;
                            break;
                        }
                    }
                }
            }
        }
        (buf, cut)
    };
    let read_err = async {
        // Read to the end: a writer blocked on a full pipe never exits
        // (postsuper prints a line per message, and its count comes last).
        let mut kept = HeadTail::new(STDERR_HEAD, STDERR_TAIL);
        let mut line: Vec<u8> = Vec::new();
        if let Some(e) = err.as_mut() {
            let mut chunk = vec![0u8; 16 * 1024];
            loop {
                match e.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        kept.push(&chunk[..n]);
                        for &b in &chunk[..n] {
                            if b == b'\n' {
                                on_stderr_line(&hide_main_cf_values(&String::from_utf8_lossy(
                                    &line,
                                )));
                                line.clear();
                            } else if line.len() < STDERR_LINE_MAX {
                                line.push(b);
                            }
                        }
                    }
                }
            }
        }
        if !line.is_empty() {
            on_stderr_line(&hide_main_cf_values(&String::from_utf8_lossy(&line)));
        }
        // what a broken main.cf line quotes may be a password: every message, error and log
        // line made of this stderr is made after this
        hide_main_cf_values(&String::from_utf8_lossy(&kept.into_bytes())).into_bytes()
    };
    let read_out_then_stop = async {
        let (buf, cut) = read_out.await;
        if cut {
            // We have what we asked for; stop the writer instead of draining
            // it (its stderr then closes too).
            group.kill();
        }
        (buf, cut)
    };
    // set once the stop was thrown and the group signalled
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let stopper = async {
        match stop {
            Some(stop) => stop.thrown().await,
            None => std::future::pending().await,
        }
        stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        group.signal(nix::sys::signal::Signal::SIGTERM);
        tokio::time::sleep(STOP_GRACE).await;
        group.kill();
        tokio::time::sleep(STOP_DRAIN).await;
    };
    let read = tokio::select! {
        // a command that ended as the switch was thrown reports what it did
        biased;
        read = async { tokio::join!(read_out_then_stop, read_err) } => Some(read),
        () = stopper => None,
    };
    let ((stdout, cut), stderr) = match read {
        Some(read) if !stopped.load(std::sync::atomic::Ordering::Relaxed) => read,
        read => {
            // what outlived SIGTERM (its pipes closed), its leader not reaped yet: the group's
            // id is still its own
            group.kill();
            let status = child.wait().await;
            group.reaped();
            return match (read, status) {
                // It had ended by itself as the stop came (the switch woke this task before its
                // pipes' end did), or ended well when asked to: a postsuper or an ssh that was
                // stopped does not exit 0. What it did stands.
                (Some(((stdout, cut), stderr)), Ok(status)) if status.success() => Ok((
                    Some(status),
                    Captured {
                        stdout,
                        stderr,
                        cut,
                    },
                )),
                _ => Err(QueueError::StoppedByUser { command: name }),
            };
        }
    };
    let captured = Captured {
        stdout,
        stderr,
        cut,
    };
    if cut {
        let _ = child.wait().await;
        group.reaped();
        return Ok((None, captured));
    }
    let status = child
        .wait()
        .await
        .map_err(|e| QueueError::from_spawn(&name, &e))?;
    group.reaped();
    Ok((Some(status), captured))
}

/// What an action did, as Postfix reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub op: QueueOp,
    pub asked: usize,
    /// The count postsuper reported (`Deleted: 2 messages`), if it did.
    pub done: Option<u64>,
    /// The messages asked for that postsuper did not name as done (it names
    /// each one it acts on), in the order asked; for a deliver now, those
    /// Postfix was not asked to try: their `postqueue -i` failed or was
    /// stopped, or was never run.
    pub missed: Option<Vec<QueueId>>,
    /// Its messages, sanitized, one per line.
    pub lines: Vec<Clean>,
    /// postsuper failed after acting on the messages it named (it writes its log itself while
    /// Postfix is stopped, and may die at its first line): those were changed, the `missed`
    /// ones were not reached, and this is why.
    pub stopped: Option<QueueError>,
    /// The message, when the action was on one: what its result speaks of (another action
    /// may have started meanwhile, and its progress be the latest).
    pub one: Option<QueueId>,
}

impl Outcome {
    /// [`Self::summary`] of an action on the one message `id`: what became
    /// of it, by its id, when it was done; else the same words.
    pub fn summary_of_one(&self, id: &QueueId) -> String {
        let done = self.asked == 1
            && match self.op {
                QueueOp::DeliverNow => self.missed.as_ref().is_none_or(|m| m.is_empty()),
                _ => self.done == Some(1),
            };
        let missed = self.asked == 1
            && self.done == Some(0)
            && self.missed.as_ref().is_some_and(|m| m.contains(id));
        if missed {
            return format!(
                "{}: not done: {id} is {}",
                self.op.verb(),
                self.op.missed_because()
            );
        }
        if !done {
            return self.summary();
        }
        let what = match self.op {
            QueueOp::Hold => format!("hold: {id} is on hold"),
            QueueOp::Release => format!("release: {id} is released from hold"),
            QueueOp::Requeue => format!("requeue: {id} is requeued, for a new queue id"),
            QueueOp::Delete => format!("delete: {id} is deleted"),
            QueueOp::Expire => format!(
                "force-expire: {id} is marked expired, returned to its sender at the next delivery attempt"
            ),
            QueueOp::DeliverNow => format!("deliver now: asked Postfix to try {id}"),
        };
        match &self.stopped {
            Some(e) => format!("{what}, but {e}"),
            None => what,
        }
    }

    /// One line for the status bar.
    pub fn summary(&self) -> String {
        if let (Some(e), Some(n)) = (&self.stopped, self.done) {
            let missed = self.missed.as_deref().unwrap_or_default();
            return if missed.is_empty() {
                format!(
                    "{}: done for {n} message{}, but {e}",
                    self.op.verb(),
                    plural(n)
                )
            } else {
                format!(
                    "{}: done for {n} of {} messages; not for {}: {} - {e}",
                    self.op.verb(),
                    self.asked,
                    missed.len(),
                    named_ids(missed)
                )
            };
        }
        match (self.op, self.done) {
            (QueueOp::DeliverNow, _) => match self.missed.as_deref() {
                Some(missed) if !missed.is_empty() => format!(
                    "deliver now: asked Postfix to try {} of {} messages; not for {}: {} - {}",
                    self.asked - missed.len(),
                    self.asked,
                    missed.len(),
                    named_ids(missed),
                    self.lines
                        .first()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default()
                ),
                _ => format!(
                    "deliver now: asked Postfix to try {} message{}",
                    self.asked,
                    plural(self.asked)
                ),
            },
            (op, Some(n)) if n as usize == self.asked => {
                format!("{}: done for {n} message{}", op.verb(), plural(n))
            }
            // named only when the names agree with the count (a postsuper
            // that wrote its lines otherwise names none, not all)
            (op, Some(n))
                if self
                    .missed
                    .as_ref()
                    .is_some_and(|m| !m.is_empty() && m.len() as u64 + n == self.asked as u64) =>
            {
                let missed = self.missed.as_deref().unwrap_or_default();
                format!(
                    "{}: done for {n} of {} messages; {} {}: {}",
                    op.verb(),
                    self.asked,
                    missed.len(),
                    op.missed_because(),
                    named_ids(missed)
                )
            }
            (op, Some(n)) => format!(
                "{}: {n} of {} messages (the others had left that queue or the queue)",
                op.verb(),
                self.asked
            ),
            (op, None) => format!(
                "{}: postsuper reported no count: {}",
                op.verb(),
                self.lines
                    .last()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_else(|| "(no output)".into())
            ),
        }
    }
}

/// The first few of `ids`, and how many more.
fn named_ids(ids: &[QueueId]) -> String {
    const NAMED: usize = 3;
    let mut out: Vec<String> = ids.iter().take(NAMED).map(|i| i.to_string()).collect();
    if ids.len() > NAMED {
        out.push(format!("and {} more", ids.len() - NAMED));
    }
    out.join(", ")
}

/// Read the count from postsuper's stderr: `postsuper: Deleted: 3 messages`,
/// `Placed on hold: 1 message`, `Released from hold: ...`, `Requeued: ...`,
/// `Expired: ...` (the last summary line wins).
pub fn postsuper_count(stderr: &str) -> Option<u64> {
    stderr.lines().rev().find_map(|l| {
        let l = l.strip_prefix("postsuper: ").unwrap_or(l);
        let (_, rest) = l.rsplit_once(": ")?;
        let n = rest
            .strip_suffix(" messages")
            .or_else(|| rest.strip_suffix(" message"))?;
        n.trim().parse().ok()
    })
}

/// The queue id of a line where postsuper says it acted on one message
/// (`postsuper: 3D2F49A4199: placed on hold`), if it is one.
fn acted_on(line: &str) -> Option<&str> {
    // whatever names the program (an instance's syslog_name), the id is the
    // field before the last
    let (head, what) = line.rsplit_once(": ")?;
    let id = head.rsplit_once(": ").map_or(head, |(_, id)| id);
    (!what.is_empty() && QueueId::parse(id).is_ok()).then_some(id)
}

/// Change the queue. Ids were checked when they became [`QueueId`]s; an
/// empty list runs nothing.
pub async fn apply(
    access: &WriteAccess,
    inst: &PostfixInstance,
    op: QueueOp,
    ids: &[QueueId],
) -> Result<Outcome, QueueError> {
    apply_watching(access, inst, op, ids, &mut |_| {}, &StopSwitch::default()).await
}

/// `postqueue -i` commands run at most this many at once: it takes one id,
/// and hundreds picked, one after the other, take minutes (longer through
/// `sudo` or `ssh`). The flush service they ask serves several at a time.
pub const DELIVER_AT_ONCE: usize = 8;

/// [`apply`], telling `progress` how many of the messages are done as they
/// are: each one postsuper names, each `postqueue -i` that returned; and stopped when `stop`
/// is thrown. A postsuper stopped after naming messages has changed those (and perhaps the one
/// it was at): that is the outcome, with the stop as what kept it from the others.
pub async fn apply_watching(
    _access: &WriteAccess,
    inst: &PostfixInstance,
    op: QueueOp,
    ids: &[QueueId],
    progress: &mut (dyn FnMut(usize) + Send),
    stop: &StopSwitch,
) -> Result<Outcome, QueueError> {
    let mut outcome = Outcome {
        op,
        asked: ids.len(),
        done: None,
        missed: None,
        lines: Vec::new(),
        stopped: None,
        one: match ids {
            [one] => Some(one.clone()),
            _ => None,
        },
    };
    if ids.is_empty() {
        outcome.done = Some(0);
        return Ok(outcome);
    }
    if op == QueueOp::DeliverNow {
        deliver_now(inst, ids, &mut outcome, progress, stop).await?;
        return Ok(outcome);
    }
    // postsuper names each message it acts on (`postsuper: ID: removed`);
    // every line is looked at, the kept output may leave some out.
    let asked: std::collections::HashSet<&str> = ids.iter().map(QueueId::as_str).collect();
    let mut named: std::collections::HashSet<String> = std::collections::HashSet::new();
    for spec in op_commands(inst, op, ids) {
        let ran = capture_watching(&spec, 64 * 1024, Some(stop), |line| {
            if let Some(id) = acted_on(line)
                && asked.contains(id)
                && named.insert(id.to_string())
            {
                progress(named.len());
            }
        })
        .await;
        let (status, c) = match ran {
            Err(e @ QueueError::StoppedByUser { .. }) if !named.is_empty() => {
                outcome.done = Some(named.len() as u64);
                outcome.stopped = Some(e);
                break;
            }
            ran => ran?,
        };
        let text = String::from_utf8_lossy(&c.stderr);
        outcome.done = postsuper_count(&text);
        if let Some(status) = status
            && !status.success()
        {
            let e = QueueError::from_exit(&spec.display(), &status.to_string(), &c.stderr);
            if !named.is_empty() {
                // It failed after changing the messages it named: that is what was done, and
                // the failure is why the others were not.
                outcome.done = outcome.done.or(Some(named.len() as u64));
                outcome.stopped = Some(e);
            } else if outcome.done.is_none() {
                return Err(e);
            }
            // else it went through every id and printed its count, then failed to log that
            // (maillog_file): it acted on none, as it said
        }
        outcome.lines.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Clean::capped(l, 300)),
        );
    }
    outcome.missed = Some(
        ids.iter()
            .filter(|id| !named.contains(id.as_str()))
            .cloned()
            .collect(),
    );
    if op == QueueOp::Requeue && !stop.is_thrown() {
        // Requeued mail waits in maildrop until pickup next wakes (up to a
        // minute): wake it now so the new ids show at once. Best effort.
        if let Err(e) = run_stoppable(&wake_pickup(inst), 4096, stop).await {
            outcome
                .lines
                .push(Clean::new(&format!("could not wake pickup: {e}")));
        }
    }
    Ok(outcome)
}

/// One `postqueue -i ID` per message, [`DELIVER_AT_ONCE`] at a time. Every
/// message is asked for even when some fail; the ones that failed, and
/// those not asked for once an error said the rest would fail too (no
/// permission, the mail system down), are `missed`, and the errors are the
/// outcome's lines. When none could be asked for, that is the error. A stop
/// (`x`) ends every one in flight at once: they are one line, after the
/// failures, that says how many, not one line each.
async fn deliver_now(
    inst: &PostfixInstance,
    ids: &[QueueId],
    outcome: &mut Outcome,
    progress: &mut (dyn FnMut(usize) + Send),
    stop: &StopSwitch,
) -> Result<(), QueueError> {
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let specs = op_commands(inst, QueueOp::DeliverNow, ids);
    let rest_fail = std::sync::Arc::new(AtomicBool::new(false));
    // owned: the future is spawned, and may borrow nothing of this frame
    let mut runs = futures_util::stream::iter(specs.into_iter().enumerate())
        .map(|(i, spec)| {
            let rest_fail = rest_fail.clone();
            let stop = stop.clone();
            async move {
                if rest_fail.load(Ordering::Relaxed) {
                    return (i, None);
                }
                (i, Some(run_stoppable(&spec, 4096, &stop).await))
            }
        })
        .buffer_unordered(DELIVER_AT_ONCE);
    // (index, its error; None: not asked for)
    let mut failed: Vec<(usize, Option<QueueError>)> = Vec::new();
    // the ones in flight when the user stopped them, by index, and the first one's error
    let mut stopped: Vec<usize> = Vec::new();
    let mut stop_error = None;
    let mut ok = 0u64;
    let mut finished = 0;
    while let Some((i, ran)) = runs.next().await {
        finished += 1;
        match ran {
            Some(Ok(_)) => ok += 1,
            Some(Err(e @ QueueError::StoppedByUser { .. })) => {
                rest_fail.store(true, Ordering::Relaxed);
                stopped.push(i);
                stop_error.get_or_insert(e);
            }
            Some(Err(e)) => {
                if e.stops_the_rest() {
                    rest_fail.store(true, Ordering::Relaxed);
                }
                failed.push((i, Some(e)));
            }
            None => failed.push((i, None)),
        }
        progress(finished);
    }
    failed.sort_by_key(|f| f.0);
    if ok == 0 {
        // the one message asked for, stopped: the stop is the error, as for a postsuper
        if let (Some(e), [_], []) = (&stop_error, stopped.as_slice(), failed.as_slice()) {
            return Err(e.clone());
        }
        if let Some(e) = failed.iter().find_map(|f| f.1.clone()) {
            return Err(e);
        }
    }
    outcome.done = Some(ok);
    let mut missed: Vec<usize> = failed
        .iter()
        .map(|f| f.0)
        .chain(stopped.iter().copied())
        .collect();
    missed.sort_unstable();
    outcome.missed = Some(missed.into_iter().map(|i| ids[i].clone()).collect());
    const ERRORS_KEPT: usize = 20;
    outcome.lines.extend(
        failed
            .iter()
            .filter_map(|f| f.1.as_ref())
            .take(ERRORS_KEPT)
            .map(|e| Clean::capped(&e.to_string(), 300)),
    );
    if !stopped.is_empty() {
        // after the failures (the status bar shows the first line: a failure, not the stop
        // the user made), what each stopped one would say but its id, said once
        let mut argv = base(inst, "postqueue");
        argv.push("-i".into());
        let command = CommandSpec { argv, stdin: None }.display();
        let n = stopped.len();
        outcome.lines.push(Clean::joined(format!(
            "{command}: stopped by you before it finished, for {n} message{} - the queue is \
             read again to show what it did",
            plural(n)
        )));
    }
    let not_asked = failed.iter().filter(|f| f.1.is_none()).count();
    if not_asked > 0 {
        outcome.lines.push(Clean::new(&format!(
            "{not_asked} message{} not asked for after that",
            plural(not_asked)
        )));
    }
    Ok(())
}

/// `postqueue -f`: try every deferred message now; stopped when `stop` is thrown.
pub async fn flush(
    _access: &WriteAccess,
    inst: &PostfixInstance,
    stop: &StopSwitch,
) -> Result<Vec<Clean>, QueueError> {
    let c = run_stoppable(&flush_command(inst), 64 * 1024, stop).await?;
    Ok(String::from_utf8_lossy(&c.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&c.stdout).lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| Clean::capped(l, 300))
        .collect())
}

/// A Postfix version as `postconf -h mail_version` prints it, with the
/// queue lifetimes when [`version`] read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailVersion {
    pub text: Clean,
    pub major: u32,
    pub minor: u32,
    /// `maximal_queue_lifetime`, as written and in seconds.
    pub max_lifetime: Option<Lifetime>,
    /// `bounce_queue_lifetime` (for mail from the null sender).
    pub bounce_lifetime: Option<Lifetime>,
}

/// A Postfix time parameter, as written and in seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifetime {
    pub text: Clean,
    pub secs: i64,
}

impl Lifetime {
    /// `5d`, `12h`, `3600s`, `1w`, `30m`; a bare number is days (the unit
    /// of both queue lifetimes).
    pub fn parse(s: &str) -> Option<Lifetime> {
        let t = s.trim();
        let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => (&t[..i], &t[i..]),
            None => (t, "d"),
        };
        let n: i64 = num.parse().ok()?;
        let per = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return None,
        };
        Some(Lifetime {
            text: Clean::capped(t, 20),
            secs: n.checked_mul(per)?,
        })
    }
}

impl MailVersion {
    pub fn parse(s: &str) -> Option<MailVersion> {
        let t = s.trim();
        let mut it = t.split(['.', '-']);
        let major = it.next()?.parse().ok()?;
        let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(MailVersion {
            text: Clean::capped(t, 40),
            major,
            minor,
            max_lifetime: None,
            bounce_lifetime: None,
        })
    }

    /// What [`version`] prints: the version, then the two lifetimes, a line
    /// each.
    pub fn parse_postconf(out: &str) -> Option<MailVersion> {
        let mut lines = out.lines();
        let mut v = MailVersion::parse(lines.next()?)?;
        v.max_lifetime = lines.next().and_then(Lifetime::parse);
        v.bounce_lifetime = lines.next().and_then(Lifetime::parse);
        Some(v)
    }

    /// `postsuper -e` exists from 3.5 on.
    pub fn has_force_expire(&self) -> bool {
        (self.major, self.minor) >= (3, 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn inst(dir: &str, prefix: &[&str]) -> PostfixInstance {
        PostfixInstance {
            name: "t".into(),
            config_dir: PathBuf::from(dir),
            command_prefix: prefix.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn words(spec: &CommandSpec) -> Vec<String> {
        spec.argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn ids_go_on_stdin_never_as_arguments() {
        let ids = vec![
            QueueId::parse("A1B2C3").unwrap(),
            QueueId::parse("3yjZvb4Q4PzJ4k").unwrap(),
        ];
        let specs = op_commands(
            &inst("/etc/postfix-out", &["sudo", "-n"]),
            QueueOp::Delete,
            &ids,
        );
        assert_eq!(specs.len(), 1);
        assert_eq!(
            words(&specs[0]),
            [
                "sudo",
                "-n",
                "postsuper",
                "-c",
                "/etc/postfix-out",
                "-d",
                "-"
            ]
        );
        assert_eq!(
            specs[0].stdin.as_deref(),
            Some(&b"A1B2C3\n3yjZvb4Q4PzJ4k\n"[..])
        );
        for (op, flag) in [
            (QueueOp::Hold, "-h"),
            (QueueOp::Release, "-H"),
            (QueueOp::Requeue, "-r"),
            (QueueOp::Expire, "-e"),
        ] {
            let s = &op_commands(&inst("/etc/postfix", &[]), op, &ids)[0];
            assert_eq!(words(s), ["postsuper", flag, "-"]);
        }
    }

    #[test]
    fn deliver_now_is_one_postqueue_per_id() {
        let ids = vec![
            QueueId::parse("A1B2C3").unwrap(),
            QueueId::parse("D4E5F6").unwrap(),
        ];
        let specs = op_commands(&inst("/etc/postfix", &[]), QueueOp::DeliverNow, &ids);
        assert_eq!(words(&specs[0]), ["postqueue", "-i", "A1B2C3"]);
        assert_eq!(words(&specs[1]), ["postqueue", "-i", "D4E5F6"]);
        assert!(specs[0].stdin.is_none());
    }

    #[test]
    fn read_commands() {
        let i = inst("/srv/pf", &[]);
        assert_eq!(words(&list(&i, None)), ["postqueue", "-c", "/srv/pf", "-j"]);
        let demo = ["cat".to_string(), "/tmp/q.jsonl".to_string()];
        assert_eq!(words(&list(&i, Some(&demo))), ["cat", "/tmp/q.jsonl"]);
        assert_eq!(
            words(&version(&i)),
            [
                "postconf",
                "-c",
                "/srv/pf",
                "-h",
                "mail_version",
                "maximal_queue_lifetime",
                "bounce_queue_lifetime"
            ]
        );
        let id = QueueId::parse("A1B2C3").unwrap();
        assert_eq!(
            words(&postcat(&i, &id, Part::Headers)),
            ["postcat", "-c", "/srv/pf", "-q", "-h", "A1B2C3"]
        );
        assert_eq!(
            words(&flush_command(&inst("/etc/postfix", &[]))),
            ["postqueue", "-f"]
        );
    }

    #[test]
    fn postsuper_counts() {
        let table = [
            (
                "postsuper: A1B2C3: removed\npostsuper: Deleted: 1 message\n",
                Some(1),
            ),
            ("postsuper: Deleted: 0 messages\n", Some(0)),
            ("postsuper: Placed on hold: 3 messages\n", Some(3)),
            ("postsuper: Released from hold: 2 messages\n", Some(2)),
            ("postsuper: Requeued: 1 message\n", Some(1)),
            ("", None),
            ("postsuper: warning: something else\n", None),
        ];
        for (text, want) in table {
            assert_eq!(postsuper_count(text), want, "{text:?}");
        }
    }

    #[test]
    fn outcome_summaries() {
        let o = Outcome {
            op: QueueOp::Delete,
            asked: 3,
            done: Some(1),
            missed: None,
            lines: vec![],
            stopped: None,
            one: None,
        };
        assert_eq!(
            o.summary(),
            "delete: 1 of 3 messages (the others had left that queue or the queue)"
        );
        let o = Outcome {
            op: QueueOp::Hold,
            asked: 1,
            done: Some(1),
            missed: None,
            lines: vec![],
            stopped: None,
            one: None,
        };
        assert_eq!(o.summary(), "hold: done for 1 message");
        let id = QueueId::parse("4889DC8909").unwrap();
        assert_eq!(o.summary_of_one(&id), "hold: 4889DC8909 is on hold");
        let id = |s: &str| QueueId::parse(s).unwrap();
        let o = Outcome {
            op: QueueOp::Hold,
            asked: 6,
            done: Some(1),
            missed: Some(vec![
                id("A1A1A1"),
                id("B2B2B2"),
                id("C3C3C3"),
                id("D4D4D4"),
                id("E5E5E5"),
            ]),
            lines: vec![],
            stopped: None,
            one: None,
        };
        assert_eq!(
            o.summary(),
            "hold: done for 1 of 6 messages; 5 no longer queued or already on hold: A1A1A1, B2B2B2, C3C3C3, and 2 more"
        );
        // names that disagree with the count are not given
        let o = Outcome { done: Some(3), ..o };
        assert_eq!(
            o.summary(),
            "hold: 3 of 6 messages (the others had left that queue or the queue)"
        );
    }

    #[test]
    fn postsuper_names_the_messages_it_acted_on() {
        let table = [
            (
                "postsuper: 3D2F49A4199: placed on hold",
                Some("3D2F49A4199"),
            ),
            (
                "postsuper: 3D2F49A4199: released from hold",
                Some("3D2F49A4199"),
            ),
            ("postsuper: 3yjZvb4Q4PzJ4k: removed", Some("3yjZvb4Q4PzJ4k")),
            ("postsuper: 356109A4197: expired", Some("356109A4197")),
            ("postsuper: 356109A4197: requeued", Some("356109A4197")),
            (
                "postfix-out/postsuper: 356109A4197: removed",
                Some("356109A4197"),
            ),
            ("postsuper: Deleted: 2 messages", None),
            ("postsuper: warning: bad queue id: ALL", None),
            (
                "postsuper: fatal: use of this command is reserved for the superuser",
                None,
            ),
        ];
        for (line, want) in table {
            assert_eq!(acted_on(line), want, "{line}");
        }
    }

    #[test]
    fn versions() {
        assert!(MailVersion::parse("3.7.11").unwrap().has_force_expire());
        assert!(MailVersion::parse("3.5.0").unwrap().has_force_expire());
        assert!(!MailVersion::parse("3.4.14").unwrap().has_force_expire());
        assert!(
            MailVersion::parse("3.10-20240101")
                .unwrap()
                .has_force_expire()
        );
        assert!(!MailVersion::parse("2.11.3").unwrap().has_force_expire());
        assert!(MailVersion::parse("garbage").is_none());
        let v = MailVersion::parse_postconf("3.7.11\n5d\n12h\n").unwrap();
        assert_eq!(v.text.as_str(), "3.7.11");
        assert_eq!(v.max_lifetime.as_ref().map(|l| l.secs), Some(5 * 86_400));
        assert_eq!(v.bounce_lifetime.as_ref().map(|l| l.secs), Some(12 * 3600));
        for (t, secs) in [
            ("5", 5 * 86_400),
            ("3600s", 3600),
            ("1w", 604_800),
            ("30m", 1800),
        ] {
            assert_eq!(Lifetime::parse(t).map(|l| l.secs), Some(secs), "{t}");
        }
        assert!(Lifetime::parse("5x").is_none());
        assert!(Lifetime::parse("").is_none());
    }

    #[tokio::test]
    async fn run_reports_missing_program_and_exit_codes() {
        let spec = CommandSpec {
            argv: vec!["/nonexistent/postqueue".into(), "-j".into()],
            stdin: None,
        };
        let e = run(&spec, 100).await.unwrap_err();
        assert!(matches!(e, QueueError::NotFound { .. }), "{e}");
        let spec = CommandSpec {
            argv: vec!["sh".into(), "-c".into(), "echo 'postqueue: fatal: User x(1) is not allowed to view the mail queue' >&2; exit 69".into()],
            stdin: None,
        };
        let e = run(&spec, 100).await.unwrap_err();
        assert!(matches!(e, QueueError::NotAuthorized { .. }), "{e}");
    }

    /// Every Postfix command quotes a main.cf line without its `=` whole, and that line may
    /// hold a password: what the queue's commands printed keeps the parameter's name only.
    #[tokio::test]
    async fn a_broken_main_cf_line_is_not_quoted_with_its_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.cf"),
            "smtp_sasl_password_maps static:ses-user:Secret-Pw-123\n",
        )
        .unwrap();
        let i = inst(dir.path().to_str().unwrap(), &[]);
        let mut lines = Vec::new();
        let e = run_watching(&list(&i, None), 1024, None, |l| lines.push(l.to_string()))
            .await
            .unwrap_err();
        let said = format!("{e} {e:?} {lines:?}");
        assert!(
            said.contains("missing '=' after attribute name: \"smtp_sasl_password_maps ***\""),
            "{said}"
        );
        assert!(!said.contains("Secret-Pw-123"), "{said}");
    }

    #[tokio::test]
    async fn a_postsuper_that_dies_logging_says_what_it_had_done() {
        // With maillog_file set and Postfix stopped, postsuper dies at its first log line: after
        // the first message it acts on, or after its count when it acted on none.
        let fatal = "postsuper: fatal: open logfile '/var/log/postfix.log': cannot open file: Permission denied";
        let ids: Vec<QueueId> = ["A1A1A1", "B2B2B2"]
            .iter()
            .map(|s| QueueId::parse(s).unwrap())
            .collect();
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let stand_in = |out: &str| {
            let script = format!("cat > /dev/null; printf '{out}\\n{fatal}\\n' >&2; exit 1");
            inst("/etc/postfix", &["sh", "-c", &script, "sh"])
        };
        let o = apply(
            &access,
            &stand_in("postsuper: A1A1A1: placed on hold"),
            QueueOp::Hold,
            &ids,
        )
        .await
        .unwrap();
        assert_eq!(o.done, Some(1));
        assert!(
            matches!(o.stopped, Some(QueueError::MaillogUnwritable { .. })),
            "{o:?}"
        );
        assert!(
            o.summary()
                .starts_with("hold: done for 1 of 2 messages; not for 1: B2B2B2 - sh -c "),
            "{}",
            o.summary()
        );
        // none acted on, and it said so: that is the outcome, not the log's failure
        let o = apply(
            &access,
            &stand_in("postsuper: Placed on hold: 0 messages"),
            QueueOp::Hold,
            &ids,
        )
        .await
        .unwrap();
        assert_eq!(o.done, Some(0));
        assert_eq!(o.stopped, None);
        assert_eq!(
            o.summary(),
            "hold: done for 0 of 2 messages; 2 no longer queued or already on hold: A1A1A1, B2B2B2"
        );
        // nothing said at all: the error
        let e = apply(
            &access,
            &stand_in("postsuper: warning: something"),
            QueueOp::Hold,
            &ids,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, QueueError::MaillogUnwritable { .. }), "{e}");
    }

    #[tokio::test]
    async fn postsuper_on_thousands_of_messages_finishes_and_reports_its_count() {
        // postsuper prints a line per message on stderr, then the count: for
        // 20,000 messages far more than a pipe holds. A stand-in with that
        // output (it reads the ids first, as postsuper does).
        let script = "n=$(wc -l); seq \"$n\" | sed 's/.*/postsuper: &ABCDEF: placed on hold/' >&2; \
                      echo \"postsuper: Placed on hold: $n messages\" >&2";
        let stand_in = inst("/etc/postfix", &["sh", "-c", script, "sh"]);
        let ids: Vec<QueueId> = (0..20_000)
            .map(|i| QueueId::parse(&format!("{:08X}", 0xA000_0000u32 + i)).unwrap())
            .collect();
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let o = tokio::time::timeout(
            std::time::Duration::from_secs(120),
            apply(&access, &stand_in, QueueOp::Hold, &ids),
        )
        .await
        .expect("postsuper stand-in never finished: its stderr was not read to the end")
        .unwrap();
        assert_eq!(o.done, Some(20_000), "{:?}", o.lines.last());
        assert_eq!(o.summary(), "hold: done for 20000 messages");
        assert!(
            o.lines
                .iter()
                .any(|l| l.contains("bytes of output left out")),
            "the cut is said"
        );
    }

    #[tokio::test]
    async fn a_bulk_action_names_every_message_it_did_not_act_on() {
        // Two of 20,000 messages left the queue between the listing and the
        // action: postsuper names each message it removes, and its output is
        // far longer than what is kept of it. A stand-in that reads the ids
        // and prints as postsuper does.
        let script = "n=0; while read id; do case \"$id\" in A0000007|A0004E1F) ;; \
                      *) echo \"postsuper: $id: removed\" >&2; n=$((n+1));; esac; done; \
                      echo \"postsuper: Deleted: $n messages\" >&2";
        let stand_in = inst("/etc/postfix", &["sh", "-c", script, "sh"]);
        let ids: Vec<QueueId> = (0..20_000)
            .map(|i| QueueId::parse(&format!("{:08X}", 0xA000_0000u32 + i)).unwrap())
            .collect();
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let o = apply(&access, &stand_in, QueueOp::Delete, &ids)
            .await
            .unwrap();
        assert_eq!(o.done, Some(19_998));
        let missed: Vec<&str> = o.missed.iter().flatten().map(QueueId::as_str).collect();
        assert_eq!(missed, ["A0000007", "A0004E1F"]);
        assert_eq!(
            o.summary(),
            "delete: done for 19998 of 20000 messages; 2 no longer queued: A0000007, A0004E1F"
        );
        assert!(
            o.lines
                .iter()
                .any(|l| l.contains("bytes of output left out")),
            "the kept output was cut, the ids were all read"
        );
    }

    /// A `postqueue` stand-in for `postqueue -i ID`: notes each id it is
    /// given and how many ran at that moment, and fails for the ids in `$FAIL`
    /// with what `$WHY` says.
    fn deliver_stand_in(dir: &std::path::Path, fail: &str, why: &str) -> PostfixInstance {
        let script = format!(
            "d={d}; id=\"$3\"; : > \"$d/run.$id\"; ls \"$d\" | grep -c '^run\\.' >> \"$d/at-once\"; \
             sleep 0.3; echo \"$id\" >> \"$d/asked\"; rm -f \"$d/run.$id\"; \
             case ' {fail} ' in *\" $id \"*) echo '{why}' >&2; exit 75;; esac\n",
            d = dir.display()
        );
        let path = dir.join("stand-in");
        std::fs::write(&path, script).unwrap();
        inst("/etc/postfix", &["sh", path.to_str().unwrap()])
    }

    fn lines_of(path: &std::path::Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[tokio::test]
    async fn deliver_now_asks_for_every_message_a_few_at_a_time_and_names_the_failures() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<QueueId> = (0..40)
            .map(|i| QueueId::parse(&format!("{:08X}", 0xA000_0000u32 + i)).unwrap())
            .collect();
        let stand_in = deliver_stand_in(
            dir.path(),
            "A0000007 A0000021",
            "postqueue: warning: flush service busy",
        );
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let mut seen = Vec::new();
        let o = apply_watching(
            &access,
            &stand_in,
            QueueOp::DeliverNow,
            &ids,
            &mut |n| seen.push(n),
            &StopSwitch::default(),
        )
        .await
        .unwrap();
        let mut asked = lines_of(&dir.path().join("asked"));
        asked.sort();
        let want: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        assert_eq!(asked, want, "every message asked for, each once");
        let at_once: Vec<usize> = lines_of(&dir.path().join("at-once"))
            .iter()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        let most = at_once.iter().copied().max().unwrap();
        assert!(
            (2..=DELIVER_AT_ONCE).contains(&most),
            "several at once, never more than {DELIVER_AT_ONCE}: {at_once:?}"
        );
        assert_eq!(
            seen,
            (1..=40).collect::<Vec<_>>(),
            "progress, message by message"
        );
        assert_eq!(o.done, Some(38));
        let missed: Vec<&str> = o.missed.iter().flatten().map(QueueId::as_str).collect();
        assert_eq!(missed, ["A0000007", "A0000021"]);
        assert_eq!(
            o.summary(),
            format!(
                "deliver now: asked Postfix to try 38 of 40 messages; not for 2: A0000007, A0000021 - sh {} postqueue -i A0000007: exited with exit status: 75: postqueue: warning: flush service busy",
                dir.path().join("stand-in").display()
            )
        );
    }

    #[tokio::test]
    async fn deliver_now_stops_asking_when_the_rest_would_fail_too() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<QueueId> = (0..60)
            .map(|i| QueueId::parse(&format!("{:08X}", 0xA000_0000u32 + i)).unwrap())
            .collect();
        let stand_in = deliver_stand_in(
            dir.path(),
            "A0000002",
            "postqueue: fatal: Cannot flush mail queue - mail system is down",
        );
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let o = apply(&access, &stand_in, QueueOp::DeliverNow, &ids)
            .await
            .unwrap();
        let asked = lines_of(&dir.path().join("asked")).len();
        assert!(asked < 60, "{asked} asked for");
        let missed = o.missed.as_ref().unwrap();
        assert_eq!(o.done, Some((asked - 1) as u64));
        assert_eq!(
            missed.len(),
            60 - (asked - 1),
            "the failed one and every one not asked"
        );
        assert_eq!(missed[0].as_str(), "A0000002");
        let s = o.summary();
        assert!(
            s.starts_with(&format!(
                "deliver now: asked Postfix to try {} of 60 messages; not for {}: A0000002, ",
                asked - 1,
                missed.len()
            )) && s.ends_with("the mail system is down - start it with `postfix start` (postqueue: fatal: Cannot flush mail queue - mail system is down)"),
            "{s}"
        );
        assert_eq!(
            o.lines.last().map(|l| l.as_str().to_string()),
            Some(format!("{} messages not asked for after that", 60 - asked))
        );
        // none done: that is the error
        let dir = tempfile::tempdir().unwrap();
        let all: String = ids.iter().map(|i| format!("{i} ")).collect();
        let stand_in = deliver_stand_in(
            dir.path(),
            &all,
            "postqueue: fatal: Cannot flush mail queue - mail system is down",
        );
        let e = apply(&access, &stand_in, QueueOp::DeliverNow, &ids[..3])
            .await
            .unwrap_err();
        assert!(matches!(e, QueueError::MailSystemDown { .. }), "{e}");
    }

    /// A deliver now stopped with `x` while eight `postqueue -i` hang: the two that had
    /// returned stay asked for, the one that failed is said first, the eight stopped are one
    /// line that says how many, not a line each, and the ones not asked for yet are said after
    /// it, as they were.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stopped_deliver_now_says_once_how_many_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<QueueId> = (0..20)
            .map(|i| QueueId::parse(&format!("{:08X}", 0xA000_0000u32 + i)).unwrap())
            .collect();
        // the first three return at once, the third with a failure; every other one hangs
        let script = "case \"$3\" in A0000000|A0000001) exit 0;; A0000002) echo \
                      'postqueue: warning: flush service busy' >&2; exit 75;; esac; exec sleep 86418\n";
        let path = dir.path().join("stand-in");
        std::fs::write(&path, script).unwrap();
        let stand_in = inst("/etc/postfix", &["sh", path.to_str().unwrap()]);
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let stop = StopSwitch::default();
        let ran = tokio::spawn({
            let (access, stop, ids) = (access.clone(), stop.clone(), ids.clone());
            async move {
                apply_watching(
                    &access,
                    &stand_in,
                    QueueOp::DeliverNow,
                    &ids,
                    &mut |_| {},
                    &stop,
                )
                .await
            }
        });
        let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while running(&["sleep", "86418"]).len() < DELIVER_AT_ONCE {
            assert!(
                std::time::Instant::now() < end,
                "never {DELIVER_AT_ONCE} in flight"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let o = stop_and_join(&stop, &access, ran).await.unwrap();
        assert_eq!(o.done, Some(2));
        assert_eq!(o.missed.as_ref().map(Vec::len), Some(18));
        let cmd = format!("sh {} postqueue -i", path.display());
        let lines: Vec<&str> = o.lines.iter().map(Clean::as_str).collect();
        // the failure first: the status bar shows the first line
        let failure = format!(
            "{cmd} A0000002: exited with exit status: 75: postqueue: warning: flush service busy"
        );
        assert_eq!(
            lines,
            [
                failure.clone(),
                format!(
                    "{cmd}: stopped by you before it finished, for 8 messages - the queue is read again to show what it did"
                ),
                "9 messages not asked for after that".to_string(),
            ]
        );
        assert_eq!(
            o.summary(),
            format!(
                "deliver now: asked Postfix to try 2 of 20 messages; not for 18: A0000002, A0000003, A0000004, and 15 more - {failure}"
            )
        );
        assert!(running(&["sleep", "86418"]).is_empty(), "still running");
    }

    #[tokio::test]
    async fn run_bounds_stdout_and_feeds_stdin() {
        let spec = CommandSpec {
            argv: vec!["cat".into()],
            stdin: Some(b"A1B2C3\n".to_vec()),
        };
        let c = run(&spec, 100).await.unwrap();
        assert_eq!(c.stdout, b"A1B2C3\n");
        let spec = CommandSpec {
            argv: vec!["yes".into()],
            stdin: None,
        };
        let c = run(&spec, 1000).await.unwrap();
        assert_eq!(c.stdout.len(), 1000);
        assert!(c.cut);
    }

    /// The processes whose command line is `argv`, read from /proc.
    fn running(argv: &[&str]) -> Vec<String> {
        let want: Vec<u8> = argv
            .iter()
            .flat_map(|a| [a.as_bytes(), b"\0"].concat())
            .collect();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == want))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Wait (a minute at most) until nothing runs `argv`; what still does then.
    fn gone(argv: &[&str]) -> Vec<String> {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = running(argv);
            if left.is_empty() || std::time::Instant::now() > end {
                return left;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    #[tokio::test]
    async fn a_run_stopped_at_a_time_limit_leaves_nothing_it_started_running() {
        // a wrapper that starts a child and waits for it, as a script standing in for
        // postqueue, or sudo, does
        let child = ["sleep", "86401"];
        let spec = CommandSpec {
            argv: vec!["sh".into(), "-c".into(), "sleep 86401; true".into()],
            stdin: None,
        };
        let ran = tokio::time::timeout(std::time::Duration::from_millis(500), run(&spec, 1000));
        let stopped = ran.await;
        assert!(stopped.is_err(), "{stopped:?}");
        assert_eq!(
            gone(&child),
            Vec::<String>::new(),
            "the wrapper's child still runs"
        );

        // the same when the output limit stops it
        let child = ["sleep", "86402"];
        let spec = CommandSpec {
            argv: vec!["sh".into(), "-c".into(), "sleep 86402 & yes".into()],
            stdin: None,
        };
        let c = run(&spec, 1000).await.unwrap();
        assert!(c.cut);
        assert_eq!(
            gone(&child),
            Vec::<String>::new(),
            "the wrapper's child still runs"
        );
    }

    /// Wait (a minute at most) until something runs `argv`.
    fn started(argv: &[&str]) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while running(argv).is_empty() {
            assert!(std::time::Instant::now() < end, "{argv:?} never started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// `sh -c script` run stoppable, its switch thrown once `child` (what it starts) runs: the
    /// run's result, within a minute.
    async fn stopped_once_running(
        script: &str,
        child: [&'static str; 2],
    ) -> Result<Captured, QueueError> {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let spec = CommandSpec {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            stdin: None,
        };
        let stop = StopSwitch::default();
        let ran = tokio::spawn({
            let stop = stop.clone();
            async move { run_stoppable(&spec, 1000, &stop).await }
        });
        tokio::task::spawn_blocking(move || started(&child))
            .await
            .unwrap();
        stop_and_join(&stop, &access, ran).await
    }

    /// Throw `stop`, then `ran`'s result, within a minute.
    async fn stop_and_join<T>(
        stop: &StopSwitch,
        access: &WriteAccess,
        ran: tokio::task::JoinHandle<T>,
    ) -> T {
        stop.throw(access);
        tokio::time::timeout(std::time::Duration::from_secs(60), ran)
            .await
            .expect("still running a minute after it was stopped")
            .unwrap()
    }

    /// A command that hangs (a wrapper waiting on its child, as `sudo` or a script standing in
    /// for postsuper does) ends, with its child, when the switch is thrown: reaped, and said to
    /// be stopped by the user, not failed with a signal's exit status. One that ignores SIGTERM
    /// gets SIGKILL.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_command_stopped_by_the_user_ends_with_everything_it_started() {
        for (script, child) in [
            ("sleep 86411; true", ["sleep", "86411"]),
            ("trap '' TERM; sleep 86412; true", ["sleep", "86412"]),
        ] {
            let e = stopped_once_running(script, child).await.unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "sh -c {script}: stopped by you before it finished - the queue is read again to show what it did"
                )
            );
            assert_eq!(gone(&child), Vec::<String>::new(), "{script}: still runs");
        }
    }

    /// A command that, asked to stop, ends well (exit 0) ended by itself as far as anyone can
    /// tell: its result stands, not "stopped by you". This is also what the run sees when the
    /// command ended just as the stop came, the stop's wake-up before its pipes' end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_command_that_ends_well_as_it_is_stopped_keeps_its_result() {
        let script = "trap 'echo finished >&2; exit 0' TERM; while :; do sleep 86419; done";
        let c = stopped_once_running(script, ["sleep", "86419"])
            .await
            .expect("a command that ended well is no stopped one");
        // (sh says its sleep was terminated first)
        let said = String::from_utf8_lossy(&c.stderr);
        assert!(said.ends_with("finished\n"), "{said}");
        assert_eq!(gone(&["sleep", "86419"]), Vec::<String>::new());
    }

    /// A postsuper stopped after it named a message it acted on: that one was changed, the
    /// others were not reached, and the stop is why.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_postsuper_stopped_part_way_says_what_it_had_done() {
        let script = "read id; echo \"postsuper: $id: placed on hold\" >&2; sleep 86415; true";
        let stand_in = inst("/etc/postfix", &["sh", "-c", script, "sh"]);
        let ids: Vec<QueueId> = ["A1A1A1", "B2B2B2"]
            .iter()
            .map(|s| QueueId::parse(s).unwrap())
            .collect();
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let stop = StopSwitch::default();
        let (named_tx, named_rx) = std::sync::mpsc::channel();
        let ran = tokio::spawn({
            let (access, stop) = (access.clone(), stop.clone());
            async move {
                let mut progress = move |n| {
                    let _ = named_tx.send(n);
                };
                apply_watching(
                    &access,
                    &stand_in,
                    QueueOp::Hold,
                    &ids,
                    &mut progress,
                    &stop,
                )
                .await
            }
        });
        let first = tokio::task::spawn_blocking(move || named_rx.recv().unwrap());
        assert_eq!(first.await.unwrap(), 1);
        // hanging, not only about to
        tokio::task::spawn_blocking(|| started(&["sleep", "86415"]))
            .await
            .unwrap();
        let o = stop_and_join(&stop, &access, ran).await.unwrap();
        assert_eq!(o.done, Some(1));
        assert!(
            matches!(o.stopped, Some(QueueError::StoppedByUser { .. })),
            "{o:?}"
        );
        assert_eq!(
            o.summary(),
            format!(
                "hold: done for 1 of 2 messages; not for 1: B2B2B2 - sh -c {script} sh postsuper -h -: stopped by you before it finished - the queue is read again to show what it did"
            )
        );
        assert_eq!(gone(&["sleep", "86415"]), Vec::<String>::new());
    }
}
