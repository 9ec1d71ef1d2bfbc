//! The compiled store of one account (or of policies given without an account) and the one
//! authorization entry point: [`Store::authorize`] takes a [`Request`] that carries its caller
//! and returns one [`Response`].
//!
//! Each policy an account uses is compiled once, and the compiled sets are shared by every
//! principal that has them attached (a group's policies by all its users); the control-policy
//! levels are compiled once for the whole account. A store is immutable, `Send + Sync` and cheap
//! to clone, so a gateway shares one between threads and swaps in a new one on reload.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::eval::chain::{Identity, Note, Parts, ResourcePolicies};
use crate::eval::response::{Basic, Decision, Detail, Explanation, Response, NEAR_MISSES};
use crate::eval::set::{CompiledPolicySet, DuplicatePolicyName, PolicySet};
use crate::model::account::Account;
use crate::model::caller::Caller;
use crate::model::policy::Policy;
use crate::model::request::Request;

/// A compiled store: one account's principals and policies, or policies given without an
/// account. Immutable, `Send + Sync`, cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The account described, if any.
    account_id: Option<Box<str>>,
    /// One compiled set per control-policy level, from the member account up.
    control: Vec<CompiledPolicySet>,
    /// Policies given without an account: every caller that has identity policies has these.
    anyone: Option<Identity>,
    users: FxHashMap<Box<str>, Identity>,
    roles: FxHashMap<Box<str>, Identity>,
    resources: ResourcePolicies,
}

/// How a store is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Compile large policy sets on every core. The engine starts threads only when asked.
    pub all_cores: bool,
}

impl CompileOptions {
    fn compile(self, set: &PolicySet) -> CompiledPolicySet {
        if self.all_cores {
            set.compile_on_all_cores()
        } else {
            set.compile()
        }
    }
}

impl Store {
    /// A store of identity policies given without an account (SPEC §8): the caller of every
    /// request is a RAM user whose identity policies are `identity`, all attached at account
    /// scope, under the control-policy levels `control` (index 0 = the member account).
    pub fn for_policies(
        identity: Vec<Policy>,
        control: &[Vec<Policy>],
        options: CompileOptions,
    ) -> Result<Store, DuplicatePolicyName> {
        let identity: PolicySet = identity.into_iter().collect::<Result<_, _>>()?;
        Ok(Store {
            inner: Arc::new(Inner {
                control: compile_levels(&[], control, options)?,
                anyone: Some(Identity {
                    account_scope: vec![options.compile(&identity)],
                    resource_groups: Vec::new(),
                }),
                ..Inner::default()
            }),
        })
    }

    /// A store of an account: every policy it uses compiled once and shared by the principals
    /// it is attached to; `extra_control` levels are merged level by level into the account's
    /// own control policies (as the command line's `--control-policy` does).
    pub fn for_account(
        account: &Account,
        extra_control: &[Vec<Policy>],
        options: CompileOptions,
    ) -> Result<Store, DuplicatePolicyName> {
        let mut compiled: FxHashMap<(Box<str>, Box<str>), CompiledPolicySet> = FxHashMap::default();
        let mut compile_one = |policy: &Policy| {
            compiled
                .entry((policy.name().into(), policy.origin().as_ref().into()))
                .or_insert_with(|| options.compile(&PolicySet::from(policy.clone())))
                .clone()
        };
        let mut identity_of =
            |attachments: Vec<&crate::model::account::Attachment>| -> Result<Identity, DuplicatePolicyName> {
                // A principal's policies have unique names (the same policy attached twice, to the
                // user and to its group, counts once).
                let mut account_scope = PolicySet::new();
                let mut groups: BTreeMap<&str, PolicySet> = BTreeMap::new();
                for a in attachments {
                    match &a.resource_group {
                        None => account_scope.add(a.policy.clone())?,
                        Some(group) => groups.entry(group).or_default().add(a.policy.clone())?,
                    }
                }
                Ok(Identity {
                    account_scope: account_scope.policies().iter().map(&mut compile_one).collect(),
                    resource_groups: groups
                        .into_iter()
                        .map(|(g, set)| (Box::from(g), set.policies().iter().map(&mut compile_one).collect()))
                        .collect(),
                })
            };
        let mut users = FxHashMap::default();
        for name in account.users() {
            users.insert(Box::from(name), identity_of(account.user_attachments(name))?);
        }
        let mut roles = FxHashMap::default();
        for name in account.roles() {
            roles.insert(Box::from(name), identity_of(account.role_attachments(name))?);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                account_id: Some(account.account_id().into()),
                control: compile_levels(account.control_levels(), extra_control, options)?,
                anyone: None,
                users,
                roles,
                resources: resource_policies(account, options),
            }),
        })
    }

    /// The account the store describes, if any.
    pub fn account_id(&self) -> Option<&str> {
        self.inner.account_id.as_deref()
    }

    /// The one authorization entry point: decides `request` for its caller through the whole
    /// chain of SPEC §5, computing as much as `detail` asks. Never fails and never panics.
    pub fn authorize(&self, request: &Request, detail: Detail) -> Response {
        let mut early_note = None;
        let parts = self.parts(request, &mut early_note);
        match detail {
            Detail::Decision => {
                let (decision, layer) = parts.decide(request);
                Response::new(decision, layer, Vec::new(), Vec::new(), None)
            }
            Detail::Deciding => {
                let (Basic { decision, deciding, .. }, layer, trace) = parts.evaluate(request, false);
                Response::new(decision, layer, deciding, trace.errors, None)
            }
            Detail::Explanation => {
                let (Basic { decision, deciding, .. }, layer, trace) = parts.evaluate(request, true);
                let steps = trace.steps.unwrap_or_default();
                let mut notes: Vec<Note> = early_note.into_iter().collect();
                notes.extend(trace.notes.unwrap_or_default());
                let near_misses = if decision == Decision::ImplicitDeny {
                    parts.near_misses(request, layer, &steps, NEAR_MISSES)
                } else {
                    Vec::new()
                };
                let explanation = Explanation::new(steps, notes, near_misses);
                Response::new(decision, layer, deciding, trace.errors, Some(explanation))
            }
        }
    }

    /// The parts of the chain for the request's caller; `note` says when the store does not
    /// describe the caller (so no identity policies apply).
    fn parts<'s>(&'s self, request: &'s Request, note: &mut Option<Note>) -> Parts<'s> {
        let inner = &*self.inner;
        let caller = request.caller();
        let own = |account: &str| inner.account_id.as_deref().is_none_or(|a| a == account);
        let identity = match (caller, &inner.anyone) {
            // Policies without an account: the caller (if named) has them.
            (None | Some(Caller::User { .. } | Caller::Role { .. }), Some(anyone)) => Some(anyone),
            (Some(Caller::User { account, name, .. }), None) if own(account) => inner.users.get(name),
            (Some(Caller::Role { account, name, .. }), None) if own(account) => inner.roles.get(name),
            _ => None,
        };
        match caller {
            None if inner.anyone.is_none() => *note = Some(Note::NoCaller),
            Some(c @ (Caller::User { .. } | Caller::Role { .. })) if identity.is_none() => {
                *note = Some(Note::UnknownCaller {
                    caller: c.arn().unwrap_or_else(|| c.to_string()).into(),
                });
            }
            _ => {}
        }
        // Control policies apply to the principals of the account they are attached to.
        let control: &[CompiledPolicySet] = match caller {
            Some(Caller::User { account, .. } | Caller::Role { account, .. }) if !own(account) => &[],
            _ => &inner.control,
        };
        Parts {
            caller,
            control,
            session: request.session_policy(),
            identity,
            resources: &inner.resources,
        }
    }
}

/// The account's resource-based policies, compiled: bucket policies by resource pattern, and
/// every role's trust policy by the role's ARN (a role without `trust_policy` trusts nobody, so
/// it cannot be assumed).
fn resource_policies(account: &Account, options: CompileOptions) -> ResourcePolicies {
    let mut resources = ResourcePolicies::new();
    for (pattern, policy) in account.resource_policies() {
        resources.add(pattern, options.compile(&PolicySet::from(policy.clone())));
    }
    for name in account.roles() {
        let trust = account
            .trust_policy(name)
            .map(|p| options.compile(&PolicySet::from(p.clone())))
            .unwrap_or_default();
        resources.add_trust(&format!("acs:ram::{}:role/{name}", account.account_id()), trust);
    }
    resources
}

/// One compiled set per control-policy level: the account's own levels merged with `extra`.
fn compile_levels(
    own: &[Vec<Policy>],
    extra: &[Vec<Policy>],
    options: CompileOptions,
) -> Result<Vec<CompiledPolicySet>, DuplicatePolicyName> {
    (0..own.len().max(extra.len()))
        .map(|level| {
            let set: PolicySet = own
                .get(level)
                .into_iter()
                .chain(extra.get(level))
                .flatten()
                .cloned()
                .collect::<Result<_, _>>()?;
            Ok(options.compile(&set))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const _: fn() = || {
        fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_clone::<Store>();
        assert_send_sync_clone::<Response>();
    };
}
