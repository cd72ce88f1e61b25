//! The config schema of a manifest: a small subset of JSON Schema, compiled once, checked by us.
//!
//! Supported: `type` (`object`, `string`, `integer`, `number`, `boolean`, `array`); for objects
//! `properties`, `required`, `additionalProperties` (a boolean, default true as in JSON Schema);
//! for strings `minLength`, `maxLength` (in characters), `pattern` (a Rust regex, unanchored as
//! in JSON Schema) and `enum`; for numbers `minimum`, `maximum`; for arrays `items`, `minItems`,
//! `maxItems`. Annotations (`title`, `description`, `default`, `examples`, `$comment`, `$schema`)
//! are allowed and ignored. Any other keyword is refused rather than silently not enforced.

use std::collections::BTreeMap;

use serde_json::Value;

/// A compiled config schema.
#[derive(Debug)]
pub struct ConfigSchema {
    root: Node,
}

#[derive(Debug)]
enum Node {
    Object {
        properties: BTreeMap<String, Node>,
        required: Vec<String>,
        additional: bool,
    },
    String {
        min_length: Option<u64>,
        max_length: Option<u64>,
        pattern: Option<regex::Regex>,
        allowed: Option<Vec<String>>,
    },
    Number {
        integer: bool,
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    Boolean,
    Array {
        items: Option<Box<Node>>,
        min_items: Option<u64>,
        max_items: Option<u64>,
    },
}

const ANNOTATIONS: &[&str] = &["title", "description", "default", "examples", "$comment", "$schema"];
const MAX_DEPTH: usize = 8;

/// An error at a place in the schema or the value: (JSON pointer, message).
fn at(path: &str, message: impl std::fmt::Display) -> String {
    if path.is_empty() { format!(": {message}") } else { format!(" at {path}: {message}") }
}

impl ConfigSchema {
    /// Compiles a schema. The error names the place (a JSON pointer) and the problem.
    pub fn compile(schema: &Value) -> Result<Self, String> {
        let root = compile_node(schema, "", 0)?;
        if !matches!(root, Node::Object { .. }) {
            return Err(at("", "the root must be of type object"));
        }
        Ok(Self { root })
    }

    /// Checks a value; the error names the first offending place (a JSON pointer) and why.
    pub fn validate(&self, value: &Value) -> Result<(), String> {
        check(&self.root, value, "").map_err(
            |(path, message)| {
                if path.is_empty() { message } else { format!("{path}: {message}") }
            },
        )
    }
}

fn compile_node(schema: &Value, path: &str, depth: usize) -> Result<Node, String> {
    if depth > MAX_DEPTH {
        return Err(at(path, format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let obj = schema.as_object().ok_or_else(|| at(path, "a schema must be an object"))?;
    let ty =
        obj.get("type").and_then(Value::as_str).ok_or_else(|| at(path, "`type` is required and must be a string"))?;
    let keywords: &[&str] = match ty {
        "object" => &["type", "properties", "required", "additionalProperties"],
        "string" => &["type", "minLength", "maxLength", "pattern", "enum"],
        "integer" | "number" => &["type", "minimum", "maximum"],
        "boolean" => &["type"],
        "array" => &["type", "items", "minItems", "maxItems"],
        other => return Err(at(path, format!("unsupported type `{other}`"))),
    };
    if let Some(key) = obj.keys().find(|k| !keywords.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str())) {
        return Err(at(path, format!("keyword `{key}` is not supported for type {ty}")));
    }
    let count = |key: &str| -> Result<Option<u64>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| at(path, format!("`{key}` must be a non-negative integer"))),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| at(path, format!("`{key}` must be a number"))),
        }
    };
    Ok(match ty {
        "object" => {
            let mut properties = BTreeMap::new();
            if let Some(props) = obj.get("properties") {
                let props = props.as_object().ok_or_else(|| at(path, "`properties` must be an object"))?;
                for (name, sub) in props {
                    let sub_path = format!("{path}/properties/{name}");
                    properties.insert(name.clone(), compile_node(sub, &sub_path, depth + 1)?);
                }
            }
            let required = match obj.get("required") {
                None => Vec::new(),
                Some(v) => v
                    .as_array()
                    .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| at(path, "`required` must be an array of strings"))?,
            };
            let additional = match obj.get("additionalProperties") {
                None => true,
                Some(v) => v.as_bool().ok_or_else(|| at(path, "`additionalProperties` must be a boolean"))?,
            };
            if let Some(missing) = required.iter().find(|r| !additional && !properties.contains_key(*r)) {
                return Err(at(path, format!("`{missing}` is required but not among the properties")));
            }
            Node::Object { properties, required, additional }
        }
        "string" => {
            let pattern = match obj.get("pattern") {
                None => None,
                Some(p) => {
                    let p = p.as_str().ok_or_else(|| at(path, "`pattern` must be a string"))?;
                    // Admin-facing, but still bounded: no pattern may compile to something huge.
                    let re = regex::RegexBuilder::new(p)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| at(path, format!("bad `pattern`: {e}")))?;
                    Some(re)
                }
            };
            let allowed = match obj.get("enum") {
                None => None,
                Some(v) => Some(
                    v.as_array()
                        .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                        .ok_or_else(|| at(path, "`enum` must be an array of strings"))?,
                ),
            };
            Node::String { min_length: count("minLength")?, max_length: count("maxLength")?, pattern, allowed }
        }
        "integer" | "number" => {
            Node::Number { integer: ty == "integer", minimum: number("minimum")?, maximum: number("maximum")? }
        }
        "boolean" => Node::Boolean,
        _ => {
            let items = match obj.get("items") {
                None => None,
                Some(sub) => Some(Box::new(compile_node(sub, &format!("{path}/items"), depth + 1)?)),
            };
            Node::Array { items, min_items: count("minItems")?, max_items: count("maxItems")? }
        }
    })
}

fn check(node: &Node, value: &Value, path: &str) -> Result<(), (String, String)> {
    let fail = |message: String| Err((path.to_string(), message));
    match node {
        Node::Object { properties, required, additional } => {
            let Some(obj) = value.as_object() else { return fail("must be an object".into()) };
            if let Some(missing) = required.iter().find(|r| !obj.contains_key(*r)) {
                return fail(format!("`{missing}` is required"));
            }
            for (key, v) in obj {
                match properties.get(key) {
                    Some(sub) => check(sub, v, &format!("{path}/{key}"))?,
                    None if *additional => {}
                    None => return fail(format!("unknown property `{key}`")),
                }
            }
            Ok(())
        }
        Node::String { min_length, max_length, pattern, allowed } => {
            let Some(s) = value.as_str() else { return fail("must be a string".into()) };
            let len = s.chars().count() as u64;
            if let Some(min) = min_length.filter(|&m| len < m) {
                return fail(format!("shorter than {min} characters"));
            }
            if let Some(max) = max_length.filter(|&m| len > m) {
                return fail(format!("longer than {max} characters"));
            }
            if let Some(re) = pattern.as_ref().filter(|re| !re.is_match(s)) {
                return fail(format!("does not match the pattern `{}`", re.as_str()));
            }
            if let Some(allowed) = allowed.as_ref().filter(|a| !a.iter().any(|x| x == s)) {
                return fail(format!("must be one of {}", allowed.join(", ")));
            }
            Ok(())
        }
        Node::Number { integer, minimum, maximum } => {
            let Some(n) = value.as_f64() else { return fail("must be a number".into()) };
            if *integer && !(value.is_i64() || value.is_u64()) {
                return fail("must be an integer".into());
            }
            if let Some(min) = minimum.filter(|&m| n < m) {
                return fail(format!("less than {min}"));
            }
            if let Some(max) = maximum.filter(|&m| n > m) {
                return fail(format!("greater than {max}"));
            }
            Ok(())
        }
        Node::Boolean => {
            if value.is_boolean() {
                Ok(())
            } else {
                fail("must be true or false".into())
            }
        }
        Node::Array { items, min_items, max_items } => {
            let Some(arr) = value.as_array() else { return fail("must be an array".into()) };
            let len = arr.len() as u64;
            if let Some(min) = min_items.filter(|&m| len < m) {
                return fail(format!("fewer than {min} items"));
            }
            if let Some(max) = max_items.filter(|&m| len > m) {
                return fail(format!("more than {max} items"));
            }
            if let Some(items) = items {
                for (i, v) in arr.iter().enumerate() {
                    check(items, v, &format!("{path}/{i}"))?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ConfigSchema {
        ConfigSchema::compile(&json!({
            "type": "object",
            "description": "annotations are fine",
            "properties": {
                "text": { "type": "string", "minLength": 1, "maxLength": 5 },
                "code": { "type": "string", "pattern": "^[A-Z]{3}$" },
                "mode": { "type": "string", "enum": ["a", "b"] },
                "n": { "type": "integer", "minimum": 1, "maximum": 10 },
                "ratio": { "type": "number", "maximum": 1.5 },
                "on": { "type": "boolean" },
                "tags": { "type": "array", "items": { "type": "string", "maxLength": 2 }, "maxItems": 2 },
                "nested": { "type": "object", "properties": { "x": { "type": "integer" } }, "additionalProperties": false }
            },
            "required": ["text"],
            "additionalProperties": false
        }))
        .unwrap()
    }

    #[test]
    fn good_values_pass() {
        let s = schema();
        s.validate(&json!({ "text": "héllo", "code": "ABC", "mode": "b", "n": 10, "ratio": 1.5, "on": true,
                            "tags": ["ab", "c"], "nested": { "x": -3 } }))
            .unwrap();
        s.validate(&json!({ "text": "x" })).unwrap();
    }

    #[test]
    fn bad_values_name_the_place_and_the_reason() {
        let s = schema();
        let cases = [
            (json!({}), "`text` is required"),
            (json!({ "text": "" }), "/text: shorter than 1"),
            (json!({ "text": "toolong" }), "/text: longer than 5"),
            (json!({ "text": 5 }), "/text: must be a string"),
            (json!({ "text": "x", "code": "abc" }), "/code: does not match"),
            (json!({ "text": "x", "mode": "c" }), "/mode: must be one of a, b"),
            (json!({ "text": "x", "n": 1.5 }), "/n: must be an integer"),
            (json!({ "text": "x", "n": 11 }), "/n: greater than 10"),
            (json!({ "text": "x", "n": 0 }), "/n: less than 1"),
            (json!({ "text": "x", "on": "yes" }), "/on: must be true or false"),
            (json!({ "text": "x", "tags": ["abc"] }), "/tags/0: longer than 2"),
            (json!({ "text": "x", "tags": ["a", "b", "c"] }), "/tags: more than 2 items"),
            (json!({ "text": "x", "nested": { "y": 1 } }), "/nested: unknown property `y`"),
            (json!({ "text": "x", "other": 1 }), "unknown property `other`"),
            (json!([]), "must be an object"),
        ];
        for (value, expected) in cases {
            let err = s.validate(&value).unwrap_err();
            assert!(err.contains(expected), "{value}: {err}");
        }
    }

    #[test]
    fn unsupported_schemas_are_refused() {
        let cases = [
            (json!({ "type": "string" }), "root must be of type object"),
            (
                json!({ "type": "object", "properties": { "a": { "type": "string", "format": "email" } } }),
                "`format` is not supported",
            ),
            (json!({ "type": "object", "oneOf": [] }), "`oneOf` is not supported"),
            (json!({ "type": "object", "properties": { "a": { "type": "null" } } }), "unsupported type `null`"),
            (json!({ "type": "object", "properties": { "a": { "type": "string", "pattern": "(" } } }), "bad `pattern`"),
            (json!({ "type": "object", "properties": { "a": { "type": "string", "maxLength": -1 } } }), "non-negative"),
            (json!({ "type": "object", "required": ["a"], "additionalProperties": false }), "`a` is required but not"),
            (json!({ "properties": {} }), "`type` is required"),
        ];
        for (schema, expected) in cases {
            let err = ConfigSchema::compile(&schema).unwrap_err();
            assert!(err.contains(expected), "{schema}: {err}");
        }
    }

    #[test]
    fn deep_schemas_are_refused() {
        let mut schema = json!({ "type": "object" });
        for _ in 0..12 {
            schema = json!({ "type": "object", "properties": { "a": schema } });
        }
        assert!(ConfigSchema::compile(&schema).unwrap_err().contains("deeper than"));
    }
}
