//! One module per command. Each takes the [`crate::context::Ctx`] and its own options and
//! returns the exit code or a [`crate::error::Failure`].

pub mod history;
pub mod load;
pub mod rollback;
pub mod schema;
pub mod verify;
pub mod write_session;
