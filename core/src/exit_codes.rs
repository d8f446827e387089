//! The process exit codes of both programs, `qad-migrate` (npm, through the wasm build) and
//! `qa-load` (native): one table, so that a code means the same thing whichever program
//! returns it. README's exit-code table is this one.

/// Success: validated (warnings allowed), loaded, nothing to change, verified equal, rolled back,
/// dry run passed.
pub const OK: i32 = 0;
/// Invalid input: the data has validation errors, or the input is unreadable or undecodable.
/// Nothing was written.
pub const INVALID_INPUT: i32 = 1;
/// Usage error: unknown option, bad value, malformed `--alias` or connection string.
pub const USAGE: i32 = 2;
/// A write (load, rollback, schema apply) failed, timed out or was interrupted, and its
/// transaction was rolled back: the data is as it was before the command.
pub const WRITE_FAILED: i32 = 3;
/// `qa-load verify` found differences between the input and the database.
pub const DIFFERENCES: i32 = 4;
/// Could not start: database unreachable or authentication failed, the migration lock is held by
/// another run, `pg_dump` failed, or a read failed. Nothing was written.
pub const UNAVAILABLE: i32 = 5;
/// Refused: a precondition does not hold (rollback blocked by later runs or changed rows, a
/// schema newer than this build or edited, tables that are not as expected). Nothing was written.
pub const REFUSED: i32 = 6;
/// The connection was lost while committing and whether the commit happened could not be found
/// out: check with `qa-load history` and `qa-load verify`.
pub const OUTCOME_UNKNOWN: i32 = 7;
/// `qad-migrate`: the source module cannot be loaded (missing, syntax error, no TypeScript,
/// wrong export).
pub const SOURCE_UNLOADABLE: i32 = 8;
/// `qad-migrate`: an output file cannot be written, or the preview server cannot start.
pub const OUTPUT_FAILED: i32 = 9;
/// `qa-load`: the load would overwrite values someone else wrote (conflicts) and no decision
/// covers them. Nothing was written.
pub const CONFLICTS: i32 = 10;

/// Every code: (name, code, meaning), in order.
pub const ALL: &[(&str, i32, &str)] = &[
    ("ok", OK, "success (warnings allowed): validated, loaded, nothing to change, verified equal, rolled back, dry run passed"),
    ("invalidInput", INVALID_INPUT, "invalid input: validation errors, or the input is unreadable or undecodable; nothing written"),
    ("usage", USAGE, "usage error: bad option or value, malformed --alias or connection string"),
    ("writeFailed", WRITE_FAILED, "a write failed, timed out or was interrupted and was rolled back: the data is as before"),
    ("differences", DIFFERENCES, "verify found differences between the input and the database"),
    ("unavailable", UNAVAILABLE, "could not start: database unreachable, lock held by another run, pg_dump failed; nothing written"),
    ("refused", REFUSED, "refused: a precondition does not hold (rollback blocked, schema newer or edited, tables not as expected); nothing written"),
    ("outcomeUnknown", OUTCOME_UNKNOWN, "the connection was lost during COMMIT and the outcome could not be found out: check `qa-load history` and `qa-load verify`"),
    ("sourceUnloadable", SOURCE_UNLOADABLE, "the source module cannot be loaded (missing, syntax error, no TypeScript, wrong export)"),
    ("outputFailed", OUTPUT_FAILED, "an output file cannot be written, or the preview server cannot start"),
    ("conflicts", CONFLICTS, "conflicts: the load would overwrite values changed in the database by someone else, and no decision covers them; nothing written"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_in_order() {
        for (i, (name, code, meaning)) in ALL.iter().enumerate() {
            assert_eq!(*code, i as i32, "{name}");
            assert!(!meaning.is_empty());
        }
    }
}
