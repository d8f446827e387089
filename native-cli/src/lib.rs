//! qa-load: the transactional PostgreSQL load of the Quran Apps Directory dataset.
//!
//! The pipeline: [`input`] (extract, transform and validate with qad-core) → [`plan`] (what to
//! insert, update, leave or delete, by natural key) → [`write`] (bulk statements with a
//! journal) → [`check`] (the post-load check) → commit. [`commands`] holds one module per
//! command; [`commands::rollback`] replays the journal backwards, [`commands::verify`] compares
//! an input with the database.
//!
//! The seams: [`layout`] is the tables a load writes (qa-load's own schema is the first
//! layout), [`bookkeeping`] is qa-load's own record of schema versions, runs and the journal,
//! in a PostgreSQL schema of its own; [`db`] is the connection, TLS, the lock and the session.
//! [`opt`] only declares the command line; [`dispatch`] is the one place that runs a command.

pub mod bookkeeping;
pub mod check;
pub mod commands;
pub mod compare;
pub mod context;
pub mod db;
pub mod dispatch;
pub mod duration;
pub mod error;
pub mod fault;
pub mod input;
pub mod layout;
pub mod logging;
pub mod opt;
pub mod plan;
pub mod write;
