//! The download queue: images waiting for a download slot, in one lane per image host. An
//! image starts when fewer downloads than the overall limit are in flight and fewer than the
//! per-host limit are in flight to its host. Lanes with a free slot take turns, so a host at
//! its limit (a slow CDN) never holds back the images of another.

use std::collections::{HashMap, VecDeque};

/// An image host as its downloads are limited: scheme, name and port
/// (`https://img.example:443`).
pub(crate) type HostKey = String;

/// The host of `url`, or an empty key when it has none (such a download fails at once).
pub(crate) fn host_key(url: &str) -> HostKey {
    match reqwest::Url::parse(url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", parsed.scheme()),
            (Some(host), None) => format!("{}://{host}", parsed.scheme()),
            (None, _) => HostKey::new(),
        },
        Err(_) => HostKey::new(),
    }
}

/// Queued items per host and the downloads in flight, overall and per host.
pub(crate) struct Lanes<T> {
    overall: usize,
    per_host: usize,
    lanes: HashMap<HostKey, Lane<T>>,
    /// Hosts with queued items and a free slot, in turn order.
    ready: VecDeque<HostKey>,
    queued: usize,
    in_flight: usize,
}

/// One host's queue and downloads in flight.
struct Lane<T> {
    queue: VecDeque<T>,
    in_flight: usize,
}

impl<T> Lanes<T> {
    /// Empty lanes allowing `overall` downloads at once and `per_host` to one host (both at
    /// least 1; the per-host limit never above the overall one).
    pub(crate) fn new(overall: usize, per_host: usize) -> Self {
        let overall = overall.max(1);
        Self {
            overall,
            per_host: per_host.clamp(1, overall),
            lanes: HashMap::new(),
            ready: VecDeque::new(),
            queued: 0,
            in_flight: 0,
        }
    }

    /// Queues `item` for `host`.
    pub(crate) fn push(&mut self, host: HostKey, item: T) {
        self.queued += 1;
        let lane = self.lanes.entry(host.clone()).or_insert_with(|| Lane {
            queue: VecDeque::new(),
            in_flight: 0,
        });
        let was_waiting = lane.queue.is_empty() && lane.in_flight < self.per_host;
        lane.queue.push_back(item);
        if was_waiting {
            self.ready.push_back(host);
        }
    }

    /// The next item that may start now, counted in flight until [`Lanes::done`]; `None`
    /// when the overall limit is reached or every host with queued items is at its limit.
    pub(crate) fn start(&mut self) -> Option<(HostKey, T)> {
        if self.in_flight >= self.overall {
            return None;
        }
        let host = self.ready.pop_front()?;
        let lane = self.lanes.get_mut(&host)?;
        let item = lane.queue.pop_front()?;
        lane.in_flight += 1;
        if !lane.queue.is_empty() && lane.in_flight < self.per_host {
            self.ready.push_back(host.clone());
        }
        self.queued -= 1;
        self.in_flight += 1;
        Some((host, item))
    }

    /// Ends a download that [`Lanes::start`] gave for `host`.
    pub(crate) fn done(&mut self, host: &HostKey) {
        let Some(lane) = self.lanes.get_mut(host) else {
            return;
        };
        let was_full = lane.in_flight >= self.per_host;
        lane.in_flight = lane.in_flight.saturating_sub(1);
        self.in_flight = self.in_flight.saturating_sub(1);
        if lane.queue.is_empty() {
            if lane.in_flight == 0 {
                self.lanes.remove(host);
            }
        } else if was_full {
            self.ready.push_back(host.clone());
        }
    }

    /// Items queued, not started.
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// Items started and not done.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether an item could start now.
    pub(crate) fn can_start(&self) -> bool {
        self.in_flight < self.overall && !self.ready.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(lanes: &mut Lanes<u32>) -> Vec<(HostKey, u32)> {
        std::iter::from_fn(|| lanes.start()).collect()
    }

    #[test]
    fn limits_hold_overall_and_per_host() {
        let mut lanes = Lanes::new(3, 2);
        for i in 0..5 {
            lanes.push("a".into(), i);
        }
        lanes.push("b".into(), 10);
        let first = started(&mut lanes);
        assert_eq!(
            first,
            vec![("a".into(), 0), ("b".into(), 10), ("a".into(), 1)],
            "hosts take turns; the overall limit stops at 3"
        );
        assert!(!lanes.can_start());
        lanes.done(&"b".into());
        assert_eq!(
            started(&mut lanes),
            Vec::new(),
            "a is at its own limit of 2"
        );
        lanes.done(&"a".into());
        assert_eq!(started(&mut lanes), vec![("a".into(), 2)]);
        assert_eq!((lanes.queued(), lanes.in_flight()), (2, 2));
    }

    #[test]
    fn a_host_at_its_limit_does_not_block_the_others() {
        let mut lanes = Lanes::new(4, 2);
        for i in 0..100 {
            lanes.push("slow".into(), i);
        }
        lanes.push("fast".into(), 1000);
        lanes.push("fast".into(), 1001);
        let hosts: Vec<HostKey> = started(&mut lanes).into_iter().map(|(h, _)| h).collect();
        assert_eq!(hosts.iter().filter(|h| *h == "fast").count(), 2);
        assert_eq!(hosts.iter().filter(|h| *h == "slow").count(), 2);
    }

    #[test]
    fn limits_are_at_least_one_and_per_host_within_overall() {
        let mut lanes = Lanes::new(0, 0);
        lanes.push("a".into(), 1);
        lanes.push("a".into(), 2);
        assert_eq!(started(&mut lanes).len(), 1);
        let mut lanes = Lanes::new(2, 50);
        for i in 0..5 {
            lanes.push("a".into(), i);
        }
        assert_eq!(started(&mut lanes).len(), 2);
        lanes.done(&"a".into());
        lanes.done(&"a".into());
        lanes.done(&"unknown".into());
        assert_eq!(lanes.in_flight(), 0);
        assert_eq!(started(&mut lanes).len(), 2);
    }

    #[test]
    fn hosts_are_scheme_name_and_port() {
        assert_eq!(
            host_key("https://img.example/a.jpg"),
            "https://img.example:443"
        );
        assert_eq!(host_key("http://127.0.0.1:8080/a"), "http://127.0.0.1:8080");
        assert_eq!(host_key("not a url"), "");
    }
}
