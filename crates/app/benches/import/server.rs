//! A minimal HTTP/1.1 file server on 127.0.0.1: `GET /<name>` answers the file `<name>` of
//! one directory with its `Content-Length`, streamed from disk (never read whole), one thread
//! per connection. It lives as long as the benchmark process.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;

/// Starts serving `dir` on an ephemeral port of 127.0.0.1; returns the address.
pub fn start(dir: PathBuf) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    thread::Builder::new()
        .name("feed-server".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let dir = dir.clone();
                let _ = thread::Builder::new()
                    .name("feed-conn".into())
                    .spawn(move || {
                        if let Err(e) = serve(stream, &dir) {
                            eprintln!("feed server: {e}");
                        }
                    });
            }
        })?;
    Ok(addr)
}

fn serve(stream: TcpStream, dir: &Path) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    let mut out = stream;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let name = target.trim_start_matches('/');
    let path = dir.join(name);
    let file = if method == "GET" && !name.is_empty() && !name.contains(['/', '\\']) {
        File::open(&path).ok()
    } else {
        None
    };
    let Some(mut file) = file else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    };
    let length = file.metadata()?.len();
    let content_type = if name.ends_with(".xml") {
        "application/xml"
    } else {
        "application/json"
    };
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )?;
    // The importer may stop reading early (a failed run); that is not the server's problem.
    match io::copy(&mut file, &mut out) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(e),
    }
}
