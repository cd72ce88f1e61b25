//! Cursor paging, the same on every list: `?cursor=&limit=` in, `next_cursor` out. The two query
//! parameter types carry their bounds and defaults into the spec, so SDKs see one shape.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_core::error::AppError;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, Type};
use std::borrow::Cow;

/// `cursor`: the `next_cursor` of the previous page, opaque.
#[derive(Debug, Clone)]
pub struct Cursor(String);

impl std::ops::Deref for Cursor {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Type for Cursor {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "page_cursor".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "The `next_cursor` of the previous page, as returned (opaque; valid only for the list \
                 that returned it). Omit it for the first page.",
            ),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for Cursor {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Cursor(value.to_string()))
    }
}

/// `limit`: items per page, from 1 to `MAX`, `DEFAULT` when absent. A value out of range is a
/// `validation_failed` (422) with `field` `limit`, not a silently clamped page.
#[derive(Debug, Clone, Copy)]
pub struct Limit<const DEFAULT: u32, const MAX: u32>(u32);

/// The page size of every list but search: 1–200, 50 by default.
pub type PageLimit = Limit<50, 200>;
/// The page size of search results: 1–100, 20 by default.
pub type SearchLimit = Limit<20, 100>;

impl<const DEFAULT: u32, const MAX: u32> Limit<DEFAULT, MAX> {
    /// The page size to use for an optional `limit` parameter.
    pub fn resolve(limit: Option<Self>) -> Result<u64, AppError> {
        match limit.map(|l| l.0) {
            None => Ok(u64::from(DEFAULT)),
            Some(l) if (1..=MAX).contains(&l) => Ok(u64::from(l)),
            Some(_) => Err(AppError::Validation { field: "limit", reason: format!("must be between 1 and {MAX}") }),
        }
    }
}

impl<const DEFAULT: u32, const MAX: u32> Type for Limit<DEFAULT, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        format!("page_limit_{DEFAULT}_{MAX}").into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some("Items per page."),
            minimum: Some(1.0),
            maximum: Some(f64::from(MAX)),
            default: Some(DEFAULT.into()),
            ..MetaSchema::new_with_format("integer", "int32")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const DEFAULT: u32, const MAX: u32> ParseFromParameter for Limit<DEFAULT, MAX> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        // Any whole number parses; the range is checked by `resolve`, which names the field.
        value.parse().map(Limit).map_err(|_| ParseError::custom("limit must be a whole number"))
    }
}

/// The page size of an ordinary list (1–200, 50 by default).
pub fn page_limit(limit: Option<PageLimit>) -> Result<u64, AppError> {
    PageLimit::resolve(limit)
}

pub fn encode_cursor(value: impl ToString) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Decodes an opaque cursor produced by `encode_cursor`.
pub fn decode_cursor<T: std::str::FromStr>(cursor: Option<&str>) -> Result<Option<T>, AppError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let invalid = || AppError::Validation { field: "cursor", reason: "is not a cursor this endpoint returned".into() };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.parse().map(Some).map_err(|_| invalid())
}

/// Builds `next_cursor` when the page is full.
pub fn next_cursor<T, K: ToString>(items: &[T], limit: u64, key: impl Fn(&T) -> K) -> Option<String> {
    if items.len() as u64 == limit { items.last().map(|i| encode_cursor(key(i))) } else { None }
}
