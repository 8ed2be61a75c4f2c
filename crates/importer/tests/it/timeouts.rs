//! Per-source timeouts against servers on 127.0.0.1 that misbehave: one that accepts and
//! never answers, one that stops sending mid-feed, one whose accept queue is full. Each error
//! says how long it waited and names the setting that ran out. Timeouts are short, so these
//! run in seconds; nothing sleeps to wait for state.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{CancelToken, Jitter, JobName, ProgressHandle};
use propimport_importer::error::{FetchError, Timeout};
use propimport_importer::{
    FeedFormat, ImportError, ImportReport, Importer, Location, SourceConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server that accepts every connection and then says nothing; counts the connections.
async fn silent_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (format!("http://{address}"), accepted)
}

/// A server that answers 200 with `head` of a longer body, then stops sending (and keeps the
/// connection open).
async fn stalling_server(content_type: &'static str, head: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            read_request(&mut socket).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: 1000000\r\n\r\n{head}"
            );
            socket.write_all(response.as_bytes()).await.unwrap();
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// Reads a request's head.
async fn read_request(socket: &mut TcpStream) {
    let mut request = Vec::new();
    let mut byte = [0u8; 1024];
    while !request.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte[..1]).await {
            Ok(0) | Err(_) => return,
            Ok(_) => request.push(byte[0]),
        }
    }
}

fn source(url: &str, format: FeedFormat) -> SourceConfig {
    let mut config = SourceConfig::new(
        JobName::parse("slow-partner").unwrap(),
        format,
        Location::parse(url).unwrap(),
    );
    config.http.connect_timeout = Duration::from_secs(1);
    config.http.read_timeout = Duration::from_secs(1);
    config.http.timeout = Duration::from_secs(60);
    config.http.retry.max_attempts = Some(2);
    config
}

async fn run(config: SourceConfig) -> Result<ImportReport, ImportError> {
    Importer::builder(config, Arc::new(InMemoryListingStore::new()))
        .build()
        .unwrap()
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
}

#[tokio::test]
async fn a_server_that_never_answers_runs_out_of_read_timeout() {
    let (base, accepted) = silent_server().await;
    let started = Instant::now();
    let error = run(source(&format!("{base}/feed.xml"), FeedFormat::KYERO))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let text = error.to_string();
    assert_eq!(
        text,
        format!(
            "source slow-partner: cannot fetch {base}/feed.xml after 2 attempt(s): timed out after 1 s waiting for the server to answer (read_timeout / IMPORT_SOURCE_READ_TIMEOUT)"
        )
    );
    assert!(matches!(
        error,
        ImportError::Fetch {
            error: FetchError::TimedOut {
                timeout: Timeout::Read,
                attempts: 2,
                ..
            },
            ..
        }
    ));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "one connection per attempt"
    );
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test]
async fn the_total_timeout_bounds_every_attempt_together() {
    let (base, _) = silent_server().await;
    let mut config = source(&format!("{base}/feed.ndjson"), FeedFormat::JSON);
    config.http.read_timeout = Duration::from_secs(30);
    config.http.timeout = Duration::from_millis(1500);
    config.http.retry.max_attempts = Some(4);
    let started = Instant::now();
    let text = run(config).await.unwrap_err().to_string();
    assert!(
        text.contains("after 1 attempt(s): timed out after 1.5 s trying to get an answer, all attempts together (timeout / IMPORT_SOURCE_TIMEOUT)"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));

    // Out of time between attempts: the error also says why the attempt before failed. The
    // first attempt times out at 1 s; the wait before the next (2 s) would end past the total
    // (2.5 s), whose deadline is far enough from the read timeout not to race it.
    let (base, _) = silent_server().await;
    let mut config = source(&format!("{base}/feed.ndjson"), FeedFormat::JSON);
    config.http.timeout = Duration::from_millis(2500);
    config.http.retry.first_delay = Duration::from_secs(2);
    config.http.retry.jitter = Jitter::NONE;
    let text = run(config).await.unwrap_err().to_string();
    assert!(
        text.contains("(timeout / IMPORT_SOURCE_TIMEOUT); the last attempt: timed out after 1 s waiting for the server to answer (read_timeout / IMPORT_SOURCE_READ_TIMEOUT)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_feed_that_stalls_midway_says_so() {
    let cases = [
        (
            stalling_server("application/x-ndjson", "{\"externalId\":\"A\",").await,
            FeedFormat::JSON,
        ),
        (
            stalling_server("application/xml", "<root><property><id>A</id><desc><en>Sea").await,
            FeedFormat::KYERO,
        ),
    ];
    for (base, format) in cases {
        let started = Instant::now();
        let error = run(source(&format!("{base}/feed"), format))
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, ImportError::Feed { .. }), "{text}");
        assert!(
            text.contains("the server stopped sending mid-body: timed out after 1 s waiting for more of it (read_timeout / IMPORT_SOURCE_READ_TIMEOUT)"),
            "{text}"
        );
        assert!(started.elapsed() < Duration::from_secs(6));
    }
}

#[tokio::test]
async fn a_connection_that_cannot_be_made_runs_out_of_connect_timeout() {
    // A listener with a backlog of one that never accepts: once its queue is full, the
    // kernel ignores further connection attempts, which then hang until they time out.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    let full = loop {
        if queued.len() >= 64 {
            break false;
        }
        // A connection the full queue ignores hangs for minutes: 2 s tells it from a slow
        // one on a loaded machine.
        match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(address)).await {
            Ok(Ok(stream)) => queued.push(stream),
            Ok(Err(_)) | Err(_) => break true,
        }
    };
    // Linux ignores connection attempts past a full backlog; another system may accept them.
    #[cfg(target_os = "linux")]
    assert!(full, "64 connections were queued on a backlog of one");
    if !full {
        eprintln!(
            "this system accepts connections past a full backlog; connect timeout not checked"
        );
        return;
    }
    let mut config = source(&format!("http://{address}/feed.xml"), FeedFormat::KYERO);
    config.http.read_timeout = Duration::from_secs(30);
    config.http.retry.max_attempts = Some(1);
    let text = run(config).await.unwrap_err().to_string();
    assert!(
        text.ends_with("after 1 attempt(s): timed out after 1 s connecting (connect_timeout / IMPORT_SOURCE_CONNECT_TIMEOUT)"),
        "{text}"
    );
    drop(listener);
}
