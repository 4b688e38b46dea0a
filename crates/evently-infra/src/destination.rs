//! Webhook destinations over HTTP: reqwest with rustls, a 10 s deadline, no redirects,
//! and a resolver that hands the connector only public addresses, so a name that
//! resolves (or rebinds) to a private address is refused at every delivery, not only
//! at registration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use evently_domain::webhook::{AttemptResult, Destination, UrlError, WebhookUrl};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long an attempt may take, from connecting to the answer's status.
pub const ATTEMPT_DEADLINE: Duration = Duration::from_secs(10);

/// Whether `ip` is a public unicast address: not loopback, private, shared (CGNAT),
/// link-local, multicast, unspecified, broadcast, documentation or reserved; IPv4-mapped
/// and NAT64 IPv6 addresses are judged by the IPv4 address they carry.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let nat64 = ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if nat64 {
        let [.., a, b, c, d] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80
        || (first & 0xfe00) == 0xfc00
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0])
}

/// What the resolver says of a name it refuses.
const NO_PUBLIC_ADDRESS: &str = "no public address";

/// Resolves names for reqwest, keeping only the addresses a delivery may reach.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{} resolves to {NO_PUBLIC_ADDRESS}", name.as_str()).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Posts webhook messages over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpDestination {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpDestination {
    /// A destination; with `allow_private`, loopback and private addresses are allowed
    /// (tests, on-premises receivers).
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS roots).
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_DEADLINE)
            .connect_timeout(ATTEMPT_DEADLINE)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .user_agent("Evently-Webhooks/1")
            .build()?;
        Ok(Self { client, allow_private })
    }

    /// Whether an IP literal host may be reached (names are checked by the resolver).
    fn literal_allowed(&self, url: &WebhookUrl) -> Result<(), UrlError> {
        match url.host().parse::<IpAddr>() {
            Ok(ip) if !self.allow_private && !is_public(ip) => Err(UrlError::NotPublic(ip.to_string())),
            _ => Ok(()),
        }
    }
}

/// Whether the resolver refused the destination (somewhere in the error's chain).
fn refused_by_resolver(error: &reqwest::Error) -> bool {
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = cause {
        if e.to_string().contains(NO_PUBLIC_ADDRESS) {
            return true;
        }
        cause = e.source();
    }
    false
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Destination for HttpDestination {
    async fn admit(&self, url: &WebhookUrl) -> Result<(), UrlError> {
        self.literal_allowed(url)?;
        if url.host().parse::<IpAddr>().is_ok() || self.allow_private {
            return Ok(());
        }
        let found = tokio::net::lookup_host((url.host(), 0)).await.map_err(|_| UrlError::Unresolved)?;
        match found.map(|a| a.ip()).find(|ip| !is_public(*ip)) {
            Some(private) => Err(UrlError::NotPublic(private.to_string())),
            None => Ok(()),
        }
    }

    async fn post(&self, url: &WebhookUrl, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> AttemptResult {
        if let Err(refused) = self.literal_allowed(url) {
            return AttemptResult::Refused(refused.to_string());
        }
        let mut request = self.client.post(url.as_str()).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => {
                AttemptResult::Answered { status: response.status().as_u16(), retry_after: retry_after(&response) }
            }
            Err(e) if refused_by_resolver(&e) => AttemptResult::Refused(format!("{}: no public address", url.host())),
            Err(e) if e.is_timeout() => AttemptResult::Failed("timeout".to_owned()),
            Err(e) => AttemptResult::Failed(format!("{e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ];
        for ip in refused {
            assert!(!is_public(ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))), "{ip} is not public");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))), "{ip} is public");
        }
    }
}
