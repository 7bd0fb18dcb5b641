//! Test support shared by the integration tests: real components, started per test.
//!
//! Each test file uses only part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod closed_port;
pub mod journal;
pub mod maillog;
pub mod nobody;
pub mod ports;
pub mod postfix;
pub mod ses_smtp;
pub mod tmux;
