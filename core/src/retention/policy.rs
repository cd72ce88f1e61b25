//! Retention policies: what a tenant keeps and for how long, within the platform's bounds.
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// The longest period a policy may name (100 years).
pub const MAX_DAYS: i64 = 36_500;

/// Periods in days; `None` keeps forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Conversations (with their messages, branches, plugin runs, idempotency keys, search
    /// documents and stream copies), by last activity.
    pub conversation_days: Option<i64>,
    /// How long a conversation its owner deleted stays (hidden) before it is purged.
    pub deleted_grace_days: Option<i64>,
    /// Share snapshots (by creation) and their viewer logs (by view).
    pub share_days: Option<i64>,
    /// Usage events; folded into the daily rollup before they go.
    pub usage_days: Option<i64>,
    /// Audit entries (purged by the audit retention step, with a checkpoint).
    pub audit_days: Option<i64>,
}

/// The fields of a policy, for messages and loops.
pub const FIELDS: [&str; 5] = ["conversation_days", "deleted_grace_days", "share_days", "usage_days", "audit_days"];

impl Policy {
    pub fn get(&self, field: &str) -> Option<i64> {
        match field {
            "conversation_days" => self.conversation_days,
            "deleted_grace_days" => self.deleted_grace_days,
            "share_days" => self.share_days,
            "usage_days" => self.usage_days,
            _ => self.audit_days,
        }
    }

    fn set(&mut self, field: &str, v: Option<i64>) {
        match field {
            "conversation_days" => self.conversation_days = v,
            "deleted_grace_days" => self.deleted_grace_days = v,
            "share_days" => self.share_days = v,
            "usage_days" => self.usage_days = v,
            _ => self.audit_days = v,
        }
    }

    /// Each period is within 0 (grace only) or 1 and [`MAX_DAYS`].
    pub fn check_ranges(&self, prefix: &'static str) -> AppResult<()> {
        for field in FIELDS {
            let min = if field == "deleted_grace_days" { 0 } else { 1 };
            if let Some(d) = self.get(field)
                && !(min..=MAX_DAYS).contains(&d)
            {
                return Err(AppError::Validation {
                    field: static_field(prefix, field),
                    reason: format!("must be between {min} and {MAX_DAYS} days, or null to keep forever"),
                });
            }
        }
        Ok(())
    }
}

/// The platform's default policy (for tenants without their own) and the bounds every tenant
/// policy stays within: a floor (keep at least) and a ceiling (keep at most; `None` = no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformSettings {
    pub default: Policy,
    pub floor: Policy,
    pub ceiling: Policy,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            // Keep everything, except that deleted conversations go after 30 days.
            default: Policy { deleted_grace_days: Some(30), ..Policy::default() },
            floor: Policy::default(),
            ceiling: Policy::default(),
        }
    }
}

impl PlatformSettings {
    /// Ranges, floor ≤ ceiling, and a default that tenants could have set themselves.
    pub fn check(&self) -> AppResult<()> {
        self.default.check_ranges("default")?;
        self.floor.check_ranges("floor")?;
        self.ceiling.check_ranges("ceiling")?;
        for field in FIELDS {
            if let (Some(f), Some(c)) = (self.floor.get(field), self.ceiling.get(field))
                && f > c
            {
                return Err(AppError::Validation {
                    field: static_field("floor", field),
                    reason: format!("the floor ({f} days) is above the ceiling ({c} days)"),
                });
            }
        }
        self.within_bounds(&self.default, "default")
    }

    /// A tenant policy must keep at least the floor and at most the ceiling; with a ceiling,
    /// "forever" (null) is not allowed.
    pub fn within_bounds(&self, p: &Policy, prefix: &'static str) -> AppResult<()> {
        for field in FIELDS {
            let value = p.get(field);
            if let (Some(v), Some(f)) = (value, self.floor.get(field))
                && v < f
            {
                return Err(AppError::Validation {
                    field: static_field(prefix, field),
                    reason: format!("must be at least {f} days (the platform floor)"),
                });
            }
            if let Some(c) = self.ceiling.get(field) {
                match value {
                    Some(v) if v > c => {
                        return Err(AppError::Validation {
                            field: static_field(prefix, field),
                            reason: format!("must be at most {c} days (the platform ceiling)"),
                        });
                    }
                    None => {
                        return Err(AppError::Validation {
                            field: static_field(prefix, field),
                            reason: format!("must be set: the platform ceiling is {c} days, so forever is not allowed"),
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The policy that applies: the tenant's own (or the default), clamped to the current
    /// bounds (which may have moved since the tenant set its policy).
    pub fn effective(&self, own: Option<Policy>) -> Policy {
        let mut p = own.unwrap_or(self.default);
        for field in FIELDS {
            let mut v = p.get(field);
            if let (Some(x), Some(f)) = (v, self.floor.get(field))
                && x < f
            {
                v = Some(f);
            }
            if let Some(c) = self.ceiling.get(field)
                && v.is_none_or(|x| x > c)
            {
                v = Some(c);
            }
            p.set(field, v);
        }
        p
    }
}

/// `prefix.field` as a `'static` name for the error body.
fn static_field(prefix: &'static str, field: &str) -> &'static str {
    const NAMES: [[&str; 5]; 4] = [
        ["conversation_days", "deleted_grace_days", "share_days", "usage_days", "audit_days"],
        [
            "default.conversation_days",
            "default.deleted_grace_days",
            "default.share_days",
            "default.usage_days",
            "default.audit_days",
        ],
        [
            "floor.conversation_days",
            "floor.deleted_grace_days",
            "floor.share_days",
            "floor.usage_days",
            "floor.audit_days",
        ],
        [
            "ceiling.conversation_days",
            "ceiling.deleted_grace_days",
            "ceiling.share_days",
            "ceiling.usage_days",
            "ceiling.audit_days",
        ],
    ];
    let row = match prefix {
        "default" => 1,
        "floor" => 2,
        "ceiling" => 3,
        _ => 0,
    };
    let col = FIELDS.iter().position(|f| *f == field).unwrap_or(0);
    NAMES[row][col]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bounds_name_the_bound_and_effective_clamps() {
        let s = PlatformSettings {
            default: Policy { conversation_days: Some(90), ..Policy::default() },
            floor: Policy { conversation_days: Some(30), ..Policy::default() },
            ceiling: Policy { conversation_days: Some(365), ..Policy::default() },
        };
        s.check().unwrap();
        let low = Policy { conversation_days: Some(7), ..Policy::default() };
        let err = s.within_bounds(&low, "").unwrap_err().to_string();
        assert!(err.contains("at least 30 days") && err.starts_with("conversation_days"), "{err}");
        let forever = Policy::default();
        assert!(s.within_bounds(&forever, "").unwrap_err().to_string().contains("ceiling is 365"));
        assert_eq!(s.effective(Some(low)).conversation_days, Some(30));
        assert_eq!(s.effective(Some(forever)).conversation_days, Some(365));
        assert_eq!(s.effective(None).conversation_days, Some(90));
        let inverted = PlatformSettings { floor: Policy { share_days: Some(9), ..Policy::default() }, ..s };
        let inverted = PlatformSettings { ceiling: Policy { share_days: Some(3), ..inverted.ceiling }, ..inverted };
        assert!(inverted.check().unwrap_err().to_string().contains("above the ceiling"));
    }
}
