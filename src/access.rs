//! The write-access capability.
//!
//! Every function that changes a host (postsuper, postqueue -f/-i, postmap,
//! postfix reload, map edits, SES identity creation, test mail, git fetch,
//! checkout, stash, rollback, hooks) takes a `&WriteAccess`. The only way to
//! make one is [`WriteAccess::for_mode`] with [`Mode::Interactive`]; a
//! read-only session never holds one, so the compiler proves that read-only
//! code paths cannot reach a mutation. This module must never grow another
//! constructor.

use std::fmt;

/// How the console was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Full console: actions are offered.
    Interactive,
    /// Monitoring: nothing that changes a host is reachable.
    ReadOnly,
}

impl Mode {
    /// The status-bar badge for this mode.
    pub fn badge(self) -> &'static str {
        match self {
            Mode::Interactive => "RW",
            Mode::ReadOnly => "RO",
        }
    }
}

/// Proof that this session may change the host.
///
/// Deliberately has no public fields, no `Default` and no other constructor.
/// It is `Clone` so that an effect can carry it to the effect runner: cloning
/// a token you legitimately hold grants nothing new.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteAccess {
    _private: (),
}

impl WriteAccess {
    /// The one place a token is made: interactive mode gets one, read-only
    /// mode gets `None`.
    pub fn for_mode(mode: Mode) -> Option<WriteAccess> {
        match mode {
            Mode::Interactive => Some(WriteAccess { _private: () }),
            Mode::ReadOnly => None,
        }
    }
}

impl fmt::Debug for WriteAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteAccess")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_mode_gets_no_token() {
        assert!(WriteAccess::for_mode(Mode::ReadOnly).is_none());
        assert!(WriteAccess::for_mode(Mode::Interactive).is_some());
    }

    #[test]
    fn badges_differ() {
        assert_eq!(Mode::ReadOnly.badge(), "RO");
        assert_eq!(Mode::Interactive.badge(), "RW");
    }
}
