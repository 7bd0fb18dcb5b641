//! The Deploy pane's state and update: what each target looks like, which
//! commit is selected, what is running, what the last action said, and the
//! confirm dialogs that stand before every change.
//!
//! Pure: no I/O, no clock reads (time comes from `Cx`). Every action that
//! changes a host is bound with `writes: true` and leads to an effect that
//! carries a `WriteAccess` cloned from the context; without one the pane
//! never builds such an effect.

use chrono::{DateTime, Local};

use crate::access::WriteAccess;
use crate::app::effect::{Confirm, Effect, Prompt};
use crate::app::pane::{
    Binding, Cx, Key, Nav, Pane, PaneId, Polled, SourceHealth, ViewCx, elapsed_words,
};
use crate::config::Config;
use crate::deploy::checkout::{DeployOutcome, DeployRequest, Kind, Preview};
use crate::deploy::error::DeployError;
use crate::deploy::fetch::FetchProgress;
use crate::deploy::hooks::HookRun;
use crate::deploy::status::{LogEntry, RepoStatus, TakenBack, short_id};
use crate::deploy::{CancelFetch, DeployConfig, DeployEffect, DeployEvent};
use crate::deploy::{journal, lock};
use crate::sanitize::Clean;

/// The prompt purpose for a typed revision.
pub const PROMPT_REVISION: &str = "deploy-revision";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployAction {
    Fetch,
    CancelFetch,
    CheckoutSelected,
    CheckoutTyped,
    Rollback,
    RunHook,
    Refresh,
    NextTarget,
    ToggleLower,
}

/// The actions that change the checkout or run something in it (fetch, deploy, roll back, the
/// hook), which a target's `deployers` keep to them.
const CHANGING: [DeployAction; 5] = [
    DeployAction::Fetch,
    DeployAction::CheckoutSelected,
    DeployAction::CheckoutTyped,
    DeployAction::Rollback,
    DeployAction::RunHook,
];

static BINDINGS: &[Binding<DeployAction>] = &[
    Binding {
        keys: &[Key::ch('f')],
        action: DeployAction::Fetch,
        help: "fetch the remote",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('x')],
        action: DeployAction::CancelFetch,
        help: "cancel the running fetch",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('c')],
        action: DeployAction::CheckoutSelected,
        help: "deploy the selected commit (preview, confirm)",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: DeployAction::CheckoutTyped,
        help: "deploy a revision you type (id, tag, branch, HEAD~2)",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('b')],
        action: DeployAction::Rollback,
        help: "roll back to the previous deploy (confirm)",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('H')],
        action: DeployAction::RunHook,
        help: "run the post-deploy command",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('r')],
        action: DeployAction::Refresh,
        help: "read the checkout again",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('t')],
        action: DeployAction::NextTarget,
        help: "next deploy target",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('l')],
        action: DeployAction::ToggleLower,
        help: "show journal / local changes",
        writes: false,
    },
];

/// What a message line means, drawn with the matching theme role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Text,
    Muted,
    Ok,
    Warn,
    Error,
}

/// What is running on a target.
#[derive(Clone, Debug)]
pub enum Busy {
    Previewing(Clean),
    Fetching {
        progress: FetchProgress,
        cancel: Option<CancelFetch>,
        cancelling: bool,
    },
    /// A deploy or rollback (checkout, hooks, journal) until `Deployed`;
    /// `to` is the short id and subject.
    Deploying {
        kind: Kind,
        to: Clean,
    },
    /// The post-deploy command run alone; the command.
    RunningHook(Clean),
}

impl Busy {
    /// What the pane says while it runs ("deploying 3333333 Subject…").
    pub fn describe(&self) -> String {
        let words = match self {
            Busy::Previewing(spec) => format!("previewing {spec}"),
            Busy::Fetching { cancelling, .. } => {
                format!("{}fetching", if *cancelling { "cancelling: " } else { "" })
            }
            Busy::Deploying {
                kind: Kind::Deploy,
                to,
            } => format!("deploying {to}"),
            Busy::Deploying {
                kind: Kind::Rollback,
                to,
            } => format!("rolling back to {to}"),
            Busy::RunningHook(cmd) => format!("running post-deploy: {cmd}"),
        };
        // a commit subject or command that ends in an ellipsis of its own keeps one
        if words.ends_with('…') {
            words
        } else {
            words + "…"
        }
    }
}

impl PartialEq for Busy {
    fn eq(&self, other: &Busy) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// The lower section of the zoomed view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lower {
    #[default]
    Journal,
    Changes,
}

/// One target's state.
#[derive(Debug)]
pub struct Target {
    pub cfg: DeployConfig,
    pub status: Option<Result<Box<RepoStatus>, Clean>>,
    pub updated: Option<DateTime<Local>>,
    pub selected: usize,
    pub detail: bool,
    pub busy: Option<Busy>,
    /// When what is `busy` began (the action or the event that started it): after 10 s the
    /// pane says for how long it has run, so that a slow fetch can be told from a hung one.
    pub busy_since: Option<DateTime<Local>>,
    /// What the last action said (outcome, refusal, hook output).
    pub last: Vec<(Tone, Clean)>,
    pub errors: u64,
    pub watch_problem: Option<Clean>,
    /// The status read running now has not answered after this long (a hung file
    /// system): said over the status kept from the last read.
    pub slow: Option<std::time::Duration>,
    /// Why the person at the console may not change this checkout (its `deployers`), settled
    /// once at start: the group lookups may block, and keys are handled on the event loop.
    pub refusal: Option<String>,
    /// Put the cursor on HEAD when the next status arrives (after a deploy or rollback: on
    /// the newest commit it would rest on the one just rolled back from).
    pub select_head: bool,
}

impl Target {
    fn new(cfg: DeployConfig) -> Target {
        Target {
            cfg,
            status: None,
            updated: None,
            selected: 0,
            detail: false,
            busy: None,
            busy_since: None,
            last: Vec::new(),
            errors: 0,
            watch_problem: None,
            slow: None,
            refusal: None,
            select_head: false,
        }
    }

    pub fn ok_status(&self) -> Option<&RepoStatus> {
        match &self.status {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }

    /// What the pane says of a status read that has not answered at `now`: the time of the
    /// status kept first, so that a narrow line still says the screen is old, and its date
    /// when it is not today's (a disk hung since last night: a time alone reads as today's).
    pub fn slow_line(&self, now: DateTime<Local>) -> Option<String> {
        let why = self.slow_reason()?;
        Some(match (&self.status, self.updated) {
            (Some(Ok(_)), Some(u)) if u.date_naive() == now.date_naive() => {
                format!("showing the status from {}: {why}", u.format("%H:%M:%S"))
            }
            (Some(Ok(_)), Some(u)) => {
                let at = u.format("%Y-%m-%d %H:%M:%S");
                format!("showing the status from {at}: {why}")
            }
            _ => why,
        })
    }

    /// Why the status is not read: a read that has not answered. The status bar says this
    /// alone, next to the pane's age, which says how old the status kept is.
    pub fn slow_reason(&self) -> Option<String> {
        let after = self.slow?;
        Some(format!(
            "reading the work tree has not answered in {} s (a hung disk or network file system?)",
            after.as_secs()
        ))
    }

    /// `busy` begins on the target at `now`. An action that changes something (a fetch, a
    /// deploy, the post-deploy command) ends what the last one said: it no longer applies.
    /// A preview does not: it only asks, and its dialog may be cancelled.
    fn begin(&mut self, busy: Busy, now: DateTime<Local>) {
        if !matches!(busy, Busy::Previewing(_)) {
            self.last.clear();
        }
        self.busy = Some(busy);
        self.busy_since = Some(now);
    }

    /// Nothing runs on the target any more.
    fn end_busy(&mut self) {
        self.busy = None;
        self.busy_since = None;
    }

    /// How long what runs on the target has run at `now`, once it has run 10 s ("20 s",
    /// "2 min", in the steps of [`elapsed_words`]).
    pub fn running_for(&self, now: DateTime<Local>) -> Option<String> {
        self.busy.as_ref()?;
        elapsed_words(self.busy_since?, now)
    }

    /// What runs on the target, as said at `now`: after 10 s, for how long it has run too.
    /// (The view lays out the post-deploy command run alone itself once its time is said: its
    /// command is cut to the width before its time and its limit are.)
    pub fn doing(&self, now: DateTime<Local>) -> Option<String> {
        let b = self.busy.as_ref()?;
        Some(match self.running_for(now) {
            Some(e) => format!("running for {e}: {}", b.describe()),
            None => b.describe(),
        })
    }

    /// The last action's lines, each clean where it was put together: outside text in them
    /// (a hook's output, a file name, a git message) is escaped once, and not again here.
    fn say(&mut self, lines: Vec<(Tone, Clean)>) {
        self.last = lines;
    }
}

/// The pane's state.
#[derive(Debug, Default)]
pub struct DeployPane {
    pub targets: Vec<Target>,
    pub current: usize,
    pub lower: Lower,
    pub filter: String,
}

impl DeployPane {
    pub fn new(config: &Config) -> DeployPane {
        DeployPane::for_person(config, &lock::person_name())
    }

    /// [`new`](Self::new) for the person at the console, whom each target's `deployers` are
    /// checked against here.
    pub fn for_person(config: &Config, person: &str) -> DeployPane {
        let target = |cfg: &DeployConfig| Target {
            refusal: lock::refusal(&cfg.deployers, person, &cfg.name),
            ..Target::new(cfg.clone())
        };
        DeployPane {
            targets: config.deploy.iter().map(target).collect(),
            ..DeployPane::default()
        }
    }

    pub fn target(&self) -> Option<&Target> {
        self.targets.get(self.current)
    }

    /// What `v` deploys when its prompt is answered with an empty line: the current target's
    /// upstream (`origin/main`).
    fn default_revision(&self) -> Option<String> {
        self.target()
            .map(|t| format!("{}/{}", t.cfg.remote, t.cfg.branch))
    }

    fn target_mut(&mut self) -> Option<&mut Target> {
        self.targets.get_mut(self.current)
    }

    /// The log entries the filter lets through.
    pub fn visible_log<'a>(&self, t: &'a Target) -> Vec<&'a LogEntry> {
        let Some(s) = t.ok_status() else {
            return Vec::new();
        };
        let f = self.filter.to_lowercase();
        s.log
            .iter()
            .filter(|e| {
                f.is_empty()
                    || e.commit.subject.to_lowercase().contains(&f)
                    || e.commit.author.to_lowercase().contains(&f)
                    || e.commit.id.to_string().starts_with(&f)
            })
            .collect()
    }

    fn selected_entry(&self) -> Option<&LogEntry> {
        let t = self.target()?;
        self.visible_log(t).get(t.selected).copied()
    }

    /// Ok when nothing runs on the current target; else the notice that
    /// turns a new action away.
    fn idle(&self) -> Result<(), Clean> {
        match self.target().and_then(|t| t.busy.as_ref()) {
            None => Ok(()),
            Some(Busy::Fetching { .. }) => Err("a fetch is running (x cancels it)".into()),
            Some(Busy::Previewing(_)) => Err("a preview is being prepared".into()),
            Some(b @ (Busy::Deploying { .. } | Busy::RunningHook(_))) => Err(Clean::joined(
                format!("{} wait until it ends", b.describe()),
            )),
        }
    }

    fn preview(&mut self, spec: String, kind: Kind, now: DateTime<Local>) -> Vec<Effect> {
        if let Err(e) = self.idle() {
            return vec![Effect::Notice(e)];
        }
        let target = self.current;
        if let Some(t) = self.target_mut() {
            t.begin(Busy::Previewing(Clean::capped(&spec, 60)), now);
        }
        vec![Effect::Deploy(DeployEffect::Preview { target, spec, kind })]
    }

    /// Turn a preview into a confirm dialog, or a refusal that says why.
    fn on_preview(
        &mut self,
        target: usize,
        p: Preview,
        access: Option<&WriteAccess>,
    ) -> Vec<Effect> {
        let Some(access) = access else {
            return Vec::new();
        };
        let Some(t) = self.targets.get_mut(target) else {
            return Vec::new();
        };
        let word = p.kind.word();
        // `b` went by the journal of the last status read; the preview read it again: another
        // console's deploy or rollback in between moves where a rollback goes
        if p.kind == Kind::Rollback
            && !p
                .journal_seen
                .undoes
                .as_ref()
                .is_some_and(|e| !e.from.is_empty() && p.to.id.to_string().starts_with(&e.from))
        {
            t.say(vec![
                (
                    Tone::Error,
                    "Refused: the deploy journal changed since the status was read:".into(),
                ),
                (
                    Tone::Warn,
                    Clean::joined(format!("  {}", p.journal_seen.goes_to())),
                ),
                (
                    Tone::Muted,
                    "Nothing was changed. Look at the journal again: b goes by it as it is now."
                        .into(),
                ),
            ]);
            return Vec::new();
        }
        if let Some(state) = p.state {
            t.say(escaped(vec![
                (
                    Tone::Error,
                    format!(
                        "Refused: a {state} is in progress in {}.",
                        t.cfg.path.display()
                    ),
                ),
                (
                    Tone::Muted,
                    "Finish or abort it with git first; nothing was changed.".into(),
                ),
            ]));
            return Vec::new();
        }
        if let Some(l) = &p.lock
            && !p.lock_stale
        {
            t.say(vec![
                (
                    Tone::Error,
                    Clean::joined(format!("Refused: deploy lock held by {}.", l.holder())),
                ),
                (
                    Tone::Muted,
                    "Nothing was changed. Wait for that deploy to finish.".into(),
                ),
            ]);
            return Vec::new();
        }
        if !p.ignored_conflicts.is_empty() {
            let n = p.ignored_conflicts.len();
            let mut say = vec![(
                Tone::Error,
                Clean::new(&format!(
                    "Refused (dry run): {} tracks {n} file(s) that are ignored here and would be overwritten:",
                    p.to.short
                )),
            )];
            say.extend(
                p.ignored_conflicts
                    .iter()
                    .take(8)
                    .map(|c| (Tone::Warn, Clean::joined(format!("  {c}")))),
            );
            say.push((
                Tone::Muted,
                "A stash does not keep ignored files: move them out of the way first. Nothing was changed."
                    .into(),
            ));
            t.say(say);
            return Vec::new();
        }
        if let Some((attempt, files, total)) = p
            .left_part_way
            .as_ref()
            .filter(|_| p.from.as_ref().map(|f| f.id) == Some(p.to.id))
        {
            // HEAD again, over what a checkout from it that stopped part-way left
            let mut lines = vec![Clean::new(&format!(
                "The checkout of {attempt} stopped part-way: HEAD is still {}, but",
                p.to.short
            ))];
            lines.push(Clean::joined(format!(
                "{total} file(s) are {attempt}'s: {}",
                names(files, 4)
            )));
            lines.push(Clean::new(&format!(
                "They get {}'s bytes back; nothing else changes, no hook runs.",
                p.to.short
            )));
            return vec![Effect::Confirm(Confirm {
                title: Clean::new(&format!("Put back {}'s files?", p.to.short)),
                lines,
                then: vec![Effect::Deploy(DeployEffect::Deploy {
                    target,
                    request: DeployRequest {
                        kind: p.kind,
                        to: p.to.id,
                        expected_from: Some(p.to.id),
                        stash: false,
                        take_over: p.lock.clone().filter(|_| p.lock_stale),
                        journal_seen: (p.kind == Kind::Rollback)
                            .then(|| Box::new(p.journal_seen.clone())),
                    },
                    access: access.clone(),
                })],
            })];
        }
        if p.from.as_ref().map(|f| f.id) == Some(p.to.id) {
            t.say(vec![(
                Tone::Muted,
                Clean::new(&format!("{} is already deployed.", p.to.short)),
            )]);
            return Vec::new();
        }
        let request = DeployRequest {
            kind: p.kind,
            to: p.to.id,
            expected_from: p.from.as_ref().map(|f| f.id),
            stash: !p.conflicts.is_empty(),
            take_over: p.lock.clone().filter(|_| p.lock_stale),
            journal_seen: (p.kind == Kind::Rollback).then(|| Box::new(p.journal_seen.clone())),
        };
        let mut room = Room {
            conflicts: p.conflicts.len().min(4),
            new: p.new_commits.len().min(3),
            dropped: p.dropped_commits.len().min(3),
            files: p.files.len().min(4),
        };
        let mut lines = confirm_lines(&p, t, room);
        // At 80x24 the dialog shows CONFIRM_ROWS rows: the lists of commits, files and files
        // in the way give way, longest first, so that what the checkout does and the keys
        // stay on the screen.
        while confirm_rows(&lines) > CONFIRM_ROWS {
            let longest = [
                &mut room.files,
                &mut room.new,
                &mut room.dropped,
                &mut room.conflicts,
            ]
            .into_iter()
            .max_by_key(|n| **n);
            match longest {
                Some(n) if *n > 0 => *n -= 1,
                _ => break,
            }
            lines = confirm_lines(&p, t, room);
        }
        let title = if p.conflicts.is_empty() {
            format!("{} {}?", capital(word), p.to.short)
        } else {
            // the files in the way are said in the dialog: nothing was refused, no action is
            // recorded until the user answers
            format!("Stash local work and {word} {}?", p.to.short)
        };
        vec![Effect::Confirm(Confirm {
            title: Clean::new(&title),
            // joined from the preview's clean subjects, file names and spec, and own words
            lines: lines.into_iter().map(Clean::joined).collect(),
            then: vec![Effect::Deploy(DeployEffect::Deploy {
                target,
                request,
                access: access.clone(),
            })],
        })]
    }

    fn on_deployed(
        &mut self,
        target: usize,
        request: DeployRequest,
        result: Result<Box<DeployOutcome>, DeployError>,
        access: Option<&WriteAccess>,
    ) -> Vec<Effect> {
        let Some(t) = self.targets.get_mut(target) else {
            return Vec::new();
        };
        t.end_busy();
        match result {
            Ok(o) => {
                let mut say = vec![(
                    Tone::Ok,
                    Clean::new(&format!(
                        "{} done: {} -> {}",
                        capital(o.kind.word()),
                        o.from.map(short_id).unwrap_or_else(|| "(nothing)".into()),
                        short_id(o.to)
                    )),
                )];
                // Two short lines: the last action's section holds a few rows.
                if let Some((id, _)) = &o.stash {
                    say.push((
                        Tone::Warn,
                        Clean::joined(format!(
                            "Stashed, not restored (stash@{{0}} {}): {}",
                            short_id(*id),
                            names(&o.stashed, 3)
                        )),
                    ));
                    say.push((
                        Tone::Muted,
                        Clean::new(&format!(
                            "git stash pop in {} brings it back",
                            t.cfg.path.display()
                        )),
                    ));
                    if !o.stash_may_conflict.is_empty() {
                        say.push((
                            Tone::Warn,
                            Clean::joined(pop_may_conflict(
                                o.to,
                                &o.stash_may_conflict,
                                &o.stashed,
                            )),
                        ));
                    }
                }
                say.extend(hook_lines(&o.hooks));
                if let Some(p) = &o.journal_problem {
                    say.push((
                        Tone::Warn,
                        Clean::joined(format!("journal not written: {p}")),
                    ));
                }
                t.say(say);
                t.selected = 0;
                t.select_head = true;
                // the checkout stands, but a hook that failed (a reload that did not happen)
                // may leave the site serving the old code: the notice says so, not just "done"
                let failed: Vec<String> = o
                    .hooks
                    .iter()
                    .filter(|h| !h.end.ok())
                    .map(|h| format!("{} {}", h.name, h.end.describe()))
                    .collect();
                let but = if failed.is_empty() {
                    String::new()
                } else {
                    format!(", but {} FAILED", failed.join(", "))
                };
                // the target's name is the configuration's, escaped here; the hooks' names and
                // ends are clean already
                let mut done = Clean::new(&format!(
                    "{}: {} {} done",
                    t.cfg.name,
                    o.kind.word(),
                    short_id(o.to)
                ));
                done.push_clean(&Clean::joined(but));
                let mut fx = vec![Effect::Notice(done)];
                if t.cfg.probe_after {
                    fx.push(Effect::Probe(crate::probe::ProbeEffect::RunAll));
                }
                fx
            }
            Err(DeployError::Locked {
                holder,
                lock,
                stale: true,
                ..
            }) if access.is_some() => {
                t.say(vec![(
                    Tone::Warn,
                    Clean::new(&format!(
                        "Deploy lock held by {holder}: {}.",
                        if lock.empty.is_some() {
                            "it has stayed empty for over a minute"
                        } else {
                            "that process is gone"
                        }
                    )),
                )]);
                let Some(access) = access else {
                    return Vec::new();
                };
                vec![Effect::Confirm(Confirm {
                    title: "Take over the stale deploy lock?".into(),
                    lines: vec![
                        Clean::new(&format!("Held by {holder}")),
                        lock.stale_sentence().into(),
                        Clean::new(&format!(
                            "Then {} {}.",
                            request.kind.word(),
                            short_id(request.to)
                        )),
                    ],
                    then: vec![Effect::Deploy(DeployEffect::Deploy {
                        target,
                        request: DeployRequest {
                            take_over: Some(*lock),
                            ..request
                        },
                        access: access.clone(),
                    })],
                })]
            }
            Err(DeployError::JournalMoved {
                newest, goes_to, ..
            }) => {
                t.errors += 1;
                // the journal's words are clean where they were read; short lines, as for a
                // HEAD moved: a long docroot path first would push what changed out of sight
                t.say(vec![
                    (
                        Tone::Error,
                        Clean::new(&format!(
                            "Refused: the deploy journal changed since the {} was previewed:",
                            request.kind.word()
                        )),
                    ),
                    (Tone::Warn, Clean::joined(format!("  {newest}"))),
                    (Tone::Warn, Clean::joined(format!("  {goes_to}"))),
                    (
                        Tone::Muted,
                        "HEAD and the work tree are as they were: look at the journal again."
                            .into(),
                    ),
                ]);
                Vec::new()
            }
            Err(DeployError::PartialCheckout {
                path,
                to,
                message,
                written,
                written_total,
                stash,
            }) => {
                t.errors += 1;
                let from = request
                    .expected_from
                    .map(short_id)
                    .unwrap_or_else(|| "(nothing)".into());
                // Six rows at most: at 80x24 the last action gets no more beside the commits.
                // How to go on comes before the stash, so that it is never the one cut off.
                let written: Vec<Clean> = written.iter().map(|f| Clean::new(f)).collect();
                let again = match request.kind {
                    Kind::Deploy => format!("deploy {to}"),
                    Kind::Rollback => format!("roll back to {to}"),
                };
                let mut say = vec![
                    (
                        Tone::Error,
                        Clean::new(&format!(
                            "{} stopped part-way: {message}",
                            capital(request.kind.word())
                        )),
                    ),
                    (
                        Tone::Warn,
                        Clean::joined(format!(
                            "HEAD is still {from}, but {written_total} file(s) are already {to}'s: {}",
                            names(&written, 4)
                        )),
                    ),
                    (
                        Tone::Muted,
                        Clean::new(&format!(
                            "Fix the cause and {again} again{}.",
                            match request.expected_from {
                                Some(_) => format!(", or deploy {from} to go back"),
                                None => String::new(),
                            }
                        )),
                    ),
                ];
                if let Some(stash) = stash {
                    // two short lines: the docroot's path would push the rest past the width
                    say.push((
                        Tone::Warn,
                        Clean::new(&format!(
                            "Your local changes are in the stash ({}, stash@{{0}}):",
                            stash.id
                        )),
                    ));
                    say.push((
                        Tone::Muted,
                        Clean::new(&format!(
                            "git stash pop in {} puts them back",
                            path.display()
                        )),
                    ));
                    if !stash.may_conflict.is_empty() {
                        let files: Vec<Clean> =
                            stash.may_conflict.iter().map(|f| Clean::new(f)).collect();
                        say.push((
                            Tone::Warn,
                            Clean::joined(pop_may_conflict(request.to, &files, &[])),
                        ));
                    }
                }
                t.say(say);
                Vec::new()
            }
            Err(e) => {
                t.errors += 1;
                let mut say = vec![(
                    Tone::Error,
                    format!("{} failed: {e}", capital(request.kind.word())),
                )];
                // Said in short lines: the last action is cut at the width, and a long docroot
                // path first would push the new HEAD and who moved it out of sight.
                if let DeployError::HeadMoved { now, by, .. } = &e {
                    say = vec![(
                        Tone::Error,
                        format!("Refused: HEAD moved since the preview, to {now}"),
                    )];
                    if let Some(by) = by {
                        say.push((Tone::Warn, format!("  {by}")));
                    }
                }
                // who holds it first, and what to do: the lock's path first would push them out
                // of sight at 80 columns
                if let DeployError::Locked {
                    holder,
                    stale: false,
                    ..
                } = &e
                {
                    say = vec![
                        (
                            Tone::Error,
                            format!("Refused: the deploy lock is held by {holder}"),
                        ),
                        (
                            Tone::Muted,
                            "Another deploy is under way: try again when it is released.".into(),
                        ),
                    ];
                }
                // why first, then who fixes it and the command, on a line of its own: the
                // guard's path is long
                if let DeployError::GuardUnreadable { path, owner, mode } = &e {
                    say = vec![
                        (
                            Tone::Error,
                            "Refused: no takeover of the stale lock: its guard is not readable to you."
                                .into(),
                        ),
                        (
                            Tone::Warn,
                            format!("  The guard is {owner}'s, mode {mode:04o}. {owner} can fix it with:"),
                        ),
                        (Tone::Text, format!("  chmod a+r {}", path.display())),
                        (
                            Tone::Muted,
                            format!("{owner}'s next deploy with opsdeck fixes it too."),
                        ),
                    ];
                }
                if let DeployError::WouldOverwrite { files, .. } = &e {
                    say = vec![(
                        Tone::Error,
                        format!(
                            "Refused: {} local file(s) would be overwritten:",
                            files.len()
                        ),
                    )];
                    say.extend(files.iter().take(8).map(|f| (Tone::Warn, format!("  {f}"))));
                }
                if let DeployError::StashedThenRefused {
                    path, stash, files, ..
                } = &e
                {
                    say = vec![(
                        Tone::Error,
                        format!(
                            "Refused after the stash: {} file(s) still in the way (no stash takes them):",
                            files.len()
                        ),
                    )];
                    say.extend(files.iter().take(8).map(|f| (Tone::Warn, format!("  {f}"))));
                    // two short lines, as after a deploy: a long docroot path is cut at the width
                    say.push((
                        Tone::Warn,
                        format!(
                            "Your local changes are in the stash ({stash}, stash@{{0}}), not the work tree:"
                        ),
                    ));
                    say.push((
                        Tone::Muted,
                        format!("git stash pop in {} puts them back", path.display()),
                    ));
                    say.push((Tone::Muted, "HEAD is as it was.".into()));
                } else {
                    say.push((
                        Tone::Muted,
                        "HEAD and the work tree are as they were.".into(),
                    ));
                }
                t.say(escaped(say));
                Vec::new()
            }
        }
    }
}

/// How many items of each list the confirm names (the counts are always said).
#[derive(Clone, Copy, Debug)]
struct Room {
    conflicts: usize,
    new: usize,
    dropped: usize,
    files: usize,
}

/// The rows the confirm dialog has for its lines at 80x24 (22 rows less its border, the blank
/// line and the keys), and its width inside the border.
const CONFIRM_ROWS: usize = 18;
const CONFIRM_COLS: usize = 68;

/// The rows `lines` take in the dialog, wrapped at its width.
fn confirm_rows(lines: &[impl AsRef<str>]) -> usize {
    use unicode_width::UnicodeWidthStr;
    lines
        .iter()
        .map(|l| l.as_ref().width().div_ceil(CONFIRM_COLS).max(1))
        .sum()
}

/// A list item of the confirm on one row of the dialog, cut with an ellipsis.
fn one_row(line: String) -> String {
    crate::ui::widgets::truncate(&line, CONFIRM_COLS)
}

/// The confirm's lines for a preview: what the checkout does, what is in the way and what the
/// stash takes, the commits and files (as many as `room` lets), warnings, the hook after.
fn confirm_lines(p: &Preview, t: &Target, room: Room) -> Vec<String> {
    // The target heads the commits it brings when it is one of them: the first line names it
    // (with its mark), and the list goes on with the older ones, each commit said once.
    let target_first = p.new_commits.first().is_some_and(|c| c.id == p.to.id);
    let older = if target_first && p.new_total > 1 {
        format!(" (it and {} older)", p.new_total - 1)
    } else {
        String::new()
    };
    let target_mark = match p.deployed_before.get(&p.to.id) {
        // the one new commit: its mark is in the count
        Some(b) if target_first && p.new_total > 1 && p.kind == Kind::Deploy => {
            format!("({}) ", b.mark())
        }
        _ => String::new(),
    };
    let to = format!("{} {target_mark}{}", p.to.short, p.to.subject);
    // HEAD heads the commits taken back when it is one of them (a rollback, a deploy beside
    // HEAD): the first line names it with its subject, and the list goes on with the older
    // ones, each commit said once. A deploy of an older revision (nothing new, only commits
    // taken back) lists all it takes back, HEAD too, under a count that matches the list: the
    // first line names HEAD by id.
    let back_to_older = p.kind == Kind::Deploy && p.new_total == 0 && p.dropped_total > 0;
    let from_first = !back_to_older
        && p.from
            .as_ref()
            .is_some_and(|f| p.dropped_commits.first().is_some_and(|c| c.id == f.id));
    let from = match &p.from {
        Some(f) if from_first => format!("{} {}", f.short, f.subject),
        Some(f) => f.short.to_string(),
        None => "(nothing)".into(),
    };
    let word = p.kind.word();
    let mut lines = Vec::new();
    lines.push(format!("{word} {from} -> {to}"));
    if back_to_older {
        lines.push("This takes the site back to an older revision.".into());
    }
    if let Some((upstream, behind)) = &p.stale_branch {
        lines.push(format!(
            "{} is the local branch, {behind} commit(s) behind {upstream} as fetched: \
             to deploy what was pushed, give {upstream}",
            p.spec
        ));
    }
    if p.kind == Kind::Rollback {
        lines.extend(undone_lines(p));
    }
    // commits live once and taken back are not new: said as the commit list says them; a
    // rollback goes back to a revision that was deployed, so all it brings was live before
    // of every new commit asked about, listed or not; past MAX_ASKED the older are not asked
    let not_known = p
        .deployed_before
        .values()
        .filter(|b| **b == TakenBack::NotKnown)
        .count();
    let bounded = p.new_asked < p.new_total;
    let mut commits = match (p.kind, deployed_before(p)) {
        // a rollback to the deploy before the last brings nothing back: not said
        (Kind::Rollback, _) if p.new_total == 0 => String::new(),
        (Kind::Rollback, _) => format!("{} commit(s) brought back{older}", p.new_total),
        // an older revision: said above, and what it takes back below
        (Kind::Deploy, _) if back_to_older => String::new(),
        (Kind::Deploy, None) if not_known == 0 && !bounded => {
            format!("{} new commit(s){older}", p.new_total)
        }
        (Kind::Deploy, back) => {
            let mut s = format!("{} commit(s) to deploy{older}", p.new_total);
            let of = if bounded {
                format!("of the newest {}", p.new_asked)
            } else {
                "of them".to_string()
            };
            match back {
                Some((k, word)) => s.push_str(&format!(", {k} {of} {word} before")),
                None if bounded => s.push_str(&format!(", none {of} taken back before")),
                None => {}
            }
            if bounded {
                s.push_str(", the older not asked");
            }
            if not_known > 0 {
                // older than the journal's reach: perhaps live before, perhaps new
                s.push_str(&format!(
                    ", {not_known} not known (older than the journal's last {} deploys)",
                    crate::deploy::status::TAKEN_BACK_ENTRIES
                ));
            }
            s
        }
    };
    if p.dropped_total > 0 {
        let sep = if commits.is_empty() { "" } else { ", " };
        commits.push_str(&format!("{sep}{} commit(s) taken back", p.dropped_total));
    }
    if !commits.is_empty() {
        lines.push(commits);
    }
    // the target is named by the first line: the list is of the commits under it
    let listed = p
        .new_commits
        .iter()
        .take(room.new + usize::from(target_first));
    for c in listed.skip(usize::from(target_first)) {
        let mark = match p.deployed_before.get(&c.id) {
            Some(b) if p.kind == Kind::Deploy => format!("({}) ", b.mark()),
            _ => String::new(),
        };
        lines.push(one_row(format!("  + {} {mark}{}", c.short, c.subject)));
    }
    // the newest of those taken back, when the list shown does not hold it
    if let Some(c) = p.newest_taken_back.as_ref().filter(|n| {
        p.kind == Kind::Deploy
            && !p
                .new_commits
                .iter()
                .take(room.new + usize::from(target_first))
                .any(|c| c.id == n.id)
    }) {
        let mark = p
            .deployed_before
            .get(&c.id)
            .map(|b| b.mark())
            .unwrap_or("taken back");
        lines.push(one_row(format!(
            "  the newest {mark}: {} {}",
            c.short, c.subject
        )));
    }
    for c in p
        .dropped_commits
        .iter()
        .skip(usize::from(from_first))
        .take(room.dropped)
    {
        lines.push(one_row(format!("  - {} {}", c.short, c.subject)));
    }
    // leaving a commit no remote holds: nothing but git's reflog remembers it after
    if let Some(from) = p.from.as_ref().filter(|f| {
        p.dropped_total > 0
            && t.ok_status()
                .is_some_and(|s| s.on_no_remote && s.head.as_ref().map(|h| h.id) == Some(f.id))
    }) {
        lines.push(format!(
            "WARNING: {} is on no remote branch: after this only git's reflog keeps it",
            from.short
        ));
    }
    lines.push(format!("{} file(s) change:", p.files_total));
    for f in p.files.iter().take(room.files) {
        lines.push(one_row(format!("  {} {}", f.kind, f.path)));
    }
    if p.files_total > room.files {
        lines.push(format!("  ... and {} more", p.files_total - room.files));
    }
    if !p.submodules.is_empty() {
        lines.push(format!(
            "Submodule(s) {} move but are not updated: run git submodule update after",
            p.submodules
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if p.owner.mismatch() {
        lines.push(format!(
            "WARNING: tree owned by {}, files will be written as {}",
            p.owner.tree_user, p.owner.run_user
        ));
    }
    if let Some(l) = p.lock.as_ref().filter(|_| p.lock_stale) {
        lines.push(format!(
            "Takes over the STALE lock of {} ({})",
            l.holder(),
            l.stale_why()
        ));
    }
    // A stash takes more than what is in the way: said below instead.
    if p.local_changes > 0 && p.conflicts.is_empty() {
        lines.push(format!(
            "{} local change(s) not in the way are kept",
            p.local_changes
        ));
    }
    // The checkout runs the post-deploy command after it (as `H` does).
    if let Some(cmd) = t
        .cfg
        .post_deploy
        .as_deref()
        .filter(|l| !l.trim().is_empty())
    {
        // where and how long first: the command last, whole, so that its own commas and
        // semicolons are not read as the dialog's
        let [cmd, dir, timeout] = post_deploy_lines(cmd, &t.cfg);
        lines.push(format!(
            "Then the post-deploy command runs ({dir}, {timeout}): {cmd}"
        ));
    }
    if !p.conflicts.is_empty() {
        let n = p.conflicts.len();
        // one a row, or with no room for that, as many as one row holds
        let mut head = vec![format!("{n} local file(s) would be overwritten:")];
        if n <= room.conflicts {
            head.extend(p.conflicts.iter().map(|c| one_row(format!("  ! {c}"))));
        } else {
            head.push(one_row(format!("  ! {}", names(&p.conflicts, 8))));
        }
        let mut stash = vec![format!(
            "{} local change(s) go to git stash{} and are NOT restored; git stash pop gets them back.",
            p.stash.takes,
            if p.stash.untracked {
                ", untracked files too"
            } else {
                ""
            }
        )];
        // named unless they are the files in the way, listed above
        if !p.stash_files.is_empty() && p.stash_files != p.conflicts {
            stash.push(format!("  to the stash: {}", names(&p.stash_files, 4)));
        }
        if !p.stash_may_conflict.is_empty() {
            stash.push(pop_may_conflict(
                p.to.id,
                &p.stash_may_conflict,
                &p.stash_files,
            ));
        }
        if p.stash.leaves > 0 {
            stash.push(format!(
                "{} untracked file(s) stay where they are.",
                p.stash.leaves
            ));
        }
        head.extend(stash);
        lines.splice(0..0, head);
    }
    lines
}

/// What a rollback undoes, from the journal as the preview read it: the deploy it takes back (who, when), that HEAD is
/// not where that deploy left it when so, and that another `b` goes further back.
fn undone_lines(p: &Preview) -> Vec<String> {
    let Some(e) = p
        .journal_seen
        .undoes
        .as_ref()
        .filter(|e| e.from == p.to.id.to_string())
    else {
        return Vec::new();
    };
    let short = |x: &str| x.get(..7).unwrap_or(x).to_string();
    // its revisions are not said again: it came from the rollback's target, and went to
    // HEAD or, when HEAD moved since, to the revision the line after names
    let mut lines = vec![format!(
        "Undoes the deploy by {}@{}, {}",
        e.user,
        e.host,
        e.local_time()
    )];
    if let Some(from) = p.from.as_ref().filter(|f| f.id.to_string() != e.to) {
        lines.push(format!(
            "HEAD {} is not the {} that deploy left: it was moved outside opsdeck",
            from.short,
            short(&e.to)
        ));
    }
    lines.push("b again after it goes one deploy further back".into());
    lines
}

/// The stashed files the checkout to `to` changed too, where `git stash pop` merges and may
/// conflict: one short line (the last action is cut at the width).
fn pop_may_conflict(to: git2::Oid, files: &[Clean], stashed: &[Clean]) -> String {
    // the stashed files are named up to MAX_LISTED: past that, "all" is not known
    let all = files == stashed && stashed.len() < crate::deploy::checkout::MAX_LISTED;
    let (which, them) = match files.len() {
        1 => (files[0].to_string(), "it"),
        _ if all => ("all of them".to_string(), "them"),
        _ => (names(files, 2), "them"),
    };
    format!(
        "  the pop may conflict in {which} ({} changes {them} too)",
        short_id(to)
    )
}

/// Of the commits a checkout brings in, how many were live once and taken back (as the commit
/// list marks them, and those in no list too: the preview asked the journal of each), and the
/// word for them.
fn deployed_before(p: &Preview) -> Option<(usize, &'static str)> {
    let marks: Vec<&'static str> = p
        .deployed_before
        .values()
        .map(|b| b.mark())
        .filter(|m| *m != "not known")
        .collect();
    let word = if marks.iter().all(|m| *m == "rolled back") {
        "rolled back"
    } else {
        "taken back"
    };
    (!marks.is_empty()).then_some((marks.len(), word))
}

/// Up to `n` file names, then how many more.
fn names(files: &[Clean], n: usize) -> String {
    let mut s = files
        .iter()
        .take(n)
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > n {
        s.push_str(&format!(" and {} more", files.len() - n));
    }
    s
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The post-deploy command as the confirm dialogs name it: the command,
/// the directory it runs in, its timeout.
fn post_deploy_lines(cmd: &str, cfg: &DeployConfig) -> [Clean; 3] {
    [
        Clean::new(cmd),
        Clean::new(&format!("in {}", cfg.path.display())),
        Clean::new(&format!("timeout {}s", cfg.hook_timeout_secs)),
    ]
}

/// Lines of opsdeck's own words and raw outside text (a git error, a configured path), for
/// [`Target::say`]: escaped here, once.
fn escaped(lines: Vec<(Tone, String)>) -> Vec<(Tone, Clean)> {
    lines
        .into_iter()
        .map(|(t, s)| (t, Clean::new(&s)))
        .collect()
}

/// A hook's name, end and last lines of output, clean as the hook's run holds them.
fn hook_lines(hooks: &[HookRun]) -> Vec<(Tone, Clean)> {
    let mut out = Vec::new();
    for h in hooks {
        let tone = if h.end.ok() { Tone::Ok } else { Tone::Error };
        out.push((
            tone,
            Clean::joined(format!("{}: {}", h.name, h.end.describe())),
        ));
        let skip = h.output.len().saturating_sub(6);
        if skip > 0 {
            out.push((
                Tone::Muted,
                Clean::new(&format!("  ... {skip} earlier line(s)")),
            ));
        }
        for l in &h.output[skip..] {
            let mut line = Clean::new("  ");
            line.push_clean(l);
            out.push((Tone::Text, line));
        }
        if h.cut {
            out.push((Tone::Muted, "  (output cut)".into()));
        }
    }
    out
}

impl Pane for DeployPane {
    type Action = DeployAction;
    type Event = DeployEvent;

    fn bindings(&self) -> &'static [Binding<DeployAction>] {
        BINDINGS
    }

    /// No key does anything without a target; `t` moves to the next target only where there
    /// is another one; a person not among the target's `deployers` is offered none of the keys
    /// that would change it (pressed, they say why they are refused).
    fn offers(&self, action: DeployAction) -> bool {
        let writes = BINDINGS.iter().any(|b| b.action == action && b.writes);
        if writes && self.target().is_some_and(|t| t.refusal.is_some()) {
            return false;
        }
        match self.targets.len() {
            0 => false,
            1 => action != DeployAction::NextTarget,
            _ => true,
        }
    }

    fn help_without_keys(&self) -> &'static str {
        "no deploy target is configured: add one as a [[deploy]] table in the config file"
    }

    /// A person not among the target's deployers is told why its changing keys are not listed.
    fn help_note(&self) -> Option<String> {
        self.target().and_then(|t| t.refusal.clone())
    }

    fn on_action(&mut self, action: DeployAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        if self.targets.is_empty() {
            return vec![Effect::Notice(
                "no deploy target configured ([[deploy]])".into(),
            )];
        }
        let target = self.current;
        if CHANGING.contains(&action)
            && cx.access.is_some()
            && let Some(no) = self.target().and_then(|t| t.refusal.clone())
        {
            return vec![Effect::notice(no)];
        }
        match action {
            // another read would only wait behind the one that hangs
            DeployAction::Refresh if self.targets[target].slow.is_some() => {
                vec![Effect::Notice(
                    "the last read of the work tree has not answered yet: still waiting for it"
                        .into(),
                )]
            }
            DeployAction::Refresh => vec![Effect::Deploy(DeployEffect::Refresh { target })],
            DeployAction::NextTarget if self.targets.len() == 1 => {
                vec![Effect::notice(format!(
                    "only one deploy target is configured: {}",
                    self.targets[0].cfg.name
                ))]
            }
            DeployAction::NextTarget => {
                self.current = (self.current + 1) % self.targets.len();
                Vec::new()
            }
            DeployAction::ToggleLower => {
                self.lower = match self.lower {
                    Lower::Journal => Lower::Changes,
                    Lower::Changes => Lower::Journal,
                };
                Vec::new()
            }
            DeployAction::Fetch => {
                let Some(access) = cx.access else {
                    return Vec::new();
                };
                if let Err(e) = self.idle() {
                    return vec![Effect::Notice(e)];
                }
                if let Some(t) = self.target_mut() {
                    let fetching = Busy::Fetching {
                        progress: FetchProgress::default(),
                        cancel: None,
                        cancelling: false,
                    };
                    t.begin(fetching, cx.now);
                }
                vec![Effect::Deploy(DeployEffect::Fetch {
                    target,
                    access: access.clone(),
                })]
            }
            DeployAction::CancelFetch => {
                if let Some(Target {
                    busy:
                        Some(Busy::Fetching {
                            cancel, cancelling, ..
                        }),
                    ..
                }) = self.target_mut()
                {
                    if let Some(c) = cancel {
                        c.cancel();
                    }
                    *cancelling = true;
                    return vec![Effect::Notice("cancelling the fetch".into())];
                }
                if let Some(
                    t @ Target {
                        busy: Some(b @ (Busy::Deploying { .. } | Busy::RunningHook(_))),
                        ..
                    },
                ) = self.target()
                {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "{} it cannot be cancelled; its hooks stop after {}s",
                        b.describe(),
                        t.cfg.hook_timeout_secs
                    )))];
                }
                vec![Effect::Notice("no fetch is running".into())]
            }
            DeployAction::CheckoutSelected => {
                if cx.access.is_none() {
                    return Vec::new();
                }
                match self.selected_entry() {
                    Some(e) => {
                        let spec = e.commit.id.to_string();
                        self.preview(spec, Kind::Deploy, cx.now)
                    }
                    // the checkout's error is clean already
                    None => vec![Effect::Notice(Clean::joined(
                        match self.target().map(|t| &t.status) {
                            Some(Some(Err(e))) => {
                                format!("no commit to deploy: the checkout could not be read: {e}")
                            }
                            Some(None) => {
                                "no commit to deploy yet: the checkout is still being read".into()
                            }
                            _ => "no commit selected".into(),
                        },
                    ))],
                }
            }
            DeployAction::CheckoutTyped => {
                if cx.access.is_none() {
                    return Vec::new();
                }
                if let Err(e) = self.idle() {
                    return vec![Effect::Notice(e)];
                }
                // The upstream is the default an empty line takes, said in the label: a line
                // that started with it written in would have what is typed appended to it.
                let label = match self.default_revision() {
                    Some(up) => format!(
                        "Revision to deploy (id, tag, branch, HEAD~2; Enter: {}):",
                        up
                    ),
                    None => "Revision to deploy (id, tag, branch, HEAD~2):".into(),
                };
                vec![Effect::Prompt(Prompt {
                    pane: PaneId::Deploy,
                    purpose: PROMPT_REVISION,
                    label,
                    initial: String::new(),
                })]
            }
            DeployAction::Rollback => {
                if cx.access.is_none() {
                    return Vec::new();
                }
                if let Err(e) = self.idle() {
                    return vec![Effect::Notice(e)];
                }
                let journal = self
                    .target()
                    .and_then(|t| t.ok_status())
                    .map(|s| s.journal.as_slice())
                    .unwrap_or_default();
                match journal::rollback_target(journal).map(|e| e.from.clone()) {
                    Some(id) => self.preview(id, Kind::Rollback, cx.now),
                    None => vec![Effect::Notice(
                        journal::nothing_to_roll_back(journal).into(),
                    )],
                }
            }
            DeployAction::RunHook => {
                let Some(access) = cx.access else {
                    return Vec::new();
                };
                let Some(t) = self.target() else {
                    return Vec::new();
                };
                let Some(cmd) = t.cfg.post_deploy.clone() else {
                    return vec![Effect::Notice("no post_deploy command configured".into())];
                };
                if let Err(e) = self.idle() {
                    return vec![Effect::Notice(e)];
                }
                vec![Effect::Confirm(Confirm {
                    title: "Run the post-deploy command?".into(),
                    lines: post_deploy_lines(&cmd, &t.cfg).to_vec(),
                    then: vec![Effect::Deploy(DeployEffect::RunHook {
                        target,
                        access: access.clone(),
                    })],
                })]
            }
        }
    }

    fn on_event(&mut self, event: DeployEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        let now = cx.now;
        match event {
            DeployEvent::Status { target, result } => {
                // the commit under the cursor, which stays under it when the list moves (a
                // fetch adds commits on top, a commit by hand becomes HEAD)
                let was_on = self
                    .targets
                    .get(target)
                    .and_then(|t| self.visible_log(t).get(t.selected).map(|e| e.commit.id));
                if let Some(t) = self.targets.get_mut(target) {
                    t.updated = Some(now);
                    t.slow = None;
                    let result = result.map_err(|e| Clean::new(&e.to_string()));
                    // a checkout that fails the same way on every read (every poll) is one
                    // error, not one per read: the count (and the screen) stays still
                    if let Err(e) = &result
                        && !matches!(&t.status, Some(Err(was)) if was == e)
                    {
                        t.errors += 1;
                    }
                    t.status = Some(result);
                }
                if let Some(t) = self.targets.get(target) {
                    let log = self.visible_log(t);
                    let at = was_on.and_then(|id| log.iter().position(|e| e.commit.id == id));
                    let n = log.len();
                    let t = &mut self.targets[target];
                    t.selected = at.unwrap_or(t.selected.min(n.saturating_sub(1)));
                }
                if self.targets.get(target).is_some_and(|t| t.select_head) {
                    let t = &self.targets[target];
                    let head = self.visible_log(t).iter().position(|e| e.is_head);
                    let t = &mut self.targets[target];
                    if let Some(i) = head {
                        t.selected = i;
                    }
                    t.select_head = false;
                }
                Vec::new()
            }
            DeployEvent::StatusSlow { target, after } => {
                if let Some(t) = self.targets.get_mut(target) {
                    t.errors += 1;
                    t.slow = Some(after);
                }
                Vec::new()
            }
            DeployEvent::WatchFailed { target, message } => {
                if let Some(t) = self.targets.get_mut(target) {
                    t.errors += 1;
                    t.watch_problem = Some(Clean::new(&format!(
                        "not watching .git ({message}); reading every {}s",
                        crate::deploy::POLL.as_secs()
                    )));
                }
                Vec::new()
            }
            DeployEvent::Preview { target, result } => {
                if let Some(t) = self.targets.get_mut(target) {
                    t.end_busy();
                }
                match result {
                    // Nothing runs until the user answers the confirm dialog.
                    Ok(p) => self.on_preview(target, *p, cx.access),
                    Err(e) => {
                        if let Some(t) = self.targets.get_mut(target) {
                            let mut say = vec![(Tone::Error, e.to_string())];
                            // most often a tag or branch pushed after the last fetch
                            if let DeployError::NoSuchRevision { spec, .. } = &e {
                                let when = t
                                    .ok_status()
                                    .and_then(|s| s.last_fetch)
                                    .map(|f| {
                                        format!("last fetched {}", crate::deploy::view::ago(now, f))
                                    })
                                    .unwrap_or_else(|| "never fetched".into());
                                say = vec![
                                    (Tone::Error, format!("No revision {spec:?} in this checkout ({when}).")),
                                    (
                                        Tone::Muted,
                                        "f fetches what was pushed since; a remote branch is origin/NAME."
                                            .replace("origin", &t.cfg.remote),
                                    ),
                                ];
                            }
                            t.say(escaped(say));
                        }
                        Vec::new()
                    }
                }
            }
            DeployEvent::FetchStarted { target, cancel } => {
                if let Some(t) = self.targets.get_mut(target) {
                    match &mut t.busy {
                        Some(Busy::Fetching {
                            cancel: c,
                            cancelling,
                            ..
                        }) => {
                            if *cancelling {
                                cancel.cancel();
                            }
                            *c = Some(cancel);
                        }
                        _ => {
                            let fetching = Busy::Fetching {
                                progress: FetchProgress::default(),
                                cancel: Some(cancel),
                                cancelling: false,
                            };
                            t.begin(fetching, cx.now);
                        }
                    }
                }
                Vec::new()
            }
            DeployEvent::FetchProgress { target, progress } => {
                if let Some(Target {
                    busy: Some(Busy::Fetching { progress: p, .. }),
                    ..
                }) = self.targets.get_mut(target)
                {
                    *p = progress;
                }
                Vec::new()
            }
            DeployEvent::Fetched { target, result } => {
                let Some(t) = self.targets.get_mut(target) else {
                    return Vec::new();
                };
                t.end_busy();
                match result {
                    Ok(s) => {
                        let mut say = vec![(
                            Tone::Ok,
                            Clean::new(&format!(
                                "Fetched {}: {} object(s), {}; {} ref(s) updated",
                                t.cfg.remote,
                                s.progress.received_objects,
                                human_bytes(s.progress.received_bytes),
                                s.updated.len()
                            )),
                        )];
                        say.extend(s.updated.iter().take(6).map(|(r, c)| {
                            // a force-push: what was deployed may be gone from the branch
                            let forced = c.ends_with("(forced update)");
                            // the ref's name is clean already, the rest is git2's own words
                            let mut line = Clean::new("  ");
                            line.push_clean(r);
                            line.push(&format!(" {c}"));
                            (if forced { Tone::Warn } else { Tone::Text }, line)
                        }));
                        t.say(say);
                    }
                    Err(e @ DeployError::FetchCancelled { .. }) => {
                        t.say(vec![(Tone::Warn, Clean::new(&e.to_string()))]);
                    }
                    Err(e) => {
                        t.errors += 1;
                        t.say(vec![(Tone::Error, Clean::new(&e.to_string()))]);
                    }
                }
                Vec::new()
            }
            DeployEvent::DeployStarted { target, kind, to } => {
                if let Some(t) = self.targets.get_mut(target) {
                    // the subject is clean already: joined and cut, not escaped again
                    let mut shown = Clean::new(&short_id(to));
                    if let Some(e) = t
                        .ok_status()
                        .and_then(|s| s.log.iter().find(|e| e.commit.id == to))
                    {
                        shown.push(" ");
                        shown.push_clean(&e.commit.subject);
                    }
                    let to = shown.cut(80);
                    t.begin(Busy::Deploying { kind, to }, cx.now);
                }
                Vec::new()
            }
            DeployEvent::Deployed {
                target,
                request,
                result,
            } => self.on_deployed(target, *request, result, cx.access),
            DeployEvent::HookStarted { target } => {
                if let Some(t) = self.targets.get_mut(target) {
                    let cmd = t.cfg.post_deploy.clone().unwrap_or_default();
                    t.begin(Busy::RunningHook(Clean::capped(&cmd, 80)), cx.now);
                }
                Vec::new()
            }
            DeployEvent::HookRan { target, result } => {
                let Some(t) = self.targets.get_mut(target) else {
                    return Vec::new();
                };
                t.end_busy();
                match result {
                    Ok(h) => t.say(hook_lines(std::slice::from_ref(&h))),
                    Err(e) => {
                        t.errors += 1;
                        t.say(vec![(Tone::Error, Clean::new(&e.to_string()))]);
                    }
                }
                Vec::new()
            }
        }
    }

    fn on_nav(&mut self, nav: Nav, _cx: &mut Cx<'_>) -> Vec<Effect> {
        let n = self.target().map_or(0, |t| self.visible_log(t).len());
        if let Some(t) = self.target_mut() {
            let last = n.saturating_sub(1);
            t.selected = match nav {
                Nav::Up => t.selected.saturating_sub(1),
                Nav::Down => (t.selected + 1).min(last),
                Nav::PageUp => t.selected.saturating_sub(10),
                Nav::PageDown => (t.selected + 10).min(last),
                Nav::Top => 0,
                Nav::Bottom => last,
            };
        }
        Vec::new()
    }

    fn on_enter(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        if let Some(t) = self.target_mut() {
            t.detail = !t.detail;
        }
        Vec::new()
    }

    fn on_back(&mut self) -> bool {
        match self.target_mut() {
            Some(t) if t.detail => {
                t.detail = false;
                true
            }
            _ => false,
        }
    }

    fn set_filter(&mut self, text: &str, _cx: &mut Cx<'_>) {
        self.filter = text.to_string();
        if let Some(t) = self.target_mut() {
            t.selected = 0;
        }
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn on_prompt(&mut self, purpose: &'static str, text: String, cx: &mut Cx<'_>) -> Vec<Effect> {
        if purpose != PROMPT_REVISION || cx.access.is_none() {
            return Vec::new();
        }
        let mut spec = text.trim().to_string();
        if spec.is_empty() {
            // Enter on an empty line takes the default the label names
            match self.default_revision() {
                Some(up) => spec = up,
                None => return vec![Effect::Notice("no revision given".into())],
            }
        }
        self.preview(spec, Kind::Deploy, cx.now)
    }

    /// What runs on a target says for how long once it has run 10 s, in steps of 10 s, then
    /// of a minute: the screen is redrawn for those words only.
    fn clock_changed(&self, was: DateTime<Local>, now: DateTime<Local>) -> bool {
        self.targets
            .iter()
            .any(|t| t.running_for(was) != t.running_for(now))
    }

    fn render(&self, frame: &mut ratatui::Frame<'_>, area: ratatui::layout::Rect, cx: &ViewCx<'_>) {
        crate::deploy::view::render(self, frame, area, cx);
    }

    fn health(&self) -> SourceHealth {
        let problem = self.targets.iter().find_map(|t| match &t.status {
            _ if t.slow.is_some() => t.slow_reason().map(|l| format!("{}: {l}", t.cfg.name)),
            Some(Err(e)) => Some(format!("{}: {e}", t.cfg.name)),
            _ => t
                .watch_problem
                .as_ref()
                .map(|w| format!("{}: {w}", t.cfg.name)),
        });
        SourceHealth {
            last_update: self.targets.iter().filter_map(|t| t.updated).max(),
            errors: self.targets.iter().map(|t| t.errors).sum(),
            problem,
        }
    }

    /// Each target is read again every [`super::POLL`] (and on a change under `.git`): the
    /// pane is as current as the target read longest ago.
    fn polled(&self) -> Option<Polled> {
        if self.targets.is_empty() {
            return None;
        }
        Some(Polled {
            every_secs: super::POLL.as_secs(),
            // `None`, never read, comes first
            last: self.targets.iter().map(|t| t.updated).min().flatten(),
        })
    }
}

/// "1.2 MiB".
pub fn human_bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Mode;
    use crate::app::shared::Shared;
    use crate::deploy::testdata;

    fn pane() -> DeployPane {
        pane_for("someone", &[])
    }

    /// The test target with these `deployers`, `person` at the console.
    fn pane_for(person: &str, deployers: &[&str]) -> DeployPane {
        let mut cfg = Config::default();
        cfg.deploy.push(DeployConfig {
            name: "www".into(),
            path: "/var/www/site".into(),
            post_deploy: Some("systemctl reload php-fpm".into()),
            probe_after: true,
            deployers: deployers.iter().map(|d| d.to_string()).collect(),
            ..DeployConfig::default()
        });
        let mut p = DeployPane::for_person(&cfg, person);
        p.targets[0].status = Some(Ok(Box::new(testdata::status())));
        p
    }

    /// Each target is read every `POLL`: the pane is as current as the target read longest
    /// ago (one on a hung mount, beside one that answers), and with no target nothing is read.
    #[test]
    fn the_targets_are_as_current_as_the_one_read_longest_ago() {
        use crate::app::pane::Polled;
        use chrono::TimeZone;
        let at = |s: i64| Local.timestamp_opt(1_795_000_000 + s, 0).unwrap();
        let mut p = pane();
        let mut second = Target::new(p.targets[0].cfg.clone());
        second.cfg.name = "shop".into();
        p.targets.push(second);
        p.targets[0].updated = Some(at(0));
        let polled = |last| {
            Some(Polled {
                every_secs: 15,
                last,
            })
        };
        assert_eq!(p.polled(), polled(None), "the second is not read yet");
        p.targets[1].updated = Some(at(10));
        p.targets[0].updated = Some(at(600));
        assert_eq!(p.polled(), polled(Some(at(10))));
        assert_eq!(p.health().last_update, Some(at(600)));
        p.targets.clear();
        assert_eq!(p.polled(), None);
    }

    /// The effects of the runner's answer to a deploy of 3333333 over 2222222 (with write
    /// access), stashing first or not.
    fn deployed(
        p: &mut DeployPane,
        stash: bool,
        result: Result<Box<DeployOutcome>, DeployError>,
    ) -> Vec<Effect> {
        with(true, |cx| {
            p.on_event(
                DeployEvent::Deployed {
                    target: 0,
                    request: Box::new(DeployRequest {
                        kind: Kind::Deploy,
                        to: testdata::oid(0x33),
                        expected_from: Some(testdata::oid(0x22)),
                        stash,
                        take_over: None,
                        journal_seen: None,
                    }),
                    result,
                },
                cx,
            )
        })
    }

    /// The effects of a deploy preview arriving (with write access).
    fn previewed(p: &mut DeployPane, pr: Preview) -> Vec<Effect> {
        with(true, |cx| {
            p.on_event(
                DeployEvent::Preview {
                    target: 0,
                    result: Ok(Box::new(pr)),
                },
                cx,
            )
        })
    }

    /// The dialog among `fx`, the first effect.
    fn confirm(fx: Vec<Effect>) -> Confirm {
        match fx.into_iter().next() {
            Some(Effect::Confirm(c)) => c,
            other => panic!("expected a dialog, got {other:?}"),
        }
    }

    fn with<R>(access: bool, f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
        let token = WriteAccess::for_mode(if access {
            Mode::Interactive
        } else {
            Mode::ReadOnly
        });
        let mut shared = Shared::default();
        let mut cx = Cx {
            now: testdata::now(),
            access: token.as_ref(),
            shared: &mut shared,
        };
        f(&mut cx)
    }

    fn deploy_request(fx: &[Effect]) -> Option<&DeployRequest> {
        fx.iter().find_map(|e| match e {
            Effect::Confirm(c) => c.then.iter().find_map(|t| match t {
                Effect::Deploy(DeployEffect::Deploy { request, .. }) => Some(request),
                _ => None,
            }),
            _ => None,
        })
    }

    #[test]
    fn a_status_read_failing_the_same_way_at_every_poll_is_one_error() {
        // a monitor left for days on a checkout it may not read
        let mut p = pane();
        let denied = || -> Result<Box<RepoStatus>, DeployError> {
            Err(DeployError::NotARepo {
                path: "/var/www/site".into(),
                message: "permission denied".into(),
            })
        };
        for _ in 0..5 {
            with(false, |cx| {
                p.on_event(
                    DeployEvent::Status {
                        target: 0,
                        result: denied(),
                    },
                    cx,
                )
            });
        }
        assert_eq!(p.health().errors, 1);
        with(false, |cx| {
            p.on_event(
                DeployEvent::Status {
                    target: 0,
                    result: Ok(Box::new(testdata::status())),
                },
                cx,
            )
        });
        with(false, |cx| {
            p.on_event(
                DeployEvent::Status {
                    target: 0,
                    result: denied(),
                },
                cx,
            )
        });
        assert_eq!(p.health().errors, 2, "failing again after a success counts");
    }

    #[test]
    fn next_target_with_one_target_says_there_is_no_other() {
        let mut p = pane();
        let fx = with(false, |cx| p.on_action(DeployAction::NextTarget, cx));
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n == "only one deploy target is configured: www"),
            "{fx:?}"
        );
        assert_eq!(p.current, 0);
        // with two, the key moves on and wraps round, silently
        let mut cfg = Config::default();
        for name in ["www", "shop"] {
            cfg.deploy.push(DeployConfig {
                name: name.into(),
                path: format!("/var/www/{name}").into(),
                ..DeployConfig::default()
            });
        }
        let mut p = DeployPane::for_person(&cfg, "someone");
        for want in [1, 0] {
            let fx = with(false, |cx| p.on_action(DeployAction::NextTarget, cx));
            assert!(fx.is_empty(), "{fx:?}");
            assert_eq!(p.current, want);
        }
    }

    #[test]
    fn every_action_that_changes_the_host_is_a_write_binding() {
        for b in BINDINGS {
            let writes = matches!(
                b.action,
                DeployAction::Fetch
                    | DeployAction::CancelFetch
                    | DeployAction::CheckoutSelected
                    | DeployAction::CheckoutTyped
                    | DeployAction::Rollback
                    | DeployAction::RunHook
            );
            assert_eq!(b.writes, writes, "{:?}", b.action);
        }
    }

    #[test]
    fn only_the_deployers_may_change_the_checkout() {
        let deployers = ["alice", "%no-such-group-here"];
        let mut p = pane_for("carol", &deployers);
        for a in CHANGING {
            let fx = with(true, |cx| p.on_action(a, cx));
            match &fx[..] {
                [Effect::Notice(n)] => assert_eq!(
                    n,
                    "www: you are carol; only alice, %no-such-group-here may change this checkout (deployers in [[deploy]])"
                ),
                other => panic!("{a:?} gave {other:?}"),
            }
        }
        // the help offers none of their keys, and still those that only read, and says why
        assert_eq!(
            p.help_note().as_deref(),
            Some(
                "www: you are carol; only alice, %no-such-group-here may change this checkout (deployers in [[deploy]])"
            )
        );
        for b in BINDINGS {
            assert_eq!(
                p.offers(b.action),
                !b.writes && b.action != DeployAction::NextTarget,
                "{}",
                b.help
            );
        }
        // reading stays open to everyone
        let fx = with(true, |cx| p.on_action(DeployAction::Refresh, cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Refresh { .. })]),
            "{fx:?}"
        );
        // a deployer gets the action itself, and is offered its key
        let mut p = pane_for("alice", &deployers);
        assert!(p.offers(DeployAction::Fetch));
        assert_eq!(p.help_note(), None);
        let fx = with(true, |cx| p.on_action(DeployAction::Fetch, cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Fetch { .. })]),
            "{fx:?}"
        );
    }

    #[test]
    fn read_only_builds_no_changing_effect() {
        let mut p = pane();
        for a in CHANGING {
            let fx = with(false, |cx| p.on_action(a, cx));
            assert!(fx.is_empty(), "{a:?} gave {fx:?}");
        }
        let fx = with(false, |cx| {
            p.on_prompt(PROMPT_REVISION, "HEAD~1".into(), cx)
        });
        assert!(fx.is_empty());
        // A preview arriving in a read-only session offers nothing.
        let fx = with(false, |cx| {
            p.on_event(
                DeployEvent::Preview {
                    target: 0,
                    result: Ok(Box::new(testdata::preview())),
                },
                cx,
            )
        });
        assert!(fx.is_empty());
    }

    #[test]
    fn selected_commit_is_previewed_then_confirmed_with_access() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_action(DeployAction::CheckoutSelected, cx));
        match &fx[..] {
            [Effect::Deploy(DeployEffect::Preview { spec, kind, .. })] => {
                assert_eq!(spec, &testdata::oid(0x33).to_string());
                assert_eq!(*kind, Kind::Deploy);
            }
            other => panic!("{other:?}"),
        }
        let fx = with(true, |cx| {
            p.on_event(
                DeployEvent::Preview {
                    target: 0,
                    result: Ok(Box::new(testdata::preview())),
                },
                cx,
            )
        });
        let Some(Effect::Confirm(c)) = fx.first() else {
            panic!("{fx:?}")
        };
        assert_eq!(c.title, "Deploy 3333333?");
        assert!(
            c.lines.iter().any(|l| l.contains("owned by www-data")),
            "{:?}",
            c.lines
        );
        assert!(
            c.lines.iter().all(|l| !l.contains('\u{1b}')),
            "{:?}",
            c.lines
        );
        let r = deploy_request(&fx).unwrap();
        assert_eq!(r.to, testdata::oid(0x33));
        assert_eq!(r.expected_from, Some(testdata::oid(0x22)));
        assert!(!r.stash);
        assert!(r.take_over.is_none());
    }

    /// HEAD asked for again: refused as already deployed, unless a checkout from it stopped
    /// part-way, when the dialog offers to put HEAD's files back, and says which.
    #[test]
    fn head_again_after_a_stop_part_way_offers_to_put_its_files_back() {
        let mut pr = testdata::preview();
        pr.to = pr.from.clone().unwrap();
        let fx = previewed(&mut pane(), pr.clone());
        assert!(fx.is_empty(), "{fx:?}");

        pr.left_part_way = Some((
            "3333333".into(),
            vec![Clean::new("index.html"), Clean::new("new.html")],
            2,
        ));
        let fx = previewed(&mut pane(), pr.clone());
        let request = deploy_request(&fx).expect("a deploy of HEAD").clone();
        assert_eq!(request.to, pr.to.id);
        assert_eq!(request.expected_from, Some(pr.to.id));
        assert!(!request.stash);
        let c = confirm(fx);
        let head = pr.to.short.as_str();
        assert_eq!(c.title.as_str(), format!("Put back {head}'s files?"));
        let lines: Vec<&str> = c.lines.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            lines,
            [
                format!("The checkout of 3333333 stopped part-way: HEAD is still {head}, but")
                    .as_str(),
                "2 file(s) are 3333333's: index.html, new.html",
                format!("They get {head}'s bytes back; nothing else changes, no hook runs.")
                    .as_str(),
            ]
        );
    }

    #[test]
    fn ignored_files_in_the_way_are_refused_without_a_stash_offer() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.ignored_conflicts = vec![Clean::new("config.php")];
        let fx = previewed(&mut p, pr);
        assert!(fx.is_empty(), "no confirm, no deploy: {fx:?}");
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert!(
            said[0]
                .starts_with("Refused (dry run): 3333333 tracks 1 file(s) that are ignored here"),
            "{said:?}"
        );
        assert_eq!(said[1], "  config.php");
        assert!(
            said[2].contains("A stash does not keep ignored files"),
            "{said:?}"
        );
    }

    #[test]
    fn the_stash_dialog_says_what_the_stash_takes_and_what_stays() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.conflicts = vec![Clean::new("index.html")];
        pr.local_changes = 3;
        pr.stash = crate::deploy::checkout::StashPlan {
            takes: 2,
            untracked: false,
            leaves: 2,
        };
        pr.stash_files = vec![Clean::new("about.html"), Clean::new("index.html")];
        pr.stash_may_conflict = vec![Clean::new("index.html")];
        let c = confirm(previewed(&mut p, pr));
        assert_eq!(
            c.lines[..6],
            [
                "1 local file(s) would be overwritten:",
                "  ! index.html",
                "2 local change(s) go to git stash and are NOT restored; git stash pop gets them back.",
                "  to the stash: about.html, index.html",
                "  the pop may conflict in index.html (3333333 changes it too)",
                "2 untracked file(s) stay where they are.",
            ]
        );
        assert!(
            !c.lines.iter().any(|l| l.contains("are kept")),
            "{:?}",
            c.lines
        );
    }

    /// Deploying again what a rollback took back: the confirm does not call it new. Leaving a
    /// HEAD no remote branch holds: the confirm warns that only the reflog keeps it after.
    #[test]
    fn the_confirm_says_what_was_rolled_back_and_what_only_this_checkout_holds() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.on_no_remote = true;
        }
        let mut pr = testdata::preview();
        pr.deployed_before.insert(
            testdata::oid(0x33),
            crate::deploy::status::TakenBack::Journal {
                kind: Clean::new("rollback"),
                user: Clean::new("dana"),
                host: Clean::new("web1"),
                time: Clean::new("2026-11-27T11:00:00+00:00"),
            },
        );
        pr.dropped_total = 1;
        pr.dropped_commits = vec![testdata::commit(0x22, "Friendlier greeting", "Ops", 60)];
        let c = confirm(previewed(&mut p, pr));
        // the one commit it brings is the target the first line names, and the one it takes
        // back is HEAD, named there too: neither is listed again
        assert!(
            c.lines[0].starts_with("deploy 2222222 Friendlier greeting -> 3333333 "),
            "{:#?}",
            c.lines
        );
        assert_eq!(
            c.lines[1..3],
            [
                "1 commit(s) to deploy, 1 of them rolled back before, 1 commit(s) taken back",
                "WARNING: 2222222 is on no remote branch: after this only git's reflog keeps it",
            ],
            "{:#?}",
            c.lines
        );
        // a plain deploy of a new commit from a pushed HEAD says neither
        let c = confirm(previewed(&mut pane(), testdata::preview()));
        assert_eq!(c.lines[1], "1 new commit(s)");
        assert!(
            !c.lines.iter().any(|l| l.contains("no remote branch")),
            "{:#?}",
            c.lines
        );
    }

    /// The dialog shows a commit's subject and a file's name as the preview holds them, escaped
    /// once: an ESC byte as `\e`, the two characters `\e` as `\\e`, as in the pane's log.
    #[test]
    fn the_confirm_dialog_shows_outside_text_escaped_once() {
        let mut pr = testdata::preview();
        pr.to.subject = Clean::new("fix \u{1b}[31mred\\e");
        pr.new_commits[0].subject = pr.to.subject.clone();
        let mut app = crate::app::App::new(
            &Config::default(),
            crate::access::Mode::Interactive,
            testdata::now(),
            "web1".into(),
        );
        app.settle_effects(previewed(&mut pane(), pr));
        let Some(crate::app::Overlay::Confirm(c)) = &app.overlay else {
            panic!("no dialog: {:?}", app.notice)
        };
        let lines: Vec<&str> = c.lines.iter().map(|l| l.as_str()).collect();
        assert!(
            lines.contains(&r"deploy 2222222 -> 3333333 fix \e[31mred\\e"),
            "{lines:#?}"
        );
        assert!(lines.contains(&r"  M evil\e[2Jname.css"), "{lines:#?}");
    }

    /// A deploy that brings several commits: the first line names the target (with its mark
    /// when it was rolled back before), the count says it is one of them, and the list goes on
    /// with the older ones: no row says the target again.
    #[test]
    fn the_confirm_names_the_target_once_among_several_commits() {
        let mut pr = testdata::preview();
        let target = pr.to.clone();
        pr.new_commits = vec![
            target.clone(),
            testdata::commit(0x55, "Footer links", "Dev", 120),
            testdata::commit(0x44, "Bump jquery", "Dev", 180),
        ];
        (pr.new_total, pr.new_asked) = (3, 3);
        let c = confirm(previewed(&mut pane(), pr.clone()));
        assert_eq!(
            c.lines[..4],
            [
                "deploy 2222222 -> 3333333 Pricing \\e]0;pwned\\x07 page\\e[2J",
                "3 new commit(s) (it and 2 older)",
                "  + 5555555 Footer links",
                "  + 4444444 Bump jquery",
            ],
            "{:#?}",
            c.lines
        );
        assert!(
            !c.lines.iter().any(|l| l.starts_with("  + 3333333")),
            "{:#?}",
            c.lines
        );
        // the target was rolled back before: its mark on the line that names it
        pr.deployed_before.insert(
            target.id,
            crate::deploy::status::TakenBack::Journal {
                kind: Clean::new("rollback"),
                user: Clean::new("dana"),
                host: Clean::new("web1"),
                time: Clean::new("2026-11-27T11:00:00+00:00"),
            },
        );
        let c = confirm(previewed(&mut pane(), pr));
        assert_eq!(
            c.lines[..3],
            [
                "deploy 2222222 -> 3333333 (rolled back) Pricing \\e]0;pwned\\x07 page\\e[2J",
                "3 commit(s) to deploy (it and 2 older), 1 of them rolled back before",
                "  + 5555555 Footer links",
            ],
            "{:#?}",
            c.lines
        );
    }

    /// Commits past the journal's reach are said as not known in the confirm, neither new nor
    /// rolled back.
    #[test]
    fn the_confirm_says_commits_past_the_journal_reach_are_not_known() {
        let mut pr = testdata::preview();
        pr.deployed_before
            .insert(testdata::oid(0x33), TakenBack::NotKnown);
        let c = confirm(previewed(&mut pane(), pr));
        assert_eq!(
            c.lines[1..3],
            [
                "1 commit(s) to deploy, 1 not known (older than the journal's last 30 deploys)",
                "2 file(s) change:",
            ],
            "{:#?}",
            c.lines
        );
    }

    /// A stash over many files in the way, many commits and files: at 80x24 the dialog keeps
    /// what the checkout does, the stash, the counts and the hook after it on the screen, and
    /// the lists give way.
    #[test]
    fn a_long_stash_confirm_fits_80x24_with_the_hook_and_the_counts() {
        let mut p = pane();
        let mut pr = testdata::preview();
        let many = |prefix: &str, n: usize| -> Vec<Clean> {
            (0..n)
                .map(|i| Clean::new(&format!("{prefix}{i}.html")))
                .collect()
        };
        pr.conflicts = many("page", 6);
        pr.stash_files = many("page", 6);
        pr.stash_may_conflict = many("page", 6);
        pr.stash = crate::deploy::checkout::StashPlan {
            takes: 6,
            untracked: false,
            leaves: 1,
        };
        pr.new_commits = (0..10u8)
            .map(|i| {
                testdata::commit(
                    0x40 + i,
                    "A change to the site with a subject long enough to wrap in the dialog",
                    "Dev",
                    60,
                )
            })
            .collect();
        pr.new_total = 10;
        pr.new_asked = 10;
        pr.files = many("file", 20)
            .into_iter()
            .map(|path| crate::deploy::status::Change { kind: 'M', path })
            .collect();
        pr.files_total = 20;
        let c = confirm(previewed(&mut p, pr));
        assert!(
            confirm_rows(&c.lines) <= CONFIRM_ROWS,
            "{} rows: {:#?}",
            confirm_rows(&c.lines),
            c.lines
        );
        for said in [
            "6 local file(s) would be overwritten:",
            "6 local change(s) go to git stash and are NOT restored; git stash pop gets them back.",
            "  the pop may conflict in all of them (3333333 changes them too)",
            "1 untracked file(s) stay where they are.",
            "10 new commit(s)",
            "20 file(s) change:",
            "Then the post-deploy command runs (in /var/www/site, timeout 60s): systemctl reload php-fpm",
        ] {
            assert!(
                c.lines.iter().any(|l| l == said),
                "{said:?} missing: {:#?}",
                c.lines
            );
        }
        assert!(
            c.lines
                .iter()
                .any(|l| l.starts_with("  ... and ") && l.ends_with(" more")),
            "{:#?}",
            c.lines
        );
        // the files in the way, on one row
        assert_eq!(
            c.lines[1],
            "  ! page0.html, page1.html, page2.html, page3.html, page4.html, pag…"
        );
    }

    #[test]
    fn the_confirm_says_when_a_local_branch_lags_what_was_pushed() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.spec = Clean::new("main");
        pr.stale_branch = Some((Clean::new("origin/main"), 2));
        let c = confirm(previewed(&mut p, pr));
        assert_eq!(
            c.lines[1],
            "main is the local branch, 2 commit(s) behind origin/main as fetched: to deploy what \
             was pushed, give origin/main"
        );
    }

    #[test]
    fn the_confirm_says_a_moved_submodule_is_not_updated() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.submodules = vec![Clean::new("lib")];
        let c = confirm(previewed(&mut p, pr));
        assert!(
            c.lines.iter().any(|l| l
                == "Submodule(s) lib move but are not updated: run git submodule update after"),
            "{:?}",
            c.lines
        );
    }

    #[test]
    fn local_files_in_the_way_are_said_in_the_dialog_and_stash_is_offered() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.conflicts = vec![Clean::new("index.html")];
        let c = confirm(previewed(&mut p, pr));
        assert_eq!(c.title, "Stash local work and deploy 3333333?");
        assert!(c.lines.iter().any(|l| l.contains("NOT restored")));
        assert!(
            !c.lines.iter().any(|l| l.contains("are kept")),
            "a stash takes local changes not in the way too: {:?}",
            c.lines
        );
        assert!(
            c.lines.windows(2).any(
                |w| w[0] == "1 local file(s) would be overwritten:" && w[1] == "  ! index.html"
            ),
            "{:?}",
            c.lines
        );
        assert!(deploy_request(&[Effect::Confirm(c)]).unwrap().stash);
        // only a dialog was shown, which may be cancelled: no action is recorded as refused
        assert!(p.targets[0].last.is_empty(), "{:?}", p.targets[0].last);
    }

    /// What the last action said is gone once a new deploy starts: it is not left under the
    /// new one's busy line. A preview alone keeps it.
    #[test]
    fn a_new_deploy_ends_what_the_last_action_said() {
        let mut p = pane();
        p.targets[0].say(vec![(
            Tone::Error,
            Clean::new("fetch from origin: refused"),
        )]);
        with(true, |cx| p.on_action(DeployAction::CheckoutSelected, cx));
        assert_eq!(p.targets[0].last.len(), 1, "a preview only asks");
        p.targets[0].end_busy();
        started(&mut p, Kind::Deploy, testdata::oid(0x33));
        assert!(p.targets[0].last.is_empty(), "{:?}", p.targets[0].last);
    }

    #[test]
    fn held_lock_and_unclean_state_refuse_without_a_dialog() {
        let mut p = pane();
        let mut pr = testdata::preview();
        pr.lock = Some(testdata::lock(4242));
        let fx = previewed(&mut p, pr);
        assert!(fx.is_empty());
        assert!(p.targets[0].last[0].1.contains("alice@web1 pid 4242"));

        let mut pr = testdata::preview();
        pr.state = Some("rebase");
        let fx = previewed(&mut p, pr);
        assert!(fx.is_empty());
        assert!(p.targets[0].last[0].1.contains("a rebase is in progress"));
    }

    #[test]
    fn deploying_from_a_checkout_that_could_not_be_read_says_why() {
        let mut p = pane();
        p.targets[0].status = Some(Err(Clean::new(
            "/var/www/site: could not find repository (class=Repository (6))",
        )));
        let fx = with(true, |cx| p.on_action(DeployAction::CheckoutSelected, cx));
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n == "no commit to deploy: the checkout could not be read: /var/www/site: could not find repository (class=Repository (6))"),
            "{fx:?}"
        );
        p.targets[0].status = None;
        let fx = with(true, |cx| p.on_action(DeployAction::CheckoutSelected, cx));
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n.contains("still being read")),
            "{fx:?}"
        );
    }

    /// A deploy of 0x33 over 0x22 refused by `lock`, a stale lock at `path`: what the pane does.
    fn refused_by_a_stale_lock(
        p: &mut DeployPane,
        lock: &crate::deploy::lock::LockInfo,
        path: &str,
    ) -> Vec<Effect> {
        refused_by_a_lock(p, lock, path, true)
    }

    /// A deploy of 0x33 over 0x22 refused by `lock` at `path`, stale or not: what the pane does.
    fn refused_by_a_lock(
        p: &mut DeployPane,
        lock: &crate::deploy::lock::LockInfo,
        path: &str,
        stale: bool,
    ) -> Vec<Effect> {
        let req = DeployRequest {
            kind: Kind::Deploy,
            to: testdata::oid(0x33),
            expected_from: Some(testdata::oid(0x22)),
            stash: false,
            take_over: None,
            journal_seen: None,
        };
        with(true, |cx| {
            p.on_event(
                DeployEvent::Deployed {
                    target: 0,
                    request: Box::new(req),
                    result: Err(DeployError::Locked {
                        path: path.into(),
                        holder: lock.holder_text(),
                        lock: Box::new(lock.clone()),
                        stale,
                    }),
                },
                cx,
            )
        })
    }

    #[test]
    fn a_stale_lock_is_taken_over_only_after_a_confirm() {
        let mut p = pane();
        let stale = testdata::lock(999_999);
        let fx = refused_by_a_stale_lock(&mut p, &stale, "/x");
        let Some(Effect::Confirm(c)) = fx.first() else {
            panic!("{fx:?}")
        };
        assert_eq!(c.title, "Take over the stale deploy lock?");
        assert_eq!(
            deploy_request(&fx).unwrap().take_over.as_ref(),
            Some(&stale)
        );
    }

    /// A lock another deploy holds is never taken: the pane says who holds it and what to do,
    /// before the lock's long path, and asks nothing.
    #[test]
    fn a_held_lock_is_named_with_what_to_do_and_not_taken() {
        let mut p = pane();
        let mut held = testdata::lock(4242);
        // a lock file another user wrote: what it says is escaped once on screen
        held.host = "web1\u{1b}[2J".into();
        let fx = refused_by_a_lock(
            &mut p,
            &held,
            "/var/www/site/.git/opsdeck-deploy.lock",
            false,
        );
        assert!(fx.is_empty(), "{fx:?}");
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said,
            [
                r"Refused: the deploy lock is held by alice@web1\e[2J pid 4242 since 2026-11-27T11:58:00+00:00",
                "Another deploy is under way: try again when it is released.",
                "HEAD and the work tree are as they were.",
            ]
        );
    }

    /// A takeover refused because the guard beside the lock is another user's and unreadable
    /// (an older opsdeck's, mode 0600): why first, then whose it is and the command that fixes
    /// it on a line of its own, as the guard's path is long.
    #[test]
    fn a_takeover_refused_by_an_unreadable_guard_says_who_fixes_it_and_how() {
        let mut p = pane();
        let req = DeployRequest {
            kind: Kind::Deploy,
            to: testdata::oid(0x33),
            expected_from: Some(testdata::oid(0x22)),
            stash: false,
            take_over: Some(testdata::lock(999_999)),
            journal_seen: None,
        };
        let fx = with(true, |cx| {
            p.on_event(
                DeployEvent::Deployed {
                    target: 0,
                    request: Box::new(req),
                    result: Err(DeployError::GuardUnreadable {
                        path: "/var/www/site/.git/opsdeck-deploy.lock.guard".into(),
                        owner: "root".into(),
                        mode: 0o600,
                    }),
                },
                cx,
            )
        });
        assert!(fx.is_empty(), "{fx:?}");
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said,
            [
                "Refused: no takeover of the stale lock: its guard is not readable to you.",
                "  The guard is root's, mode 0600. root can fix it with:",
                "  chmod a+r /var/www/site/.git/opsdeck-deploy.lock.guard",
                "root's next deploy with opsdeck fixes it too.",
                "HEAD and the work tree are as they were.",
            ]
        );
    }

    /// A lock file left empty names no process: the dialog names the file and why it is stale.
    #[test]
    fn an_empty_lock_file_is_named_in_the_takeover_confirm() {
        let mut p = pane();
        let empty = crate::deploy::lock::LockInfo {
            user: String::new(),
            host: String::new(),
            pid: 0,
            time: "2026-11-27T11:58:00+00:00".into(),
            empty: Some(crate::deploy::lock::EmptyLock {
                path: "/var/www/site/.git/opsdeck-deploy.lock".into(),
                modified: std::time::SystemTime::UNIX_EPOCH,
            }),
            file: None,
            unreadable: None,
        };
        let fx = refused_by_a_stale_lock(&mut p, &empty, "/var/www/site/.git/opsdeck-deploy.lock");
        let Some(Effect::Confirm(c)) = fx.first() else {
            panic!("{fx:?}")
        };
        let lines: Vec<&str> = c.lines.iter().map(|l| l.as_str()).collect();
        assert_eq!(
            lines[..2],
            [
                "Held by an empty lock file /var/www/site/.git/opsdeck-deploy.lock, made 2026-11-27T11:58:00+00:00",
                "Nothing has written it for over a minute: its maker died before it could.",
            ]
        );
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said,
            [
                "Deploy lock held by an empty lock file /var/www/site/.git/opsdeck-deploy.lock, made 2026-11-27T11:58:00+00:00: it has stayed empty for over a minute."
            ]
        );
        assert_eq!(
            deploy_request(&fx).unwrap().take_over.as_ref(),
            Some(&empty)
        );
    }

    #[test]
    fn a_checkout_stopped_part_way_does_not_claim_nothing_changed() {
        let stopped = |stash: Option<&str>| DeployError::PartialCheckout {
            path: "/var/www/site".into(),
            to: "3333333".into(),
            message: "could not open 'b/x.html' for writing: Permission denied".into(),
            written: vec!["a.html".into()],
            written_total: 1,
            stash: stash.map(|id| {
                Box::new(crate::deploy::error::StashLeft {
                    id: id.into(),
                    may_conflict: vec!["a.html".into()],
                })
            }),
        };
        let mut p = pane();
        let fx = deployed(&mut p, false, Err(stopped(None)));
        assert!(fx.is_empty(), "{fx:?}");
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said,
            [
                "Deploy stopped part-way: could not open 'b/x.html' for writing: Permission denied",
                "HEAD is still 2222222, but 1 file(s) are already 3333333's: a.html",
                "Fix the cause and deploy 3333333 again, or deploy 2222222 to go back.",
            ]
        );
        // stashed first: where the local changes are is said too
        let mut p = pane();
        deployed(&mut p, true, Err(stopped(Some("5555555"))));
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said[3..],
            [
                "Your local changes are in the stash (5555555, stash@{0}):",
                "git stash pop in /var/www/site puts them back",
                "  the pop may conflict in a.html (3333333 changes it too)",
            ]
        );
        // the last action's seven rows hold it all, however many files were written
        let mut many = stopped(Some("5555555"));
        if let DeployError::PartialCheckout {
            written,
            written_total,
            ..
        } = &mut many
        {
            *written = (0..9).map(|i| format!("page{i}.html")).collect();
            *written_total = 9;
        }
        let mut p = pane();
        deployed(&mut p, true, Err(many));
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(said.len(), 6, "{said:#?}");
        assert_eq!(
            said[1],
            "HEAD is still 2222222, but 9 file(s) are already 3333333's: page0.html, page1.html, page2.html, page3.html and 5 more"
        );
        assert!(said[2].starts_with("Fix the cause"), "{said:#?}");
        // the pane's inner width at 80 columns: all but the list of files written
        assert!(
            said.iter().skip(2).all(|l| l.chars().count() <= 78),
            "{said:#?}"
        );
    }

    #[test]
    fn a_status_read_that_hangs_is_said_and_not_asked_again() {
        let mut p = pane();
        with(false, |cx| {
            p.on_event(
                DeployEvent::StatusSlow {
                    target: 0,
                    after: std::time::Duration::from_secs(60),
                },
                cx,
            )
        });
        assert!(p.targets[0].ok_status().is_some(), "the status is kept");
        let h = p.health();
        assert_eq!(h.errors, 1);
        assert!(
            h.problem
                .as_deref()
                .is_some_and(|m| m.contains("reading the work tree has not answered in 60 s")),
            "{h:?}"
        );
        // r would start a second read behind the one that hangs
        let fx = with(false, |cx| p.on_action(DeployAction::Refresh, cx));
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n.contains("still waiting")),
            "{fx:?}"
        );
        // its answer, when it comes, ends it
        with(false, |cx| {
            p.on_event(
                DeployEvent::Status {
                    target: 0,
                    result: Ok(Box::new(testdata::status())),
                },
                cx,
            )
        });
        assert_eq!(p.targets[0].slow, None);
        assert_eq!(p.health().problem, None);
        let fx = with(false, |cx| p.on_action(DeployAction::Refresh, cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Refresh { .. })]),
            "{fx:?}"
        );
    }

    #[test]
    fn a_refusal_after_the_stash_says_where_the_local_changes_are() {
        let mut p = pane();
        let fx = deployed(
            &mut p,
            true,
            Err(DeployError::StashedThenRefused {
                path: "/var/www/site".into(),
                stash: "5555555".into(),
                files: vec!["lib/lib.js".into()],
            }),
        );
        assert!(fx.is_empty(), "{fx:?}");
        let said: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            said,
            [
                "Refused after the stash: 1 file(s) still in the way (no stash takes them):",
                "  lib/lib.js",
                "Your local changes are in the stash (5555555, stash@{0}), not the work tree:",
                "git stash pop in /var/www/site puts them back",
                "HEAD is as it was.",
            ]
        );
        // the pane's inner width at 80 columns
        assert!(said.iter().all(|l| l.chars().count() <= 78), "{said:#?}");
    }

    #[test]
    fn a_deploy_after_a_stash_names_the_stashed_files_in_lines_that_fit_80_columns() {
        let mut p = pane();
        // a deploy from 2222222 to 3333333 that stashed `stashed`
        let stashed_deploy = |stashed: Vec<Clean>, stash_may_conflict: Vec<Clean>| DeployOutcome {
            kind: Kind::Deploy,
            from: Some(testdata::oid(0x22)),
            to: testdata::oid(0x33),
            stash: Some((testdata::oid(0x44), Clean::new("opsdeck: local work"))),
            stashed,
            stash_may_conflict,
            hooks: Vec::new(),
            journal_problem: None,
        };
        let out = stashed_deploy(
            vec![Clean::new("about.html"), Clean::new("index.html")],
            vec![Clean::new("index.html")],
        );
        deployed(&mut p, true, Ok(Box::new(out)));
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last[1..4],
            [
                "Stashed, not restored (stash@{0} 4444444): about.html, index.html",
                "git stash pop in /var/www/site brings it back",
                "  the pop may conflict in index.html (3333333 changes it too)",
            ]
        );
        // the pane's inner width at 80 columns
        assert!(last.iter().all(|l| l.chars().count() <= 78), "{last:#?}");

        // every stashed file changed too: said without naming them again
        let files: Vec<Clean> = ["index.html", "p2.html", "p5.html", "p6.html"]
            .into_iter()
            .map(Clean::new)
            .collect();
        let out = stashed_deploy(files.clone(), files);
        deployed(&mut p, true, Ok(Box::new(out)));
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last[3],
            "  the pop may conflict in all of them (3333333 changes them too)"
        );

        // as many stashed files as are named: more may have gone to the stash, "all" is not known
        let files: Vec<Clean> = (0..crate::deploy::checkout::MAX_LISTED)
            .map(|i| Clean::new(&format!("p{i}.html")))
            .collect();
        let out = stashed_deploy(files.clone(), files);
        deployed(&mut p, true, Ok(Box::new(out)));
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last[3],
            "  the pop may conflict in p0.html, p1.html and 48 more (3333333 changes them too)"
        );
    }

    #[test]
    fn after_a_rollback_the_cursor_rests_on_head_not_on_the_commit_rolled_back_from() {
        let mut p = pane();
        p.targets[0].selected = 2;
        with(true, |cx| {
            p.on_event(
                DeployEvent::Deployed {
                    target: 0,
                    request: Box::new(DeployRequest {
                        kind: Kind::Rollback,
                        to: testdata::oid(0x22),
                        expected_from: Some(testdata::oid(0x33)),
                        stash: false,
                        take_over: None,
                        journal_seen: None,
                    }),
                    result: Ok(Box::new(DeployOutcome {
                        kind: Kind::Rollback,
                        from: Some(testdata::oid(0x33)),
                        to: testdata::oid(0x22),
                        stash: None,
                        stashed: Vec::new(),
                        stash_may_conflict: Vec::new(),
                        hooks: Vec::new(),
                        journal_problem: None,
                    })),
                },
                cx,
            );
            // the status read after it: 0x33 on top (not deployed), HEAD 0x22 below
            p.on_event(
                DeployEvent::Status {
                    target: 0,
                    result: Ok(Box::new(testdata::status())),
                },
                cx,
            )
        });
        let t = &p.targets[0];
        let selected = p.visible_log(t)[t.selected];
        assert!(selected.is_head, "{:?}", selected.commit.short);
        assert_eq!(selected.commit.id, testdata::oid(0x22));
        // later reads leave the cursor where the person puts it
        p.targets[0].selected = 0;
        with(true, |cx| {
            p.on_event(
                DeployEvent::Status {
                    target: 0,
                    result: Ok(Box::new(testdata::status())),
                },
                cx,
            )
        });
        assert_eq!(p.targets[0].selected, 0);
    }

    #[test]
    fn a_finished_deploy_asks_for_the_probe_and_shows_hooks() {
        let mut p = pane();
        let out = DeployOutcome {
            kind: Kind::Deploy,
            from: Some(testdata::oid(0x22)),
            to: testdata::oid(0x33),
            stash: None,
            stashed: Vec::new(),
            stash_may_conflict: Vec::new(),
            hooks: vec![HookRun {
                name: Clean::new("post-deploy"),
                end: crate::deploy::hooks::HookEnd::Exit(1),
                output: vec![Clean::new("php-fpm: reload failed")],
                cut: false,
            }],
            journal_problem: None,
        };
        let fx = deployed(&mut p, false, Ok(Box::new(out)));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Probe(crate::probe::ProbeEffect::RunAll)))
        );
        // the status line's notice does not say just "done" when the reload failed
        assert!(
            fx.iter().any(|e| matches!(e, Effect::Notice(n)
                if n == "www: deploy 3333333 done, but post-deploy exit 1 FAILED")),
            "{fx:?}"
        );
        let last: Vec<_> = p.targets[0]
            .last
            .iter()
            .map(|(t, l)| (*t, l.to_string()))
            .collect();
        assert_eq!(
            last[0],
            (Tone::Ok, "Deploy done: 2222222 -> 3333333".into())
        );
        assert_eq!(last[1], (Tone::Error, "post-deploy: exit 1".into()));
        assert_eq!(last[2], (Tone::Text, "  php-fpm: reload failed".into()));
    }

    /// A hook's output with colours (an ESC byte) and a literal `\e` is escaped once: `\e` for
    /// the byte, `\\e` for the two characters, in the pane's lines as in the hook's run.
    #[test]
    fn a_hooks_output_with_an_escape_is_escaped_once() {
        let mut p = pane();
        let out = DeployOutcome {
            kind: Kind::Deploy,
            from: Some(testdata::oid(0x22)),
            to: testdata::oid(0x33),
            stash: None,
            stashed: Vec::new(),
            stash_may_conflict: Vec::new(),
            hooks: vec![HookRun {
                name: Clean::new("post-deploy \\e"),
                end: crate::deploy::hooks::HookEnd::NotStarted(Clean::new("no \u{1b}[1m")),
                output: vec![Clean::new("\u{1b}[32mbuilt\u{1b}[0m in C:\\e")],
                cut: false,
            }],
            journal_problem: Some(Clean::new("disk \u{1b}[2J full")),
        };
        let fx = deployed(&mut p, false, Ok(Box::new(out)));
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last[1..],
            [
                r"post-deploy \\e: not started: no \e[1m",
                r"  \e[32mbuilt\e[0m in C:\\e",
                r"journal not written: disk \e[2J full",
            ]
        );
        assert!(
            fx.iter().any(|e| matches!(e, Effect::Notice(n)
                if n == r"www: deploy 3333333 done, but post-deploy \\e not started: no \e[1m FAILED")),
            "{fx:?}"
        );
    }

    #[test]
    fn rollback_goes_to_where_the_last_deploy_came_from() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_action(DeployAction::Rollback, cx));
        match &fx[..] {
            [Effect::Deploy(DeployEffect::Preview { spec, kind, .. })] => {
                assert_eq!(spec, &testdata::oid(0x11).to_string());
                assert_eq!(*kind, Kind::Rollback);
            }
            other => panic!("{other:?}"),
        }
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.journal.clear();
        }
        let fx = with(true, |cx| p.on_action(DeployAction::Rollback, cx));
        assert!(matches!(&fx[..], [Effect::Notice(n)] if n.contains("nothing to roll back")));
    }

    #[test]
    fn the_rollback_dialog_names_the_deploy_it_undoes_and_where_b_goes_next() {
        let rollback = |from: u8| {
            let s = testdata::status();
            let mut pr = testdata::preview();
            pr.kind = Kind::Rollback;
            pr.to = s.log[2].commit.clone();
            pr.from = Some(testdata::commit(from, "x", "y", 0));
            confirm(previewed(&mut pane(), pr)).lines
        };
        let lines = rollback(0x22);
        assert_eq!(lines[0], "rollback 2222222 -> 1111111 About page");
        assert_eq!(
            lines[1..4],
            [
                "Undoes the deploy by dana@web1, 2026-11-27 10:00".to_string(),
                "b again after it goes one deploy further back".into(),
                // what a rollback brings was deployed before: not "new"
                "1 commit(s) brought back".into(),
            ],
            "{lines:#?}"
        );
        // HEAD heads the commits it takes back: named with its subject on the first line, and
        // the list goes on with the older ones, each commit said once
        let s = testdata::status();
        let mut pr = testdata::preview();
        pr.kind = Kind::Rollback;
        pr.to = s.log[2].commit.clone();
        pr.new_commits.clear();
        (pr.new_total, pr.new_asked) = (0, 0);
        pr.dropped_commits = vec![
            s.log[1].commit.clone(),
            testdata::commit(0x15, "Contact form", "dana", 0),
        ];
        pr.dropped_total = 2;
        let lines = confirm(previewed(&mut pane(), pr)).lines;
        assert_eq!(
            lines[0],
            "rollback 2222222 Friendlier greeting -> 1111111 About page"
        );
        assert_eq!(
            lines[3..5],
            [
                "2 commit(s) taken back".to_string(),
                "  - 1515151 Contact form".into(),
            ],
            "{lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("  - 2222222")),
            "{lines:#?}"
        );
        // HEAD is not where that deploy left it: someone moved it by hand since
        let lines = rollback(0x33);
        assert_eq!(
            lines[2],
            "HEAD 3333333 is not the 2222222 that deploy left: it was moved outside opsdeck",
            "{lines:#?}"
        );
        // a deploy's dialog says none of it
        let lines = confirm(previewed(&mut pane(), testdata::preview())).lines;
        assert!(lines.iter().all(|l| !l.contains("Undoes")), "{lines:#?}");
    }

    /// A rollback to the revision before the last deploy brings nothing back: its dialog
    /// says what it takes back, not "0 commit(s) brought back".
    #[test]
    fn a_rollback_that_brings_nothing_back_says_only_what_it_takes_back() {
        let s = testdata::status();
        let mut pr = testdata::preview();
        pr.kind = Kind::Rollback;
        pr.to = s.log[2].commit.clone();
        pr.from = Some(testdata::commit(0x22, "x", "y", 0));
        pr.new_commits.clear();
        pr.new_total = 0;
        pr.new_asked = 0;
        pr.dropped_commits = vec![testdata::commit(0x22, "Friendlier greeting", "dana", 0)];
        pr.dropped_total = 1;
        let lines = confirm(previewed(&mut pane(), pr)).lines;
        assert!(
            lines.iter().all(|l| !l.contains("brought back")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l == "1 commit(s) taken back"),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_second_rollback_with_nothing_older_says_so() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            // 1111111 -> 2222222 deployed, then rolled back
            let mut back = s.journal[0].clone();
            back.kind = Clean::new("rollback");
            (back.from, back.to) = (back.to.clone(), back.from.clone());
            s.journal.push(back);
        }
        let fx = with(true, |cx| p.on_action(DeployAction::Rollback, cx));
        match &fx[..] {
            [Effect::Notice(n)] => assert_eq!(
                n,
                "nothing older to roll back to: every deploy here is rolled back"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deploy_and_rollback_dialogs_say_the_post_deploy_command_runs() {
        let confirm_for = |p: &mut DeployPane, kind: Kind| {
            let mut pr = testdata::preview();
            pr.kind = kind;
            if kind == Kind::Rollback {
                // where the journal's rollback goes
                pr.to = testdata::status().log[2].commit.clone();
            }
            confirm(previewed(p, pr))
        };
        let mut p = pane();
        let timeout = p.targets[0].cfg.hook_timeout_secs;
        // what `H` says of the command
        let hook = match &with(true, |cx| p.on_action(DeployAction::RunHook, cx))[..] {
            [Effect::Confirm(c)] => c.lines.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            hook,
            [
                "systemctl reload php-fpm".to_string(),
                "in /var/www/site".into(),
                format!("timeout {timeout}s"),
            ]
        );
        let said = format!(
            "Then the post-deploy command runs (in /var/www/site, timeout {timeout}s): systemctl reload php-fpm"
        );
        for kind in [Kind::Deploy, Kind::Rollback] {
            let c = confirm_for(&mut p, kind);
            assert_eq!(
                c.lines.last().map(Clean::as_str),
                Some(said.as_str()),
                "{kind:?}: {:?}",
                c.lines
            );
        }
        // without a command the dialogs do not mention one
        let mut p = pane();
        p.targets[0].cfg.post_deploy = None;
        for kind in [Kind::Deploy, Kind::Rollback] {
            let c = confirm_for(&mut p, kind);
            assert!(
                c.lines.iter().all(|l| !l.contains("post-deploy")),
                "{kind:?}: {:?}",
                c.lines
            );
        }
    }

    /// The last action's lines after a typed revision `spec` was not found in the checkout.
    fn refused_revision(spec: &str) -> Vec<String> {
        let mut p = pane();
        with(true, |cx| {
            p.on_event(
                DeployEvent::Preview {
                    target: 0,
                    result: Err(DeployError::NoSuchRevision {
                        path: "/var/www/site".into(),
                        spec: spec.into(),
                    }),
                },
                cx,
            )
        });
        p.targets[0]
            .last
            .iter()
            .map(|(_, l)| l.to_string())
            .collect()
    }

    #[test]
    fn a_typed_revision_that_is_not_here_says_when_the_remote_was_last_fetched() {
        let last = refused_revision("v2.0");
        assert_eq!(
            last,
            [
                "No revision \"v2.0\" in this checkout (last fetched 3h ago).",
                "f fetches what was pushed since; a remote branch is origin/NAME.",
            ]
        );
    }

    #[test]
    fn typed_revision_is_prompted_then_previewed() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_action(DeployAction::CheckoutTyped, cx));
        match &fx[..] {
            [Effect::Prompt(pr)] => {
                assert_eq!(pr.purpose, PROMPT_REVISION);
                // the line starts empty: what is typed is the whole revision, not appended to
                // a default written in
                assert_eq!(pr.initial, "");
                assert_eq!(
                    pr.label,
                    "Revision to deploy (id, tag, branch, HEAD~2; Enter: origin/main):"
                );
            }
            other => panic!("{other:?}"),
        }
        let fx = with(true, |cx| p.on_prompt(PROMPT_REVISION, " v1.4 ".into(), cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Preview { spec, .. })] if spec == "v1.4")
        );
    }

    /// Enter on the empty line takes the default the label names.
    #[test]
    fn an_empty_typed_revision_deploys_the_upstream() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_prompt(PROMPT_REVISION, "  ".into(), cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Preview { spec, .. })] if spec == "origin/main"),
            "{fx:?}"
        );
    }

    #[test]
    fn a_second_typed_revision_waits_for_the_first() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_prompt(PROMPT_REVISION, " v1.4 ".into(), cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Preview { spec, .. })] if spec == "v1.4")
        );
        // A second request while the preview runs is turned away.
        let fx = with(true, |cx| p.on_prompt(PROMPT_REVISION, "HEAD~1".into(), cx));
        assert!(matches!(&fx[..], [Effect::Notice(_)]), "{fx:?}");
    }

    #[test]
    fn fetch_can_be_cancelled_even_before_it_reports_its_handle() {
        let mut p = pane();
        let fx = with(true, |cx| p.on_action(DeployAction::Fetch, cx));
        assert!(matches!(
            &fx[..],
            [Effect::Deploy(DeployEffect::Fetch { .. })]
        ));
        with(true, |cx| p.on_action(DeployAction::CancelFetch, cx));
        let handle = CancelFetch::default();
        with(true, |cx| {
            p.on_event(
                DeployEvent::FetchStarted {
                    target: 0,
                    cancel: handle.clone(),
                },
                cx,
            )
        });
        assert!(handle.0.load(std::sync::atomic::Ordering::Relaxed));
    }

    /// The first target's deploy or rollback (`kind`) to `to` started, as the runner says it.
    fn started(p: &mut DeployPane, kind: Kind, to: git2::Oid) {
        with(true, |cx| {
            p.on_event(
                DeployEvent::DeployStarted {
                    target: 0,
                    kind,
                    to,
                },
                cx,
            )
        });
    }

    #[test]
    fn a_subject_that_ends_in_an_ellipsis_keeps_one_while_it_deploys() {
        let deploying = |to: &str| Busy::Deploying {
            kind: Kind::Deploy,
            to: Clean::new(to),
        };
        assert_eq!(
            deploying("3333333 Draft pricing page…").describe(),
            "deploying 3333333 Draft pricing page…"
        );
        assert_eq!(
            deploying("3333333 Pricing page").describe(),
            "deploying 3333333 Pricing page…"
        );
        assert_eq!(
            Busy::RunningHook(Clean::new("make assets…")).describe(),
            "running post-deploy: make assets…"
        );
    }

    #[test]
    fn a_started_deploy_makes_the_target_busy_until_it_ends() {
        let mut p = pane();
        started(&mut p, Kind::Deploy, testdata::oid(0x33));
        // The subject comes from the log, sanitized (it is hostile).
        let subject = p.targets[0].ok_status().unwrap().log[0]
            .commit
            .subject
            .clone();
        let want = format!("deploying 3333333 {subject}…");
        assert!(want.starts_with("deploying 3333333 Pricing") && !want.contains('\u{1b}'));
        assert_eq!(
            p.targets[0].busy.as_ref().map(Busy::describe).as_deref(),
            Some(want.as_str())
        );
        for a in CHANGING {
            let fx = with(true, |cx| p.on_action(a, cx));
            assert!(
                matches!(&fx[..], [Effect::Notice(n)] if *n == format!("{want} wait until it ends")),
                "{a:?}: {fx:?}"
            );
        }
        let fx = with(true, |cx| p.on_prompt(PROMPT_REVISION, "v1.4".into(), cx));
        assert!(matches!(&fx[..], [Effect::Notice(_)]), "{fx:?}");
        let fx = with(true, |cx| p.on_action(DeployAction::CancelFetch, cx));
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n.contains("cannot be cancelled; its hooks stop after 60s")),
            "{fx:?}"
        );
        // A failed deploy ends the busy state too.
        deployed(
            &mut p,
            false,
            Err(DeployError::HeadMoved {
                path: "/var/www/site".into(),
                now: "4444444".into(),
                by: Some("deploy by alice@web1, 2026-12-06 05:19".into()),
            }),
        );
        assert!(p.targets[0].busy.is_none());
        // said in lines that fit 80 columns: the new HEAD and who put it there
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last,
            [
                "Refused: HEAD moved since the preview, to 4444444",
                "  deploy by alice@web1, 2026-12-06 05:19",
                "HEAD and the work tree are as they were.",
            ]
        );
        let fx = with(true, |cx| p.on_action(DeployAction::Fetch, cx));
        assert!(matches!(
            &fx[..],
            [Effect::Deploy(DeployEffect::Fetch { .. })]
        ));
    }

    /// What runs says for how long after 10 s, in steps of 10 s, then of a minute: the clock
    /// changes what the pane draws at those seconds only, and at none once the work ended.
    #[test]
    fn the_clock_changes_the_pane_only_when_a_long_action_says_a_new_time() {
        let mut p = pane();
        let start = testdata::now();
        started(&mut p, Kind::Deploy, testdata::oid(0x33));
        let at = |s: i64| start + chrono::Duration::seconds(s);
        assert_eq!(p.targets[0].running_for(at(9)), None);
        assert_eq!(p.targets[0].running_for(at(10)).as_deref(), Some("10 s"));
        assert_eq!(p.targets[0].running_for(at(79)).as_deref(), Some("1 min"));
        let changed: Vec<i64> = (1..200)
            .filter(|s| p.clock_changed(at(s - 1), at(*s)))
            .collect();
        assert_eq!(changed, [10, 20, 30, 40, 50, 60, 120, 180]);
        deployed(
            &mut p,
            false,
            Err(DeployError::HeadMoved {
                path: "/var/www/site".into(),
                now: "4444444".into(),
                by: None,
            }),
        );
        assert_eq!(p.targets[0].running_for(at(100)), None);
        assert!((1..200).all(|s| !p.clock_changed(at(s - 1), at(s))));
    }

    /// A rollback refused because the journal changed since its dialog: what it says now, one
    /// fact a line (the last action is cut at the width), and that nothing was changed.
    #[test]
    fn a_rollback_refused_for_a_changed_journal_says_what_it_says_now() {
        let mut p = pane();
        let fx = with(true, |cx| {
            p.on_event(
                DeployEvent::Deployed {
                    target: 0,
                    request: Box::new(DeployRequest {
                        kind: Kind::Rollback,
                        to: testdata::oid(0x11),
                        expected_from: Some(testdata::oid(0x22)),
                        stash: false,
                        take_over: None,
                        journal_seen: Some(Box::new(testdata::preview().journal_seen)),
                    }),
                    result: Err(DeployError::JournalMoved {
                        path: "/var/www/site".into(),
                        newest: "newest entry now: deploy by bob@web2, 2026-12-06 21:58, \\e[2J 2222222 -> 2222222".into(),
                        goes_to: "a rollback now goes to 2222222, undoing the deploy by bob@web2, 2026-12-06 21:58".into(),
                    }),
                },
                cx,
            )
        });
        assert!(fx.is_empty(), "{fx:?}");
        let last: Vec<&str> = p.targets[0].last.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            last,
            [
                "Refused: the deploy journal changed since the rollback was previewed:",
                // clean where the journal was read: not escaped twice
                "  newest entry now: deploy by bob@web2, 2026-12-06 21:58, \\e[2J 2222222 -> 2222222",
                "  a rollback now goes to 2222222, undoing the deploy by bob@web2, 2026-12-06 21:58",
                "HEAD and the work tree are as they were: look at the journal again.",
            ]
        );
        assert_eq!(p.targets[0].errors, 1);
    }

    #[test]
    fn rollback_and_the_post_deploy_command_show_while_they_run() {
        let mut p = pane();
        started(&mut p, Kind::Rollback, testdata::oid(0x11));
        let d = p.targets[0].busy.as_ref().map(Busy::describe).unwrap();
        assert!(d.starts_with("rolling back to 1111111 "), "{d}");
        p.targets[0].busy = None;
        with(true, |cx| {
            p.on_event(DeployEvent::HookStarted { target: 0 }, cx)
        });
        assert_eq!(
            p.targets[0].busy.as_ref().map(Busy::describe).as_deref(),
            Some("running post-deploy: systemctl reload php-fpm…")
        );
        let fx = with(true, |cx| p.on_action(DeployAction::RunHook, cx));
        assert!(matches!(&fx[..], [Effect::Notice(_)]), "{fx:?}");
        with(true, |cx| {
            p.on_event(
                DeployEvent::HookRan {
                    target: 0,
                    result: Err(DeployError::Hook {
                        command: "systemctl reload php-fpm".into(),
                        message: "timeout".into(),
                    }),
                },
                cx,
            )
        });
        assert!(p.targets[0].busy.is_none());
    }

    /// The cursor rests on the commit chosen, not on a row: a fetch that brings a commit on top,
    /// or a commit made by hand that becomes HEAD, moves the rows under it.
    #[test]
    fn the_cursor_stays_on_its_commit_when_the_list_moves() {
        let mut p = pane();
        p.targets[0].selected = 1;
        let on = |p: &DeployPane| {
            let t = &p.targets[0];
            p.visible_log(t)[t.selected].commit.id
        };
        assert_eq!(on(&p), testdata::oid(0x22));
        let mut s = testdata::status();
        s.log.insert(
            0,
            LogEntry {
                commit: testdata::commit(0x44, "Newer", "Eve", 60),
                is_head: false,
                deployed: false,
                taken_back: None,
            },
        );
        // as many rows as before: the list moved, it did not grow
        s.log.pop();
        let status = |s: RepoStatus| DeployEvent::Status {
            target: 0,
            result: Ok(Box::new(s)),
        };
        with(false, |cx| p.on_event(status(s.clone()), cx));
        assert_eq!(on(&p), testdata::oid(0x22), "still on the commit chosen");
        assert_eq!(p.targets[0].selected, 2);
        // gone from the list (force-pushed away): the cursor stays in bounds
        s.log.remove(2);
        with(false, |cx| p.on_event(status(s), cx));
        assert_eq!(p.targets[0].selected, 1);
    }

    #[test]
    fn navigation_and_filter_stay_in_bounds() {
        let mut p = pane();
        with(true, |cx| {
            for _ in 0..10 {
                p.on_nav(Nav::Down, cx);
            }
        });
        assert_eq!(p.targets[0].selected, 2);
        with(true, |cx| p.set_filter("about", cx));
        assert_eq!(p.visible_log(&p.targets[0]).len(), 1);
        assert_eq!(p.targets[0].selected, 0);
        let fx = with(true, |cx| p.on_action(DeployAction::CheckoutSelected, cx));
        assert!(
            matches!(&fx[..], [Effect::Deploy(DeployEffect::Preview { spec, .. })] if *spec == testdata::oid(0x11).to_string())
        );
    }
}
