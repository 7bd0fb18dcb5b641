//! Shared widgets and the theme. Nothing here knows about mail, git or HTTP.

pub mod theme;
pub mod widgets;
