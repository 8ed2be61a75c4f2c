//! The scheduler status [`StoreControl`] reports: read from its store, with a made-up daily
//! schedule.

use chrono::{DateTime, Duration, DurationRound, Utc};
use propimport_domain::JobName;

use super::StoreControl;
use crate::{JobFlags, JobState};

impl StoreControl {
    /// Every job at a glance, from the store (none is late but those made so).
    pub(super) async fn overview_of_store(
        &self,
    ) -> Result<Vec<JobFlags>, propimport_domain::Error> {
        let running = self.store.running(None).await?;
        let paused = self.store.paused_jobs().await?;
        let next = Self::midnight() + Duration::days(1);
        Ok(self
            .jobs
            .iter()
            .map(|j| JobFlags {
                job_name: j.clone(),
                is_scheduled: true,
                running: running.iter().any(|e| &e.job_name == j),
                late: self.late.contains(j),
                paused: paused.iter().any(|p| &p.job_name == j),
                next_run: Some(next),
                period: Some(std::time::Duration::from_secs(86_400)),
            })
            .collect())
    }

    /// The state of `jobs`, from the store: a daily schedule at midnight, Europe/Skopje.
    pub(super) async fn status_of_store(
        &self,
        jobs: &[JobName],
    ) -> Result<Vec<JobState>, propimport_domain::Error> {
        let running = self.store.running(None).await?;
        let paused = self.store.paused_jobs().await?;
        let midnight = Self::midnight();
        Ok(self
            .jobs
            .iter()
            .filter(|j| jobs.contains(j))
            .map(|j| JobState {
                job_name: j.clone(),
                schedule: Some("0 0 * * *".into()),
                timezone: Some("Europe/Skopje".into()),
                schedule_text: Some("at 00:00 every day, Europe/Skopje".into()),
                is_scheduled: true,
                next_runs: (1..=3).map(|d| midnight + Duration::days(d)).collect(),
                running: running.iter().find(|e| &e.job_name == j).cloned(),
                live_progress: self.live.of(running.iter().find(|e| &e.job_name == j)),
                ticks: crate::TickState {
                    late_tick: self.late.contains(j).then_some(midnight),
                    ..crate::TickState::default()
                },
                pause: paused.iter().find(|p| &p.job_name == j).cloned(),
                waiting: None,
            })
            .collect())
    }

    /// The midnight (UTC) that began today.
    fn midnight() -> DateTime<Utc> {
        Utc::now()
            .duration_trunc(Duration::days(1))
            .unwrap_or_else(|_| Utc::now())
    }
}
