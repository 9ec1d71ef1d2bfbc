//! Evaluating one condition against a request's context (SPEC §3): the combination rules,
//! absent keys, multi-valued keys, the extensions, and fail-closed undecidable values.

use crate::model::condition::{Condition, Qualifier, Test, Values};
use crate::model::request::{Context, RequestValue};

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
            Values::Patterns(policy) => policy.iter().any(|p| p.matches(text)),
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
