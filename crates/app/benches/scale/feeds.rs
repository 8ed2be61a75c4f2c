//! The feeds of the scale benchmark, served by the benchmark itself: a small HTTP/1.1 server
//! on 127.0.0.1 answering every `GET /feed/<n>.ndjson` with the same few NDJSON listings (each
//! source keeps its own listings: identity is per source).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The feed server: its address and how many feeds it served.
pub struct FeedServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Feeds served so far.
    pub served: Arc<AtomicU64>,
}

/// The first `listings` listings of the demo NDJSON feed.
pub fn feed_body(listings: usize) -> anyhow::Result<String> {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/feeds/north-macedonia.ndjson");
    let text = std::fs::read_to_string(&demo)
        .with_context(|| format!("read the demo feed {}", demo.display()))?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(listings)
        .collect();
    if lines.len() < listings {
        bail!("the demo feed has fewer than {listings} listings");
    }
    Ok(format!("{}\n", lines.join("\n")))
}

impl FeedServer {
    /// Starts serving `body` on a free port of 127.0.0.1.
    pub async fn start(body: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let served = Arc::new(AtomicU64::new(0));
        let answer: Arc<[u8]> = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
        .into();
        let count = served.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    continue;
                };
                let (answer, count) = (answer.clone(), count.clone());
                tokio::spawn(async move {
                    // The request head: read until its blank line (requests have no body).
                    let mut head = Vec::with_capacity(512);
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16_384 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    if socket.write_all(&answer).await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(Self { base, served })
    }
}
