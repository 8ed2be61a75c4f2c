//! A small SMTP server on 127.0.0.1 for the email tests: EHLO, STARTTLS or TLS from the first
//! byte (a certificate for `localhost` signed by a CA made in the test), AUTH PLAIN and LOGIN,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT; it keeps every message it accepts and can refuse the
//! first ones with a transient error.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the server secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    StartTls,
    Implicit,
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    pub user: Option<String>,
    pub encrypted: bool,
}

pub struct SmtpServer {
    pub port: u16,
    /// The CA certificate (PEM) the client must trust.
    pub ca_pem: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
}

struct Setup {
    security: Security,
    credentials: Option<(String, String)>,
    refuse_first: AtomicUsize,
    acceptor: TlsAcceptor,
    received: Arc<Mutex<Vec<Received>>>,
}

type Io = Box<dyn Io2>;
trait Io2: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io2 for T {}

impl SmtpServer {
    /// Starts a server with `security`, requiring `credentials` when given, answering the first
    /// `refuse_first` messages with `451` (try again later).
    pub async fn start(
        security: Security,
        credentials: Option<(&str, &str)>,
        refuse_first: usize,
    ) -> Self {
        let (acceptor, ca_pem) = tls();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let setup = Arc::new(Setup {
            security,
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
            refuse_first: AtomicUsize::new(refuse_first),
            acceptor,
            received: received.clone(),
        });
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let setup = setup.clone();
                tokio::spawn(async move {
                    let io: Io = if setup.security == Security::Implicit {
                        match setup.acceptor.accept(stream).await {
                            Ok(tls) => Box::new(tls),
                            Err(_) => return,
                        }
                    } else {
                        Box::new(stream)
                    };
                    let encrypted = setup.security == Security::Implicit;
                    let _ = session(io, encrypted, &setup).await;
                });
            }
        });
        Self {
            port,
            ca_pem,
            received,
            connections,
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A CA and a certificate for `localhost` signed by it: the acceptor, and the CA's PEM.
fn tls() -> (TlsAcceptor, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "propimport test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    (TlsAcceptor::from(Arc::new(config)), ca.pem())
}

fn decode_base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim().bytes().filter(|&c| c != b'=') {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn session(io: Io, mut encrypted: bool, setup: &Setup) -> std::io::Result<()> {
    let mut reader = BufReader::new(io);
    reader
        .get_mut()
        .write_all(b"220 localhost ESMTP test\r\n")
        .await?;
    let (mut from, mut to, mut user) = (String::new(), Vec::new(), None::<String>);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" => {
                let mut lines = vec!["250-localhost".to_owned(), "250-8BITMIME".to_owned()];
                if setup.security == Security::StartTls && !encrypted {
                    lines.push("250-STARTTLS".into());
                }
                if setup.credentials.is_some() {
                    lines.push("250-AUTH PLAIN LOGIN".into());
                }
                lines.push("250 SMTPUTF8".into());
                lines.join("\r\n") + "\r\n"
            }
            "STARTTLS" if setup.security == Security::StartTls && !encrypted => {
                reader.get_mut().write_all(b"220 go ahead\r\n").await?;
                let plain = reader.into_inner();
                let tls = setup.acceptor.accept(plain).await?;
                reader = BufReader::new(Box::new(tls) as Io);
                encrypted = true;
                continue;
            }
            "AUTH" => {
                let parts: Vec<&str> = command.split_whitespace().collect();
                let (u, p) = match parts.get(1).map(|m| m.to_ascii_uppercase()).as_deref() {
                    Some("PLAIN") => {
                        let blob = match parts.get(2) {
                            Some(b) => (*b).to_owned(),
                            None => {
                                reader.get_mut().write_all(b"334 \r\n").await?;
                                line.clear();
                                reader.read_line(&mut line).await?;
                                line.trim().to_owned()
                            }
                        };
                        let decoded = decode_base64(&blob);
                        let mut fields = decoded.split('\0').skip(1);
                        (
                            fields.next().unwrap_or("").to_owned(),
                            fields.next().unwrap_or("").to_owned(),
                        )
                    }
                    Some("LOGIN") => {
                        reader.get_mut().write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                        line.clear();
                        reader.read_line(&mut line).await?;
                        let u = decode_base64(&line);
                        reader.get_mut().write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                        line.clear();
                        reader.read_line(&mut line).await?;
                        (u, decode_base64(&line))
                    }
                    _ => (String::new(), String::new()),
                };
                if setup.credentials.as_ref() == Some(&(u.clone(), p)) {
                    user = Some(u);
                    "235 authenticated\r\n".into()
                } else {
                    "535 authentication failed\r\n".into()
                }
            }
            _ if setup.credentials.is_some() && user.is_none() && verb == "MAIL" => {
                "530 authentication required\r\n".into()
            }
            "MAIL" => {
                from = command[10..].trim().to_owned();
                to.clear();
                "250 ok\r\n".into()
            }
            "RCPT" => {
                to.push(command[8..].trim().to_owned());
                "250 ok\r\n".into()
            }
            "DATA" => {
                reader.get_mut().write_all(b"354 end with .\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let refuse = setup
                    .refuse_first
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refuse {
                    "451 try again later\r\n".into()
                } else {
                    setup.received.lock().unwrap().push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                        user: user.clone(),
                        encrypted,
                    });
                    "250 queued\r\n".into()
                }
            }
            "RSET" => "250 ok\r\n".into(),
            "NOOP" => "250 ok\r\n".into(),
            "QUIT" => {
                reader.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 not implemented\r\n".into(),
        };
        reader.get_mut().write_all(reply.as_bytes()).await?;
    }
}
