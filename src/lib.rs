//! opsdeck: a terminal console for small web hosts.
//!
//! The library holds everything; `main.rs` is a thin binary over [`cli`].
//! Feature folders (`mail`, `deploy`, `probe`) hold their parsers, models,
//! source tasks and views; `app` owns the loop, focus, overlays and key map;
//! `ui` holds shared widgets and the theme.

/// `eprintln!` that cannot panic: with standard error closed, or a pipe whose reader has left
/// (`opsdeck summary 2>&1 | head -1`), the line is lost, and the command ends with its own exit
/// status instead of a panic's.
#[macro_export]
macro_rules! stderr_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod access;
pub mod accounts;
pub mod app;
pub mod check;
pub mod child;
pub mod cli;
pub mod config;
pub mod demo;
pub mod deploy;
pub mod find;
pub mod logging;
pub mod mail;
pub mod plainfile;
pub mod probe;
pub mod sanitize;
pub mod ui;
