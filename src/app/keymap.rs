//! The app's global key map. The same table dispatches keys and writes the
//! help overlay, so help and behaviour cannot disagree. Panes add their own
//! tables (see [`crate::app::pane::Pane::bindings`]).
//!
//! No destructive action is ever bound here, and none to a bare Esc, digit,
//! `[` or `O`: over a slow ssh link a broken escape sequence arrives as
//! those keys.

use ratatui::crossterm::event::KeyCode;

use crate::app::pane::{Binding, Key, Nav, PaneId};

/// What the global keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalAction {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Go(PaneId),
    Enter,
    Back,
    Nav(Nav),
    Filter,
    Redraw,
    Suspend,
}

/// The global key map, in help order.
pub static GLOBAL: &[Binding<GlobalAction>] = &[
    Binding {
        keys: &[Key::code(KeyCode::Tab)],
        action: GlobalAction::NextPane,
        help: "next pane",
        writes: false,
    },
    Binding {
        keys: &[Key::code(KeyCode::BackTab)],
        action: GlobalAction::PrevPane,
        help: "previous pane",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('1')],
        action: GlobalAction::Go(PaneId::Queue),
        help: "Queue pane",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('2')],
        action: GlobalAction::Go(PaneId::Failures),
        help: "Failures pane",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('3')],
        action: GlobalAction::Go(PaneId::Senders),
        help: "Senders pane",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('4')],
        action: GlobalAction::Go(PaneId::Deploy),
        help: "Deploy pane",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('5')],
        action: GlobalAction::Go(PaneId::Probe),
        help: "Probe pane",
        writes: false,
    },
    Binding {
        keys: &[Key::code(KeyCode::Enter)],
        action: GlobalAction::Enter,
        help: "focus pane / open detail",
        writes: false,
    },
    Binding {
        keys: &[Key::code(KeyCode::Esc)],
        action: GlobalAction::Back,
        help: "back after a link / close detail / overview",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('k'), Key::code(KeyCode::Up)],
        action: GlobalAction::Nav(Nav::Up),
        help: "up (on the overview: the tile above)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('j'), Key::code(KeyCode::Down)],
        action: GlobalAction::Nav(Nav::Down),
        help: "down (on the overview: the tile below)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('g'), Key::code(KeyCode::Home)],
        action: GlobalAction::Nav(Nav::Top),
        help: "first",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('G'), Key::code(KeyCode::End)],
        action: GlobalAction::Nav(Nav::Bottom),
        help: "last",
        writes: false,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageUp), Key::ctrl('b')],
        action: GlobalAction::Nav(Nav::PageUp),
        help: "page up",
        writes: false,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageDown), Key::ctrl('f')],
        action: GlobalAction::Nav(Nav::PageDown),
        help: "page down",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('/')],
        action: GlobalAction::Filter,
        help: "filter the focused list",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('?')],
        action: GlobalAction::Help,
        help: "this help",
        writes: false,
    },
    Binding {
        keys: &[Key::ctrl('l')],
        action: GlobalAction::Redraw,
        help: "redraw the screen",
        writes: false,
    },
    Binding {
        keys: &[Key::ctrl('z')],
        action: GlobalAction::Suspend,
        help: "suspend (fg to resume)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('q'), Key::ctrl('c')],
        action: GlobalAction::Quit,
        help: "quit",
        writes: false,
    },
];

/// Find the binding for a key in a table, skipping write bindings when the
/// session may not write.
pub fn lookup<A: Copy>(
    table: &'static [Binding<A>],
    code: KeyCode,
    mods: ratatui::crossterm::event::KeyModifiers,
    may_write: bool,
) -> Option<A> {
    table
        .iter()
        .filter(|b| may_write || !b.writes)
        .find(|b| b.keys.iter().any(|k| k.matches(code, mods)))
        .map(|b| b.action)
}

/// The write binding a key would reach in a session that may write (for saying why a read-only
/// session does nothing).
pub fn write_binding<A>(
    table: &'static [Binding<A>],
    code: KeyCode,
    mods: ratatui::crossterm::event::KeyModifiers,
) -> Option<&'static Binding<A>> {
    table
        .iter()
        .find(|b| b.writes && b.keys.iter().any(|k| k.matches(code, mods)))
}

/// A binding's keys as help and notices name them (`PgUp Ctrl-B`).
pub fn keys_label<A>(b: &Binding<A>) -> String {
    let keys: Vec<String> = b.keys.iter().map(Key::label).collect();
    keys.join(" ")
}

/// Help rows (keys, what they do) for a table, as the dispatcher sees it: without write
/// bindings when the session may not write, and without the actions `offered` says cannot do
/// anything as configured.
pub fn help_rows<A: Copy>(
    table: &'static [Binding<A>],
    may_write: bool,
    offered: impl Fn(A) -> bool,
) -> Vec<(String, &'static str)> {
    table
        .iter()
        .filter(|b| (may_write || !b.writes) && offered(b.action))
        .map(|b| (keys_label(b), b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen: Vec<Key> = Vec::new();
        for b in GLOBAL {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    /// The help names control keys as the README does (`Ctrl-L`), and every one the README
    /// names is in the help.
    #[test]
    fn control_keys_are_named_as_the_readme_names_them() {
        let rows = help_rows(GLOBAL, true, |_| true);
        let labels: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert!(labels.contains(&"Ctrl-L"), "{labels:?}");
        assert!(labels.contains(&"PgUp Ctrl-B"), "{labels:?}");
        let readme = include_str!("../../README.md");
        let named: Vec<&str> = readme
            .split('`')
            .filter(|w| w.starts_with("Ctrl-") && w.len() == 6)
            .collect();
        assert!(!named.is_empty());
        for key in named {
            assert!(
                labels.iter().any(|l| l.split(' ').any(|k| k == key)),
                "the README names {key}, the help does not: {labels:?}"
            );
        }
    }

    #[test]
    fn shifted_letters_match() {
        assert_eq!(
            lookup(GLOBAL, KeyCode::Char('G'), KeyModifiers::SHIFT, false),
            Some(GlobalAction::Nav(Nav::Bottom))
        );
    }

    #[test]
    fn shift_tab_matches_with_or_without_shift() {
        // crossterm reports Shift-Tab as BackTab with SHIFT set; some terminals leave it unset.
        for mods in [KeyModifiers::SHIFT, KeyModifiers::NONE] {
            assert_eq!(
                lookup(GLOBAL, KeyCode::BackTab, mods, false),
                Some(GlobalAction::PrevPane),
                "{mods:?}"
            );
        }
    }

    #[test]
    fn escape_debris_keys_are_harmless() {
        // Esc, digits, '[' and 'O' must never map to anything destructive;
        // globally they only navigate.
        for code in [
            KeyCode::Esc,
            KeyCode::Char('['),
            KeyCode::Char('O'),
            KeyCode::Char('0'),
            KeyCode::Char('1'),
        ] {
            match lookup(GLOBAL, code, KeyModifiers::NONE, true) {
                None | Some(GlobalAction::Back) | Some(GlobalAction::Go(_)) => {}
                Some(other) => panic!("{code:?} bound to {other:?}"),
            }
        }
    }
}
