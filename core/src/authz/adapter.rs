//! A small casbin adapter over our store: `p` rows from `casbin_rules`, `g` rows derived from
//! active memberships and platform admins, so roles live in exactly one place. Changes are made
//! through our own services (audited, transactional); the enforcer then reloads.

use super::{PLATFORM_ADMIN_ROLE, PLATFORM_DOMAIN, tenant_domain, user_subject};
use crate::store::{self, Store};
use async_trait::async_trait;
use casbin::{Adapter, Filter, Model, Result};

pub struct StoreAdapter {
    store: Store,
}

impl StoreAdapter {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn load_error(e: impl std::fmt::Display) -> casbin::Error {
    casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(std::io::Error::other(e.to_string()))))
}

fn read_only() -> casbin::Error {
    load_error("policy changes go through Confab's services, not the casbin adapter")
}

#[async_trait]
impl Adapter for StoreAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        let conn = self.store.conn();
        for (ptype, rule) in store::policy::all_rules(conn).await.map_err(load_error)? {
            let sec = if ptype.starts_with('g') { "g" } else { "p" };
            m.add_policy(sec, &ptype, rule);
        }
        for membership in store::memberships::all_active(conn).await.map_err(load_error)? {
            m.add_policy(
                "g",
                "g",
                vec![
                    user_subject(membership.user_id),
                    membership.role.as_str().to_string(),
                    tenant_domain(membership.tenant_id),
                ],
            );
        }
        for admin in store::users::platform_admins(conn).await.map_err(load_error)? {
            m.add_policy(
                "g",
                "g",
                vec![user_subject(admin), PLATFORM_ADMIN_ROLE.to_string(), PLATFORM_DOMAIN.to_string()],
            );
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> Result<()> {
        self.load_policy(m).await
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> Result<()> {
        Err(read_only())
    }

    async fn clear_policy(&mut self) -> Result<()> {
        Err(read_only())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Err(read_only())
    }

    async fn add_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _field_index: usize,
        _field_values: Vec<String>,
    ) -> Result<bool> {
        Err(read_only())
    }
}
