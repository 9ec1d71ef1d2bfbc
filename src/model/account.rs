//! The checked account (SPEC §8.1): one account's users, groups, roles, attachments, control
//! policies and resource policies, so that a pre-flight check can ask about a named principal.
//! [`crate::read::account`] reads it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::caller::Caller;
use crate::model::policy::Policy;
use crate::read::diagnostic::PolicyErrors;
use crate::read::suggest::suggest;

/// Every mistake found in an account file and the policies it refers to, by document.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.documents.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct AccountErrors {
    /// One entry per document with mistakes: the account file itself, or a policy file.
    pub documents: Vec<PolicyErrors>,
}

/// A policy attached to a user, group or role.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The policy.
    pub policy: Policy,
    /// The resource group whose scope it is attached at; `None` for account scope.
    pub resource_group: Option<Box<str>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct User {
    pub(crate) id: Option<Box<str>>,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) trust: Option<Policy>,
}

/// A checked account file.
#[derive(Debug, Clone)]
pub struct Account {
    pub(crate) origin: Arc<str>,
    pub(crate) account_id: Box<str>,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) groups: BTreeMap<String, Vec<Attachment>>,
    pub(crate) roles: BTreeMap<String, Role>,
    pub(crate) control_levels: Vec<Vec<Policy>>,
    pub(crate) resource_policies: Vec<(Box<str>, Policy)>,
}

impl Account {
    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Where the account file came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The user names.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// The role names.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    /// The control policies, by level (0 = the member account, last = the Root folder).
    pub fn control_levels(&self) -> &[Vec<Policy>] {
        &self.control_levels
    }

    /// Every policy the account uses, each once per use (for coverage reports).
    pub fn all_policies(&self) -> Vec<&Policy> {
        let mut out: Vec<&Policy> = Vec::new();
        for user in self.users.values() {
            out.extend(user.attachments.iter().map(|a| &a.policy));
        }
        for group in self.groups.values() {
            out.extend(group.iter().map(|a| &a.policy));
        }
        for role in self.roles.values() {
            out.extend(role.attachments.iter().map(|a| &a.policy));
            out.extend(role.trust.as_ref());
        }
        out.extend(self.control_levels.iter().flatten());
        out.extend(self.resource_policies.iter().map(|(_, p)| p));
        out
    }

    /// Reads a `--principal` argument: `user/NAME`, `role/NAME`, `role/NAME/SESSION`, `root`,
    /// `service/NAME.aliyuncs.com`, or a full ARN such as `acs:ram::123456789012:user/alice`.
    pub fn caller(&self, principal: &str) -> Result<Caller, String> {
        let account: Box<str> = self.account_id.clone();
        let local = if let Some(rest) = principal.strip_prefix("acs:ram:") {
            // `acs:ram::ACCOUNT:RELATIVE`: RAM ARNs have an empty region field.
            let (arn_account, relative) = rest
                .strip_prefix(':')
                .and_then(|r| r.split_once(':'))
                .filter(|(a, r)| !a.is_empty() && !r.is_empty())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a RAM ARN such as `acs:ram::{account}:user/NAME`",
                        crate::read::diagnostic::visible(principal)
                    )
                })?;
            if arn_account != &*account {
                return Err(format!(
                    "`{}` belongs to account {}, but {} describes account {account}",
                    crate::read::diagnostic::visible(principal),
                    crate::read::diagnostic::visible(arn_account),
                    self.origin
                ));
            }
            relative
        } else {
            principal
        };
        if local == "root" {
            return Ok(Caller::Root { account });
        }
        if let Some(name) = local.strip_prefix("user/") {
            let user = self
                .users
                .get(name)
                .ok_or_else(|| self.unknown("user", name, self.users.keys()))?;
            return Ok(Caller::User {
                account,
                name: name.into(),
                id: user.id.clone(),
            });
        }
        if let Some(rest) = local.strip_prefix("role/") {
            let (name, session) = match rest.split_once('/') {
                Some((name, session)) => (name, Some(Box::from(session))),
                None => (rest, None),
            };
            if !self.roles.contains_key(name) {
                return Err(self.unknown("role", name, self.roles.keys()));
            }
            return Ok(Caller::Role {
                account,
                name: name.into(),
                session,
            });
        }
        if let Some(name) = local.strip_prefix("service/") {
            if is_service_name(name) {
                return Ok(Caller::Service { name: name.into() });
            }
            return Err(format!(
                "invalid service principal `{}`: a cloud service is named like `ecs.aliyuncs.com`",
                crate::read::diagnostic::visible(name)
            ));
        }
        Err(format!(
            "invalid principal `{principal}`: expected user/NAME, role/NAME, role/NAME/SESSION, root, service/NAME.aliyuncs.com or an ARN"
        ))
    }

    fn unknown<'k>(&self, what: &str, name: &str, names: impl Iterator<Item = &'k String> + Clone) -> String {
        let hint = suggest(name, names.clone().map(String::as_str))
            .map(|s| format!("; did you mean `{what}/{s}`?"))
            .unwrap_or_else(|| {
                let all: Vec<&str> = names.map(String::as_str).collect();
                if all.is_empty() {
                    format!("; it defines no {what}s")
                } else {
                    format!("; its {what}s are {}", all.join(", "))
                }
            });
        format!("{} has no {what} `{name}`{hint}", self.origin)
    }

    /// The policies attached to user `name`: its own, then its groups' (empty when there is no
    /// such user).
    pub fn user_attachments(&self, name: &str) -> Vec<&Attachment> {
        let Some(user) = self.users.get(name) else {
            return Vec::new();
        };
        let groups = user.groups.iter().filter_map(|g| self.groups.get(g)).flatten();
        user.attachments.iter().chain(groups).collect()
    }

    /// The policies attached to role `name` (empty when there is no such role).
    pub fn role_attachments(&self, name: &str) -> Vec<&Attachment> {
        self.roles
            .get(name)
            .map(|r| r.attachments.iter().collect())
            .unwrap_or_default()
    }

    /// The resource-based policies by the resource pattern they govern (bucket policies).
    pub fn resource_policies(&self) -> &[(Box<str>, Policy)] {
        &self.resource_policies
    }

    /// The trust policy of role `name`: `None` when the role has none (it trusts nobody) or
    /// does not exist.
    pub fn trust_policy(&self, name: &str) -> Option<&Policy> {
        self.roles.get(name).and_then(|r| r.trust.as_ref())
    }
}

/// Whether `name` is a service principal's name: `<code>.aliyuncs.com`, the code made of
/// lower-case letters, digits, `-` and `.`.
fn is_service_name(name: &str) -> bool {
    name.strip_suffix(".aliyuncs.com").is_some_and(|code| {
        !code.is_empty()
            && !code.starts_with('.')
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    })
}
