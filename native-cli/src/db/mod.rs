//! The database connection: where to connect ([`conn`]), TLS ([`tls`]), the command's session
//! with its deadline and Ctrl-C ([`session`]), the migration lock ([`lock`]) and run ids
//! ([`runid`]).

pub mod conn;
pub mod lock;
pub mod runid;
pub mod session;
pub mod tls;
