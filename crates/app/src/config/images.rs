//! How many image downloads run at once: over all hosts (`IMAGE_CONCURRENCY`) and to one
//! image host (`IMAGE_CONCURRENCY_PER_HOST`), for every source unless a source in the sources
//! file sets its own (`image_concurrency`, `image_concurrency_per_host`).

use super::IMAGE_CONCURRENCY_LIMITS as LIMITS;
use super::vars::Vars;

/// The image download limits of a source or of all sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageConcurrency {
    /// Downloads at once over all hosts.
    pub overall: usize,
    /// Downloads at once to one host (scheme, name and port); never above `overall`.
    pub per_host: usize,
}

impl Default for ImageConcurrency {
    fn default() -> Self {
        let defaults = propimport_importer::ImageSettings::default();
        Self {
            overall: defaults.concurrency,
            per_host: defaults.concurrency_per_host,
        }
    }
}

impl ImageConcurrency {
    /// Reads `IMAGE_CONCURRENCY` and `IMAGE_CONCURRENCY_PER_HOST`. A per-host limit left unset
    /// is lowered to the overall one; one set above it is a problem.
    pub fn read(vars: &mut Vars<impl Fn(&str) -> Option<String>>) -> Self {
        let defaults = Self::default();
        let overall = vars.number("IMAGE_CONCURRENCY", defaults.overall, LIMITS);
        let set = vars.raw("IMAGE_CONCURRENCY_PER_HOST").is_some();
        let per_host = vars.number("IMAGE_CONCURRENCY_PER_HOST", defaults.per_host, LIMITS);
        if set && per_host > overall {
            vars.problem(format!(
                "IMAGE_CONCURRENCY_PER_HOST={per_host}: more than IMAGE_CONCURRENCY={overall}; one host cannot have more downloads at once than all hosts together"
            ));
        }
        Self {
            overall,
            per_host: per_host.min(overall),
        }
    }
}
