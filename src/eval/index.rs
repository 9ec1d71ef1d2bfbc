//! The index of a compiled set: statements by service and by the shape of their action
//! patterns (exact name, literal prefix, the rest), `Deny` and `Allow` apart, so that a request
//! visits only the statements that can match its action.

use rustc_hash::FxHashMap;

use crate::model::policy::Effect;
use crate::model::request::Request;

/// How many leading characters of an action name's literal prefix key the prefix index.
const PREFIX_KEY: usize = 3;

/// The statements of one service, by the shape of their action patterns, so that a request only
/// visits statements that can match its action.
#[derive(Debug, Default)]
struct ServiceIndex {
    /// Patterns without wildcards, by folded action name (the text after `service:`).
    exact: FxHashMap<Box<str>, Bucket>,
    /// Patterns whose name starts with a literal prefix of at least [`PREFIX_KEY`] bytes
    /// (`Describe*`), by those first bytes.
    prefix: FxHashMap<[u8; PREFIX_KEY], Bucket>,
    /// Every other pattern of the service (`*`, `*Instance*`, `Ge?*`).
    other: Bucket,
}

/// Statement ids, `Deny` and `Allow` apart (each ascending), so that the fast path can look
/// for a `Deny` first and stop at the first `Allow`.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    pub(crate) denies: Vec<u32>,
    pub(crate) allows: Vec<u32>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.denies.is_empty() && self.allows.is_empty()
    }

    fn push(&mut self, id: u32, effect: Effect) {
        let list = match effect {
            Effect::Deny => &mut self.denies,
            Effect::Allow => &mut self.allows,
        };
        // A statement with several patterns of one shape lands here once.
        if list.last() != Some(&id) {
            list.push(id);
        }
    }
}

static EMPTY: Bucket = Bucket {
    denies: Vec::new(),
    allows: Vec::new(),
};

/// Statements by the shape of their action patterns, so that a request only visits statements
/// that can match its action.
#[derive(Debug, Default)]
pub(crate) struct ActionIndex {
    /// Statements whose action patterns name their service literally, by folded service code.
    services: FxHashMap<Box<str>, ServiceIndex>,
    /// Patterns `*:NAME` of any service whose name part has no `:` (`*:Describe*`), indexed by
    /// that name part like a service's own patterns.
    any_service: ServiceIndex,
    /// Every statement of `any_service`: what a request whose name holds a `:` must visit,
    /// since there the leading `*` may take more than the service code.
    any_service_all: Bucket,
    /// Every other statement that may match any service (`*`, `ecs*:Get*`, `NotAction`).
    global: Bucket,
}

impl ActionIndex {
    /// Files one folded action pattern of statement `id` under the bucket that a request's
    /// action must look in to find it.
    /// Files statement `id` where every request visits it (a `NotAction` statement).
    pub(crate) fn add_everywhere(&mut self, id: u32, effect: Effect) {
        self.global.push(id, effect);
    }

    pub(crate) fn add(&mut self, pattern: &str, id: u32, effect: Effect) {
        let Some((service, name)) = pattern.split_once(':') else {
            self.global.push(id, effect);
            return;
        };
        if !service.contains(['*', '?']) {
            let index = self.services.entry(service.into()).or_default();
            index.add(name, id, effect);
        } else if service == "*" && !name.contains(':') {
            // For an action `svc:name`, `*:NAME` matches exactly when NAME matches `name`.
            self.any_service.add(name, id, effect);
            self.any_service_all.push(id, effect);
        } else {
            self.global.push(id, effect);
        }
    }
}

impl ServiceIndex {
    /// Files the name part of a pattern: by exact name, by literal prefix, or with the rest.
    fn add(&mut self, name: &str, id: u32, effect: Effect) {
        let literal = name
            .find(['*', '?'])
            .map_or(name, |end| name.get(..end).unwrap_or_default());
        if literal.len() == name.len() {
            self.exact.entry(name.into()).or_default().push(id, effect);
        } else if let Some(key) = prefix_key(literal) {
            self.prefix.entry(key).or_default().push(id, effect);
        } else {
            self.other.push(id, effect);
        }
    }

    /// The buckets a name must look in.
    fn lookup(&self, name: &str) -> [&Bucket; 3] {
        // Hashing costs more than the rest of a lookup: skip the maps that are empty.
        let exact = if self.exact.is_empty() {
            &EMPTY
        } else {
            self.exact.get(name).unwrap_or(&EMPTY)
        };
        let prefix = if self.prefix.is_empty() {
            &EMPTY
        } else {
            prefix_key(name).and_then(|k| self.prefix.get(&k)).unwrap_or(&EMPTY)
        };
        [&self.other, exact, prefix]
    }
}

/// The prefix-index key of an action name: its first [`PREFIX_KEY`] bytes.
fn prefix_key(name: &str) -> Option<[u8; PREFIX_KEY]> {
    name.as_bytes().get(..PREFIX_KEY)?.try_into().ok()
}

impl ActionIndex {
    /// The buckets a request's action must look in: its exact name, its prefix, the rest of
    /// its service, and the statements of any service. Statements may repeat across buckets.
    pub(crate) fn buckets(&self, request: &Request) -> [&Bucket; 7] {
        let (service, name) = (request.service_folded(), request.name_folded());
        let [own_other, own_exact, own_prefix] = match self.services.get(service) {
            None => [&EMPTY; 3],
            Some(index) => index.lookup(name),
        };
        let [any_other, any_exact, any_prefix] = if self.any_service_all.is_empty() {
            [&EMPTY; 3]
        } else if request.name_has_colon() {
            [&self.any_service_all, &EMPTY, &EMPTY]
        } else {
            self.any_service.lookup(name)
        };
        [
            &self.global,
            own_other,
            own_exact,
            own_prefix,
            any_other,
            any_exact,
            any_prefix,
        ]
    }

    /// Every candidate statement of a request, once each, in document order.
    pub(crate) fn candidates(&self, request: &Request) -> Vec<u32> {
        let buckets = self.buckets(request);
        let mut ids: Vec<u32> = buckets
            .iter()
            .flat_map(|b| b.denies.iter().chain(&b.allows))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}
