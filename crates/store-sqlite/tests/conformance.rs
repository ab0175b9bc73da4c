//! The store conformance suite, run against a fresh SQLite file per test.

// A test: a failed expectation is the failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::sync::Arc;

use tracelot_store::conformance::Fresh;
use tracelot_store_sqlite::{SqliteOptions, SqliteStore};

fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::init(&dir.path().join("ledger.db"), SqliteOptions::default()).expect("init");
    Fresh::new(Arc::new(store), Box::new(dir))
}

tracelot_store::conformance_tests!(fresh);
