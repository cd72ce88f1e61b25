"""Rewrites openapi.json into the form openapi-python-client can read, changing no meaning.

poem-openapi describes a field that refers to another schema as
`{"description": D, "allOf": [{"$ref": R}, {"description": D}]}` (OpenAPI 3.0 ignores siblings of
`$ref`). openapi-python-client treats any allOf with two members as an object composition and
drops the whole schema when R is an enum ("Cannot take allOf a non-object"). A member that only
annotates (description, title, example...) adds no constraint, so it is folded into the outer
schema; an allOf left with a single `$ref` is what the generator reads as "this type". (poem-openapi
puts a field's `nullable` in that member too; folded, it applies to the field, as intended.)

An optional property of an object schema also accepts null: poem-openapi serializes an absent
`Option` as `null` unless the field skips it, and without `nullable` the generated `from_dict`
fails on that null. A property already declared nullable (in any form) is left alone, so once the
spec says so itself this step changes nothing.

The spec requires an `Idempotency-Key` header on the operations that start a turn. The SDK's
transport adds a fresh key to every such request that has none (and reuses it on that request's
retries), so the generated functions take it as an optional argument: pass one to choose the key.

The generator reads binary downloads only as `application/octet-stream`; a binary response of
another media type (the data export's `application/zip`) is described as that, so the generated
function returns the bytes (the server still sends its own Content-Type).

Usage: normalize_spec.py IN OUT
"""

import json
import sys

BINARY_MEDIA = {"application/zip"}
ANNOTATIONS = {"description", "title", "example", "examples", "deprecated", "readOnly", "writeOnly", "default", "nullable"}


def normalize(node):
    if isinstance(node, list):
        return [normalize(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: normalize(value) for key, value in node.items()}
    members = node.get("allOf")
    if isinstance(members, list) and len(members) > 1:
        kept = []
        for member in members:
            if isinstance(member, dict) and member and set(member) <= ANNOTATIONS:
                for key, value in member.items():
                    node.setdefault(key, value)
            else:
                kept.append(member)
        node["allOf"] = kept
    content = node.get("content")
    if isinstance(content, dict):
        for media in [m for m in content if m in BINARY_MEDIA]:
            content.setdefault("application/octet-stream", content.pop(media))
    if node.get("in") == "header" and node.get("name") == "Idempotency-Key":
        node["required"] = False
    properties = node.get("properties")
    if node.get("type") == "object" and isinstance(properties, dict):
        required = set(node.get("required", []))
        for name, prop in properties.items():
            if name not in required and isinstance(prop, dict) and not declares_null(prop):
                properties[name] = allow_null(prop)
    return node


def declares_null(schema):
    if schema.get("nullable") is True:
        return True
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    for key in ("anyOf", "oneOf"):
        for member in schema.get(key, []):
            if isinstance(member, dict) and declares_null(member):
                return True
    return False


def allow_null(schema):
    if "$ref" in schema:
        # OpenAPI 3.0 ignores siblings of $ref; a one-member allOf carries `nullable`.
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        return {**rest, "allOf": [{"$ref": schema["$ref"]}], "nullable": True}
    return {**schema, "nullable": True}


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        spec = json.load(f)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(normalize(spec), f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
