//! A local image host for the image benchmark: an HTTP/1.1 server on a port of 127.0.0.1 that
//! answers every `GET` with a small JPEG-typed body after a fixed delay, one thread per
//! connection (keep-alive), counting the requests it is answering at once. It lives as long as
//! the benchmark process.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// The body of every image: 2 KiB.
const BODY: [u8; 2048] = [0x5a; 2048];

/// Requests being answered, and the most at once.
#[derive(Default)]
pub struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most requests answered at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// The requests answered.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
}

/// A running image host.
pub struct Host {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its own requests.
    pub gauge: Arc<Gauge>,
}

/// Starts a host answering after `delay`; `all` counts the requests of every host together.
pub fn start(delay: Duration, all: Arc<Gauge>) -> io::Result<Host> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let gauge = Arc::new(Gauge::default());
    let own = gauge.clone();
    thread::Builder::new()
        .name("image-host".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let (own, all) = (own.clone(), all.clone());
                let _ = thread::Builder::new()
                    .name("image-conn".into())
                    .spawn(move || serve(stream, delay, &own, &all));
            }
        })?;
    Ok(Host { addr, gauge })
}

/// Answers the requests of one connection until the client closes it.
fn serve(stream: TcpStream, delay: Duration, own: &Gauge, all: &Gauge) {
    let Ok(read) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read);
    let _ = stream.set_nodelay(true);
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // A request's head ends with an empty line.
        if !line.trim_end().is_empty() {
            continue;
        }
        own.enter();
        all.enter();
        thread::sleep(delay);
        own.leave();
        all.leave();
        // One write per answer: a head and a body written apart would wait for the client's
        // delayed acknowledgement (Nagle), 40 ms an image.
        let mut answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {}\r\n\r\n",
            BODY.len()
        )
        .into_bytes();
        answer.extend_from_slice(&BODY);
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}
