//! What evaluation answers: the decision, the statements that decided, condition errors, and
//! on request the explanation (steps, notes, near misses).

use std::sync::Arc;

use serde::Serialize;

use crate::eval::chain::{Layer, Note, Step};
use crate::model::policy::Effect;

/// The decision for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// An applicable `Allow` and no applicable `Deny`.
    Allow,
    /// An applicable `Deny`.
    ExplicitDeny,
    /// Nothing applicable allowed it.
    ImplicitDeny,
}

impl Decision {
    /// The decision's name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to one statement of one policy, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// The policy's name.
    pub policy: Arc<str>,
    /// 0-based index of the statement in the policy's `Statement` array.
    pub statement: usize,
    /// The statement's `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// Where the policy came from.
    pub file: Arc<str>,
    /// 1-based line of the statement's `{`.
    pub line: u32,
    /// 1-based column of the statement's `{`.
    pub column: u32,
}

/// A condition that could not be decided because a request value does not parse for its
/// operator (SPEC §3). It was handled fail-closed: true in a `Deny`, false in an `Allow`
/// (`statement.effect` says which). The command line words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// The statement holding the condition.
    pub statement: StatementRef,
    /// The operator as written.
    pub operator: String,
    /// The condition key as written.
    pub key: Box<str>,
    /// The request value that does not parse.
    pub value: Box<str>,
    /// What the operator reads its values as (`an IP address or network`, ...).
    pub expected: &'static str,
}

/// The outcome of basic evaluation of one layer: the decision, the statements that decided it
/// and any condition errors. Evaluation never fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Basic {
    /// The decision.
    pub decision: Decision,
    /// For `Allow`, every applicable `Allow` statement; for `ExplicitDeny`, every applicable
    /// `Deny` statement; for `ImplicitDeny`, none.
    pub deciding: Vec<StatementRef>,
    /// Conditions that could not be decided.
    pub errors: Vec<ConditionError>,
}

/// Why an `Allow` statement did not apply to a request: for explanations of a deny. Structured:
/// the command line words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The statement.
    pub statement: StatementRef,
    /// Whether its `Action`/`NotAction` matches the request's action.
    pub action_matches: bool,
    /// Whether its `Resource`/`NotResource` matches the request's resource.
    pub resource_matches: bool,
    /// When the resource does not match: the statement's resource patterns, as written
    /// (prefixed with `not ` for `NotResource`).
    pub resource_patterns: Vec<Box<str>>,
    /// Whether its `Principal` names the caller (resource-based policies only).
    pub principal_matches: Option<bool>,
    /// The conditions that do not hold, each with the reason.
    pub failed_conditions: Vec<ConditionMiss>,
}

/// A condition that does not hold for a request, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionMiss {
    /// The operator as written.
    pub operator: String,
    /// The condition key as written.
    pub key: Box<str>,
    /// The policy's values.
    pub policy_values: Vec<Box<str>>,
    /// The request's values of the key (empty when the request does not have it).
    pub request_values: Vec<Box<str>>,
    /// Why it does not hold.
    pub unmet: Unmet,
    /// What the operator reads its values as (`an IP address or network`, ...).
    pub expected: &'static str,
}

/// Why a condition does not hold for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unmet {
    /// The request has no value for the key.
    Absent,
    /// The request's values do not satisfy the operator and the policy's values.
    Unsatisfied,
    /// A request value does not parse for the operator: the condition cannot be decided.
    Undecidable {
        /// The value.
        value: Box<str>,
    },
}

/// How much of an answer [`crate::Store::authorize`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Detail {
    /// The decision and the layer only: the gateway's fast path. It allocates nothing on the
    /// common path (hostile input may make it: a pattern with `?` against a non-ASCII value, a
    /// segment scanned bit-parallel, a key of more than 8 values), stops at the first applicable
    /// `Deny`, and skips `Allow` statements once one applied; the response's deciding statements
    /// and errors are empty.
    Decision,
    /// The decision, the layer, the statements that decided and the condition errors.
    #[default]
    Deciding,
    /// Everything, with the explanation: every step of the chain, notes, and for an implicit
    /// deny the closest `Allow` statements with what kept each from applying.
    Explanation,
}

/// The answer to a request. Evaluation never fails: it always returns a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    decision: Decision,
    layer: Layer,
    deciding: Vec<StatementRef>,
    errors: Vec<ConditionError>,
    explanation: Option<Explanation>,
}

impl Response {
    pub(crate) fn new(
        decision: Decision,
        layer: Layer,
        deciding: Vec<StatementRef>,
        errors: Vec<ConditionError>,
        explanation: Option<Explanation>,
    ) -> Response {
        Response {
            decision,
            layer,
            deciding,
            errors,
            explanation,
        }
    }

    /// The decision.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// The layer that decided: for a deny, the layer that denied; for an allow, the layer whose
    /// Allow granted it.
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// The statements that decided (empty with [`Detail::Decision`]). For an `sts:AssumeRole`
    /// that is allowed, both the identity statements and the trust policy's.
    pub fn deciding(&self) -> &[StatementRef] {
        &self.deciding
    }

    /// Conditions that could not be decided, from every layer evaluated: handled fail-closed
    /// (SPEC §3). Empty with [`Detail::Decision`].
    pub fn errors(&self) -> &[ConditionError] {
        &self.errors
    }

    /// The explanation, with [`Detail::Explanation`].
    pub fn explanation(&self) -> Option<&Explanation> {
        self.explanation.as_ref()
    }
}

/// Why a request was decided as it was.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explanation {
    steps: Vec<Step>,
    notes: Vec<Note>,
    near_misses: Vec<NearMiss>,
}

impl Explanation {
    pub(crate) fn new(steps: Vec<Step>, notes: Vec<Note>, near_misses: Vec<NearMiss>) -> Explanation {
        Explanation {
            steps,
            notes,
            near_misses,
        }
    }

    /// Every layer evaluated, in order, each with its basic decision.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Remarks for the reader, such as a resource-group Deny that was not reached.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// For an implicit deny: the `Allow` statements of the denying layer that came closest,
    /// closest first, each with what did not match.
    pub fn near_misses(&self) -> &[NearMiss] {
        &self.near_misses
    }
}

/// How many near misses an explanation holds.
pub(crate) const NEAR_MISSES: usize = 3;
