//! Shares endpoints.
use super::ApiTags;
use poem_openapi::OpenApi;

#[derive(Default)]
pub struct SharesApi;

#[OpenApi(tag = "ApiTags::Shares")]
impl SharesApi {}
