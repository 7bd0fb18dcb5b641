//! opsdeck: a terminal console for small web hosts.
//!
//! The library holds everything; `main.rs` is a thin binary over [`cli`].

pub mod access;
pub mod app;
pub mod config;
pub mod deploy;
pub mod mail;
pub mod probe;
pub mod sanitize;
pub mod ui;
