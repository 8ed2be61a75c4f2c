//! The source catalog's bodies: a source as the API shows it (its fields as written, which
//! credentials are set, never their values), a page of them, and the bodies that create and
//! change one (documented here; read as JSON objects and checked by the catalog).

use propimport_domain::{Setting, SourceSpec, SourceView};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{PaginationView, millis};

/// A number, boolean or text setting, as written.
fn setting(value: &Option<Setting>) -> Option<Value> {
    value.as_ref().and_then(|v| serde_json::to_value(v).ok())
}

/// A source's fields, as written (the same keys as a sources file's, in camelCase).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceFields {
    /// The job name.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.:-]+$")]
    pub name: String,
    /// The feed: an `http(s)://` URL, a `file://` URL or a path.
    pub url: String,
    /// The feed format (`kyero`, `json`, `reso`, `openimmo`, `blm`, `reaxml` or `auto`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Its own cron expression (5 or 6 fields); else the service's schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The IANA zone of its schedule; else the service's (`TZ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The largest share of its listings one run may withdraw (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_withdraw_fraction: Option<f64>,
    /// Whether a snapshot without listings is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    pub allow_empty: Option<Value>,
    /// Whether its images are downloaded (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    pub download_images: Option<Value>,
    /// One HTTP attempt's connection timeout (`30s`, `5m` or seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub connect_timeout: Option<Value>,
    /// The wait for an answer and for each next bytes of the feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub read_timeout: Option<Value>,
    /// Getting an answer, all attempts together.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub timeout: Option<Value>,
    /// Retries of a failed scheduled run (0 to 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub retries: Option<Value>,
    /// The delays before those retries (`5m,30m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub retry_delays: Option<Value>,
    /// Image downloads at once (1 to 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub image_concurrency: Option<Value>,
    /// Image downloads at once to one host (1 to 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub image_concurrency_per_host: Option<Value>,
    /// RESO: records per page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u32>)]
    pub page_size: Option<Value>,
    /// RESO: requests per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub rate_limit: Option<Value>,
    /// RESO: the currency of its prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// RESO: the OAuth2 token endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_token_url: Option<String>,
    /// RESO: the OAuth2 client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// RESO: the OAuth2 scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_scope: Option<String>,
}

impl From<&SourceSpec> for SourceFields {
    fn from(s: &SourceSpec) -> Self {
        Self {
            name: s.name.clone(),
            url: s.url.clone(),
            format: s.format.clone(),
            schedule: s.schedule.clone(),
            timezone: s.timezone.clone(),
            max_withdraw_fraction: s.max_withdraw_fraction,
            allow_empty: setting(&s.allow_empty),
            download_images: setting(&s.download_images),
            connect_timeout: setting(&s.connect_timeout),
            read_timeout: setting(&s.read_timeout),
            timeout: setting(&s.timeout),
            retries: setting(&s.retries),
            retry_delays: setting(&s.retry_delays),
            image_concurrency: setting(&s.image_concurrency),
            image_concurrency_per_host: setting(&s.image_concurrency_per_host),
            page_size: setting(&s.page_size),
            rate_limit: setting(&s.rate_limit),
            currency: s.currency.clone(),
            oauth_token_url: s.oauth_token_url.clone(),
            client_id: s.client_id.clone(),
            oauth_scope: s.oauth_scope.clone(),
        }
    }
}

/// Which credentials a source has (their values are never shown).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsSet {
    /// Whether a bearer token is set.
    pub token: bool,
    /// Whether an OAuth2 client secret is set.
    pub client_secret: bool,
}

/// A source of the catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceDto {
    /// Its fields, as written.
    #[serde(flatten)]
    pub fields: SourceFields,
    /// Whether it runs (a disabled source keeps its definition and history).
    pub enabled: bool,
    /// Grows by one with each change; send it back as `If-Match` to change only this version.
    pub version: i64,
    /// Which credentials are set.
    pub credentials: CredentialsSet,
    /// Why it does not run although enabled (its credentials do not open, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// When it was created (UTC).
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// When it was last changed (UTC).
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
}

impl From<&SourceView> for SourceDto {
    fn from(v: &SourceView) -> Self {
        let s = &v.source;
        Self {
            fields: SourceFields::from(&s.spec),
            enabled: s.enabled,
            version: s.version,
            credentials: CredentialsSet {
                token: v.has_token,
                client_secret: v.has_client_secret,
            },
            problem: v.problem.clone(),
            created_at: millis(&s.created_at),
            created_by: s.created_by.clone(),
            updated_at: millis(&s.updated_at),
            updated_by: s.updated_by.clone(),
        }
    }
}

/// A page of the catalog.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceListView {
    /// The sources of the page, in the order they were created.
    pub sources: Vec<SourceDto>,
    /// Where the page stands among the matching sources.
    pub pagination: PaginationView,
    /// Whether the catalog is read-only (`IMPORT_SOURCES_MODE=config`).
    pub read_only: bool,
}

/// The body that creates a source: its fields, and optionally `enabled` and credentials
/// (stored sealed, never shown again).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewSourceBody {
    /// The source's fields (`name` and `url` required).
    #[serde(flatten)]
    pub fields: SourceFields,
    /// Whether it runs (default true).
    pub enabled: Option<bool>,
    /// A bearer token sent with every request.
    pub token: Option<String>,
    /// An OAuth2 client secret (RESO).
    pub client_secret: Option<String>,
}
