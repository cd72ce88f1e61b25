//! Search endpoints.
use super::ApiTags;
use poem_openapi::OpenApi;

#[derive(Default)]
pub struct SearchApi;

#[OpenApi(tag = "ApiTags::Search")]
impl SearchApi {}
