//! Request-rate limits: who a client is (its address, [`ClientAddr`]), how often an address may
//! fail to sign in and how long an account waits after failures from one address ([`LoginThrottle`]),
//! and the per-user budgets of writes, tickets and searches ([`Budget`]).
//!
//! Every counter lives in the store (`rate_limits`), so the limits hold across processes and,
//! later, nodes. Nothing here trusts a header unless the TCP peer is a configured trusted proxy.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::Utc;

use crate::AppState;
use crate::config::TrustedProxy;
use crate::error::{ApiError, ApiResult};

/// The window of every per-minute limit.
const MINUTE_MS: i64 = 60_000;
/// The first delay once an account has used its free failures from one address; it doubles
/// with each further failure from there.
pub const LOGIN_FIRST_DELAY_MS: i64 = 60_000;
/// The longest delay between tries of one account from one address.
pub const LOGIN_MAX_DELAY_MS: i64 = 15 * 60_000;
/// Failures of an account from an address are forgotten this long after the last one.
pub const LOGIN_FORGET_MS: i64 = 3_600_000;
/// Most `X-Forwarded-For` hops looked at, from the right.
const MAX_FORWARDED_HOPS: usize = 32;

/// The client's address as the limits see it: the TCP peer's, or, when the peer is a trusted
/// proxy, the right-most address of `X-Forwarded-For` that is not one. IPv6 addresses count per
/// /64 (one subscriber's prefix), so an attacker cannot step through its own addresses.
/// Without connection info (a router driven in-process, as in tests) it is the unspecified
/// address, one shared bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(a)| a.ip());
        Ok(ClientAddr(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The client address of a request from `peer` with these headers (see [`ClientAddr`]).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    bucket(forwarded_client(peer, headers, trusted))
}

/// The client's whole address (not cut to a bucket): the TCP peer's, or, when the peer is a
/// trusted proxy, the right-most address of `X-Forwarded-For` that is not one. What the audit log
/// records as "from where".
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.0.contains(&ip));
    let mut client = peer.to_canonical();
    if is_trusted(client) {
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
            // An unreadable hop ends the walk: what is left of it was written by the client.
            let Some(ip) = parse_hop(hop.trim()) else {
                break;
            };
            client = ip;
            if !is_trusted(ip) {
                break;
            }
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, or an address with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// IPv4 as it is; IPv6 cut to its /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// Seconds until `until_ms`, at least one.
fn secs_until(until_ms: i64, now_ms: i64) -> u64 {
    ((until_ms - now_ms).max(0) as u64).div_ceil(1000).max(1)
}

/// Counts a hit under `key` in a one-minute window; 429 with Retry-After over `limit`.
pub async fn per_minute(state: &AppState, key: &str, limit: i64) -> ApiResult<()> {
    let now = Utc::now().timestamp_millis();
    let (count, start) = state.store.hit_rate_limit(key, MINUTE_MS, now).await?;
    if count > limit {
        return Err(ApiError::RateLimited(secs_until(start + MINUTE_MS, now)));
    }
    Ok(())
}

/// A per-user budget, spent by authenticated requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Presence and profile-settings changes, calls, hang-ups, simulated inbound calls
    /// (`--writes-per-minute`).
    Writes,
    /// Event-stream tickets (`--tickets-per-minute`).
    Tickets,
    /// Directory searches (`--searches-per-minute`).
    Searches,
}

/// Spends one unit of the user's `budget` for this minute; 429 `rate_limited` when it is gone.
pub async fn spend(state: &AppState, user_id: &str, budget: Budget) -> ApiResult<()> {
    let c = &state.config;
    let (prefix, limit) = match budget {
        Budget::Writes => ("write", c.writes_per_minute),
        Budget::Tickets => ("ticket", c.tickets_per_minute),
        Budget::Searches => ("search", c.searches_per_minute),
    };
    per_minute(state, &format!("{prefix}:{user_id}"), limit).await
}

/// The login throttle of one attempt: an email from a client address.
///
/// Two counters, neither of which a stranger can use against the account's owner:
/// - failures of the *account from this address*: after `--login-failures-per-minute` of them,
///   each further try from there waits a growing delay (1 min, doubling, at most 15 min); the
///   owner, from their own address, is not affected. Forgotten an hour after the last failure,
///   and at once on success from that address.
/// - failures *from this address*, whatever the accounts (`--login-failures-per-address-per-minute`),
///   so one address cannot spray guesses over many accounts. Never cleared by a success, or an
///   attacker would interleave logins to an account of their own.
pub struct LoginThrottle {
    /// The account's counter, for this address.
    account_key: String,
    /// The address's counter.
    address_key: String,
}

impl LoginThrottle {
    /// The throttle of `email` (normalised) from `addr`.
    pub fn new(email: &str, addr: ClientAddr) -> LoginThrottle {
        LoginThrottle {
            account_key: format!("login-account:{}:{email}", addr.0),
            address_key: format!("login-address:{}", addr.0),
        }
    }

    /// 429 with Retry-After if this attempt must wait; otherwise it may go on to the password.
    pub async fn check(&self, state: &AppState) -> ApiResult<()> {
        let now = Utc::now().timestamp_millis();
        let c = &state.config;
        if let Some((count, start)) = state.store.peek_rate_limit(&self.address_key).await?
            && start + MINUTE_MS > now
            && count >= c.login_failures_per_address_per_minute
        {
            return Err(ApiError::RateLimited(secs_until(start + MINUTE_MS, now)));
        }
        if let Some((failures, last)) = state.store.peek_rate_limit(&self.account_key).await?
            && last + LOGIN_FORGET_MS > now
            && let Some(delay) = login_delay(failures, c.login_failures_per_minute)
            && last + delay > now
        {
            return Err(ApiError::RateLimited(secs_until(last + delay, now)));
        }
        Ok(())
    }

    /// Counts a failed attempt on both counters.
    pub async fn failed(&self, state: &AppState) -> ApiResult<()> {
        let now = Utc::now().timestamp_millis();
        state
            .store
            .hit_rate_limit(&self.address_key, MINUTE_MS, now)
            .await?;
        state
            .store
            .note_failure(&self.account_key, LOGIN_FORGET_MS, now)
            .await?;
        Ok(())
    }

    /// Forgets the account's failures from this address (the address's own count stays).
    pub async fn succeeded(&self, state: &AppState) -> ApiResult<()> {
        state.store.clear_rate_limit(&self.account_key).await?;
        Ok(())
    }
}

/// The wait after `failures` failures when `free` are allowed without one: none below `free`,
/// then [`LOGIN_FIRST_DELAY_MS`] doubling per further failure, capped at [`LOGIN_MAX_DELAY_MS`].
pub fn login_delay(failures: i64, free: i64) -> Option<i64> {
    let beyond = failures - free.max(1);
    (beyond >= 0).then(|| {
        LOGIN_FIRST_DELAY_MS
            .saturating_mul(1i64 << beyond.min(20))
            .min(LOGIN_MAX_DELAY_MS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter().map(|p| p.parse().unwrap()).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let forged = xff(&["198.51.100.1"]);
        // No trusted proxy: the header is ignored whoever sends it.
        assert_eq!(client_ip(peer, &forged, &[]), peer);
        // A proxy is configured, but this peer is not it.
        assert_eq!(client_ip(peer, &forged, &proxies(&["10.0.0.0/8"])), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.7"]);
        // The client wrote a fake first hop; the proxies appended the real ones.
        let h = xff(&["1.1.1.1, 198.51.100.23", "192.0.2.7"]);
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "198.51.100.23".parse::<IpAddr>().unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        // An unreadable hop ends the walk at the last one read.
        let h = xff(&["198.51.100.23, garbage, 192.0.2.7"]);
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        // Ports and IPv4-mapped IPv6 are read as the address.
        let h = xff(&["[::ffff:198.51.100.5]:4711"]);
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "198.51.100.5".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let h = HeaderMap::new();
        assert_eq!(client_ip(a, &h, &[]), client_ip(b, &h, &[]));
        assert_ne!(client_ip(a, &h, &[]), client_ip(other, &h, &[]));
    }

    #[test]
    fn login_delays_grow_from_a_minute_to_fifteen() {
        assert_eq!(login_delay(9, 10), None);
        assert_eq!(login_delay(10, 10), Some(60_000));
        assert_eq!(login_delay(11, 10), Some(120_000));
        assert_eq!(login_delay(13, 10), Some(480_000));
        assert_eq!(login_delay(14, 10), Some(LOGIN_MAX_DELAY_MS));
        assert_eq!(login_delay(1_000, 10), Some(LOGIN_MAX_DELAY_MS));
    }
}
