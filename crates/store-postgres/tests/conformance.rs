//! The store conformance suite, run against a fresh PostgreSQL database per
//! test (created on the server `TRACELOT_TEST_POSTGRES` names, dropped after).

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
use tracelot_store_postgres::testing::{TestDb, server_available};
use tracelot_store_postgres::{PgOptions, PgStore};

fn fresh() -> Fresh {
    let db = TestDb::create().expect("PostgreSQL answered a moment ago");
    let store = PgStore::init(db.url(), PgOptions::default()).expect("init");
    // The store goes first: its connections must close before the database is dropped.
    Fresh::new(Arc::new(store), Box::new(db))
}

tracelot_store::conformance_tests!(fresh, available = server_available);
