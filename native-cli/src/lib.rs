//! qa-load: the transactional PostgreSQL load of the Quran Apps Directory dataset.
//!
//! Stages: [`input`] (extract, transform, validate with qad-core) → [`plan`] (what to insert,
//! update, leave or delete, by natural key) → [`write`] (bulk statements with a journal) →
//! post-load check ([`load::post_check`]) → commit. [`rollback`] replays the journal backwards;
//! [`verify`] compares an input with the database.

pub mod admin;
pub mod cli;
pub mod compare;
pub mod conn;
pub mod exit;
pub mod fault;
pub mod input;
pub mod load;
pub mod lock;
pub mod logging;
pub mod plan;
pub mod rollback;
pub mod rows;
pub mod runid;
pub mod schema;
pub mod session;
pub mod tls;
pub mod verify;
pub mod write;
