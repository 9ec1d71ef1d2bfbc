#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod account;
mod caller;
mod chain;
#[cfg(feature = "cli")]
pub mod cli;
mod condition;
mod error;
mod json;
mod policy;
mod request;
mod set;
mod source;
pub mod system;
mod value;
mod wildcard;

pub use account::{Account, AccountErrors, Attachment};
pub use caller::Caller;
pub use chain::{Chain, Evaluation, Layer, ResourcePolicies, Step};
pub use condition::{Condition, Family, Operator, OperatorName, Outcome, Qualifier, Test, Values};
pub use error::{Location, PolicyError, PolicyErrors, RequestError, Span};
pub use policy::{
    ActionClause, Effect, PatternText, Policy, PolicyKind, Principal, ResourceClause, Statement, MAX_DOCUMENT_BYTES,
    MAX_STATEMENTS,
};
pub use request::{Context, Request, RequestBuilder, RequestValue};
pub use set::{
    CompiledPolicySet, ConditionError, ConditionMiss, Decision, NearMiss, PolicySet, Response, StatementRef,
};
pub use value::{Decimal, Instant};
pub use wildcard::Pattern;

/// Limits of the JSON reader.
pub use json::MAX_DEPTH;
