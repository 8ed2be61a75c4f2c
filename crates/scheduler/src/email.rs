//! The email notifier: sends each alert as a plain-text email over SMTP (lettre, rustls), with
//! implicit TLS, STARTTLS or (for a local relay) none, and optional authentication.

mod text;

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use propimport_domain::{AlertNotice, DeliveryError, Notifier, RetryPolicy};

use crate::delivery::with_retries;

pub use text::render;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// TLS from the first byte (`smtps://`, port 465).
    Implicit,
    /// A plain connection upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// No encryption: only for a relay on the same host or network (port 25).
    None,
}

impl SmtpTls {
    /// Reads `tls` (or `implicit`), `starttls`, or `none`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "tls" | "implicit" => Some(Self::Implicit),
            "starttls" => Some(Self::StartTls),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The usual port of the mode: 465, 587 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Implicit => 465,
            Self::StartTls => 587,
            Self::None => 25,
        }
    }
}

/// Where and how to reach the SMTP server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// The user to authenticate as (AUTH PLAIN or LOGIN), if any.
    pub username: Option<String>,
    /// The user's password (never logged).
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SmtpServer {
    /// Reads `smtps://[user[:password]@]host[:port]` (implicit TLS) or
    /// `smtp://[user[:password]@]host[:port][?tls=starttls|none]` (STARTTLS unless `tls=none`);
    /// user and password percent-encoded. The error never repeats the password.
    pub fn from_url(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
        let mut tls = match url.scheme() {
            "smtps" => SmtpTls::Implicit,
            "smtp" => SmtpTls::StartTls,
            other => return Err(format!("the scheme must be smtp or smtps, not {other}")),
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), url.scheme()) {
                ("tls", "smtp") => {
                    tls = match SmtpTls::parse(&value) {
                        Some(SmtpTls::Implicit) | None => {
                            return Err(format!(
                                "tls={value}: expected starttls or none (use smtps:// for implicit TLS)"
                            ));
                        }
                        Some(mode) => mode,
                    }
                }
                (key, _) => return Err(format!("unknown parameter {key:?}")),
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if !matches!(url.path(), "" | "/") {
            return Err("a path is not allowed".into());
        }
        let username = Some(percent_decode(url.username())?).filter(|u| !u.is_empty());
        let password = url.password().map(percent_decode).transpose()?;
        if password.is_some() && username.is_none() {
            return Err("a password needs a user name".into());
        }
        Ok(Self {
            port: url.port().unwrap_or(tls.default_port()),
            host,
            tls,
            username,
            password,
        })
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let byte = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a user name or password holds a bad %-escape")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a user name or password is not UTF-8".to_owned())
}

/// Everything the email channel is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// The SMTP server.
    pub server: SmtpServer,
    /// The sender, `alerts@example.com` or `propimport <alerts@example.com>`.
    pub from: String,
    /// The recipients, one mailbox each.
    pub to: Vec<String>,
    /// Certificates (PEM) trusted besides the public roots, for a private CA.
    pub extra_roots_pem: Option<Vec<u8>>,
    /// How long one attempt may take (connecting, TLS, every SMTP reply).
    pub timeout: Duration,
    /// How a failed delivery is tried again (by default [`RetryPolicy::delivery`]).
    pub retry: RetryPolicy,
}

/// Which part of [`EmailSettings`] cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailConfigError {
    /// The sender is not a mailbox.
    #[error("{0}")]
    From(String),
    /// A recipient is not a mailbox, or there is none.
    #[error("{0}")]
    To(String),
    /// The extra certificates cannot be read.
    #[error("{0}")]
    Certificate(String),
}

/// Sends alerts by email; its channel name is `email`.
#[derive(Clone)]
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl EmailNotifier {
    /// The channel's name in routes and in the alert history.
    pub const CHANNEL: &'static str = "email";

    /// A notifier for `settings`; checks the mailboxes and certificates (no connection is
    /// made until an alert is sent).
    pub fn new(settings: &EmailSettings) -> Result<Self, EmailConfigError> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            EmailConfigError::From(format!("{:?} is not a mailbox ({e})", settings.from))
        })?;
        let to = settings
            .to
            .iter()
            .map(|t| {
                t.parse::<Mailbox>()
                    .map_err(|e| EmailConfigError::To(format!("{t:?} is not a mailbox ({e})")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(EmailConfigError::To("no recipient".into()));
        }
        let server = &settings.server;
        let mut params = TlsParameters::builder(server.host.clone());
        if let Some(pem) = &settings.extra_roots_pem {
            for cert in pem_certificates(pem)? {
                params = params.add_root_certificate(cert);
            }
        }
        let params = params
            .build_rustls()
            .map_err(|e| EmailConfigError::Certificate(e.to_string()))?;
        let tls = match server.tls {
            SmtpTls::Implicit => Tls::Wrapper(params),
            SmtpTls::StartTls => Tls::Required(params),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(user) = &server.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                server.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
            retry: settings.retry.clone(),
        })
    }

    async fn send(&self, message: &Message) -> Result<(), DeliveryError> {
        match self.transport.send(message.clone()).await {
            Ok(_) => Ok(()),
            Err(e) => Err(smtp_failure(&e)),
        }
    }
}

/// What an SMTP error means for the delivery: its words and their causes', permanent for a
/// 5xx answer or a certificate the server's name or our roots do not accept.
fn smtp_failure(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let mut reason = format!("SMTP: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        source = cause.source();
    }
    let certificate = reason.contains("invalid peer certificate");
    if e.is_permanent() || e.is_tls() || certificate {
        DeliveryError::permanent(reason)
    } else {
        DeliveryError::transient(reason)
    }
}

/// Every certificate of a PEM text (one or more `BEGIN CERTIFICATE` blocks).
fn pem_certificates(pem: &[u8]) -> Result<Vec<Certificate>, EmailConfigError> {
    let text = std::str::from_utf8(pem).map_err(|_| {
        EmailConfigError::Certificate("the certificate file is not PEM text".into())
    })?;
    const END: &str = "-----END CERTIFICATE-----";
    let blocks: Vec<&str> = text
        .split_inclusive(END)
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .collect();
    if blocks.is_empty() {
        return Err(EmailConfigError::Certificate(
            "no PEM certificate (BEGIN CERTIFICATE) found".into(),
        ));
    }
    blocks
        .into_iter()
        .map(|b| {
            Certificate::from_pem(b.trim().as_bytes()).map_err(|e| {
                EmailConfigError::Certificate(format!("a certificate cannot be read: {e}"))
            })
        })
        .collect()
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn name(&self) -> &str {
        Self::CHANNEL
    }

    async fn notify(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        let (subject, body) = render(notice);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let message = builder
            .body(body)
            .map_err(|e| DeliveryError::permanent(format!("cannot build the email: {e}")))?;
        with_retries(Self::CHANNEL, &self.retry, || self.send(&message)).await
    }
}

#[cfg(test)]
mod tests;
