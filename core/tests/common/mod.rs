//! The tests' shorthands for the core's two entries, `qad_core::decode` and `qad_core::migrate`.

// Each test binary uses some of them. Decode errors carry a whole diagnostic by value, as the
// core returns them.
#![allow(dead_code, clippy::result_large_err)]

use qad_core::{DecodeError, Input, Migration, Options, SourceInput};
use serde_json::Value;

/// The migration of a file's bytes, with no options of the caller's; an undecodable file gives
/// its one-error migration (`Migration::from(DecodeError)`), as the wasm bindings show it.
pub fn migrate_bytes(bytes: &[u8]) -> Migration {
    qad_core::migrate(Input::Bytes(bytes), &Options::default()).unwrap_or_else(Migration::from)
}

/// The migration of decoded input (the path of records kept as JSON values), consumed.
pub fn migrate_decoded(input: SourceInput) -> Migration {
    qad_core::migrate(Input::Decoded(input), &Options::default()).unwrap_or_else(Migration::from)
}

/// [`migrate_bytes`] by the other decoder: records parsed into JSON values first, then typed
/// (`decode`, then `migrate` of `Input::Decoded`). `migrate_bytes` types them while parsing;
/// both must give the same migration for every input, refused ones included.
pub fn migrate_bytes_via_values(bytes: &[u8]) -> Migration {
    match decode_bytes(bytes) {
        Ok(input) => migrate_decoded(input),
        Err(e) => Migration::from(e),
    }
}

pub fn decode_bytes(bytes: &[u8]) -> Result<SourceInput, DecodeError> {
    qad_core::decode(Input::Bytes(bytes))
}

pub fn decode_text(text: &str) -> Result<SourceInput, DecodeError> {
    qad_core::decode(Input::Text(text))
}

pub fn decode_value(value: Value) -> Result<SourceInput, DecodeError> {
    qad_core::decode(Input::Value(value))
}
