//! Column limits, in characters (PostgreSQL `varchar(n)` counts characters, not bytes): a text
//! longer than its column is an error, never truncated.

pub const LIMIT_NAME: usize = 200;
pub const LIMIT_SHORT_DESCRIPTION: usize = 500;
pub const LIMIT_DESCRIPTION: usize = 5000;
pub const LIMIT_URL: usize = 500;
pub const LIMIT_STATUS: usize = 50;
pub const LIMIT_SOURCE_ID: usize = 200;
