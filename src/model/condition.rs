//! Condition operators (SPEC §3): one table gives every operator's name, value type and
//! negation; `ForAnyValue:`/`ForAllValues:` and `IfExists` are separate fields of a condition.

use std::fmt;

use crate::model::request::compare_folded;
use crate::model::value::{Decimal, Instant, Network};
use crate::model::wildcard::Pattern;
use crate::read::diagnostic::Location;

/// The type an operator reads its values as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
    pub(crate) qualifier: Option<Qualifier>,
    /// The operator.
    pub(crate) operator: Operator,
    /// The `IfExists` suffix.
    pub(crate) if_exists: bool,
}

impl OperatorName {
    /// `ForAnyValue:` / `ForAllValues:`, if any.
    pub fn qualifier(&self) -> Option<Qualifier> {
        self.qualifier
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// Whether it has the `IfExists` suffix.
    pub fn if_exists(&self) -> bool {
        self.if_exists
    }
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
#[non_exhaustive]
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
    Networks(Vec<Network>),
    /// `Null`: `true` means "the key must be absent".
    Null(bool),
}

/// One condition: an operator applied to one key with one or more values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator with its prefix and suffix.
    pub(crate) operator: OperatorName,
    /// The key as written.
    pub(crate) key: Box<str>,
    /// The key folded to ASCII lower case, for matching (key names are case-insensitive).
    pub(crate) key_folded: Box<str>,
    /// The values as written, for explanations.
    pub(crate) raw_values: Vec<Box<str>>,
    /// The values parsed for the operator.
    pub(crate) values: Values,
    /// Where the key is written.
    pub(crate) location: Location,
    /// For more than [`FEW`] text values: one index per distinct value, in order (ignoring ASCII
    /// case for the `…IgnoreCase` operators), so that a key with many request values is looked
    /// up here rather than the other way round; empty otherwise.
    pub(crate) text_order: Box<[u32]>,
}

impl Condition {
    /// The operator with its prefix and suffix.
    pub fn operator(&self) -> OperatorName {
        self.operator
    }

    /// The key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The values as written.
    pub fn raw_values(&self) -> &[Box<str>] {
        &self.raw_values
    }

    /// The values parsed for the operator.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Where the key is written.
    pub fn location(&self) -> Location {
        self.location
    }
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
pub(crate) fn compare_text(folded: bool, a: &str, b: &str) -> std::cmp::Ordering {
    if folded {
        compare_folded(a, b)
    } else {
        a.cmp(b)
    }
}

/// Request values up to this many are compared with each policy value; past it, a condition
/// looks policy values up in the key's sorted values (`Condition::evaluate_many`).
pub(crate) const FEW: usize = 8;
