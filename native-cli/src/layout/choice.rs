//! The layout value: which tables a command works on, chosen once (from `--layout`, detected
//! from the database, or `manage.py qa_load`'s default) and built with everything the layout
//! needs. Every command gets it; this module and the macros below are the only places outside
//! each layout's own module that name the layouts.
//!
//! - [`Choice::validation`]: the core's validation rules for the layout;
//! - [`with_tables!`](crate::with_tables): the layout's [`Tables`](super::Tables), for the
//!   commands that read no rows (rollback, schema);
//! - [`Choice::for_dataset`] and [`with_layout!`](crate::with_layout): the layout that reads
//!   and writes rows, for a load or verify of one dataset.
//!
//! Adding a layout: a module beside [`super::qa_load`] and [`super::django`], a variant of
//! [`LayoutName`], [`Choice`] and [`ForDataset`], and an arm in each macro.

use qad_core::Dataset;

use super::django::{Django, DjangoTables};
use super::qa_load::QaLoad;
use super::LayoutName;

/// A layout, chosen, with what it needs. The default is qa-load's own tables: what a dry run
/// without a database validates against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Choice {
    /// qa-load's own tables.
    #[default]
    QaLoad,
    /// The directory backend's Django tables; image paths are stored under `media_base` (the
    /// backend's `R2_PUBLIC_URL`), which only commands that read or write rows need.
    Django { media_base: Option<String> },
}

/// A layout that cannot be built as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "the django layout needs --media-base-url URL: the backend's R2_PUBLIC_URL, which its image \
         paths are relative to (the backend's default is https://pub-e11717db663c469fb51c65995892b449.r2.dev)"
    )]
    NeedsMediaBase,
}

impl Choice {
    /// The layout named `name`, with the media base URL the command line gives.
    pub fn new(name: LayoutName, media_base_url: Option<&str>) -> Choice {
        match name {
            LayoutName::QaLoad => Choice::QaLoad,
            LayoutName::Django => Choice::Django {
                media_base: media_base_url.map(|u| u.trim_end_matches('/').to_string()),
            },
        }
    }

    pub fn name(&self) -> LayoutName {
        match self {
            Choice::QaLoad => LayoutName::QaLoad,
            Choice::Django { .. } => LayoutName::Django,
        }
    }

    /// The core's validation rules for the layout: the django layout's add the backend's
    /// limits (and need the media base URL).
    pub fn validation(&self) -> Result<qad_core::Layout, LayoutError> {
        Ok(match self {
            Choice::QaLoad => qad_core::Layout::QaLoad,
            Choice::Django { media_base } => qad_core::Layout::Django {
                media_base_url: media_base.clone().ok_or(LayoutError::NeedsMediaBase)?,
            },
        })
    }

    /// Whether the two layouts validate an input alike.
    pub fn same_rules(&self, other: &Choice) -> bool {
        self.validation().ok() == other.validation().ok()
    }

    /// The layout that reads and writes `ds`'s rows.
    pub fn for_dataset(&self, ds: &Dataset) -> Result<ForDataset, LayoutError> {
        Ok(match self {
            Choice::QaLoad => ForDataset::QaLoad(QaLoad),
            Choice::Django { media_base } => ForDataset::Django(Django::for_dataset(
                media_base.as_deref().ok_or(LayoutError::NeedsMediaBase)?,
                ds,
            )),
        })
    }

    /// The layout's tables (no rows are read: rollback, schema).
    pub fn tables(&self) -> AnyTables {
        match self {
            Choice::QaLoad => AnyTables::QaLoad(QaLoad),
            Choice::Django { .. } => AnyTables::Django(DjangoTables),
        }
    }
}

/// [`Choice::tables`]: a layout's [`Tables`](super::Tables), for [`with_tables!`](crate::with_tables).
#[derive(Debug, Clone, Copy)]
pub enum AnyTables {
    QaLoad(QaLoad),
    Django(DjangoTables),
}

/// [`Choice::for_dataset`]: a layout for one dataset, for [`with_layout!`](crate::with_layout).
#[derive(Debug)]
pub enum ForDataset {
    QaLoad(QaLoad),
    Django(Django),
}

/// `with_tables!(choice.tables(), t => expr)`: `expr` with `t` bound to the chosen layout's
/// [`Tables`](crate::layout::Tables) (generic code, compiled once per layout).
#[macro_export]
macro_rules! with_tables {
    ($tables:expr, $t:ident => $body:expr) => {
        match $tables {
            $crate::layout::choice::AnyTables::QaLoad(ref $t) => $body,
            $crate::layout::choice::AnyTables::Django(ref $t) => $body,
        }
    };
}

/// `with_layout!(choice.for_dataset(&ds)?, l => expr)`: `expr` with `l` bound to the chosen
/// [`Layout`](crate::layout::Layout) (generic code, compiled once per layout).
#[macro_export]
macro_rules! with_layout {
    ($layout:expr, $l:ident => $body:expr) => {
        match $layout {
            $crate::layout::choice::ForDataset::QaLoad(ref $l) => $body,
            $crate::layout::choice::ForDataset::Django(ref $l) => $body,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Tables;

    #[test]
    fn the_django_layout_is_built_with_its_media_base_and_asks_for_it_only_when_rows_are_read() {
        let bare = Choice::new(LayoutName::Django, None);
        assert_eq!(bare.validation(), Err(LayoutError::NeedsMediaBase));
        assert!(bare.for_dataset(&Dataset::default()).is_err());
        assert_eq!(
            with_tables!(bare.tables(), t => t.name()),
            LayoutName::Django
        );

        let with = Choice::new(LayoutName::Django, Some("https://media.example/"));
        assert_eq!(
            with.validation(),
            Ok(qad_core::Layout::Django {
                media_base_url: "https://media.example".into()
            })
        );
        let own = Choice::new(LayoutName::QaLoad, Some("https://ignored.example"));
        assert_eq!(own.validation(), Ok(qad_core::Layout::QaLoad));
        assert_eq!(with_tables!(own.tables(), t => t.version()), 1);
    }
}
