//! The words of an explanation: how `check` and `test` describe statements, near misses and
//! notes. The library returns structured reasons; this edge words them. Every piece of user
//! text passes through [`printable`], so no name can move the cursor or forge a line.

use serde::Serialize;

use super::render::printable;
use crate::read::diagnostic::visible;
use crate::{ConditionError, ConditionMiss, Effect, NearMiss, Note, StatementRef, Unmet};

/// `policy statement 2 (Sid `x`) at file:line:col`.
pub(crate) fn describe(s: &StatementRef) -> String {
    let sid = s
        .sid
        .as_ref()
        .map(|sid| format!(" (Sid `{}`)", printable(sid)))
        .unwrap_or_default();
    format!(
        "{} statement {}{sid} at {}:{}:{}",
        printable(&s.policy),
        s.statement,
        printable(&s.file),
        s.line,
        s.column
    )
}

/// What keeps a near-miss Allow statement from applying, one reason a line.
pub(crate) fn near_miss_reasons(m: &NearMiss, resource: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    if !m.resource_matches {
        let patterns: Vec<String> = m
            .resource_patterns
            .iter()
            .map(|p| format!("`{}`", printable(p)))
            .collect();
        reasons.push(format!(
            "resource `{}` does not match {}",
            printable(resource),
            patterns.join(", ")
        ));
    }
    if m.principal_matches == Some(false) {
        reasons.push("its Principal does not name this caller".into());
    }
    reasons.extend(
        m.failed_conditions
            .iter()
            .map(|c| format!("{} {}: {}", c.operator, printable(&c.key), printable(&miss_reason(c)))),
    );
    reasons
}

/// A note, in words.
pub(crate) fn note(note: &Note) -> String {
    match note {
        Note::RootOwnResource => "the account's root identity is allowed everything on its own resources".into(),
        Note::RootCannotAssumeRole => "an account's root identity cannot assume a role".into(),
        Note::ControlLevelWithoutAllow { level } => format!(
            "no control policy at level {level} allows the request; every level from the member account up to the Root folder must allow it"
        ),
        Note::ResourceGroupDenyNotReached { resource_group } => format!(
            "a Deny in a policy attached at the scope of resource group `{}` was not reached: account-scope policies decided first (documented order)",
            printable(resource_group)
        ),
        Note::AssumeRoleNeedsBoth => {
            "sts:AssumeRole needs an Allow in the caller's identity policies and in the role's trust policy".into()
        }
        Note::TrustPolicyRefuses => "the role's trust policy does not allow this caller to assume the role".into(),
        Note::TrustPolicyUnknown { resource } => format!(
            "no trust policy is known for `{}` (a role this evaluation does not describe, a name that differs in case from a described role, or not a role's ARN), so the role's side of sts:AssumeRole cannot allow it",
            printable(resource)
        ),
        Note::NoResourcePolicy => {
            "no resource-based policy governs this resource, and only one could allow this caller".into()
        }
        Note::UnknownCaller { caller } => format!(
            "`{}` is not described here, so no identity policies of it were evaluated",
            printable(caller)
        ),
        Note::NoCaller => "the request names no caller, so no identity policies were evaluated".into(),
    }
}

/// Why a condition of a near miss does not hold, in words.
pub(crate) fn miss_reason(c: &ConditionMiss) -> String {
    match &c.unmet {
        Unmet::Absent => format!("the request has no `{}`", c.key),
        Unmet::Undecidable { value } => format!("the request value `{}` is not {}", visible(value), c.expected),
        _ => format!(
            "the request's `{}` is {}, which does not satisfy `{}` {}",
            c.key,
            c.request_values
                .iter()
                .map(|v| format!("`{}`", visible(v)))
                .collect::<Vec<_>>()
                .join(" and "),
            c.operator,
            c.policy_values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

/// A condition error, in words: what did not parse and how it was handled.
pub(crate) fn condition_error_message(e: &ConditionError) -> String {
    let handled = match e.statement.effect {
        Effect::Deny => "counted as matching, so the Deny still applies",
        _ => "counted as not matching, so the Allow does not apply",
    };
    format!(
        "request value `{}` of `{}` is not {}; the condition was {handled}",
        visible(&e.value),
        e.key,
        e.expected
    )
}

/// A condition error as the JSON outputs show it (documented in the README; keep it stable).
#[derive(Serialize)]
pub(crate) struct ConditionErrorOut<'a> {
    statement: &'a StatementRef,
    operator: &'a str,
    key: &'a str,
    value: &'a str,
    message: String,
}

/// The JSON form of condition errors.
pub(crate) fn condition_errors_out(errors: &[ConditionError]) -> Vec<ConditionErrorOut<'_>> {
    errors
        .iter()
        .map(|e| ConditionErrorOut {
            statement: &e.statement,
            operator: &e.operator,
            key: &e.key,
            value: &e.value,
            message: condition_error_message(e),
        })
        .collect()
}

/// A near miss as `check --format json` shows it (documented in the README; keep it stable).
#[derive(Serialize)]
pub(crate) struct NearMissOut<'a> {
    statement: &'a StatementRef,
    action_matches: bool,
    resource_matches: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    resource_patterns: &'a [Box<str>],
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_matches: Option<bool>,
    failed_conditions: Vec<ConditionMissOut<'a>>,
}

#[derive(Serialize)]
struct ConditionMissOut<'a> {
    operator: &'a str,
    key: &'a str,
    policy_values: &'a [Box<str>],
    request_values: &'a [Box<str>],
    reason: String,
}

/// The JSON form of near misses.
pub(crate) fn near_misses_out(misses: &[NearMiss]) -> Vec<NearMissOut<'_>> {
    misses
        .iter()
        .map(|m| NearMissOut {
            statement: &m.statement,
            action_matches: m.action_matches,
            resource_matches: m.resource_matches,
            resource_patterns: &m.resource_patterns,
            principal_matches: m.principal_matches,
            failed_conditions: m
                .failed_conditions
                .iter()
                .map(|c| ConditionMissOut {
                    operator: &c.operator,
                    key: &c.key,
                    policy_values: &c.policy_values,
                    request_values: &c.request_values,
                    reason: miss_reason(c),
                })
                .collect(),
        })
        .collect()
}
