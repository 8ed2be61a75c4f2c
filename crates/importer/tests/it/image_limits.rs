//! The image download limits against local image hosts (servers on ports of 127.0.0.1 that
//! count the requests they are answering): the overall and per-host limits are never exceeded
//! and are reached, a slow host does not starve another, and a slow image does not hold back
//! the pages after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use propimport_domain::Image;
use propimport_domain::testing::listing_conformance::listing;
use propimport_domain::testing::{InMemoryListingImageStore, InMemoryListingStore};
use propimport_domain::{CancelToken, JobName, ProgressHandle};
use propimport_importer::{
    FeedFormat, ImageSettings, ImageStorage, ImportReport, Importer, Location, SourceConfig,
};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// Requests being answered, at most at once, of one host or of several together.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// A local image host answering every image after `delay` (images under `/slow/` after
/// `slow`).
struct Host {
    base: String,
    gauge: Arc<Gauge>,
    /// Each answer's request line and when it was sent, since the host started.
    answered: Arc<Mutex<Vec<(String, Duration)>>>,
}

/// How long a host waits before answering.
#[derive(Clone, Copy)]
struct Delays {
    delay: Duration,
    slow: Duration,
}

impl Host {
    /// Starts a host on its own port; `all` counts the requests of every host together.
    async fn start(delay: Duration, all: Arc<Gauge>) -> Self {
        Self::with_delays(Delays { delay, slow: delay }, all).await
    }

    /// Starts a host with a longer delay for the images under `/slow/`.
    async fn with_delays(delays: Delays, all: Arc<Gauge>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let gauge = Arc::new(Gauge::default());
        let answered = Arc::new(Mutex::new(Vec::new()));
        let (own, times, started) = (gauge.clone(), answered.clone(), Instant::now());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (own, all, times) = (own.clone(), all.clone(), times.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let mut request = String::new();
                    // One request per loop: its head ends with an empty line.
                    while let Ok(Some(line)) = lines.next_line().await {
                        if request.is_empty() {
                            request = line;
                            continue;
                        }
                        if !line.is_empty() {
                            continue;
                        }
                        own.enter();
                        all.enter();
                        let slow = request.contains(" /slow/");
                        tokio::time::sleep(if slow { delays.slow } else { delays.delay }).await;
                        own.leave();
                        all.leave();
                        let request = std::mem::take(&mut request);
                        times.lock().await.push((request, started.elapsed()));
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: 4\r\n\r\njpeg";
                        if write.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            base,
            gauge,
            answered,
        }
    }

    /// The URLs of `count` images of listing `id` on this host.
    fn images(&self, id: &str, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| format!("{}/{id}/{i}.jpg", self.base))
            .collect()
    }

    async fn last_answer(&self) -> Duration {
        self.last_answer_where(|_| true).await
    }

    /// When the last answer to a request whose line satisfies `which` was sent.
    async fn last_answer_where(&self, which: impl Fn(&str) -> bool) -> Duration {
        self.answered
            .lock()
            .await
            .iter()
            .filter(|(request, _)| which(request))
            .map(|(_, at)| *at)
            .max()
            .unwrap_or_default()
    }
}

/// Imports listings with these image URLs, downloading with `settings`.
async fn import(listings: Vec<(String, Vec<String>)>, settings: ImageSettings) -> ImportReport {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.ndjson");
    let body: String = listings
        .into_iter()
        .map(|(id, images)| {
            let mut l = listing(&id, 100);
            l.images = images.into_iter().map(Image::new).collect();
            serde_json::to_string(&l).unwrap() + "\n"
        })
        .collect();
    std::fs::write(&feed, body).unwrap();
    let mut source = SourceConfig::new(
        JobName::parse("limits-feed").unwrap(),
        FeedFormat::JSON,
        Location::File(feed),
    );
    source.http.retry.max_attempts = Some(1);
    let importer = Importer::builder(source, Arc::new(InMemoryListingStore::new()))
        .images(
            Arc::new(InMemoryListingImageStore::new()),
            ImageStorage::from_url("memory://").unwrap(),
        )
        .image_settings(ImageSettings {
            allowed_hosts: vec!["127.0.0.1".into()],
            ..settings
        })
        .build()
        .unwrap();
    importer
        .run(&CancelToken::new(), &ProgressHandle::new())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_stay_within_and_reach_the_overall_and_per_host_limits() {
    let all = Arc::new(Gauge::default());
    let a = Host::start(Duration::from_millis(40), all.clone()).await;
    let b = Host::start(Duration::from_millis(40), all.clone()).await;
    let listings = (0..12)
        .map(|i| {
            let id = format!("L{i:02}");
            let mut images = a.images(&id, 5);
            images.extend(b.images(&id, 5));
            (id, images)
        })
        .collect();
    let settings = ImageSettings {
        concurrency: 6,
        concurrency_per_host: 4,
        ..ImageSettings::default()
    };
    let report = import(listings, settings).await;
    assert_eq!((report.images_stored, report.images_failed), (120, 0));
    assert!(
        a.gauge.max() <= 4 && b.gauge.max() <= 4,
        "each host gets at most 4 at once: {} and {}",
        a.gauge.max(),
        b.gauge.max()
    );
    assert_eq!(
        all.max(),
        6,
        "at most, and at some point exactly, 6 at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_host_limit_alone_bounds_one_host() {
    let all = Arc::new(Gauge::default());
    let a = Host::start(Duration::from_millis(30), all).await;
    let listings = (0..8)
        .map(|i| {
            let id = format!("L{i}");
            let images = a.images(&id, 10);
            (id, images)
        })
        .collect();
    let settings = ImageSettings {
        concurrency: 16,
        concurrency_per_host: 3,
        ..ImageSettings::default()
    };
    let report = import(listings, settings).await;
    assert_eq!(report.images_stored, 80);
    assert_eq!(a.gauge.max(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_host_does_not_starve_a_fast_one() {
    let all = Arc::new(Gauge::default());
    let slow = Host::start(Duration::from_millis(300), all.clone()).await;
    let fast = Host::start(Duration::from_millis(5), all).await;
    // The slow host's images come first in key order, more than a page of them.
    let mut listings: Vec<(String, Vec<String>)> = (0..30)
        .map(|i| {
            let id = format!("A{i:02}");
            let images = slow.images(&id, 10);
            (id, images)
        })
        .collect();
    listings.extend((0..20).map(|i| {
        let id = format!("B{i:02}");
        let images = fast.images(&id, 10);
        (id, images)
    }));
    let settings = ImageSettings {
        concurrency: 40,
        concurrency_per_host: 20,
        ..ImageSettings::default()
    };
    let report = import(listings, settings).await;
    assert_eq!((report.images_stored, report.images_failed), (500, 0));
    let (fast_done, slow_done) = (fast.last_answer().await, slow.last_answer().await);
    assert!(
        fast_done * 3 < slow_done,
        "the fast host finished at {fast_done:?}, the slow one at {slow_done:?}"
    );
    assert_eq!(slow.gauge.max(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_image_does_not_hold_back_the_next_pages() {
    let delays = Delays {
        delay: Duration::from_millis(5),
        slow: Duration::from_secs(8),
    };
    let host = Host::with_delays(delays, Arc::new(Gauge::default())).await;
    // The slow image comes first in key order; 600 images span three pages of pending images.
    let mut listings = vec![("A".to_owned(), vec![format!("{}/slow/1.jpg", host.base)])];
    listings.extend((0..60).map(|i| {
        let id = format!("B{i:02}");
        let images = host.images(&id, 10);
        (id, images)
    }));
    let settings = ImageSettings {
        concurrency: 4,
        concurrency_per_host: 4,
        ..ImageSettings::default()
    };
    let report = import(listings, settings).await;
    assert_eq!((report.images_stored, report.images_failed), (601, 0));
    let others = host.last_answer_where(|r| !r.contains("/slow/")).await;
    let slow = host.last_answer_where(|r| r.contains("/slow/")).await;
    assert!(
        others < slow,
        "the other 600 images were answered by {others:?}, the slow one at {slow:?}"
    );
}
