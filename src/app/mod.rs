//! The application: state, the pure `update`, the key map, the loop and the
//! terminal. Panes live in their feature folders and plug in through
//! [`pane::Pane`].

pub mod effect;
pub mod pane;
pub mod shared;
