//! The cluster-wide limit of runs at once: every instance puts its due scheduled runs in one
//! queue in the database (a [`QueuedRun`] per job), and turns are granted in order of due
//! time, as long as fewer than the limit are granted, overall and per feed host. Every
//! instance takes turns for the whole queue ([`RunLimits::grants`], the one rule), so the
//! order holds across replicas; an instance starts the runs of the turns granted that it
//! waits for (the database still decides between replicas which run starts).

use chrono::{DateTime, Utc};

use crate::JobName;

/// How many runs may hold a turn at once; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// Over all jobs (`IMPORT_MAX_CONCURRENT_RUNS`).
    pub overall: Option<u32>,
    /// Per feed host (`IMPORT_MAX_CONCURRENT_RUNS_PER_HOST`).
    pub per_host: Option<u32>,
}

/// One job's run in the queue: waiting for its turn, or holding one (granted) until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedRun {
    /// The job.
    pub job_name: JobName,
    /// The tick it runs for (`None`: a manual run, granted at once).
    pub tick: Option<DateTime<Utc>>,
    /// Its place in the queue: when it became due (the earliest tick it waits for).
    pub due_at: DateTime<Utc>,
    /// The feed host it reads from.
    pub host: Option<String>,
    /// When its turn was granted; `None` while it waits.
    pub granted_at: Option<DateTime<Utc>>,
    /// When its run ended (its turn is free again); kept until it goes stale, so that an
    /// instance that also waited for this tick sees it was run.
    pub ended_at: Option<DateTime<Utc>>,
    /// When an instance last said it still waits for it or runs it.
    pub seen_at: DateTime<Utc>,
    /// The instance that last said so.
    pub instance_id: String,
}

impl QueuedRun {
    /// Whether it holds a turn (granted, not ended).
    pub fn is_granted(&self) -> bool {
        self.granted_at.is_some() && self.ended_at.is_none()
    }

    /// Whether it waits for a turn.
    pub fn is_waiting(&self) -> bool {
        self.granted_at.is_none() && self.ended_at.is_none()
    }
}

impl RunLimits {
    /// Whether any limit is set.
    pub fn is_limited(&self) -> bool {
        self.overall.is_some() || self.per_host.is_some()
    }

    /// The positions in `queue` of the waiting runs granted a turn now: in order of due time
    /// (then job name), each while fewer than the limit hold a turn overall and on its host;
    /// a run whose host is full is passed over, and the others keep their order.
    pub fn grants(&self, queue: &[QueuedRun]) -> Vec<usize> {
        let mut overall = queue.iter().filter(|r| r.is_granted()).count();
        let mut hosts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for run in queue.iter().filter(|r| r.is_granted()) {
            if let Some(host) = &run.host {
                *hosts.entry(host.as_str()).or_default() += 1;
            }
        }
        let mut waiting: Vec<usize> = (0..queue.len())
            .filter(|&i| queue[i].is_waiting())
            .collect();
        waiting.sort_by(|&a, &b| {
            (queue[a].due_at, &queue[a].job_name).cmp(&(queue[b].due_at, &queue[b].job_name))
        });
        let mut granted = Vec::new();
        for i in waiting {
            if self.overall.is_some_and(|limit| overall >= limit as usize) {
                break;
            }
            let host = queue[i].host.as_deref();
            if let (Some(host), Some(limit)) = (host, self.per_host)
                && hosts.get(host).copied().unwrap_or(0) >= limit as usize
            {
                continue;
            }
            overall += 1;
            if let Some(host) = host {
                *hosts.entry(host).or_default() += 1;
            }
            granted.push(i);
        }
        granted
    }

    /// How many waiting runs are ahead of `job`'s in `queue` (by due time, then name).
    pub fn ahead_of(queue: &[QueuedRun], job: &JobName) -> Option<usize> {
        let me = queue
            .iter()
            .find(|r| &r.job_name == job && !r.is_granted())?;
        Some(
            queue
                .iter()
                .filter(|r| !r.is_granted() && (r.due_at, &r.job_name) < (me.due_at, &me.job_name))
                .count(),
        )
    }
}

/// How long a queued run stays without being said again before it is dropped (its instance
/// died): the instances say theirs again at least every 5 s (`REFRESH`).
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// How often an instance says again the runs it waits for or runs.
pub const REFRESH: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// One instance's turn over the queue, as every store computes it: `queue` with `mine`
/// merged in (a run not queued is added; one of the same tick is said again, and granted when
/// `mine` is, unless it ended; a waiting one of an older tick takes the newer tick and keeps
/// its place; an ended one is replaced by a newer tick; a granted one of another tick is left
/// alone, its job is running), the runs not said since `now - STALE_AFTER` dropped, and the
/// turns granted at `now` by `limits`. Gives the new queue and the jobs whose rows changed (to
/// write) or went (to delete).
pub fn take_turns(
    queue: &[QueuedRun],
    mine: &[QueuedRun],
    limits: &RunLimits,
    now: DateTime<Utc>,
) -> (Vec<QueuedRun>, Vec<JobName>, Vec<JobName>) {
    let mut next: Vec<QueuedRun> = queue.to_vec();
    let mut changed: std::collections::HashSet<JobName> = std::collections::HashSet::new();
    for run in mine {
        match next.iter_mut().find(|r| r.job_name == run.job_name) {
            None => {
                next.push(run.clone());
                changed.insert(run.job_name.clone());
            }
            Some(row) if row.tick == run.tick && row.ended_at.is_some() => {}
            Some(row) if row.ended_at.is_some() && run.tick > row.tick => {
                *row = run.clone();
                row.seen_at = now;
                changed.insert(row.job_name.clone());
            }
            Some(row) if row.tick == run.tick => {
                let grant = run.is_granted() && !row.is_granted();
                if grant || now - row.seen_at >= REFRESH {
                    row.seen_at = now;
                    row.instance_id = run.instance_id.clone();
                    if grant {
                        row.granted_at = run.granted_at;
                    }
                    changed.insert(row.job_name.clone());
                }
            }
            Some(row) if row.is_waiting() && run.tick > row.tick => {
                row.tick = run.tick;
                row.due_at = row.due_at.min(run.due_at);
                row.granted_at = run.granted_at;
                row.seen_at = now;
                row.instance_id = run.instance_id.clone();
                changed.insert(row.job_name.clone());
            }
            Some(_) => {}
        }
    }
    let mut gone = Vec::new();
    next.retain(|r| {
        let live = now - r.seen_at < STALE_AFTER;
        if !live {
            gone.push(r.job_name.clone());
            changed.remove(&r.job_name);
        }
        live
    });
    for i in limits.grants(&next) {
        next[i].granted_at = Some(now);
        changed.insert(next[i].job_name.clone());
    }
    let mut changed: Vec<JobName> = changed.into_iter().collect();
    changed.sort();
    (next, changed, gone)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn run(name: &str, due_second: u32, host: Option<&str>, granted: bool) -> QueuedRun {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, due_second)
            .single()
            .unwrap_or_default();
        QueuedRun {
            job_name: JobName::parse(name).unwrap_or_else(|_| JobName::default_import()),
            tick: Some(at),
            due_at: at,
            host: host.map(str::to_owned),
            granted_at: granted.then_some(at),
            ended_at: None,
            seen_at: at,
            instance_id: "a".into(),
        }
    }

    fn names(queue: &[QueuedRun], granted: &[usize]) -> Vec<String> {
        granted
            .iter()
            .map(|&i| queue[i].job_name.to_string())
            .collect()
    }

    #[test]
    fn turns_go_in_order_of_due_time_up_to_the_limit() {
        let queue = vec![
            run("c", 3, None, false),
            run("a", 1, None, false),
            run("held", 0, None, true),
            run("b", 1, None, false),
            run("d", 4, None, false),
        ];
        let limits = RunLimits {
            overall: Some(3),
            per_host: None,
        };
        assert_eq!(names(&queue, &limits.grants(&queue)), ["a", "b"]);
        assert_eq!(RunLimits::ahead_of(&queue, &queue[0].job_name), Some(2));
        assert_eq!(
            RunLimits::ahead_of(&queue, &queue[2].job_name),
            None,
            "granted"
        );
        assert_eq!(
            names(&queue, &RunLimits::default().grants(&queue)),
            ["a", "b", "c", "d"]
        );
    }

    #[test]
    fn a_full_host_is_passed_over_and_the_rest_keep_their_order() {
        let queue = vec![
            run("slow-1", 0, Some("https://slow.test"), true),
            run("slow-2", 1, Some("https://slow.test"), false),
            run("fast-1", 2, Some("https://fast.test"), false),
            run("none", 3, None, false),
            run("fast-2", 4, Some("https://fast.test"), false),
        ];
        let limits = RunLimits {
            overall: Some(3),
            per_host: Some(1),
        };
        assert_eq!(names(&queue, &limits.grants(&queue)), ["fast-1", "none"]);
    }

    #[test]
    fn a_turn_merges_drops_the_stale_and_grants() {
        let limits = RunLimits {
            overall: Some(2),
            per_host: None,
        };
        let t = |s: u32| {
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s)
                .single()
                .unwrap_or_default()
        };
        let mut dead = run("dead", 0, None, false);
        dead.seen_at = t(0) - STALE_AFTER;
        let mut older = run("older", 1, None, false);
        older.seen_at = t(1);
        let running = run("running", 2, None, true);
        let queue = vec![dead, older.clone(), running.clone()];
        let mut newer_tick = older.clone();
        newer_tick.tick = Some(t(20));
        newer_tick.due_at = t(20);
        let mut other_tick = running.clone();
        other_tick.tick = Some(t(21));
        other_tick.granted_at = None;
        let fresh = run("fresh", 5, None, false);
        let (next, changed, gone) =
            take_turns(&queue, &[newer_tick, other_tick, fresh], &limits, t(3));
        assert_eq!(
            gone.iter().map(JobName::as_str).collect::<Vec<_>>(),
            ["dead"]
        );
        let older_now = next
            .iter()
            .find(|r| r.job_name.as_str() == "older")
            .unwrap();
        assert_eq!(
            (older_now.tick, older_now.due_at),
            (Some(t(20)), t(1)),
            "newer tick, same place"
        );
        assert_eq!(older_now.granted_at, Some(t(3)), "one turn was free");
        let running_now = next
            .iter()
            .find(|r| r.job_name.as_str() == "running")
            .unwrap();
        assert_eq!(running_now, &running, "a running job's row is left alone");
        let fresh_now = next
            .iter()
            .find(|r| r.job_name.as_str() == "fresh")
            .unwrap();
        assert!(!fresh_now.is_granted(), "the limit is reached");
        assert_eq!(
            changed.iter().map(JobName::as_str).collect::<Vec<_>>(),
            ["fresh", "older"]
        );
    }

    #[test]
    fn a_full_queue_grants_nothing() {
        let queue = vec![run("a", 0, None, true), run("b", 1, None, false)];
        let limits = RunLimits {
            overall: Some(1),
            per_host: None,
        };
        assert!(limits.grants(&queue).is_empty());
    }
}
