//! `ram-policy check`: decide a request (or a batch of them) for a principal, and say why.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::input::{add_context_file, add_context_pairs, load_policies, InputError};
use super::{render, Exit, Format};
use crate::{
    Account, Caller, Chain, CompiledPolicySet, Decision, Evaluation, NearMiss, Policy, PolicyErrors, PolicyKind,
    PolicySet, Request, RequestBuilder, StatementRef,
};

/// Arguments of `ram-policy check`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ram-policy check --policy AliyunPolardbReadOnlyAccess --action polardb:DescribeDBClusters\n  \
    ram-policy check --account policies/account.json --principal user/carol \\\n      \
    --action polardb:AbortDBClusterMigration \\\n      \
    --resource acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1 --context acs:SourceIp=203.0.113.9\n  \
    ram-policy check --account policies/account.json --requests requests.jsonl\n\n\
    Exit status: 0 Allow, 1 ExplicitDeny or ImplicitDeny, 2 usage, input or policy error.\n\
    With --requests: 2 if any line was bad, else 1 if any request was denied, else 0.")]
pub struct CheckArgs {
    /// The action to check, as `service:Name` (matched case-insensitively)
    #[arg(long, value_name = "ACTION", required_unless_present = "requests")]
    pub action: Option<String>,

    /// The resource ARN; `*` stands for an action without resource-level permission
    #[arg(long, value_name = "ARN", default_value = "*")]
    pub resource: String,

    /// An identity policy of the principal: a JSON file, a directory or glob (every *.json in
    /// it), a built-in system policy name, or `-` for standard input. Repeatable
    #[arg(long = "policy", value_name = "FILE|DIR|GLOB|NAME", conflicts_with = "account")]
    pub policies: Vec<String>,

    /// An account file describing users, groups, roles and their policies (see the README)
    #[arg(long, value_name = "FILE")]
    pub account: Option<PathBuf>,

    /// The principal of the account file: user/NAME, role/NAME[/SESSION], root,
    /// service/NAME.aliyuncs.com, or a full ARN
    #[arg(long, value_name = "PRINCIPAL", requires = "account")]
    pub principal: Option<String>,

    /// The session policy of a role session (a file)
    #[arg(long, value_name = "FILE")]
    pub session_policy: Option<String>,

    /// Control policies, each with its level (the help text says how)
    #[arg(
        long = "control-policy",
        value_name = "[LEVEL:]FILE|NAME",
        help = "A control policy: [LEVEL:]FILE|NAME; LEVEL 0 is the member account (default), 1 its \
                folder, and so on up to the Root folder. Repeatable"
    )]
    pub control_policies: Vec<String>,

    /// The resource group of the target resource
    #[arg(long, value_name = "ID")]
    pub resource_group: Option<String>,

    /// A condition key of the request; repeat a key to give it several values
    /// (acs:CurrentTime defaults to now; acs:PrincipalARN to the principal's ARN)
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// A JSON object of condition keys to a value or an array of values
    #[arg(long, value_name = "FILE")]
    pub context_file: Option<PathBuf>,

    /// Check many requests: a JSON Lines file (or `-` for standard input), one request object
    /// per line; prints one JSON decision per line, in order
    #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["action", "principal", "context", "context_file", "resource_group"])]
    pub requests: Option<String>,

    /// Output format (batch mode always prints JSON Lines)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Everything a check needs besides the request: loaded once, used for every request.
#[derive(Clone)]
pub(crate) struct Setup {
    account: Option<Account>,
    /// The anonymous user's chain when there is no account file.
    adhoc: Option<Chain>,
    adhoc_policies: Vec<(String, String, usize)>,
    session: Option<CompiledPolicySet>,
    extra_control: Vec<Vec<Policy>>,
    chains: HashMap<String, Result<(Chain, Caller), String>>,
}

/// A problem that stops a check before any decision: rendered, exit status 2.
pub(crate) enum SetupError {
    Input(InputError),
    Policies(Vec<PolicyErrors>),
    Usage(String),
}

impl Setup {
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

    /// A setup from policies already read: an account, or the anonymous user's identity
    /// policies; an optional session policy; extra control-policy levels.
    pub(crate) fn new(
        account: Option<Account>,
        adhoc: Option<Vec<Policy>>,
        session: Option<Vec<Policy>>,
        extra_control: Vec<Vec<Policy>>,
    ) -> Result<Setup, String> {
        let compile = |policies: Vec<Policy>| {
            policies
                .into_iter()
                .collect::<Result<PolicySet, _>>()
                .map(|set| set.compile())
                .map_err(|e| e.to_string())
        };
        let session = session.map(compile).transpose()?;
        let adhoc_policies = adhoc
            .iter()
            .flatten()
            .map(|p| (p.name().to_owned(), p.origin().to_string(), p.statements().len()))
            .collect();
        let adhoc = match adhoc {
            Some(identity) => {
                let levels = extra_control
                    .iter()
                    .map(|level| compile(level.clone()))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut chain = Chain::new(compile(identity)?).with_control_levels(levels);
                if let Some(s) = &session {
                    chain = chain.with_session(s.clone());
                }
                Some(chain)
            }
            None => None,
        };
        Ok(Setup {
            account,
            adhoc,
            adhoc_policies,
            session,
            extra_control,
            chains: HashMap::new(),
        })
    }

    /// A chain for `principal` with `session` as its session policy (not cached).
    pub(crate) fn chain_with_session(
        &self,
        principal: Option<&str>,
        session: CompiledPolicySet,
    ) -> Result<(Chain, Option<Caller>), String> {
        match (&self.account, principal) {
            (Some(account), Some(principal)) => {
                let caller = account.caller(principal)?;
                Ok((
                    account.chain(&caller, Some(session), &self.extra_control)?,
                    Some(caller),
                ))
            }
            (Some(_), None) => Err("no principal".into()),
            (None, Some(p)) => Err(format!("principal `{p}` needs an account file")),
            (None, None) => {
                let chain = self.adhoc.clone().unwrap_or_default().with_session(session);
                Ok((chain, None))
            }
        }
    }

    /// The chain (compiled once per principal) and caller for `principal`.
    pub(crate) fn chain(&mut self, principal: Option<&str>) -> Result<(&Chain, Option<&Caller>), String> {
        let Some(account) = &self.account else {
            if let Some(p) = principal {
                return Err(format!("principal `{p}` needs an account file (--account)"));
            }
            return self
                .adhoc
                .as_ref()
                .map(|c| (c, None))
                .ok_or_else(|| "no policies".to_owned());
        };
        let Some(principal) = principal else {
            return Err("no principal: give --principal (or \"principal\" on the request line)".into());
        };
        let entry = self.chains.entry(principal.to_owned()).or_insert_with(|| {
            let caller = account.caller(principal)?;
            let chain = account.chain(&caller, self.session.clone(), &self.extra_control)?;
            Ok((chain, caller))
        });
        match entry {
            Ok((chain, caller)) => Ok((chain, Some(caller))),
            Err(e) => Err(e.clone()),
        }
    }
}

/// The highest control-policy level a command line or suite may name. Resource Directory
/// nests folders at most five deep below the Root folder, so a real level is far below this;
/// anything larger is a mistake, refused rather than allocated.
pub(crate) const MAX_CONTROL_LEVEL: usize = 16;

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
                    crate::error::visible(level),
                    crate::error::visible(arg)
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

/// Gives `acs:PrincipalARN` the principal's ARN, replacing a value the request set: the
/// evaluation derives it from the caller it knows (SPEC §4), and the output shows the request
/// as it was evaluated.
pub(crate) fn with_principal(builder: RequestBuilder, caller: Option<&Caller>) -> RequestBuilder {
    match caller.and_then(Caller::arn) {
        Some(arn) => builder.context_set("acs:PrincipalARN", arn),
        None => builder,
    }
}

/// The JSON output of one check (documented in the README; keep it stable).
#[derive(Serialize)]
struct Output<'a> {
    decision: Decision,
    layer: crate::Layer,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<PrincipalOut>,
    request: RequestOut<'a>,
    deciding: &'a [StatementRef],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    near_misses: &'a [NearMiss],
    steps: &'a [crate::Step],
    notes: &'a [String],
    errors: &'a [crate::ConditionError],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    policies: Vec<PolicyOut<'a>>,
}

#[derive(Serialize)]
struct PrincipalOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
}

#[derive(Serialize)]
struct RequestOut<'a> {
    action: &'a str,
    resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<&'a str>,
}

#[derive(Serialize)]
struct PolicyOut<'a> {
    name: &'a str,
    file: &'a str,
    statements: usize,
}

/// How many near misses an explanation shows.
const NEAR_MISSES: usize = 3;

/// Runs `check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> Exit {
    if args.account.is_some() && args.principal.is_none() && args.requests.is_none() {
        render::error(
            err,
            &"--account needs --principal (or --requests with a principal on each line)",
        );
        return Exit::Error;
    }
    let mut setup = match Setup::load(
        args.account.as_deref(),
        &args.policies,
        args.session_policy.as_deref(),
        &args.control_policies,
    ) {
        Ok(s) => s,
        Err(e) => return report_setup_error(err, e, color),
    };
    if let Some(requests) = &args.requests {
        return super::batch::run(&mut setup, requests, out, err);
    }
    let policies = setup.adhoc_policies.clone();
    let (chain, caller) = match setup.chain(args.principal.as_deref()) {
        Ok(c) => c,
        Err(message) => {
            render::error(err, &message);
            return Exit::Error;
        }
    };
    let request = match build_request(args, caller) {
        Ok(r) => r,
        Err(message) => {
            render::error(err, &message);
            return Exit::Error;
        }
    };
    let evaluation = chain.evaluate(&request);
    let near = chain.near_misses(&request, &evaluation, NEAR_MISSES);
    let written = match args.format {
        Format::Json => write_json(out, &policies, caller, &request, &evaluation, &near),
        Format::Text => write_text(out, caller, &request, &evaluation, &near),
    };
    if let Err(e) = written {
        render::error(err, &format!("cannot write the output: {e}"));
        return Exit::Error;
    }
    if evaluation.decision.is_allowed() {
        Exit::Allow
    } else {
        Exit::Deny
    }
}

fn build_request(args: &CheckArgs, caller: Option<&Caller>) -> Result<Request, String> {
    let action = args.action.clone().unwrap_or_default();
    let mut builder = Request::builder(action).resource(args.resource.clone());
    if let Some(group) = &args.resource_group {
        builder = builder.resource_group(group.clone());
    }
    if let Some(path) = &args.context_file {
        builder = add_context_file(builder, path).map_err(|e| e.to_string())?;
    }
    builder = add_context_pairs(builder, &args.context).map_err(|e| e.to_string())?;
    with_principal(builder, caller).build().map_err(|e| e.to_string())
}

fn write_json(
    out: &mut dyn Write,
    policies: &[(String, String, usize)],
    caller: Option<&Caller>,
    request: &Request,
    evaluation: &Evaluation,
    near: &[NearMiss],
) -> std::io::Result<()> {
    let output = Output {
        decision: evaluation.decision,
        layer: evaluation.layer,
        principal: caller.map(|c| PrincipalOut {
            name: c.to_string(),
            arn: c.arn(),
        }),
        request: RequestOut {
            action: request.action(),
            resource: request.resource(),
            resource_group: request.resource_group(),
        },
        deciding: &evaluation.deciding,
        near_misses: near,
        steps: &evaluation.steps,
        notes: &evaluation.notes,
        errors: &evaluation.errors,
        policies: policies
            .iter()
            .map(|(name, file, statements)| PolicyOut {
                name,
                file,
                statements: *statements,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}

/// What keeps a near-miss Allow statement from applying, one reason a line.
pub(crate) fn near_miss_reasons(m: &NearMiss, resource: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    if !m.resource_matches {
        let patterns: Vec<String> = m.resource_patterns.iter().map(|p| format!("`{p}`")).collect();
        reasons.push(format!("resource `{resource}` does not match {}", patterns.join(", ")));
    }
    if m.principal_matches == Some(false) {
        reasons.push("its Principal does not name this caller".into());
    }
    reasons.extend(
        m.failed_conditions
            .iter()
            .map(|c| format!("{} {}: {}", c.operator, c.key, c.reason)),
    );
    reasons
}

pub(crate) fn describe(s: &StatementRef) -> String {
    let sid = s.sid.as_ref().map(|sid| format!(" (Sid `{sid}`)")).unwrap_or_default();
    format!(
        "{} statement {}{sid} at {}:{}:{}",
        s.policy, s.statement, s.file, s.line, s.column
    )
}

fn write_text(
    out: &mut dyn Write,
    caller: Option<&Caller>,
    request: &Request,
    evaluation: &Evaluation,
    near: &[NearMiss],
) -> std::io::Result<()> {
    let group = request
        .resource_group()
        .map(|g| format!(" in resource group {g}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}: {} on {}{group}",
        evaluation.decision,
        request.action(),
        request.resource()
    )?;
    if let Some(caller) = caller {
        match caller.arn() {
            Some(arn) => writeln!(out, "  principal: {caller} ({arn})")?,
            None => writeln!(out, "  principal: {caller}")?,
        }
    }
    match evaluation.decision {
        Decision::Allow => {
            writeln!(out, "  allowed at {}", evaluation.layer)?;
            for s in &evaluation.deciding {
                writeln!(out, "    by {}", describe(s))?;
            }
        }
        Decision::ExplicitDeny => {
            writeln!(out, "  explicitly denied at {}", evaluation.layer)?;
            for s in &evaluation.deciding {
                writeln!(out, "    by {}", describe(s))?;
            }
            writeln!(
                out,
                "  to allow it: the Deny above must not apply (an explicit Deny overrides every Allow)"
            )?;
        }
        Decision::ImplicitDeny => {
            writeln!(
                out,
                "  implicitly denied at {}: no statement there allows it",
                evaluation.layer
            )?;
            if near.is_empty() {
                writeln!(
                    out,
                    "  no Allow statement there names the action `{}`: attach a policy that allows it",
                    request.action()
                )?;
            } else {
                writeln!(out, "  closest Allow statements:")?;
                for m in near {
                    writeln!(out, "    {}", describe(&m.statement))?;
                    for reason in near_miss_reasons(m, request.resource()) {
                        writeln!(out, "      - {reason}")?;
                    }
                }
                writeln!(
                    out,
                    "  to allow it: make one of these statements match (each line above is what differs)"
                )?;
            }
        }
    }
    let steps: Vec<String> = evaluation
        .steps
        .iter()
        .map(|s| match s.level {
            Some(level) => format!("{}[{level}] {}", s.layer, s.decision),
            None => format!("{} {}", s.layer, s.decision),
        })
        .collect();
    if !steps.is_empty() {
        writeln!(out, "  steps: {}", steps.join(" -> "))?;
    }
    for note in &evaluation.notes {
        writeln!(out, "  note: {note}")?;
    }
    for e in &evaluation.errors {
        writeln!(
            out,
            "  warning: {:?} {}: {}",
            e.statement.effect,
            describe(&e.statement),
            e.message
        )?;
    }
    Ok(())
}
