//! Checking one source as written (its name, location, format, schedule and every other
//! setting) and building what runs it; a problem names the setting as its origin writes it.

use propimport_domain::{JobName, SourceSpec};
use propimport_importer::{FeedFormat, Location, SourceConfig};
use propimport_scheduler::CronSchedule;

use super::reso::reso_settings;
use super::settings;
use super::{Source, SourceDefaults, SpecOrigin};

/// Checks a source as written (`spec`, credentials included) and gives what runs it; a
/// problem names the setting as `origin` writes it.
pub fn build(
    spec: SourceSpec,
    defaults: &SourceDefaults,
    origin: &SpecOrigin,
) -> Result<Source, String> {
    let field = |f: &str| origin.field(f);
    let entry = &spec;
    let name = JobName::parse(&entry.name)
        .map_err(|e| format!("{}={:?}: {}", field("name"), entry.name, e))?;
    let location = Location::parse(&entry.url)
        .map_err(|e| format!("{}={:?}: {e}", field("url"), entry.url))?;
    let format = match &entry.format {
        Some(f) => FeedFormat::parse(f).ok_or_else(|| {
            format!(
                "{}={f:?}: expected one of {}",
                field("format"),
                FeedFormat::names()
            )
        })?,
        None => guess_format(&entry.url),
    };
    let reso = reso_settings(entry, format, &location, &field)?;
    let http = settings::http(entry, &field)?;
    let allow_empty = settings::allow_empty(entry, format, &field)?;
    let download_images = settings::flag(
        entry.download_images.as_ref(),
        &field("download_images"),
        true,
    )?;
    let (retries, retry_delays) = settings::retries(entry, &field)?;
    let (image_concurrency, image_concurrency_per_host) =
        settings::image_concurrency(entry, &field)?;
    if let Some(per_host) = image_concurrency_per_host {
        let (overall, named) = match image_concurrency {
            Some(own) => (
                own,
                format!("its {}={own}", origin.key("image_concurrency")),
            ),
            None => (
                defaults.image_concurrency.overall,
                format!("IMAGE_CONCURRENCY={}", defaults.image_concurrency.overall),
            ),
        };
        if per_host > overall {
            return Err(format!(
                "{}={per_host}: more than {named}; one host cannot have more downloads at once than all hosts together",
                field("image_concurrency_per_host"),
            ));
        }
    }
    if reso.oauth.is_some() && entry.token.is_some() {
        return Err(format!(
            "{}: set a bearer token or OAuth2 client credentials, not both",
            field("token")
        ));
    }
    let max_withdraw_fraction = entry
        .max_withdraw_fraction
        .unwrap_or(defaults.max_withdraw_fraction);
    if !(0.0..=1.0).contains(&max_withdraw_fraction) {
        return Err(format!(
            "{}={max_withdraw_fraction}: expected a number from 0 to 1",
            field("max_withdraw_fraction")
        ));
    }
    let timezone = entry.timezone.as_deref().unwrap_or(&defaults.timezone);
    if let Some(zone) = &entry.timezone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        return Err(format!(
            "{}={zone:?}: expected an IANA time zone such as Europe/Madrid",
            field("timezone")
        ));
    }
    let schedule = entry
        .schedule
        .as_ref()
        .map(|expr| {
            CronSchedule::parse(expr, timezone)
                .map_err(|e| format!("{}{e}", origin.schedule_prefix()))
        })
        .transpose()?;
    let mut config = SourceConfig::new(name, format, location);
    config.http = http;
    config.http.bearer_token = entry.token.clone();
    config.http.retry = defaults.feed_retry.clone();
    config.allow_empty = allow_empty;
    config.max_withdraw_fraction = max_withdraw_fraction;
    config.reso = reso;
    let embedded = match &config.location {
        Location::File(path) => crate::demo_feeds::embedded(&defaults.demo_folder, path),
        Location::Url(_) => None,
    };
    Ok(Source {
        config,
        schedule,
        download_images,
        retries,
        retry_delays,
        image_concurrency,
        image_concurrency_per_host,
        embedded,
        spec,
    })
}

/// The format of a source whose configuration names none: a RESO Web API for an OData URL
/// (its pages cannot be told from a feed before paging), otherwise detected from the
/// document's first bytes at each run (`auto`).
fn guess_format(url: &str) -> FeedFormat {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.contains("/odata/") {
        FeedFormat::RESO
    } else {
        FeedFormat::AUTO
    }
}
