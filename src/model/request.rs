//! The request (SPEC §4): action, resource, resource group and a context of condition keys,
//! checked and prepared once when it is built so that evaluation does no parsing.

use std::net::IpAddr;

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use crate::eval::set::CompiledPolicySet;
use crate::model::caller::Caller;
use crate::model::value::{parse_address, parse_bool, Decimal, Instant};
use crate::model::wildcard::fold_case;
use crate::read::diagnostic::visible;

/// A request that cannot be evaluated: it is refused when it is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The request is larger than a request may be (SPEC §4 request limits).
    #[error("the request is too large: {what} is {size}, over the limit of {limit}")]
    TooLarge {
        /// What is too large (`the action`, `the value of \`key\``, `the context`).
        what: String,
        /// Its size, with the unit.
        size: String,
        /// The limit, with the unit.
        limit: String,
    },
    /// The action is not of the form `service:Name`.
    #[error("invalid action `{action}`: {reason}")]
    Action {
        /// The action as given.
        action: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The resource is empty or holds characters no ARN has.
    #[error("invalid resource `{resource}`: {reason}")]
    Resource {
        /// The resource as given.
        resource: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A context key is empty or holds control characters.
    #[error("invalid context key `{key}`: {reason}")]
    ContextKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value of a well-known key (SPEC §4) does not have the key's type.
    #[error("invalid value `{value}` for `{key}`: expected {expected}")]
    ContextValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// The type the key needs.
        expected: &'static str,
    },
    /// The resource group id is empty or holds control characters.
    #[error("invalid resource group `{0}`")]
    ResourceGroup(String),
}

/// Request limits (SPEC §4): requests are untrusted input, and with these limits and the
/// document limits of SPEC §1 one decision ends in bounded time whatever the policies.
pub mod limits {
    /// Largest action, in bytes.
    pub const ACTION_BYTES: usize = 256;
    /// Largest resource, in bytes.
    pub const RESOURCE_BYTES: usize = 4 * 1024;
    /// Largest condition key, in bytes.
    pub const KEY_BYTES: usize = 256;
    /// Largest context value, in bytes.
    pub const VALUE_BYTES: usize = 4 * 1024;
    /// Most distinct condition keys.
    pub const KEYS: usize = 1_000;
    /// Most context values, over every key.
    pub const VALUES: usize = 10_000;
}

fn too_large(what: impl Into<String>, size: usize, limit: usize, unit: &str) -> RequestError {
    RequestError::TooLarge {
        what: what.into(),
        size: format!("{size} {unit}"),
        limit: format!("{limit} {unit}"),
    }
}

/// A checked, prepared request.
#[derive(Debug, Clone)]
pub struct Request {
    action: Box<str>,
    action_folded: Box<str>,
    /// Byte length of the service code in `action_folded` (the position of the first `:`).
    service_len: usize,
    /// Whether the name part (after the first `:`) holds another `:`.
    name_has_colon: bool,
    /// Whether the action is ASCII (wildcards with `?` then match it by bytes).
    action_ascii: bool,
    resource: Box<str>,
    /// Whether the resource is ASCII.
    resource_ascii: bool,
    resource_group: Option<Box<str>>,
    context: Context,
    caller: Option<Caller>,
    session: Option<CompiledPolicySet>,
}

impl Request {
    /// Starts a request for `action` (`service:Name`); the resource defaults to `*`.
    pub fn builder(action: impl Into<String>) -> RequestBuilder {
        RequestBuilder {
            action: action.into(),
            resource: "*".into(),
            resource_group: None,
            context: Vec::new(),
            caller: None,
            session: None,
            time: None,
        }
    }

    /// Who makes the request, if known. Without a caller, a store that describes an account
    /// applies nobody's identity policies, and resource-policy statements that name principals
    /// fail closed (a `Deny` applies, an `Allow` only when it names everyone).
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// The session policy of the caller's role session, if any.
    pub fn session_policy(&self) -> Option<&CompiledPolicySet> {
        self.session.as_ref()
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The action folded to ASCII lower case (actions match case-insensitively).
    pub fn action_folded(&self) -> &str {
        &self.action_folded
    }

    /// The service code, folded: the text before the first `:` of the action.
    pub fn service_folded(&self) -> &str {
        self.action_folded.get(..self.service_len).unwrap_or_default()
    }

    /// The action name, folded: the text after the first `:` of the action.
    pub fn name_folded(&self) -> &str {
        self.action_folded.get(self.service_len + 1..).unwrap_or_default()
    }

    /// Whether the action's name part holds a `:` (as in `svc:a:b`).
    pub fn name_has_colon(&self) -> bool {
        self.name_has_colon
    }

    /// The resource: an ARN, or `*` for an action without resource-level permission.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Whether the action is ASCII.
    pub(crate) fn action_is_ascii(&self) -> bool {
        self.action_ascii
    }

    /// Whether the resource is ASCII.
    pub(crate) fn resource_is_ascii(&self) -> bool {
        self.resource_ascii
    }

    /// The resource group of the target resource, if any.
    pub fn resource_group(&self) -> Option<&str> {
        self.resource_group.as_deref()
    }

    /// The condition keys of the request.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

/// `acs:PrincipalARN`, folded.
const PRINCIPAL_ARN: &str = "acs:principalarn";

/// Builds a [`Request`]; [`RequestBuilder::build`] checks it.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    action: String,
    resource: String,
    resource_group: Option<String>,
    context: Vec<(String, String)>,
    caller: Option<Caller>,
    session: Option<CompiledPolicySet>,
    time: Option<Instant>,
}

impl RequestBuilder {
    /// Sets who makes the request. Its ARN becomes `acs:PrincipalARN`, whatever the context
    /// says (SPEC §4: the evaluation derives it; a value set by hand counts only for a request
    /// without a caller).
    pub fn caller(mut self, caller: Caller) -> Self {
        self.caller = Some(caller);
        self
    }

    /// Sets the session policy of the caller's role session (the AssumeRole `Policy`).
    pub fn session_policy(mut self, session: CompiledPolicySet) -> Self {
        self.session = Some(session);
        self
    }

    /// Sets the evaluation time: `acs:CurrentTime` when the context does not give it. Without
    /// it, [`RequestBuilder::build`] reads the clock.
    pub fn time(mut self, at: Instant) -> Self {
        self.time = Some(at);
        self
    }

    /// Sets the resource ARN (default `*`).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// Sets the resource group of the target resource.
    pub fn resource_group(mut self, id: impl Into<String>) -> Self {
        self.resource_group = Some(id.into());
        self
    }

    /// Adds one value of a context key; adding a key again gives it several values.
    pub fn context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.push((key.into(), value.into()));
        self
    }

    /// Gives `key` exactly this value, replacing any value the request gave it (matched ASCII
    /// case-insensitively).
    pub fn context_set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.context.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
        self.context.push((key, value.into()));
        self
    }

    /// Gives `key` this value unless the request already has the key (used to derive
    /// `acs:PrincipalARN` from the principal).
    pub fn context_default(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        if !self.context.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
            self.context.push((key, value.into()));
        }
        self
    }

    /// Checks the request and prepares it for evaluation. `acs:CurrentTime` defaults to now.
    pub fn build(self) -> Result<Request, RequestError> {
        if self.action.len() > limits::ACTION_BYTES {
            return Err(too_large(
                "the action",
                self.action.len(),
                limits::ACTION_BYTES,
                "bytes",
            ));
        }
        check_action(&self.action)?;
        if self.resource.len() > limits::RESOURCE_BYTES {
            return Err(too_large(
                "the resource",
                self.resource.len(),
                limits::RESOURCE_BYTES,
                "bytes",
            ));
        }
        check_resource(&self.resource)?;
        if let Some(group) = &self.resource_group {
            if group.is_empty() || group.len() > limits::RESOURCE_BYTES || has_space_or_control(group) {
                return Err(RequestError::ResourceGroup(visible(group)));
            }
        }
        if self.context.len() > limits::VALUES {
            return Err(too_large("the context", self.context.len(), limits::VALUES, "values"));
        }
        let mut entries: Vec<ContextEntry> = Vec::new();
        // Folded key → its entry: a request may carry up to a thousand keys.
        let mut position: FxHashMap<Box<str>, usize> = FxHashMap::default();
        for (key, value) in self.context {
            if key.is_empty() || has_space_or_control(&key) {
                return Err(RequestError::ContextKey {
                    key: visible(&key),
                    reason: "a key is non-empty and has no spaces or control characters".into(),
                });
            }
            if key.len() > limits::KEY_BYTES {
                return Err(too_large(
                    format!("the condition key `{}`", visible(&key)),
                    key.len(),
                    limits::KEY_BYTES,
                    "bytes",
                ));
            }
            if value.len() > limits::VALUE_BYTES {
                return Err(too_large(
                    format!("a value of `{}`", visible(&key)),
                    value.len(),
                    limits::VALUE_BYTES,
                    "bytes",
                ));
            }
            let folded = fold_case(&key);
            check_well_known(&folded, &key, &value)?;
            let value = RequestValue::new(value);
            match position.get(folded.as_str()).and_then(|&i| entries.get_mut(i)) {
                Some(entry) => entry.values.push(value),
                None => {
                    if entries.len() == limits::KEYS {
                        return Err(too_large("the context", limits::KEYS + 1, limits::KEYS, "keys"));
                    }
                    let folded: Box<str> = folded.into();
                    position.insert(folded.clone(), entries.len());
                    entries.push(ContextEntry {
                        key: key.into(),
                        key_folded: folded,
                        values: vec![value],
                        sorted: Indexes::default(),
                    });
                }
            }
        }
        if !position.contains_key("acs:currenttime") {
            let at = self.time.unwrap_or_else(Instant::now);
            entries.push(ContextEntry {
                key: "acs:CurrentTime".into(),
                key_folded: "acs:currenttime".into(),
                values: vec![RequestValue::new(format_instant(at))],
                sorted: Indexes::default(),
            });
        }
        if let Some(caller) = &self.caller {
            // SPEC §4: derived from the caller; a value set by hand does not count, and a caller
            // without an ARN (a cloud service) has no `acs:PrincipalARN` at all.
            entries.retain(|e| &*e.key_folded != PRINCIPAL_ARN);
            if let Some(arn) = caller.arn() {
                entries.push(ContextEntry {
                    key: "acs:PrincipalARN".into(),
                    key_folded: PRINCIPAL_ARN.into(),
                    values: vec![RequestValue::new(arn)],
                    sorted: Indexes::default(),
                });
            }
        }
        entries.sort_by(|a, b| a.key_folded.cmp(&b.key_folded));
        let action_folded: Box<str> = fold_case(&self.action).into();
        // INVARIANT: check_action accepted it, so it has a `:`.
        let service_len = action_folded.find(':').unwrap_or(action_folded.len());
        let name_has_colon = action_folded.get(service_len + 1..).is_some_and(|n| n.contains(':'));
        Ok(Request {
            action_ascii: self.action.is_ascii(),
            action: self.action.into(),
            action_folded,
            service_len,
            name_has_colon,
            resource_ascii: self.resource.is_ascii(),
            resource: self.resource.into(),
            resource_group: self.resource_group.map(Into::into),
            context: Context { entries },
            caller: self.caller,
            session: self.session,
        })
    }
}

/// Whether `text` holds a control character (bytes first: requests are almost always ASCII).
fn has_control(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        text.chars().any(char::is_control)
    }
}

/// Whether `text` holds white space or a control character.
fn has_space_or_control(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|b| b <= 0x20 || b == 0x7f)
    } else {
        text.chars().any(|c| c.is_control() || c.is_whitespace())
    }
}

fn check_action(action: &str) -> Result<(), RequestError> {
    let fail = |reason: &str| {
        Err(RequestError::Action {
            action: visible(action),
            reason: reason.into(),
        })
    };
    if action.is_empty() {
        return fail("the action is empty; expected `service:Name`, such as `polardb:DescribeDBClusters`");
    }
    if has_space_or_control(action) {
        return fail("an action has no spaces or control characters");
    }
    match action.split_once(':') {
        Some((service, name)) if !service.is_empty() && !name.is_empty() => Ok(()),
        _ => fail("expected `service:Name`, such as `polardb:DescribeDBClusters`"),
    }
}

fn check_resource(resource: &str) -> Result<(), RequestError> {
    let fail = |reason: &str| {
        Err(RequestError::Resource {
            resource: visible(resource),
            reason: reason.into(),
        })
    };
    if resource.is_empty() {
        return fail("the resource is empty; use `*` for an action without resource-level permission");
    }
    if has_control(resource) {
        return fail("a resource has no control characters");
    }
    Ok(())
}

/// The type of a well-known key (SPEC §4), checked when the request is built.
fn check_well_known(folded: &str, key: &str, value: &str) -> Result<(), RequestError> {
    let expected = match folded {
        "acs:sourceip" if parse_address(value).is_none() => "an IPv4 or IPv6 address",
        "acs:securetransport" | "acs:mfapresent" | "polardb:encryptionrequired" if parse_bool(value).is_none() => {
            "`true` or `false`"
        }
        "acs:currenttime" if Instant::parse(value).is_none() => {
            "a date such as `2026-01-01T00:00:00Z`, `2026-01-01T08:00:00+08:00`, `2026-01-01` or epoch seconds"
        }
        _ => return Ok(()),
    };
    Err(RequestError::ContextValue {
        key: key.into(),
        value: visible(value),
        expected,
    })
}

/// RFC 3339 text of an instant, in UTC with whole seconds.
pub(crate) fn format_instant(at: Instant) -> String {
    let secs = i64::try_from(at.0.div_euclid(1_000_000_000)).unwrap_or(0);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => secs.to_string(),
    }
}

/// The condition keys of a request, each with one or more values.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Sorted by folded key.
    entries: Vec<ContextEntry>,
}

/// One condition key of a request with its values.
#[derive(Debug, Clone)]
pub(crate) struct ContextEntry {
    key: Box<str>,
    key_folded: Box<str>,
    values: Vec<RequestValue>,
    /// The values' sorted indexes, each built on first use by a condition over many values.
    sorted: Indexes,
}

/// How a condition reads a key's values, for [`ContextEntry::sorted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// As text.
    Text,
    /// As text, ignoring ASCII case.
    FoldedText,
    /// As decimals.
    Number,
    /// As instants.
    Date,
    /// As booleans.
    Bool,
    /// As IP addresses.
    Address,
}

/// A key's values under one reading, for a condition over many values: one value per distinct
/// reading, sorted, so that a policy value is looked up rather than compared with each.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sorted {
    /// The index of one value per distinct reading, in ascending order of the reading (values
    /// that do not read are left out).
    pub(crate) distinct: Box<[u32]>,
    /// The first value, in request order, that does not read (a condition over it cannot be
    /// decided).
    pub(crate) unreadable: Option<u32>,
}

#[derive(Debug, Clone, Default)]
struct Indexes {
    text: OnceLock<Sorted>,
    folded_text: OnceLock<Sorted>,
    number: OnceLock<Sorted>,
    date: OnceLock<Sorted>,
    boolean: OnceLock<Sorted>,
    address: OnceLock<Sorted>,
}

impl ContextEntry {
    /// The values, in request order.
    pub(crate) fn values(&self) -> &[RequestValue] {
        &self.values
    }

    /// The values under `reading`, sorted; built once per request and key.
    pub(crate) fn sorted(&self, reading: Reading) -> &Sorted {
        let slot = match reading {
            Reading::Text => &self.sorted.text,
            Reading::FoldedText => &self.sorted.folded_text,
            Reading::Number => &self.sorted.number,
            Reading::Date => &self.sorted.date,
            Reading::Bool => &self.sorted.boolean,
            Reading::Address => &self.sorted.address,
        };
        slot.get_or_init(|| Sorted::new(&self.values, reading))
    }
}

impl Sorted {
    fn new(values: &[RequestValue], reading: Reading) -> Sorted {
        let reads = |v: &RequestValue| match reading {
            Reading::Text | Reading::FoldedText => true,
            Reading::Number => v.number().is_some(),
            Reading::Date => v.date().is_some(),
            Reading::Bool => v.boolean().is_some(),
            Reading::Address => v.address().is_some(),
        };
        let id = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let unreadable = values.iter().position(|v| !reads(v)).map(id);
        let mut ids: Vec<u32> = (0..values.len())
            .filter(|&i| values.get(i).is_some_and(reads))
            .map(id)
            .collect();
        let order = |a: &u32, b: &u32| match (values.get(*a as usize), values.get(*b as usize)) {
            (Some(a), Some(b)) => compare(reading, a, b),
            _ => std::cmp::Ordering::Equal,
        };
        ids.sort_by(order);
        ids.dedup_by(|a, b| order(a, b).is_eq());
        Sorted {
            distinct: ids.into(),
            unreadable,
        }
    }
}

/// The order of two request values under `reading` (both must read).
fn compare(reading: Reading, a: &RequestValue, b: &RequestValue) -> std::cmp::Ordering {
    match reading {
        Reading::Text => a.text().cmp(b.text()),
        Reading::FoldedText => compare_folded(a.text(), b.text()),
        Reading::Number => a.number().cmp(&b.number()),
        Reading::Date => a.date().cmp(&b.date()),
        Reading::Bool => a.boolean().cmp(&b.boolean()),
        Reading::Address => a.address().cmp(&b.address()),
    }
}

/// The order of two texts with ASCII letters folded to lower case: equal exactly when
/// `eq_ignore_ascii_case` says so.
pub(crate) fn compare_folded(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
}

impl Context {
    /// The values of `key` (matched ASCII case-insensitively); empty when absent.
    pub fn get(&self, key: &str) -> &[RequestValue] {
        self.get_folded(&fold_case(key))
    }

    /// The values of a key already folded to lower case.
    pub(crate) fn get_folded(&self, folded: &str) -> &[RequestValue] {
        self.entry_folded(folded).map_or(&[], |e| e.values.as_slice())
    }

    /// The entry of a key already folded to lower case.
    pub(crate) fn entry_folded(&self, folded: &str) -> Option<&ContextEntry> {
        // Requests carry a handful of keys: a scan that compares lengths first beats a binary
        // search of string comparisons there.
        if self.entries.len() <= 8 {
            return self
                .entries
                .iter()
                .find(|e| e.key_folded.len() == folded.len() && *e.key_folded == *folded);
        }
        let i = self.entries.binary_search_by(|e| (*e.key_folded).cmp(folded)).ok()?;
        self.entries.get(i)
    }

    /// Every key (as first written) with its values, sorted by folded key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[RequestValue])> {
        self.entries.iter().map(|e| (&*e.key, e.values.as_slice()))
    }
}

/// One value of a context key: its text, and its readings as each operator type, parsed on
/// first use.
#[derive(Debug, Clone)]
pub struct RequestValue {
    text: Box<str>,
    /// Whether the text is ASCII (wildcards with `?` then match it by bytes).
    ascii: bool,
    parsed: OnceLock<Readings>,
}

#[derive(Debug, Clone)]
struct Readings {
    number: Option<Decimal>,
    date: Option<Instant>,
    boolean: Option<bool>,
    address: Option<IpAddr>,
}

impl RequestValue {
    fn new(text: String) -> Self {
        RequestValue {
            ascii: text.is_ascii(),
            text: text.into(),
            parsed: OnceLock::new(),
        }
    }

    fn readings(&self) -> &Readings {
        self.parsed.get_or_init(|| Readings {
            number: Decimal::parse(&self.text),
            date: Instant::parse(&self.text),
            boolean: parse_bool(&self.text),
            address: parse_address(&self.text),
        })
    }

    /// The value as text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the text is ASCII.
    pub(crate) fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// The value as a decimal, if it is one.
    pub fn number(&self) -> Option<&Decimal> {
        self.readings().number.as_ref()
    }

    /// The value as an instant, if it is one.
    pub fn date(&self) -> Option<Instant> {
        self.readings().date
    }

    /// The value as a boolean, if it is one.
    pub fn boolean(&self) -> Option<bool> {
        self.readings().boolean
    }

    /// The value as an IP address, if it is one.
    pub fn address(&self) -> Option<IpAddr> {
        self.readings().address
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_prepares() {
        let r = Request::builder("PolarDB:AbortDBClusterMigration")
            .resource("acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1")
            .context("acs:SourceIp", "192.0.2.1")
            .context("my:Tag", "a")
            .context("MY:tag", "b")
            .build()
            .unwrap();
        assert_eq!(r.service_folded(), "polardb");
        assert_eq!(r.context().get("ACS:SOURCEIP")[0].text(), "192.0.2.1");
        assert_eq!(r.context().get("my:tag").len(), 2);
        assert_eq!(r.context().get("acs:CurrentTime").len(), 1);
        assert!(r.context().get("acs:CurrentTime")[0].date().is_some());
    }

    #[test]
    fn refuses_bad_requests() {
        for (builder, needle) in [
            (Request::builder(""), "action"),
            (Request::builder("DescribeDBClusters"), "service:Name"),
            (Request::builder("ecs:Start\u{0}"), "control"),
            (Request::builder("ecs:Start").resource(""), "resource"),
            (Request::builder("ecs:Start").resource("acs:ecs:\u{0}:1:x"), "control"),
            (
                Request::builder("ecs:Start").context("acs:SourceIp", "10.0.0.300"),
                "acs:SourceIp",
            ),
            (
                Request::builder("ecs:Start").context("acs:sourceip", "10.0.0.0/8"),
                "address",
            ),
            (
                Request::builder("ecs:Start").context("acs:MFAPresent", "yes"),
                "`true` or `false`",
            ),
            (Request::builder("ecs:Start").context("acs:CurrentTime", "noon"), "date"),
            (Request::builder("ecs:Start").context("", "x"), "context key"),
        ] {
            let err = builder.build().unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}
