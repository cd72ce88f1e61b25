//! Per-request facts (request id, client address) available to any code the request runs,
//! so audit entries and error bodies carry them without threading them through every call.

use std::future::Future;

#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

pub async fn scope<F: Future>(ctx: RequestContext, fut: F) -> F::Output {
    CURRENT.scope(ctx, fut).await
}

/// The running request's context, or an empty one outside a request (CLI, background work).
pub fn current() -> RequestContext {
    CURRENT.try_with(Clone::clone).unwrap_or_default()
}
