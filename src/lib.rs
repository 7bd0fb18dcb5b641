//! opsdeck: a terminal console for small web hosts.
//!
//! The library holds everything; `main.rs` is a thin binary over [`cli`].
//! Feature folders (`mail`, `deploy`, `probe`) hold their parsers, models,
//! source tasks and views; `app` owns the loop, focus, overlays and key map;
//! `ui` holds shared widgets and the theme.

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
