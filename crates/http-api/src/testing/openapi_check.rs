//! A small OpenAPI 3.1 checker for tests: the document's structure, and whether an answer
//! matches the documented status and JSON schema of its operation.

use serde_json::Value;

/// Checks answers against an OpenAPI document.
pub struct OpenApiChecker {
    doc: Value,
}

impl OpenApiChecker {
    /// Wraps a parsed document.
    pub fn new(doc: Value) -> Self {
        Self { doc }
    }

    /// Asserts the document is OpenAPI 3.1 with info, paths, the bearer scheme, and that every
    /// `$ref` resolves and every operation documents its responses.
    pub fn check_document(&self) {
        let version = self.doc["openapi"].as_str().unwrap_or_default();
        assert!(version.starts_with("3.1"), "OpenAPI version {version}");
        assert!(self.doc["info"]["title"].is_string());
        assert_eq!(
            self.doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let paths = self.doc["paths"].as_object().cloned().unwrap_or_default();
        for expected in [
            "/api/v1/admin/import-jobs/history",
            "/api/v1/admin/import-jobs/statistics",
            "/api/v1/admin/import-jobs/last",
            "/api/v1/admin/import-jobs/status",
            "/api/v1/admin/import-jobs/{executionId}",
            "/api/v1/admin/import-jobs/trigger",
            "/api/v1/admin/import-jobs/jobs/{jobName}/pause",
            "/api/v1/admin/import-jobs/jobs/{jobName}/resume",
            "/api/v1/admin/import-jobs/{executionId}/cancel",
            "/api/v1/admin/audit-log",
            "/healthz",
            "/readyz",
            "/metrics",
        ] {
            assert!(
                paths.contains_key(expected),
                "the document lacks {expected}"
            );
        }
        for (path, item) in &paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let responses = op["responses"].as_object();
                assert!(
                    responses.is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents no response"
                );
            }
        }
        self.check_refs(&self.doc);
    }

    fn known_keys(&self, schema: &Value, keys: &mut Vec<String>) {
        if let Some(target) = schema["$ref"].as_str().and_then(|r| self.resolve(r)) {
            self.known_keys(target, keys);
        }
        keys.extend(
            schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone()),
        );
        for s in schema["allOf"].as_array().into_iter().flatten() {
            self.known_keys(s, keys);
        }
    }

    fn check_refs(&self, value: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    assert!(self.resolve(r).is_some(), "unresolved $ref {r}");
                }
                map.values().for_each(|v| self.check_refs(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.check_refs(v)),
            _ => {}
        }
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.doc.pointer(pointer)
    }

    fn operation(&self, method: &str, path: &str) -> &Value {
        let path = path.split('?').next().unwrap_or(path);
        let paths = self.doc["paths"].as_object();
        let template = paths
            .into_iter()
            .flatten()
            .map(|(t, _)| t)
            .filter(|t| matches(t, path))
            .min_by_key(|t| t.contains('{'))
            .unwrap_or_else(|| panic!("no documented path matches {path}"));
        &self.doc["paths"][template][method.to_ascii_lowercase()]
    }

    /// Asserts that `status` is documented for `method path` and `body` matches its schema.
    pub fn check_response(&self, method: &str, path: &str, status: u16, body: &Value) {
        let op = self.operation(method, path);
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} answered {status}, which is not documented"
        );
        let schema = &response["content"]["application/json"]["schema"];
        if schema.is_object() {
            let mut problems = Vec::new();
            self.validate(schema, body, "$", false, &mut problems);
            assert!(
                problems.is_empty(),
                "{method} {path} {status}: {problems:#?}\nbody: {body}"
            );
        }
    }

    /// Asserts that `body` matches the component schema `name` (`ErrorBody`, …).
    pub fn check_schema(&self, name: &str, body: &Value) {
        let schema = serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
        let mut problems = Vec::new();
        self.validate(&schema, body, "$", false, &mut problems);
        assert!(problems.is_empty(), "{name}: {problems:#?}\nbody: {body}");
    }

    /// The document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    fn validate(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        lenient: bool,
        problems: &mut Vec<String>,
    ) {
        if let Some(r) = schema["$ref"].as_str() {
            match self.resolve(r) {
                Some(target) => self.validate(target, value, at, lenient, problems),
                None => problems.push(format!("{at}: unresolved {r}")),
            }
            return;
        }
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.validate(s, value, at, true, problems);
            }
            if let (false, Some(obj)) = (lenient, value.as_object()) {
                let mut known = Vec::new();
                self.known_keys(schema, &mut known);
                for k in obj.keys().filter(|k| !known.contains(k)) {
                    problems.push(format!("{at}: undocumented field {k}"));
                }
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema[key].as_array() {
                let fits = options.iter().any(|s| {
                    let mut p = Vec::new();
                    self.validate(s, value, at, lenient, &mut p);
                    p.is_empty()
                });
                if !fits {
                    problems.push(format!("{at}: fits none of {key}"));
                }
            }
        }
        if let Some(types) = type_list(schema)
            && !types.iter().any(|t| has_type(value, t))
        {
            problems.push(format!("{at}: {value} is not {types:?}"));
            return;
        }
        check_value(schema, value, at, problems);
        if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !obj.contains_key(name) {
                    problems.push(format!("{at}: missing required {name}"));
                }
            }
            let open = schema["additionalProperties"] != Value::Bool(false)
                && schema.get("additionalProperties").is_some();
            for (k, v) in obj {
                match props.get(k) {
                    Some(s) => self.validate(s, v, &format!("{at}.{k}"), false, problems),
                    None if open || lenient => {}
                    None => problems.push(format!("{at}: undocumented field {k}")),
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), false, problems);
            }
        }
    }
}

/// The constraints on a value beyond its type: `enum`, `minimum`, `maximum`, `minLength`,
/// `maxLength` and the formats `uuid`, `date-time` and `date`.
fn check_value(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(allowed) = schema["enum"].as_array()
        && !value.is_null()
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|min| n < min) {
            problems.push(format!(
                "{at}: {n} is below the minimum {}",
                schema["minimum"]
            ));
        }
        if schema["maximum"].as_f64().is_some_and(|max| n > max) {
            problems.push(format!(
                "{at}: {n} is above the maximum {}",
                schema["maximum"]
            ));
        }
    }
    let Some(text) = value.as_str() else { return };
    let chars = text.chars().count() as u64;
    if schema["minLength"].as_u64().is_some_and(|min| chars < min)
        || schema["maxLength"].as_u64().is_some_and(|max| chars > max)
    {
        problems.push(format!("{at}: {text:?} has a length out of bounds"));
    }
    let fits = match schema["format"].as_str() {
        Some("uuid") => uuid::Uuid::try_parse(text).is_ok(),
        Some("date-time") => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        Some("date") => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        _ => true,
    };
    if !fits {
        problems.push(format!("{at}: {text:?} is not a {}", schema["format"]));
    }
}

fn type_list(schema: &Value) -> Option<Vec<String>> {
    match &schema["type"] {
        Value::String(t) => Some(vec![t.clone()]),
        Value::Array(ts) => Some(
            ts.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn checker() -> OpenApiChecker {
        OpenApiChecker::new(json!({
            "openapi": "3.1.0",
            "paths": {"/x/{id}": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Thing"}}}}}}}},
            "components": {"schemas": {"Thing": {"type": "object", "required": ["a"],
                "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}}}}}
        }))
    }

    #[test]
    fn accepts_matching_answers() {
        checker().check_response("GET", "/x/1", 200, &json!({"a": 1, "b": null}));
    }

    #[test]
    fn checks_enums_bounds_and_formats() {
        let checker = OpenApiChecker::new(json!({
            "openapi": "3.1.0",
            "paths": {},
            "components": {"schemas": {"T": {"type": "object", "properties": {
                "s": {"type": "string", "enum": ["A", "B"]},
                "n": {"type": "integer", "minimum": 1, "maximum": 3},
                "id": {"type": "string", "format": "uuid"},
                "at": {"type": ["string", "null"], "format": "date-time"},
                "day": {"type": "string", "format": "date"}}}}}
        }));
        checker.check_schema(
            "T",
            &json!({"s": "A", "n": 3, "id": "0190f5c2-7b7e-7cc0-8f3a-2d1c9e0b6a41",
                "at": "2025-12-24T00:04:32.123Z", "day": "2025-12-24"}),
        );
        checker.check_schema("T", &json!({"at": null}));
        for bad in [
            json!({"s": "C"}),
            json!({"n": 0}),
            json!({"n": 4}),
            json!({"id": "x"}),
            json!({"at": "yesterday"}),
            json!({"day": "2025-13-01"}),
        ] {
            let result = std::panic::catch_unwind(|| checker.check_schema("T", &bad));
            assert!(result.is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn rejects_mismatches() {
        for (status, body) in [
            (200, json!({"b": "x"})),
            (200, json!({"a": "1"})),
            (200, json!({"a": 1, "c": true})),
            (404, json!({"a": 1})),
        ] {
            let result =
                std::panic::catch_unwind(|| checker().check_response("GET", "/x/1", status, &body));
            assert!(result.is_err(), "{status} {body} should be refused");
        }
    }
}
