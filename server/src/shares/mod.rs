//! Share snapshots: immutable copies of one branch of a conversation, with visibility, expiry,
//! revocation and a viewer log.

use crate::store::Store;

pub struct ShareService {
    #[allow(dead_code)]
    store: Store,
}

impl ShareService {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}
