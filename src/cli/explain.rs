//! The words of an explanation: how `check` and `test` describe statements, near misses and
//! notes. The library returns structured reasons; this edge words them. Every piece of user
//! text passes through [`printable`], so no name can move the cursor or forge a line.

use super::render::printable;
use crate::{NearMiss, Note, StatementRef};

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
            .map(|c| format!("{} {}: {}", c.operator, printable(&c.key), printable(&c.reason))),
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
