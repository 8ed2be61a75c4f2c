//! The watchdog: every sweep interval it recovers abandoned runs of dead instances and marks
//! late jobs (`crate::watch` keeps what is known of each job's ticks).

use std::sync::Arc;

use propimport_domain::CancelToken;

use super::Shared;

impl Shared {
    /// Every sweep interval: recovers abandoned runs of dead instances and checks lateness.
    pub(crate) async fn watchdog(self: Arc<Self>, stop: CancelToken) {
        let every = self.settings.sweep_interval();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            self.recover_stale().await;
            self.check_late().await;
        }
    }

    /// Marks late (and alerts once) each scheduled job whose latest tick due more than the
    /// grace ago has no run; a paused job is never late.
    async fn check_late(&self) {
        let Some(grace) = self.settings.late_after else {
            return;
        };
        let Some(&started) = self.started_at.get() else {
            return;
        };
        let now = self.now();
        for job in self.jobs.list().iter() {
            let Some(tick) = job
                .schedule
                .as_ref()
                .and_then(|s| s.prev_at_or_before(now - grace))
            else {
                continue;
            };
            let name = job.job.name();
            if tick < started
                || self
                    .jobs
                    .watched_since(name)
                    .is_some_and(|since| tick < since)
                || self.watch.of(name).last_run_tick.is_some_and(|t| t >= tick)
                || self.pause_of(name).await.is_some()
            {
                continue;
            }
            match self.store().tick_claimed(name, tick).await {
                Ok(true) => self.watch.ran(name, tick),
                Ok(false) => {
                    if self.watch.late(name, tick) {
                        metrics::counter!("propimport_late_ticks_total", "job_name" => name.to_string())
                            .increment(1);
                        self.runner.alerts().late(name, tick, grace).await;
                    }
                }
                Err(e) => {
                    tracing::debug!(job_name = %name, error = %e, "cannot check whether the job is late");
                }
            }
        }
    }
}
