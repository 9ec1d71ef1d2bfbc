//! What both translations share: reading RAM values (SPEC §3) into the typed forms that Cedar
//! and Rego compare, wildcard-pattern helpers, and the typed view of a request's context.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

use crate::workload::{CondSpec, RequestSpec};

/// Condition keys match ASCII case-insensitively (SPEC §3): both translations fold them.
pub fn fold(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// A RAM wildcard pattern, ready for an engine: `**` is the same as `*` in RAM, so runs of `*`
/// are collapsed (Rego's glob gives `**` a meaning of its own).
pub fn pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c == '*' && out.ends_with('*')) {
            out.push(c);
        }
    }
    out
}

/// Whether a pattern has a wildcard at all (patterns without one are compared with `==`).
pub fn is_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// RAM's `Bool` values: `true` / `false`, ASCII case-insensitive.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// RAM's dates (SPEC §3) as epoch milliseconds: RFC 3339 with `Z` or `±hh:mm` and an upper-case
/// `T`, `YYYY-MM-DD` (midnight UTC), or integer epoch seconds. Precision below a millisecond is
/// dropped (Cedar's `datetime` has millisecond precision).
pub fn parse_date_millis(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok()?.checked_mul(1000);
    }
    let instant = if text.len() == 10 {
        let mut parts = text.splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        Date::from_calendar_date(year, Month::try_from(month).ok()?, day)
            .ok()?
            .midnight()
            .assume_utc()
    } else {
        if text.contains(['t', 'z']) {
            return None;
        }
        OffsetDateTime::parse(text, &Rfc3339).ok()?
    };
    i64::try_from(instant.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// Epoch milliseconds as Cedar's `datetime` literal text (`YYYY-MM-DDThh:mm:ss.SSSZ`); `None`
/// outside the years 0000–9999 that Cedar reads.
pub fn cedar_datetime(millis: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()?;
    if !(0..=9999).contains(&t.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    ))
}

/// An IP address as text both engines read: IPv6 in its full eight-group form (Cedar rejects
/// some compressed forms with an embedded IPv4 part).
pub fn ip_text(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
            groups.join(":")
        }
    }
}

/// A policy's `IpAddress` value: an address (a /32 or /128) or a CIDR whose host bits are
/// ignored, as a normalised `address/prefix` text.
pub fn policy_network(text: &str) -> String {
    let network = match IpNet::from_str(text) {
        Ok(net) => net.trunc(),
        Err(_) => match IpAddr::from_str(text) {
            Ok(address) => IpNet::from(address),
            Err(_) => panic!("the workload's IpAddress value {text:?} is not an address or CIDR"),
        },
    };
    format!("{}/{}", ip_text(network.network()), network.prefix_len())
}

/// A context value read in every way a condition may need it. A form is `None` when the text
/// does not parse for it: a condition of that family cannot be decided (SPEC §3: false in an
/// Allow statement, true in a Deny statement).
pub struct Typed {
    pub text: String,
    pub boolean: Option<bool>,
    pub address: Option<IpAddr>,
    pub millis: Option<i64>,
}

/// A request's context keyed by folded key name, every value read in each form.
pub fn typed_context(request: &RequestSpec) -> Vec<(String, Typed)> {
    let mut out: Vec<(String, Typed)> = Vec::new();
    for (key, value) in &request.context {
        let key = fold(key);
        assert!(
            !out.iter().any(|(k, _)| *k == key),
            "request {} has the key {key} twice: the translations take single-valued keys",
            request.action
        );
        let typed = Typed {
            text: value.clone(),
            boolean: parse_bool(value),
            address: IpAddr::from_str(value).ok(),
            millis: parse_date_millis(value),
        };
        out.push((key, typed));
    }
    out
}

/// The condition operators the translations cover: every one the workloads use.
pub fn check_operator(condition: &CondSpec) {
    const COVERED: &[&str] = &["StringEquals", "StringLike", "IpAddress", "Bool", "DateLessThan"];
    assert!(
        COVERED.contains(&condition.op),
        "operator {} (key {}) has no Cedar/Rego translation in bench/src yet",
        condition.op,
        condition.key
    );
    assert!(
        !condition.values.is_empty(),
        "condition {} {} has no value",
        condition.op,
        condition.key
    );
}

/// A `Bool` condition's values as booleans.
pub fn policy_bools(condition: &CondSpec) -> Vec<bool> {
    let mut out: Vec<bool> = condition
        .values
        .iter()
        .map(|v| parse_bool(v).unwrap_or_else(|| panic!("Bool value {v:?} is not true/false")))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A `DateLessThan` condition's values as epoch milliseconds.
pub fn policy_dates(condition: &CondSpec) -> Vec<i64> {
    condition
        .values
        .iter()
        .map(|v| parse_date_millis(v).unwrap_or_else(|| panic!("date value {v:?} does not parse")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date_millis("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date_millis("86400"), Some(86_400_000));
        assert_eq!(parse_date_millis("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date_millis("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_date_millis("1970-01-01t00:00:00z"), None);
        assert_eq!(
            cedar_datetime(1_798_761_600_000).as_deref(),
            Some("2027-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn networks() {
        assert_eq!(policy_network("10.0.0.1/8"), "10.0.0.0/8");
        assert_eq!(policy_network("198.51.100.7"), "198.51.100.7/32");
        assert_eq!(policy_network("2001:db8::1"), "2001:db8:0:0:0:0:0:1/128");
    }

    #[test]
    fn patterns() {
        assert_eq!(pattern("a**b***"), "a*b*");
        assert!(is_wildcard("a?"));
        assert!(!is_wildcard("a:b"));
    }
}
