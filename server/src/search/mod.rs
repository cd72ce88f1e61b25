//! History search over the caller's own conversations. The embedded tier searches in SQL
//! (SQLite FTS5, PostgreSQL full-text); the scale-out tier puts OpenSearch behind the same trait.

use crate::store::Store;

pub struct SearchService {
    #[allow(dead_code)]
    store: Store,
}

impl SearchService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}
