//! Evaluating one condition against a request's context (SPEC §3): the combination rules,
//! absent keys, multi-valued keys, the extensions, and fail-closed undecidable values.

use crate::model::condition::{compare_text, Condition, Qualifier, Test, Values, FEW};
use crate::model::request::{Context, ContextEntry, Reading, RequestValue, Sorted};
use crate::model::value::Network;

/// The outcome of one condition for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
                    let range = |net: &Network| {
                        let (first, last) = (Some(net.first()), Some(net.last()));
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
                policy.iter().any(|net| net.contains(&request))
            }
            Values::Null(_) => false,
        })
    }
}

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
