//! A source as an operator writes it: its settings (`Setting`), the spec with every field
//! and their API names (`SourceSpec`), and the credentials taken out of it to be sealed
//! (`SourceCredentials`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A number, boolean or text as an operator writes a setting (TOML and JSON write `30` or
/// `"30s"`, `true` or `"true"`); checked when the spec is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Setting {
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text, such as `30s` or `5m,30m`.
    Text(String),
}

impl Setting {
    /// The value as text (trimmed), as a variable would give it.
    pub fn text(&self) -> String {
        match self {
            Self::Integer(n) => n.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Text(t) => t.trim().to_owned(),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            other => f.write_str(&other.text()),
        }
    }
}

/// A source as an operator writes it, before it is checked: a `[[sources]]` entry of a sources
/// file (snake_case keys), an admin API body (camelCase keys; either spelling is read) and the
/// stored definition. `token` and `client_secret` are its credentials: never written out by
/// the API, stored sealed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceSpec {
    /// The job name.
    pub name: String,
    /// The feed: an `http(s)://` URL, a `file://` URL or a path.
    pub url: String,
    /// The feed format (`auto` when none is named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Its own cron expression; `None` means the service's default schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The IANA zone its schedule is read in; `None` means the service's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The largest share of its listings one run may withdraw.
    #[serde(
        default,
        alias = "max_withdraw_fraction",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_withdraw_fraction: Option<f64>,
    /// Whether a snapshot without listings is accepted.
    #[serde(
        default,
        alias = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub allow_empty: Option<Setting>,
    /// Whether its images are downloaded (default true).
    #[serde(
        default,
        alias = "download_images",
        skip_serializing_if = "Option::is_none"
    )]
    pub download_images: Option<Setting>,
    /// One HTTP attempt's connection timeout.
    #[serde(
        default,
        alias = "connect_timeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub connect_timeout: Option<Setting>,
    /// The wait for an answer and for each next bytes of the feed.
    #[serde(
        default,
        alias = "read_timeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub read_timeout: Option<Setting>,
    /// Getting an answer, all attempts together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Setting>,
    /// Retries of a failed scheduled run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Setting>,
    /// The delays before those retries.
    #[serde(
        default,
        alias = "retry_delays",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_delays: Option<Setting>,
    /// Image downloads at once.
    #[serde(
        default,
        alias = "image_concurrency",
        skip_serializing_if = "Option::is_none"
    )]
    pub image_concurrency: Option<Setting>,
    /// Image downloads at once to one host.
    #[serde(
        default,
        alias = "image_concurrency_per_host",
        skip_serializing_if = "Option::is_none"
    )]
    pub image_concurrency_per_host: Option<Setting>,
    /// RESO: records per page.
    #[serde(default, alias = "page_size", skip_serializing_if = "Option::is_none")]
    pub page_size: Option<Setting>,
    /// RESO: requests per second.
    #[serde(default, alias = "rate_limit", skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Setting>,
    /// RESO: the currency of its prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// RESO: the OAuth2 token endpoint.
    #[serde(
        default,
        alias = "oauth_token_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub oauth_token_url: Option<String>,
    /// RESO: the OAuth2 client id.
    #[serde(default, alias = "client_id", skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// RESO: the OAuth2 scope.
    #[serde(
        default,
        alias = "oauth_scope",
        skip_serializing_if = "Option::is_none"
    )]
    pub oauth_scope: Option<String>,
    /// A credential: the bearer token sent with every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A credential: the OAuth2 client secret.
    #[serde(
        default,
        alias = "client_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_secret: Option<String>,
}

/// A source's credentials, taken out of its spec to be sealed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceCredentials {
    /// The bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The OAuth2 client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl fmt::Debug for SourceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceCredentials")
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

impl SourceCredentials {
    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.token.is_none() && self.client_secret.is_none()
    }
}

impl SourceSpec {
    /// Takes the credentials out of the spec (which keeps none).
    pub fn take_credentials(&mut self) -> SourceCredentials {
        SourceCredentials {
            token: self.token.take(),
            client_secret: self.client_secret.take(),
        }
    }

    /// Puts credentials back into the spec.
    pub fn set_credentials(&mut self, credentials: SourceCredentials) {
        self.token = credentials.token;
        self.client_secret = credentials.client_secret;
    }

    /// The names (camelCase) of the settings that differ from `other`'s, credentials
    /// included (by name only).
    pub fn changed_fields(&self, other: &Self) -> Vec<&'static str> {
        let (Ok(a), Ok(b)) = (serde_json::to_value(self), serde_json::to_value(other)) else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        for field in Self::FIELDS {
            if a.get(field) != b.get(field) {
                changed.push(*field);
            }
        }
        changed
    }

    /// Every field's API name, in order.
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "url",
        "format",
        "schedule",
        "timezone",
        "maxWithdrawFraction",
        "allowEmpty",
        "downloadImages",
        "connectTimeout",
        "readTimeout",
        "timeout",
        "retries",
        "retryDelays",
        "imageConcurrency",
        "imageConcurrencyPerHost",
        "pageSize",
        "rateLimit",
        "currency",
        "oauthTokenUrl",
        "clientId",
        "oauthScope",
        "token",
        "clientSecret",
    ];

    /// The fields that are credentials.
    pub const CREDENTIALS: &'static [&'static str] = &["token", "clientSecret"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_are_read_and_camel_case_is_written() {
        let spec: SourceSpec = serde_json::from_str(
            r#"{"name":"a","url":"x.xml","max_withdraw_fraction":0.5,"connectTimeout":"5s","retries":2}"#,
        )
        .unwrap();
        assert_eq!(spec.max_withdraw_fraction, Some(0.5));
        assert_eq!(spec.connect_timeout, Some(Setting::Text("5s".into())));
        assert_eq!(spec.retries, Some(Setting::Integer(2)));
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"name":"a","url":"x.xml","maxWithdrawFraction":0.5,"connectTimeout":"5s","retries":2}"#
        );
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let e = serde_json::from_str::<SourceSpec>(r#"{"name":"a","url":"b","shedule":"x"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `shedule`"), "{e}");
    }

    #[test]
    fn credentials_move_out_and_back_and_never_show_in_debug() {
        let mut spec = SourceSpec {
            name: "a".into(),
            url: "b".into(),
            token: Some("s3cret".into()),
            ..SourceSpec::default()
        };
        let credentials = spec.take_credentials();
        assert_eq!(spec.token, None);
        assert!(!format!("{credentials:?}").contains("s3cret"));
        spec.set_credentials(credentials);
        assert_eq!(spec.token.as_deref(), Some("s3cret"));
    }

    #[test]
    fn changed_fields_name_what_differs() {
        let a = SourceSpec {
            name: "a".into(),
            url: "b".into(),
            ..SourceSpec::default()
        };
        let mut b = a.clone();
        b.schedule = Some("* * * * *".into());
        b.token = Some("t".into());
        assert_eq!(a.changed_fields(&b), vec!["schedule", "token"]);
        assert!(a.changed_fields(&a).is_empty());
    }

    #[test]
    fn every_field_is_listed() {
        let full = SourceSpec {
            format: Some(String::new()),
            schedule: Some(String::new()),
            timezone: Some(String::new()),
            max_withdraw_fraction: Some(0.0),
            allow_empty: Some(Setting::Bool(true)),
            download_images: Some(Setting::Bool(true)),
            connect_timeout: Some(Setting::Bool(true)),
            read_timeout: Some(Setting::Bool(true)),
            timeout: Some(Setting::Bool(true)),
            retries: Some(Setting::Bool(true)),
            retry_delays: Some(Setting::Bool(true)),
            image_concurrency: Some(Setting::Bool(true)),
            image_concurrency_per_host: Some(Setting::Bool(true)),
            page_size: Some(Setting::Bool(true)),
            rate_limit: Some(Setting::Bool(true)),
            currency: Some(String::new()),
            oauth_token_url: Some(String::new()),
            client_id: Some(String::new()),
            oauth_scope: Some(String::new()),
            token: Some(String::new()),
            client_secret: Some(String::new()),
            ..SourceSpec::default()
        };
        let value = serde_json::to_value(&full).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .chain(["name", "url"])
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut fields = SourceSpec::FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }
}
