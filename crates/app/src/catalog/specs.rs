//! Sources as the API and the command line write them: a new source's body, and a JSON merge
//! patch of a stored one (a field set, `null` unsets it, absent stays; credentials absent
//! stay as they are), with what the audit log says of each.

use propimport_domain::{SourceCredentials, SourceSpec, SourceWrite, StoredSource};
use propimport_http_api::SourceRefusal;
use serde_json::{Map, Value};

/// A source's fields and its optional `enabled`, read from a request's body.
pub fn new_spec(mut body: Map<String, Value>) -> Result<(SourceSpec, Option<bool>), SourceRefusal> {
    let enabled = enabled_of(&mut body)?;
    let spec = serde_json::from_value(Value::Object(body))
        .map_err(|e| SourceRefusal::Invalid(format!("the source: {e}")))?;
    Ok((spec, enabled))
}

/// Takes `enabled` out of `body`: a boolean, or absent.
fn enabled_of(body: &mut Map<String, Value>) -> Result<Option<bool>, SourceRefusal> {
    match body.remove("enabled") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(other) => Err(SourceRefusal::Invalid(format!(
            "enabled={other}: expected true or false"
        ))),
    }
}

/// What the audit log says of a new source.
pub fn created_detail(write: &SourceWrite) -> String {
    let mut detail = format!("created: {}", write.spec.url);
    if let Some(format) = &write.spec.format {
        detail.push_str(&format!(" ({format})"));
    }
    if !write.enabled {
        detail.push_str("; disabled");
    }
    if write.sealed_credentials.is_some() {
        detail.push_str("; with credentials");
    }
    detail
}

/// A stored source with a patch applied.
pub struct Patched {
    /// Its new spec, credentials included.
    pub spec: SourceSpec,
    /// Whether it runs.
    pub enabled: bool,
    /// The audit action and detail.
    pub audit: (&'static str, String),
}

/// Applies `patch` to `stored` (whose credentials are `credentials`).
pub fn patched(
    stored: &StoredSource,
    credentials: SourceCredentials,
    mut patch: Map<String, Value>,
) -> Result<Patched, SourceRefusal> {
    let enabled = enabled_of(&mut patch)?.unwrap_or(stored.enabled);
    if let Some(name) = patch.get("name")
        && name.as_str() != Some(stored.name.as_str())
    {
        return Err(SourceRefusal::Invalid(format!(
            "name={name}: a source cannot be renamed; create one under the new name and delete this one (the history keeps the old name)"
        )));
    }
    let mut before = stored.spec.clone();
    before.set_credentials(credentials);
    let Value::Object(mut fields) = serde_json::to_value(&before)
        .map_err(|e| SourceRefusal::Invalid(format!("the stored source: {e}")))?
    else {
        return Err(SourceRefusal::Invalid(
            "the stored source is not an object".to_owned(),
        ));
    };
    for (key, value) in patch {
        // snake_case keys of the sources file are accepted.
        let key = crate::config::camel_case(&key);
        match value {
            Value::Null => {
                fields.remove(&key);
            }
            value => {
                fields.insert(key, value);
            }
        }
    }
    let spec: SourceSpec = serde_json::from_value(Value::Object(fields))
        .map_err(|e| SourceRefusal::Invalid(format!("the source: {e}")))?;
    let changed = before.changed_fields(&spec);
    let audit = match (changed.is_empty(), enabled == stored.enabled) {
        (true, false) if enabled => ("source.enable", "enabled".to_owned()),
        (true, false) => ("source.disable", "disabled".to_owned()),
        (true, true) => ("source.update", "nothing changed".to_owned()),
        (false, same) => {
            let mut detail = format!("changed: {}", changed.join(", "));
            if !same {
                detail.push_str(if enabled { "; enabled" } else { "; disabled" });
            }
            ("source.update", detail)
        }
    };
    Ok(Patched {
        spec,
        enabled,
        audit,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::Utc;
    use propimport_domain::JobName;
    use serde_json::json;

    use super::*;

    fn stored(spec: SourceSpec, enabled: bool) -> StoredSource {
        StoredSource {
            name: JobName::parse(&spec.name).unwrap(),
            spec,
            enabled,
            sealed_credentials: None,
            version: 1,
            created_at: Utc::now(),
            created_by: "ops".into(),
            updated_at: Utc::now(),
            updated_by: "ops".into(),
        }
    }

    fn spec() -> SourceSpec {
        SourceSpec {
            name: "feed".into(),
            url: "https://feeds.test/a.xml".into(),
            schedule: Some("0 * * * *".into()),
            ..SourceSpec::default()
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_patch_sets_unsets_and_keeps_fields_and_credentials() {
        let credentials = SourceCredentials {
            token: Some("secret".into()),
            client_secret: None,
        };
        let p = patched(
            &stored(spec(), true),
            credentials,
            object(
                json!({"url": "https://feeds.test/b.xml", "schedule": null, "read_timeout": "30s"}),
            ),
        )
        .unwrap();
        assert_eq!(p.spec.url, "https://feeds.test/b.xml");
        assert_eq!(p.spec.schedule, None);
        assert_eq!(
            p.spec.token.as_deref(),
            Some("secret"),
            "absent credentials stay"
        );
        assert!(p.enabled);
        assert_eq!(
            p.audit,
            (
                "source.update",
                "changed: url, schedule, readTimeout".to_owned()
            )
        );
        let cleared = patched(
            &stored(spec(), true),
            SourceCredentials {
                token: Some("secret".into()),
                client_secret: None,
            },
            object(json!({"token": null})),
        )
        .unwrap();
        assert_eq!(cleared.spec.token, None);
        assert_eq!(cleared.audit.1, "changed: token", "never the value");
    }

    #[test]
    fn enabling_and_disabling_are_their_own_actions() {
        let off = patched(
            &stored(spec(), true),
            SourceCredentials::default(),
            object(json!({"enabled": false})),
        )
        .unwrap();
        assert_eq!(off.audit.0, "source.disable");
        assert!(!off.enabled);
        let on = patched(
            &stored(spec(), false),
            SourceCredentials::default(),
            object(json!({"enabled": true, "url": "x.xml"})),
        )
        .unwrap();
        assert_eq!(
            on.audit,
            ("source.update", "changed: url; enabled".to_owned())
        );
    }

    #[test]
    fn bad_patches_say_what_is_wrong() {
        let renamed = patched(
            &stored(spec(), true),
            SourceCredentials::default(),
            object(json!({"name": "other"})),
        )
        .err()
        .unwrap();
        assert!(
            renamed.to_string().contains("cannot be renamed"),
            "{renamed}"
        );
        let unknown = patched(
            &stored(spec(), true),
            SourceCredentials::default(),
            object(json!({"shedule": "x"})),
        )
        .err()
        .unwrap();
        assert!(
            unknown.to_string().contains("unknown field `shedule`"),
            "{unknown}"
        );
        let enabled = patched(
            &stored(spec(), true),
            SourceCredentials::default(),
            object(json!({"enabled": "yes"})),
        )
        .err()
        .unwrap();
        assert!(
            enabled.to_string().starts_with("enabled=\"yes\""),
            "{enabled}"
        );
        let wrong_type = new_spec(object(json!({"name": "a", "url": 5})))
            .err()
            .unwrap();
        assert!(
            wrong_type.to_string().contains("invalid type"),
            "{wrong_type}"
        );
        let missing = new_spec(object(json!({"name": "a"}))).err().unwrap();
        assert!(
            missing.to_string().contains("missing field `url`"),
            "{missing}"
        );
    }
}
