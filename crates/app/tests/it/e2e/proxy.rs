//! A TCP proxy on 127.0.0.1 between the service and PostgreSQL that the test controls, to
//! play a database that goes away or freezes:
//!
//! - [`Proxy::refuse`]: new connections are closed at once (a server that is down);
//! - [`Proxy::drop_connections`]: the open connections are cut (a server that restarted);
//! - [`Proxy::black_hole`]: connections are accepted and kept open, but nothing is forwarded
//!   in either direction, on new and open connections alike (a frozen server, or a network
//!   that silently drops packets);
//! - [`Proxy::restore`]: forwarding resumes; bytes held back while frozen are delivered.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The proxy; its tasks live on the runtime it was started on.
pub struct Proxy {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    refusing: Arc<AtomicBool>,
    flowing: watch::Sender<bool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accepted: Arc<AtomicU64>,
}

impl Proxy {
    /// Starts forwarding 127.0.0.1:`port` to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let refusing = Arc::new(AtomicBool::new(false));
        let (flowing, _) = watch::channel(true);
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accepted = Arc::new(AtomicU64::new(0));
        let (refuse, flow, tasks, count) = (
            refusing.clone(),
            flowing.clone(),
            links.clone(),
            accepted.clone(),
        );
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                if refuse.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let link = tokio::spawn(link(client, target.clone(), flow.subscribe()));
                let mut tasks = tasks.lock().unwrap();
                tasks.retain(|t| !t.is_finished());
                tasks.push(link);
            }
        });
        Self {
            port,
            refusing,
            flowing,
            links,
            accepted,
        }
    }

    /// The proxy for the server of `url` (`postgres://…`): started, and `url` with its port.
    pub async fn for_url(url: &str) -> (Self, String) {
        let direct = reqwest::Url::parse(url).unwrap();
        let target = format!(
            "{}:{}",
            direct.host_str().unwrap_or("127.0.0.1"),
            direct.port().unwrap_or(5432)
        );
        let proxy = Self::start(target).await;
        let mut through = direct;
        through.set_port(Some(proxy.port)).unwrap();
        (proxy, through.to_string())
    }

    /// New connections are closed at once.
    pub fn refuse(&self) {
        self.refusing.store(true, Ordering::SeqCst);
    }

    /// The open connections are cut (both sockets closed).
    pub fn drop_connections(&self) {
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// A server that is down: [`Proxy::refuse`] and [`Proxy::drop_connections`].
    pub fn cut(&self) {
        self.refuse();
        self.drop_connections();
    }

    /// A frozen server: connections are accepted and kept open, nothing is forwarded.
    pub fn black_hole(&self) {
        self.refusing.store(false, Ordering::SeqCst);
        self.flowing.send_replace(false);
    }

    /// Forwarding resumes, for new connections and those kept open.
    pub fn restore(&self) {
        self.refusing.store(false, Ordering::SeqCst);
        self.flowing.send_replace(true);
    }

    /// How many connections it has accepted (refused ones included).
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.drop_connections();
    }
}

/// Waits until the proxy forwards (at once when it does).
async fn until_flowing(flowing: &mut watch::Receiver<bool>) -> bool {
    flowing.wait_for(|f| *f).await.is_ok()
}

/// One client connection: connected to the target once traffic flows, then pumped both ways.
async fn link(client: TcpStream, target: String, mut flowing: watch::Receiver<bool>) {
    if !until_flowing(&mut flowing).await {
        return;
    }
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        () = pump(client_read, server_write, flowing.clone()) => {}
        () = pump(server_read, client_write, flowing) => {}
    }
}

/// Copies `from` to `to`, holding back (not losing) whatever arrives while frozen.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut flowing: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if !until_flowing(&mut flowing).await {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if !until_flowing(&mut flowing).await || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
