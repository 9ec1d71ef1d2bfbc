//! Who makes a request (SPEC §5, §8.1): a RAM user, a RAM role (session), the account's root
//! identity, or a cloud service; and how a resource policy's `Principal` matches it.

use std::fmt;

use crate::model::policy::Principal;

/// The identity making a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Caller {
    /// A RAM user of `account`.
    User {
        /// The account id.
        account: Box<str>,
        /// The user name.
        name: Box<str>,
        /// The numeric user id, as bucket policies name users.
        id: Option<Box<str>>,
    },
    /// A session of a RAM role of `account`.
    Role {
        /// The account id.
        account: Box<str>,
        /// The role name.
        name: Box<str>,
        /// The session name, if given.
        session: Option<Box<str>>,
    },
    /// The account's root identity (the Alibaba Cloud account itself).
    Root {
        /// The account id.
        account: Box<str>,
    },
    /// A cloud service such as `ecs.aliyuncs.com`.
    Service {
        /// The service principal name.
        name: Box<str>,
    },
}

impl Caller {
    /// The caller's ARN: `acs:ram::A:user/N`, `acs:ram::A:role/N`, `acs:ram::A:root`; a service
    /// has none.
    pub fn arn(&self) -> Option<String> {
        match self {
            Caller::User { account, name, .. } => Some(format!("acs:ram::{account}:user/{name}")),
            Caller::Role { account, name, .. } => Some(format!("acs:ram::{account}:role/{name}")),
            Caller::Root { account } => Some(format!("acs:ram::{account}:root")),
            Caller::Service { .. } => None,
        }
    }

    /// The caller's account id (none for a service).
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::User { account, .. } | Caller::Role { account, .. } | Caller::Root { account } => Some(account),
            Caller::Service { .. } => None,
        }
    }

    /// Whether a resource policy's `Principal` names this caller (SPEC §5 step 4).
    pub fn matches(&self, principal: &Principal) -> bool {
        if principal.any {
            return true;
        }
        match self {
            Caller::Service { name } => principal.service.iter().any(|s| **s == **name),
            _ => {
                let arn = self.arn().unwrap_or_default();
                let account = self.account().unwrap_or_default();
                let account_root = format!("acs:ram::{account}:root");
                let user_id = match self {
                    Caller::User { id, .. } => id.as_deref(),
                    _ => None,
                };
                principal.ram.iter().any(|r| **r == *arn || **r == *account_root)
                    || principal
                        .ids
                        .iter()
                        .any(|id| **id == *account || Some(&**id) == user_id)
            }
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::User { name, .. } => write!(f, "user/{name}"),
            Caller::Role {
                name, session: None, ..
            } => write!(f, "role/{name}"),
            Caller::Role {
                name, session: Some(s), ..
            } => write!(f, "role/{name}/{s}"),
            Caller::Root { .. } => f.write_str("root"),
            Caller::Service { name } => write!(f, "service/{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(ram: &[&str], ids: &[&str], service: &[&str]) -> Principal {
        Principal {
            ram: ram.iter().map(|s| Box::from(*s)).collect(),
            ids: ids.iter().map(|s| Box::from(*s)).collect(),
            service: service.iter().map(|s| Box::from(*s)).collect(),
            ..Principal::default()
        }
    }

    #[test]
    fn principal_matching() {
        let alice = Caller::User {
            account: "123".into(),
            name: "alice".into(),
            id: Some("200".into()),
        };
        assert!(alice.matches(&principal(&["acs:ram::123:root"], &[], &[])));
        assert!(alice.matches(&principal(&["acs:ram::123:user/alice"], &[], &[])));
        assert!(!alice.matches(&principal(&["acs:ram::123:user/bob"], &[], &[])));
        assert!(!alice.matches(&principal(&["acs:ram::999:root"], &[], &[])));
        assert!(alice.matches(&principal(&[], &["123"], &[])));
        assert!(alice.matches(&principal(&[], &["200"], &[])));
        assert!(!alice.matches(&principal(&[], &[], &["ecs.aliyuncs.com"])));
        let ecs = Caller::Service {
            name: "ecs.aliyuncs.com".into(),
        };
        assert!(ecs.matches(&principal(&[], &[], &["ecs.aliyuncs.com"])));
        assert!(!ecs.matches(&principal(&["acs:ram::123:root"], &[], &[])));
        assert_eq!(alice.arn().unwrap(), "acs:ram::123:user/alice");
    }
}
