//! Condition operators (SPEC §3): one table gives every operator's name, value type and
//! negation; `ForAnyValue:`/`ForAllValues:` and `IfExists` are separate fields of a condition.

use std::fmt;

use ipnet::IpNet;

use crate::error::Location;
use crate::request::{compare_folded, Context, ContextEntry, Reading, RequestValue, Sorted};
use crate::value::{network_contains, Decimal, Instant};
use crate::wildcard::Pattern;

/// The type an operator reads its values as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Text.
    String,
    /// Exact decimals.
    Numeric,
    /// Instants.
    Date,
    /// `true` / `false`.
    Bool,
    /// IP addresses and networks.
    Ip,
    /// Presence of the key (`Null`, an extension).
    Null,
}

impl Family {
    /// What a value of this family looks like, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Family::String => "a string",
            Family::Numeric => "a decimal number such as `10`, `-3` or `2.5`",
            Family::Date => {
                "a date such as `2026-01-01T00:00:00Z`, `2026-01-01T08:00:00+08:00`, `2026-01-01` or epoch seconds"
            }
            Family::Bool => "`true` or `false`",
            Family::Ip => "an IPv4 or IPv6 address or CIDR block such as `192.0.2.0/24`",
            Family::Null => "`true` (the key is absent) or `false` (the key is present)",
        }
    }
}

/// How a request value is compared with a policy value (the positive form of an operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Test {
    /// Equal (text, number, instant or boolean).
    Equals,
    /// Equal, ignoring ASCII case.
    EqualsIgnoreCase,
    /// Matches a `*`/`?` pattern, case-sensitive.
    Like,
    /// Request value < policy value.
    LessThan,
    /// Request value ≤ policy value.
    LessThanEquals,
    /// Request value > policy value.
    GreaterThan,
    /// Request value ≥ policy value.
    GreaterThanEquals,
    /// Request address inside the policy network.
    InNetwork,
    /// Presence check of `Null`.
    Presence,
}

macro_rules! operators {
    ($($variant:ident => $name:literal, $family:ident, $test:ident, $negated:literal, $documented:literal;)*) => {
        /// A condition operator: the 21 documented ones plus the `Null` extension.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operator {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Operator {
            /// Every operator, in table order.
            pub const ALL: &'static [Operator] = &[$(Operator::$variant,)*];

            /// The operator's name as written in policies.
            pub fn name(self) -> &'static str {
                match self { $(Operator::$variant => $name,)* }
            }

            /// The operator with this exact (case-sensitive) name.
            pub fn from_name(name: &str) -> Option<Operator> {
                match name { $($name => Some(Operator::$variant),)* _ => None }
            }

            /// The type its values are read as.
            pub fn family(self) -> Family {
                match self { $(Operator::$variant => Family::$family,)* }
            }

            /// The comparison of its positive form.
            pub fn test(self) -> Test {
                match self { $(Operator::$variant => Test::$test,)* }
            }

            /// Whether it is a negated operator (`…Not…`, `NotIpAddress`).
            pub fn is_negated(self) -> bool {
                match self { $(Operator::$variant => $negated,)* }
            }

            /// Whether Alibaba documents it for RAM (the 21 of SPEC §3).
            pub fn is_documented(self) -> bool {
                match self { $(Operator::$variant => $documented,)* }
            }
        }
    };
}

operators! {
    StringEquals => "StringEquals", String, Equals, false, true;
    StringNotEquals => "StringNotEquals", String, Equals, true, true;
    StringEqualsIgnoreCase => "StringEqualsIgnoreCase", String, EqualsIgnoreCase, false, true;
    StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase", String, EqualsIgnoreCase, true, true;
    StringLike => "StringLike", String, Like, false, true;
    StringNotLike => "StringNotLike", String, Like, true, true;
    NumericEquals => "NumericEquals", Numeric, Equals, false, true;
    NumericNotEquals => "NumericNotEquals", Numeric, Equals, true, true;
    NumericLessThan => "NumericLessThan", Numeric, LessThan, false, true;
    NumericLessThanEquals => "NumericLessThanEquals", Numeric, LessThanEquals, false, true;
    NumericGreaterThan => "NumericGreaterThan", Numeric, GreaterThan, false, true;
    NumericGreaterThanEquals => "NumericGreaterThanEquals", Numeric, GreaterThanEquals, false, true;
    DateEquals => "DateEquals", Date, Equals, false, true;
    DateNotEquals => "DateNotEquals", Date, Equals, true, true;
    DateLessThan => "DateLessThan", Date, LessThan, false, true;
    DateLessThanEquals => "DateLessThanEquals", Date, LessThanEquals, false, true;
    DateGreaterThan => "DateGreaterThan", Date, GreaterThan, false, true;
    DateGreaterThanEquals => "DateGreaterThanEquals", Date, GreaterThanEquals, false, true;
    Bool => "Bool", Bool, Equals, false, true;
    IpAddress => "IpAddress", Ip, InNetwork, false, true;
    NotIpAddress => "NotIpAddress", Ip, InNetwork, true, true;
    Null => "Null", Null, Presence, false, false;
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set prefix of an operator (an extension, SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `ForAnyValue:` — true when any request value satisfies the operator.
    ForAnyValue,
    /// `ForAllValues:` — true when every request value does (and for an absent key).
    ForAllValues,
}

impl Qualifier {
    /// The prefix as written, colon included.
    pub fn prefix(self) -> &'static str {
        match self {
            Qualifier::ForAnyValue => "ForAnyValue:",
            Qualifier::ForAllValues => "ForAllValues:",
        }
    }
}

/// An operator name as written: optional set prefix, operator, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperatorName {
    /// `ForAnyValue:` / `ForAllValues:`.
    pub qualifier: Option<Qualifier>,
    /// The operator.
    pub operator: Operator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl OperatorName {
    /// Reads a full operator name such as `ForAllValues:StringLikeIfExists`.
    pub fn parse(name: &str) -> Option<OperatorName> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (operator, if_exists) = match Operator::from_name(rest) {
            Some(op) => (op, false),
            None => (Operator::from_name(rest.strip_suffix("IfExists")?)?, true),
        };
        Some(OperatorName {
            qualifier,
            operator,
            if_exists,
        })
    }

    /// Whether anything beyond the 21 documented operators is used.
    pub fn is_extension(self) -> bool {
        self.qualifier.is_some() || self.if_exists || !self.operator.is_documented()
    }
}

impl fmt::Display for OperatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            f.write_str(q.prefix())?;
        }
        f.write_str(self.operator.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// The policy values of one condition, parsed for its operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Text values (`StringEquals`, `StringNotEquals`).
    Text(Vec<Box<str>>),
    /// Patterns (`StringLike`, `StringNotLike`).
    Patterns(Vec<Pattern>),
    /// Decimals.
    Numbers(Vec<Decimal>),
    /// Instants.
    Dates(Vec<Instant>),
    /// Booleans.
    Bools(Vec<bool>),
    /// Networks.
    Networks(Vec<IpNet>),
    /// `Null`: `true` means "the key must be absent".
    Null(bool),
}

/// One condition: an operator applied to one key with one or more values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator with its prefix and suffix.
    pub operator: OperatorName,
    /// The key as written.
    pub key: Box<str>,
    /// The key folded to ASCII lower case, for matching (key names are case-insensitive).
    pub(crate) key_folded: Box<str>,
    /// The values as written, for explanations.
    pub raw_values: Vec<Box<str>>,
    /// The values parsed for the operator.
    pub values: Values,
    /// Where the key is written.
    pub location: Location,
    /// For more than [`FEW`] text values: one index per distinct value, in order (ignoring ASCII
    /// case for the `…IgnoreCase` operators), so that a key with many request values is looked
    /// up here rather than the other way round; empty otherwise.
    pub(crate) text_order: Box<[u32]>,
}

impl Condition {
    /// The [`Condition::text_order`] of `values` under `operator`.
    pub(crate) fn text_order(operator: Operator, values: &Values) -> Box<[u32]> {
        let Values::Text(texts) = values else {
            return Box::default();
        };
        if texts.len() <= FEW {
            return Box::default();
        }
        let folded = operator.test() == Test::EqualsIgnoreCase;
        let text = |i: &u32| texts.get(*i as usize).map_or("", |t| &**t);
        let order = |a: &u32, b: &u32| compare_text(folded, text(a), text(b));
        let mut ids: Vec<u32> = (0..texts.len()).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect();
        ids.sort_by(order);
        ids.dedup_by(|a, b| order(a, b).is_eq());
        ids.into()
    }
}

/// The order of texts for a test of equality: exact, or with ASCII case folded.
fn compare_text(folded: bool, a: &str, b: &str) -> std::cmp::Ordering {
    if folded {
        compare_folded(a, b)
    } else {
        a.cmp(b)
    }
}

/// The outcome of one condition for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// A request value could not be read for the operator (SPEC §3): the caller decides,
    /// fail-closed, what that means.
    Undecidable {
        /// The request value that does not parse.
        value: Box<str>,
    },
}

impl Condition {
    /// Evaluates the condition against a request context.
    pub fn evaluate(&self, context: &Context) -> Outcome {
        let request_values = context.get_folded(&self.key_folded);
        let present = !request_values.is_empty();
        let op = self.operator;
        if let Values::Null(must_be_absent) = self.values {
            return bool_outcome(present != must_be_absent);
        }
        if !present {
            return bool_outcome(
                op.if_exists
                    || match op.qualifier {
                        Some(Qualifier::ForAllValues) => true,
                        Some(Qualifier::ForAnyValue) => false,
                        None => op.operator.is_negated(),
                    },
            );
        }
        if request_values.len() > FEW {
            if let Some(outcome) = context
                .entry_folded(&self.key_folded)
                .and_then(|e| self.evaluate_many(e))
            {
                return outcome;
            }
        }
        self.evaluate_pairs(request_values)
    }

    /// [`Condition::evaluate`] for present request values, comparing each with the policy
    /// values.
    fn evaluate_pairs(&self, request_values: &[RequestValue]) -> Outcome {
        let op = self.operator;
        let negated = op.operator.is_negated();
        let test = op.operator.test();
        let result = match op.qualifier {
            // Without a prefix, a positive operator holds when any request value matches any
            // policy value; a negated one is its exact negation.
            None => {
                let mut any = false;
                for value in request_values {
                    match self.matches(test, value) {
                        Ok(true) => any = true,
                        Ok(false) => {}
                        Err(()) => return undecidable(value),
                    }
                }
                any != negated
            }
            Some(qualifier) => {
                let mut any = false;
                let mut all = true;
                for value in request_values {
                    match self.matches(test, value) {
                        Ok(m) => {
                            let holds = m != negated;
                            any |= holds;
                            all &= holds;
                        }
                        Err(()) => return undecidable(value),
                    }
                }
                match qualifier {
                    Qualifier::ForAnyValue => any,
                    Qualifier::ForAllValues => all,
                }
            }
        };
        bool_outcome(result)
    }

    /// [`Condition::evaluate`] for a key with many values, by the key's sorted values: each
    /// policy value is looked up (or, for an ordering, compared with the least and greatest)
    /// rather than compared with every request value, so a condition costs about its policy
    /// values, not their product with the request's. The same outcome as comparing each pair:
    /// the first request value that does not read makes it undecidable; otherwise it holds as
    /// "some request value matches" (`E`) or "every request value matches" (`A`) say:
    /// no prefix `E ≠ negated`; `ForAnyValue:` `E`, negated `¬A`; `ForAllValues:` `A`, negated
    /// `¬E`. `None` for patterns, which can only be matched pair by pair.
    fn evaluate_many(&self, entry: &ContextEntry) -> Option<Outcome> {
        let op = self.operator;
        let negated = op.operator.is_negated();
        let test = op.operator.test();
        let every = matches!(
            (op.qualifier, negated),
            (Some(Qualifier::ForAnyValue), true) | (Some(Qualifier::ForAllValues), false)
        );
        let values = entry.values();
        let value = |i: u32| values.get(i as usize);
        let sorted = |reading| {
            let sorted: &Sorted = entry.sorted(reading);
            match sorted.unreadable.and_then(value) {
                Some(bad) => Err(undecidable(bad)),
                None => Ok(sorted),
            }
        };
        let holds = match &self.values {
            Values::Patterns(_) | Values::Null(_) => return None,
            Values::Text(policy) => {
                let folded = test == Test::EqualsIgnoreCase;
                let sorted = entry.sorted(if folded { Reading::FoldedText } else { Reading::Text });
                let request_text = |i: &u32| value(*i).map_or("", RequestValue::text);
                if self.text_order.is_empty() || self.text_order.len() <= sorted.distinct.len() {
                    // Fewer policy values: each is looked up among the request's.
                    let find = |p: &str| {
                        let at = sorted
                            .distinct
                            .binary_search_by(|i| compare_text(folded, request_text(i), p));
                        at.ok()
                    };
                    found(every, sorted, policy.iter().map(|p| find(p)))
                } else {
                    // Fewer distinct request values: each is looked up among the policy's.
                    let policy_text = |i: &u32| policy.get(*i as usize).map_or("", |t| &**t);
                    let mut found = sorted.distinct.iter().map(|r| {
                        let r = request_text(r);
                        self.text_order
                            .binary_search_by(|p| compare_text(folded, policy_text(p), r))
                            .is_ok()
                    });
                    if every {
                        found.all(|f| f)
                    } else {
                        found.any(|f| f)
                    }
                }
            }
            Values::Numbers(policy) => match sorted(Reading::Number) {
                Err(outcome) => return Some(outcome),
                Ok(sorted) => ordered(test, every, sorted, policy.iter(), |i| {
                    value(i).and_then(RequestValue::number)
                })?,
            },
            Values::Dates(policy) => match sorted(Reading::Date) {
                Err(outcome) => return Some(outcome),
                Ok(sorted) => ordered(test, every, sorted, policy.iter().copied(), |i| {
                    value(i).and_then(RequestValue::date)
                })?,
            },
            Values::Bools(policy) => match sorted(Reading::Bool) {
                Err(outcome) => return Some(outcome),
                Ok(sorted) => ordered(test, every, sorted, policy.iter().copied(), |i| {
                    value(i).and_then(RequestValue::boolean)
                })?,
            },
            Values::Networks(policy) => match sorted(Reading::Address) {
                Err(outcome) => return Some(outcome),
                Ok(sorted) => {
                    let address = |i: &u32| value(*i).and_then(RequestValue::address);
                    // A network is a range of addresses of its family; addresses order by family
                    // first, so the range holds exactly the addresses the network contains.
                    let range = |net: &ipnet::IpNet| {
                        let (first, last) = (Some(net.network()), Some(net.broadcast()));
                        (sorted.distinct.partition_point(|i| address(i) < first), last)
                    };
                    if every {
                        let ranges = policy
                            .iter()
                            .map(range)
                            .map(|(lo, last)| (lo, sorted.distinct.partition_point(|i| address(i) <= last)));
                        covered(true, sorted.distinct.len(), ranges)
                    } else {
                        // Some address is in a network when the first one not below it is in it.
                        let mut ranges = policy.iter().map(range);
                        ranges.any(|(lo, last)| sorted.distinct.get(lo).is_some_and(|i| address(i) <= last))
                    }
                }
            },
        };
        Some(bool_outcome(holds != negated))
    }

    /// Whether one request value satisfies the positive test against any policy value;
    /// `Err` when the request value cannot be read for the operator.
    fn matches(&self, test: Test, value: &RequestValue) -> Result<bool, ()> {
        fn compare<T: Ord>(test: Test, request: &T, policy: &T) -> bool {
            match test {
                Test::LessThan => request < policy,
                Test::LessThanEquals => request <= policy,
                Test::GreaterThan => request > policy,
                Test::GreaterThanEquals => request >= policy,
                _ => request == policy,
            }
        }
        let text = value.text();
        Ok(match &self.values {
            Values::Text(policy) => match test {
                Test::EqualsIgnoreCase => policy.iter().any(|p| p.eq_ignore_ascii_case(text)),
                _ => policy.iter().any(|p| &**p == text),
            },
            Values::Patterns(policy) => policy.iter().any(|p| p.matches_known(text, || value.is_ascii())),
            Values::Numbers(policy) => {
                let request = value.number().ok_or(())?;
                policy.iter().any(|p| compare(test, request, p))
            }
            Values::Dates(policy) => {
                let request = value.date().ok_or(())?;
                policy.iter().any(|p| compare(test, &request, p))
            }
            Values::Bools(policy) => {
                let request = value.boolean().ok_or(())?;
                policy.contains(&request)
            }
            Values::Networks(policy) => {
                let request = value.address().ok_or(())?;
                policy.iter().any(|net| network_contains(net, &request))
            }
            Values::Null(_) => false,
        })
    }
}

/// Request values up to this many are compared with each policy value; past it, a condition
/// looks policy values up in the key's sorted values ([`Condition::evaluate_many`]).
const FEW: usize = 8;

/// `E` (some request value matches; `every` false) or `A` (every one does), for tests of
/// equality: `found` gives, for each policy value, where it is among the request's distinct
/// values, if anywhere.
fn found(every: bool, sorted: &Sorted, found: impl Iterator<Item = Option<usize>>) -> bool {
    covered(
        every,
        sorted.distinct.len(),
        found.map(|at| at.map_or((0, 0), |at| (at, at + 1))),
    )
}

/// `E` or `A` when each policy value matches the request's distinct values in a range
/// `[lo, hi)` of them: `E` when a range is not empty, `A` when the ranges cover all `count`.
fn covered(every: bool, count: usize, ranges: impl Iterator<Item = (usize, usize)>) -> bool {
    let mut ranges = ranges.filter(|(lo, hi)| lo < hi);
    if !every {
        return ranges.next().is_some();
    }
    let mut ranges: Vec<(usize, usize)> = ranges.collect();
    ranges.sort_unstable();
    let mut end = 0;
    for (lo, hi) in ranges {
        if lo > end {
            return false;
        }
        end = end.max(hi);
    }
    end >= count
}

/// `E` or `A` for a test of ordered values (numbers, instants, booleans): equality by lookups;
/// an ordering by the least and greatest values alone (`r < p` for some `p` exactly when
/// `r < max p`; so for some `r` exactly when `min r < max p`, for every `r` when `max r < max p`).
/// `None` for a test the values cannot have.
fn ordered<'a, T: Ord + Copy + 'a>(
    test: Test,
    every: bool,
    sorted: &Sorted,
    policy: impl Iterator<Item = T> + Clone,
    read: impl Fn(u32) -> Option<T>,
) -> Option<bool> {
    let read_at = |i: &u32| read(*i);
    if test == Test::Equals {
        let found_at = |p: T| sorted.distinct.binary_search_by(|i| read_at(i).cmp(&Some(p))).ok();
        return Some(found(every, sorted, policy.map(found_at)));
    }
    let least = read_at(sorted.distinct.first()?)?;
    let greatest = read_at(sorted.distinct.last()?)?;
    let (min, max) = (policy.clone().min()?, policy.max()?);
    Some(match (test, every) {
        (Test::LessThan, false) => least < max,
        (Test::LessThan, true) => greatest < max,
        (Test::LessThanEquals, false) => least <= max,
        (Test::LessThanEquals, true) => greatest <= max,
        (Test::GreaterThan, false) => greatest > min,
        (Test::GreaterThan, true) => least > min,
        (Test::GreaterThanEquals, false) => greatest >= min,
        (Test::GreaterThanEquals, true) => least >= min,
        _ => return None,
    })
}

fn bool_outcome(b: bool) -> Outcome {
    if b {
        Outcome::True
    } else {
        Outcome::False
    }
}

fn undecidable(value: &RequestValue) -> Outcome {
    Outcome::Undecidable {
        value: value.text().into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Policy, Request};
    use proptest::prelude::*;

    /// Operators of each family, with the policy values they may have and the request values
    /// to try them on (some read as nothing, some equal others in another spelling).
    const FAMILIES: &[(&[&str], &[&str], &[&str])] = &[
        (
            &[
                "StringEquals",
                "StringNotEquals",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
            ],
            &["a", "A", "ab", "aB", "b", ""],
            &["a", "A", "ab", "AB", "b", "", "ba"],
        ),
        (
            &[
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThan",
                "NumericLessThanEquals",
                "NumericGreaterThan",
                "NumericGreaterThanEquals",
            ],
            &["1", "1.0", "-1", "2.5", "0", "10"],
            &["1", "01", "1.00", "-1", "2.5", "-0", "0", "10", "3", "ten"],
        ),
        (
            &["DateEquals", "DateNotEquals", "DateLessThan", "DateGreaterThanEquals"],
            &[
                "2020-01-01",
                "2020-01-01T08:00:00+08:00",
                "1577836801",
                "2021-06-01T00:00:00Z",
            ],
            &[
                "2020-01-01",
                "1577836800",
                "2020-01-01T00:00:01Z",
                "2022-01-01",
                "0",
                "noon",
            ],
        ),
        (
            &["Bool"],
            &["true", "false"],
            &["true", "TRUE", "false", "False", "maybe"],
        ),
        (
            &["IpAddress", "NotIpAddress"],
            &[
                "10.0.0.0/8",
                "10.1.0.0/16",
                "192.168.1.1",
                "::/0",
                "2001:db8::/32",
                "0.0.0.0/0",
            ],
            &[
                "10.1.2.3",
                "10.2.0.1",
                "192.168.1.1",
                "192.168.1.2",
                "::ffff:10.1.2.3",
                "2001:db8::1",
                "::1",
                "nope",
            ],
        ),
    ];

    fn case() -> impl Strategy<Value = (String, Vec<String>, Vec<String>)> {
        (0..FAMILIES.len(), 0usize..3).prop_flat_map(|(family, qualifier)| {
            let (operators, policy, request) = FAMILIES[family];
            (
                prop::sample::select(operators),
                prop::collection::vec(prop::sample::select(policy), 1..14),
                prop::collection::vec(prop::sample::select(request), 0..24),
            )
                .prop_map(move |(operator, policy, request)| {
                    let prefix = ["", "ForAnyValue:", "ForAllValues:"][qualifier];
                    (
                        format!("{prefix}{operator}"),
                        policy.into_iter().map(String::from).collect(),
                        request.into_iter().map(String::from).collect(),
                    )
                })
        })
    }

    proptest! {
        /// Looking policy values up in a key's sorted values decides as comparing every pair
        /// does, undecidable values included.
        #[test]
        fn many_values_decide_as_every_pair((operator, policy, request) in case()) {
            let values = policy.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ");
            let text = format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*",
                    "Condition": {{"{operator}": {{"my:k": [{values}]}}}}}}]}}"#
            );
            let parsed = Policy::parse("p", &text).unwrap();
            let condition = &parsed.statements()[0].conditions[0];
            let mut builder = Request::builder("ecs:Describe");
            for v in &request {
                builder = builder.context("My:K", v.clone());
            }
            let built = builder.build().unwrap();
            let pairs = if request.is_empty() {
                condition.evaluate(built.context())
            } else {
                condition.evaluate_pairs(built.context().get("my:k"))
            };
            if let Some(entry) = built.context().entry_folded("my:k") {
                prop_assert_eq!(condition.evaluate_many(entry), Some(pairs.clone()), "{} {:?} {:?}", operator, policy, request);
            }
            prop_assert_eq!(condition.evaluate(built.context()), pairs);
        }
    }
}
