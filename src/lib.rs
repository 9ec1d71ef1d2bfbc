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
mod resolve;
mod set;
mod source;
mod store;
pub mod system;
mod value;
mod wildcard;

pub use account::{Account, AccountErrors, Attachment};
pub use caller::Caller;
pub use chain::{Layer, Note, Step};
pub use condition::{Condition, Family, Operator, OperatorName, Outcome, Qualifier, Test, Values};
pub use error::{Code, Diagnostic, Location, PolicyErrors, RequestError, Severity, Span};
pub use policy::{
    ActionClause, Effect, PatternText, Policy, PolicyKind, Principal, ResourceClause, Statement, MAX_DOCUMENT_BYTES,
    MAX_STATEMENTS,
};
pub use request::{limits as request_limits, Context, Request, RequestBuilder, RequestValue};
pub use resolve::{FileResolver, NoFiles, Resolved, Resolver};
pub use set::{
    CompiledPolicySet, ConditionError, ConditionMiss, Decision, DuplicatePolicyName, NearMiss, PolicySet, StatementRef,
};
pub use store::{CompileOptions, Detail, Explanation, Response, Store};
pub use value::{Decimal, Instant, Network};
pub use wildcard::Pattern;

/// Limits of the JSON reader.
pub use json::MAX_DEPTH;
