//! Typed values of condition operators (SPEC §3): decimals, instants, booleans and IP networks,
//! parsed once — policy values when the policy is read, request values when the request is built.

use std::cmp::Ordering;
use std::net::IpAddr;

use ipnet::IpNet;

/// An exact decimal number: optional sign, digits, optional fraction; no exponent.
///
/// We keep the digits instead of using a float or a fixed-precision decimal crate because SPEC §3
/// wants exact comparison at any length (`10` = `10.0`, and 30-digit values must not round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros (empty for zero).
    int: Box<str>,
    /// Fraction digits without trailing zeros.
    frac: Box<str>,
}

impl Decimal {
    /// Parses `10`, `-3`, `2.5`, `+7`; a digit is required on both sides of a `.`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, text.get(1..)?),
            Some(b'+') => (false, text.get(1..)?),
            _ => (false, text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if body.contains('.') && frac.is_empty() {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            int: int.into(),
            frac: frac.into(),
        })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        self.int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            // Without trailing zeros, fractions compare as strings: "5" < "51" < "6".
            .then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i128);

impl Instant {
    /// RFC 3339 text of the instant, in UTC with whole seconds (`2026-01-15T10:00:00Z`).
    pub fn to_rfc3339(self) -> String {
        crate::model::request::format_instant(self)
    }

    /// Parses RFC 3339 with `Z` or `±hh:mm` (`T` separator, optional fraction, no leap second),
    /// `YYYY-MM-DD` (midnight UTC), or integer epoch seconds (SPEC §3).
    pub fn parse(text: &str) -> Option<Instant> {
        // Epoch seconds have at most 20 characters; a longer run of digits (a request value may
        // be 4 KiB of them) is no RFC 3339 date either, which the check of its 11th byte below
        // finds without reading it all.
        if !text.is_empty()
            && text.len() <= 20
            && text
                .bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
        {
            if text == "-" {
                return None;
            }
            let secs: i64 = text.parse().ok()?;
            return Some(Instant(i128::from(secs) * 1_000_000_000));
        }
        if text.len() == 10 {
            let date = time::Date::parse(text, DATE_ONLY).ok()?;
            return Some(Instant(
                i128::from(date.midnight().assume_utc().unix_timestamp()) * 1_000_000_000,
            ));
        }
        // RFC 3339 via the `time` crate, with SPEC's restrictions on top: an upper-case `T`
        // separator, and no leap second (which `time` would accept and fold into :59).
        let bytes = text.as_bytes();
        if bytes.get(10) != Some(&b'T') || bytes.get(17..19) == Some(b"60".as_slice()) || text.ends_with('z') {
            return None;
        }
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
        Some(Instant(at.unix_timestamp_nanos()))
    }

    /// The current time.
    pub fn now() -> Instant {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Instant(i128::try_from(nanos).unwrap_or(i128::MAX))
    }
}

const DATE_ONLY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Parses `true` / `false`, ASCII case-insensitive.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses an IPv4 or IPv6 address or CIDR block; a bare address is a /32 or /128, and host bits
/// of a CIDR are ignored (SPEC §3).
pub(crate) fn parse_network(text: &str) -> Option<IpNet> {
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Some(IpNet::from(addr));
    }
    // SPEC §3: octets and prefix lengths with leading zeros (`10.0.0.01/32`, `/08`) are errors.
    // `ipnet`'s own parser accepts both, so the address goes through the standard parser
    // (which refuses them) and the prefix is checked here.
    let (address, prefix) = text.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || (prefix.len() > 1 && prefix.starts_with('0'))
    {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    IpNet::new(address, prefix).ok().map(|net| net.trunc())
}

/// Parses a request's IP address (a single address, not a block). An IPv4-mapped IPv6 address
/// (`::ffff:10.1.2.3`) is the IPv4 address it carries (SPEC §3), so that a `Deny` on an IPv4
/// network cannot be slipped past by writing the address in IPv6 form. Octets with leading
/// zeros are refused (the standard parser does so).
pub fn parse_address(text: &str) -> Option<IpAddr> {
    match text.parse().ok()? {
        IpAddr::V6(v6) => Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4)),
        v4 => Some(v4),
    }
}

/// An IPv4 or IPv6 network of a policy's `IpAddress`/`NotIpAddress` condition (host bits
/// cleared). Our own type, so that no third-party type is part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpNet);

impl Network {
    /// Reads a policy value: an address (a /32 or /128) or a CIDR block; leading zeros are
    /// refused (SPEC §3).
    pub fn parse(text: &str) -> Option<Network> {
        parse_network(text).map(Network)
    }

    /// Whether `addr` is in the network; an IPv4 address never matches an IPv6 network or the
    /// reverse.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        network_contains(&self.0, addr)
    }

    /// The network's address (host bits cleared).
    pub fn address(&self) -> IpAddr {
        self.0.addr()
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// The first address of the network.
    pub(crate) fn first(&self) -> IpAddr {
        self.0.network()
    }

    /// The last address of the network.
    pub(crate) fn last(&self) -> IpAddr {
        self.0.broadcast()
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether `addr` is in `net`; an IPv4 address never matches an IPv6 network or the reverse.
fn network_contains(net: &IpNet, addr: &IpAddr) -> bool {
    match (net, addr) {
        (IpNet::V4(n), IpAddr::V4(a)) => n.contains(a),
        (IpNet::V6(n), IpAddr::V6(a)) => n.contains(a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn f10_mapped_addresses_and_leading_zeros() {
        let mapped = parse_address("::ffff:10.1.2.3").unwrap();
        assert_eq!(mapped, "10.1.2.3".parse::<IpAddr>().unwrap());
        assert!(network_contains(&parse_network("10.0.0.0/8").unwrap(), &mapped));
        assert_eq!(
            parse_address("::FFFF:0a01:0203").unwrap(),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        // Other IPv6 addresses stay IPv6.
        assert!(parse_address("::10.1.2.3").unwrap().is_ipv6());
        assert!(parse_address("2001:db8::1").unwrap().is_ipv6());
        for bad in ["010.0.0.1", "10.0.0.01", "10.00.0.1", "::ffff:010.1.2.3"] {
            assert_eq!(parse_address(bad), None, "{bad}");
            assert_eq!(parse_network(bad), None, "{bad}");
        }
        for bad in [
            "10.0.0.01/32",
            "10.0.0.0/08",
            "10.0.0.0/008",
            "2001:db8::/032",
            "010.0.0.0/8",
        ] {
            assert_eq!(parse_network(bad), None, "{bad}");
        }
        assert!(parse_network("10.0.0.0/0").is_some());
        assert!(parse_network("10.0.0.0/8").is_some());
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(d("10"), d("10.0"));
        assert_eq!(d("+10"), d("010.000"));
        assert_eq!(d("-0"), d("0.0"));
        assert!(d("-3") < d("-2.5"));
        assert!(d("0.5") < d("0.51"));
        assert!(d("0.6") > d("0.51"));
        assert!(d("12345678901234567890.000000001") > d("12345678901234567890"));
        assert!(d("99") < d("100"));
        for bad in [
            "", "-", "+", "1e3", "ten", "1.", ".5", "1.2.3", "0x10", " 1", "NaN", "--1",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn instants() {
        let a = Instant::parse("2019-08-12T17:00:00+08:00").unwrap();
        let b = Instant::parse("2019-08-12T09:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(Instant::parse("1970-01-02").unwrap(), Instant(86_400_000_000_000));
        assert_eq!(Instant::parse("86400").unwrap(), Instant(86_400_000_000_000));
        assert_eq!(Instant::parse("-1").unwrap(), Instant(-1_000_000_000));
        assert!(Instant::parse("2019-08-12T09:00:00.5Z").unwrap() > b);
        for bad in [
            "2019-08-12T17:00:00",
            "2019-13-01",
            "2016-12-31T23:59:60Z",
            "2019-08-12 09:00:00Z",
            "2019-08-12t09:00:00Z",
            "2019-08-12T09:00:00z",
            "yesterday",
            "",
            "1e9",
            "123456789012345678901",
            &"9".repeat(1000),
            &format!("-{}", "9".repeat(999)),
        ] {
            assert!(Instant::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn networks() {
        let net = parse_network("10.0.0.1/8").unwrap();
        assert_eq!(net, parse_network("10.0.0.0/8").unwrap());
        assert!(network_contains(&net, &"10.255.255.255".parse().unwrap()));
        assert!(!network_contains(&net, &"11.0.0.0".parse().unwrap()));
        let host = parse_network("203.0.113.2").unwrap();
        assert!(network_contains(&host, &"203.0.113.2".parse().unwrap()));
        assert!(!network_contains(&host, &"203.0.113.3".parse().unwrap()));
        assert!(!network_contains(
            &parse_network("::/0").unwrap(),
            &"1.2.3.4".parse().unwrap()
        ));
        assert!(!network_contains(
            &parse_network("0.0.0.0/0").unwrap(),
            &"::ffff:1.2.3.4".parse().unwrap()
        ));
        assert!(parse_network("10.0.0.300").is_none());
        assert!(parse_network("10.0.0.0/33").is_none());
    }
}
