//! What every command that decides requests loads first, and shares: the account (to name
//! principals), the compiled store, and the session policy. `check`, its batch mode and `test`
//! each build on this, never on one another.

use std::io::Write;
use std::path::Path;

use super::input::{load_policies, InputError};
use super::render;
use super::Exit;
use crate::{
    Account, Caller, CompileOptions, CompiledPolicySet, Policy, PolicyErrors, PolicyKind, PolicySet, Request,
    RequestBuilder, Store,
};

/// The highest control-policy level a command line may name. Resource Directory nests folders
/// at most five deep below the Root folder, so a real level is far below this; anything larger
/// is a mistake, refused rather than allocated.
pub(crate) const MAX_CONTROL_LEVEL: usize = 16;

/// Everything a check needs besides the request: loaded and compiled once, shared (read-only)
/// by every request and every batch worker.
pub(crate) struct Setup {
    /// The account file, to resolve `--principal` arguments.
    account: Option<Account>,
    store: Store,
    /// The session policy given for every request.
    session: Option<CompiledPolicySet>,
    /// The identity policies given without an account: (name, file, statement count).
    pub(crate) adhoc_policies: Vec<(String, String, usize)>,
}

/// A problem that stops a check before any decision: rendered, exit status 2.
pub(crate) enum SetupError {
    Input(InputError),
    Policies(Vec<PolicyErrors>),
    Usage(String),
}

impl Setup {
    /// Reads the account or the identity policies, the session policy and the extra control
    /// policies named on the command line, and compiles them.
    pub(crate) fn load(
        account: Option<&Path>,
        policies: &[String],
        session_policy: Option<&str>,
        control: &[String],
    ) -> Result<Setup, SetupError> {
        let mut documents = Vec::new();
        let account = match account {
            Some(path) => match Account::from_file(path) {
                Ok(a) => Some(a),
                Err(e) => {
                    documents.extend(e.documents);
                    None
                }
            },
            None => None,
        };
        let mut adhoc = None;
        if account.is_none() && documents.is_empty() {
            if policies.is_empty() {
                return Err(SetupError::Usage(
                    "give the principal's policies with --policy, or an account file with --account and --principal"
                        .into(),
                ));
            }
            let loaded = load_policies(policies, PolicyKind::Identity).map_err(SetupError::Input)?;
            documents.extend(loaded.errors);
            adhoc = Some(loaded.policies);
        }
        let session = match session_policy {
            Some(arg) => {
                let loaded = load_policies(&[arg.to_owned()], PolicyKind::Session).map_err(SetupError::Input)?;
                documents.extend(loaded.errors);
                Some(loaded.policies)
            }
            None => None,
        };
        let mut extra_control: Vec<Vec<Policy>> = Vec::new();
        for arg in control {
            let (level, what) = split_level(arg).map_err(SetupError::Usage)?;
            let loaded = load_policies(&[what.to_owned()], PolicyKind::Control).map_err(SetupError::Input)?;
            documents.extend(loaded.errors);
            if extra_control.len() <= level {
                extra_control.resize_with(level + 1, Vec::new);
            }
            if let Some(slot) = extra_control.get_mut(level) {
                slot.extend(loaded.policies);
            }
        }
        if !documents.is_empty() {
            return Err(SetupError::Policies(documents));
        }
        Setup::new(account, adhoc, session, extra_control).map_err(SetupError::Usage)
    }

    /// A setup from policies already read: an account, or the identity policies of a principal
    /// without an account; an optional session policy; extra control-policy levels.
    pub(crate) fn new(
        account: Option<Account>,
        adhoc: Option<Vec<Policy>>,
        session: Option<Vec<Policy>>,
        extra_control: Vec<Vec<Policy>>,
    ) -> Result<Setup, String> {
        // The command line compiles large sets on every core; the library does so only when
        // asked.
        let options = CompileOptions { all_cores: true };
        let session = session.map(compile_session).transpose()?;
        let adhoc_policies = adhoc
            .iter()
            .flatten()
            .map(|p| (p.name().to_owned(), p.origin().to_string(), p.statements().len()))
            .collect();
        let store = match (&account, adhoc) {
            (Some(account), _) => Store::for_account(account, &extra_control, options),
            (None, identity) => Store::for_policies(identity.unwrap_or_default(), &extra_control, options),
        }
        .map_err(|e| e.to_string())?;
        Ok(Setup {
            account,
            store,
            session,
            adhoc_policies,
        })
    }

    /// The compiled store.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The caller a `--principal` argument (or a request line's `principal`) names.
    pub(crate) fn caller(&self, principal: Option<&str>) -> Result<Option<Caller>, String> {
        match (&self.account, principal) {
            (Some(account), Some(p)) => account.caller(p).map(Some),
            (Some(_), None) => Err("no principal: give --principal (or \"principal\" on the request line)".into()),
            (None, Some(p)) => Err(format!(
                "principal `{}` needs an account file (--account)",
                crate::read::diagnostic::visible(p)
            )),
            (None, None) => Ok(None),
        }
    }

    /// A request for `action` by `principal`, with the session policy (`session`, or else the
    /// one of the command line). The builder gives `acs:PrincipalARN` the caller's ARN.
    pub(crate) fn request(
        &self,
        action: String,
        principal: Option<&str>,
        session: Option<CompiledPolicySet>,
    ) -> Result<RequestBuilder, String> {
        let caller = self.caller(principal)?;
        let mut builder = Request::builder(action);
        if let Some(session) = session.or_else(|| self.session.clone()) {
            if let Some(c) = caller.as_ref().filter(|c| !matches!(c, Caller::Role { .. })) {
                return Err(format!(
                    "a session policy belongs to a role session, but `{c}` is not a role"
                ));
            }
            builder = builder.session_policy(session);
        }
        if let Some(caller) = caller {
            builder = builder.caller(caller);
        }
        Ok(builder)
    }
}

/// Compiles a session policy given as documents.
pub(crate) fn compile_session(policies: Vec<Policy>) -> Result<CompiledPolicySet, String> {
    policies
        .into_iter()
        .collect::<Result<PolicySet, _>>()
        .map(|set| set.compile())
        .map_err(|e| e.to_string())
}

/// `2:policy.json` → (2, "policy.json"); a path without a level prefix is level 0. A level
/// prefix that is not a number from 0 to [`MAX_CONTROL_LEVEL`] is an error: it must never be
/// read as another level (or drop the policy).
pub(crate) fn split_level(arg: &str) -> Result<(usize, &str), String> {
    match arg.split_once(':') {
        Some((level, rest)) if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) => {
            match level.parse::<usize>() {
                Ok(n) if n <= MAX_CONTROL_LEVEL => Ok((n, rest)),
                _ => Err(format!(
                    "invalid control-policy level `{}` in `{}`: a level is a number from 0 (the member account) to {MAX_CONTROL_LEVEL}",
                    crate::read::diagnostic::visible(level),
                    crate::read::diagnostic::visible(arg)
                )),
            }
        }
        _ => Ok((0, arg)),
    }
}

pub(crate) fn report_setup_error(err: &mut dyn Write, e: SetupError, color: bool) -> Exit {
    match e {
        SetupError::Input(e) => render::error(err, &e),
        SetupError::Policies(docs) => render::policy_errors(err, &docs, color),
        SetupError::Usage(message) => render::error(err, &message),
    }
    Exit::Error
}
