//! Image URLs come from partner feeds, which are untrusted: an image URL must not make the
//! importer request the portal's own network (server-side request forgery). By default a
//! download to a loopback, private, link-local (cloud metadata), shared, multicast or
//! unspecified address is refused, checked after name resolution (a DNS resolver that drops
//! such addresses) and on every redirect (a redirect policy that checks literal addresses);
//! hosts listed in [`super::ImageSettings::allowed_hosts`] are exempt.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::source::HttpSettings;

/// The most redirects an image download follows.
const MAX_REDIRECTS: usize = 10;

/// The hosts whose addresses are not checked, compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedHosts(Arc<HashSet<String>>);

impl AllowedHosts {
    /// The hosts of `list` (names or addresses; IPv6 with or without brackets).
    pub(crate) fn new(list: &[String]) -> Self {
        Self(Arc::new(
            list.iter()
                .map(|h| normalize(h))
                .filter(|h| !h.is_empty())
                .collect(),
        ))
    }

    fn contains(&self, host: &str) -> bool {
        self.0.contains(&normalize(host))
    }

    /// Why a request to `url` is refused before any connection, if it is: a literal address
    /// of a kind that is not allowed, on a host that is not listed.
    pub(crate) fn refusal(&self, url: &reqwest::Url) -> Option<String> {
        let host = url.host_str()?;
        if self.contains(host) {
            return None;
        }
        let ip: IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
        forbidden(ip).map(|kind| refused(host, ip, kind))
    }
}

fn normalize(host: &str) -> String {
    host.trim()
        .trim_matches(['[', ']'])
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn refused(host: &str, ip: IpAddr, kind: &str) -> String {
    format!(
        "refused: {host} is {ip}, a {kind} address; image downloads reach only public addresses unless the host is listed in IMAGE_ALLOWED_HOSTS"
    )
}

/// The kind of address `ip` is, when image downloads may not reach it.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if a == 198 && (18..20).contains(&b) {
        Some("benchmarking")
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        Some("protocol-assignment")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast or reserved")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast or reserved")
    } else if let Some(v4) = ip.to_ipv4() {
        // IPv4-compatible (deprecated) addresses reach the IPv4 address.
        forbidden_v4(v4)
    } else {
        None
    }
}

/// Resolves names with the system resolver and keeps only the addresses downloads may reach.
#[derive(Debug)]
struct GuardedResolver {
    allowed: AllowedHosts,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let exempt = self.allowed.contains(&host);
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt {
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            let (kept, refused_addrs): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|a| forbidden(a.ip()).is_none());
            match (kept.is_empty(), refused_addrs.first()) {
                (true, Some(first)) => {
                    let kind = forbidden(first.ip()).unwrap_or("reserved");
                    Err(refused(&host, first.ip(), kind).into())
                }
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}

/// The HTTP client of image downloads: the source's timeouts, the guarded resolver, a
/// redirect policy that checks every hop, and no proxy (a proxy would resolve names itself).
pub(crate) fn client(
    http: &HttpSettings,
    allowed: &AllowedHosts,
) -> Result<reqwest::Client, reqwest::Error> {
    let hops = allowed.clone();
    reqwest::Client::builder()
        .connect_timeout(http.connect_timeout)
        .read_timeout(http.read_timeout)
        .user_agent(concat!("propimport/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            allowed: allowed.clone(),
        }))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if let Some(why) = hops.refusal(attempt.url()) {
                attempt.error(why)
            } else if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else {
                attempt.follow()
            }
        }))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        forbidden(ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }

    #[test]
    fn internal_addresses_are_forbidden_and_public_ones_not() {
        for (ip, expected) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("224.0.0.1", "multicast or reserved"),
            ("255.255.255.255", "multicast or reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00:ec2::254", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
        ] {
            assert_eq!(kind(ip), Some(expected), "{ip}");
        }
        for ip in ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn literal_addresses_are_refused_unless_listed() {
        let none = AllowedHosts::default();
        let url = |u: &str| reqwest::Url::parse(u).unwrap_or_else(|_| unreachable!());
        let why = none
            .refusal(&url("http://169.254.169.254/latest/meta-data/"))
            .unwrap_or_default();
        assert!(why.contains("link-local"), "{why}");
        assert!(why.contains("IMAGE_ALLOWED_HOSTS"), "{why}");
        assert!(none.refusal(&url("http://[::1]:5432/")).is_some());
        assert!(
            none.refusal(&url("http://example.com/a.jpg")).is_none(),
            "names are checked when resolved"
        );
        let listed = AllowedHosts::new(&["127.0.0.1".into(), "[::1]".into()]);
        assert!(
            listed
                .refusal(&url("http://127.0.0.1:8080/a.jpg"))
                .is_none()
        );
        assert!(listed.refusal(&url("http://[::1]/a.jpg")).is_none());
        assert!(listed.refusal(&url("http://10.0.0.1/a.jpg")).is_some());
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_are_refused() {
        let resolver = GuardedResolver {
            allowed: AllowedHosts::default(),
        };
        let name: Name = "localhost".parse().unwrap_or_else(|_| unreachable!());
        let Err(e) = resolver.resolve(name).await else {
            panic!("localhost was resolved for an image download");
        };
        assert!(e.to_string().contains("loopback"), "{e}");
        let exempt = GuardedResolver {
            allowed: AllowedHosts::new(&["LOCALHOST".into()]),
        };
        let name: Name = "localhost".parse().unwrap_or_else(|_| unreachable!());
        assert!(exempt.resolve(name).await.is_ok());
    }
}
