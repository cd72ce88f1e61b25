//! Token budgets: the periods quotas count over, and why a turn was refused.
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Day,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Period::Day),
            "month" => Some(Period::Month),
            _ => None,
        }
    }
}

/// Why a turn was refused: the budget, what is left and when it resets.
#[derive(Debug, Clone)]
pub struct QuotaRefusal {
    /// `user` or `tenant`.
    pub scope: &'static str,
    pub period: Period,
    pub limit: u64,
    pub used: u64,
    pub remaining: u64,
    pub requested: u64,
    pub resets_at: DateTime<Utc>,
}

impl QuotaRefusal {
    pub fn message(&self) -> String {
        let whose = if self.scope == "user" { "your" } else { "your tenant's" };
        let period = if self.period == Period::Day { "daily" } else { "monthly" };
        format!(
            "{whose} {period} token quota is used up for this request: {} of {} tokens left, this request may need up to {}; it resets at {}",
            self.remaining,
            self.limit,
            self.requested,
            self.resets_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }
}
