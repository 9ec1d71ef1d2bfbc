//! Condition operators (SPEC §3): one table gives every operator's name, value type and
//! negation; `ForAnyValue:`/`ForAllValues:` and `IfExists` are separate fields of a condition.

use std::fmt;

use ipnet::IpNet;

use crate::error::Location;
use crate::request::{Context, RequestValue};
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
