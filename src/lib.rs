#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// The tree reads as the pipeline: reading (source, diagnostics, JSON, documents) → the checked
// model → evaluation (compiled sets, conditions, the chain, the response); the command line is
// built on it.
mod eval;
mod model;
pub mod read;

#[cfg(feature = "cli")]
pub mod cli;

pub use eval::chain::{Layer, Note, Step};
pub use eval::condition::Outcome;
pub use eval::response::{
    ConditionError, ConditionMiss, Decision, Detail, Explanation, NearMiss, Response, StatementRef, Unmet,
};
pub use eval::set::{CompiledPolicySet, DuplicatePolicyName, PolicySet};
pub use eval::store::{CompileOptions, Store};
pub use model::account::{Account, AccountErrors, Attachment};
pub use model::caller::Caller;
pub use model::condition::{Condition, Family, Operator, OperatorName, Qualifier, Test, Values};
pub use model::policy::{
    ActionClause, Effect, PatternText, Policy, PolicyKind, Principal, ResourceClause, Statement, MAX_DOCUMENT_BYTES,
    MAX_STATEMENTS,
};
pub use model::request::{limits as request_limits, Context, Request, RequestBuilder, RequestError, RequestValue};
pub use model::value::{Decimal, Instant, Network};
pub use model::wildcard::Pattern;
pub use read::diagnostic::{Code, Diagnostic, Location, PolicyErrors, Severity, Span};
pub use read::resolve::{FileResolver, NoFiles, Resolved, Resolver};
pub use read::system;

/// Limits of the JSON reader.
pub use read::json::MAX_DEPTH;
