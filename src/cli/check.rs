//! `ram-policy check`: decide a request (or a batch of them) for a principal, and say why.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::explain::{
    condition_error_message, condition_errors_out, describe, near_miss_reasons, near_misses_out, note,
    ConditionErrorOut, NearMissOut,
};
use super::input::{add_context_file, add_context_pairs};
use super::render::printable;
use super::setup::{report_setup_error, Setup};
use super::{render, Exit, Format};
use crate::{Caller, Decision, Detail, Explanation, Request, Response, StatementRef};

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

    /// An identity policy of the principal: a JSON file, a directory or glob (every *.json, in any case, in
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

/// The JSON output of one check (documented in the README; keep it stable).
#[derive(Serialize)]
struct Output<'a> {
    decision: Decision,
    layer: crate::Layer,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<PrincipalOut>,
    request: RequestOut<'a>,
    deciding: &'a [StatementRef],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    near_misses: Vec<NearMissOut<'a>>,
    steps: &'a [crate::Step],
    notes: Vec<String>,
    errors: Vec<ConditionErrorOut<'a>>,
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

/// Runs `check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> Exit {
    if args.account.is_some() && args.principal.is_none() && args.requests.is_none() {
        render::error(
            err,
            &"--account needs --principal (or --requests with a principal on each line)",
        );
        return Exit::Error;
    }
    let setup = match Setup::load(
        args.account.as_deref(),
        &args.policies,
        args.session_policy.as_deref(),
        &args.control_policies,
    ) {
        Ok(s) => s,
        Err(e) => return report_setup_error(err, e, color),
    };
    if let Some(requests) = &args.requests {
        return super::batch::run(&setup, requests, out, err);
    }
    let request = match build_request(&setup, args) {
        Ok(r) => r,
        Err(message) => {
            render::error(err, &message);
            return Exit::Error;
        }
    };
    let response = setup.store().authorize(&request, Detail::Explanation);
    let written = match args.format {
        Format::Json => write_json(out, &setup.adhoc_policies, &request, &response),
        Format::Text => write_text(out, &request, &response),
    };
    if let Err(e) = written {
        render::error(err, &format!("cannot write the output: {e}"));
        return Exit::Error;
    }
    if response.decision().is_allowed() {
        Exit::Allow
    } else {
        Exit::Deny
    }
}

fn build_request(setup: &Setup, args: &CheckArgs) -> Result<Request, String> {
    let action = args.action.clone().unwrap_or_default();
    let mut builder = setup
        .request(action, args.principal.as_deref(), None)?
        .resource(args.resource.clone());
    if let Some(group) = &args.resource_group {
        builder = builder.resource_group(group.clone());
    }
    if let Some(path) = &args.context_file {
        builder = add_context_file(builder, path).map_err(|e| e.to_string())?;
    }
    builder = add_context_pairs(builder, &args.context).map_err(|e| e.to_string())?;
    builder.build().map_err(|e| e.to_string())
}

fn write_json(
    out: &mut dyn Write,
    policies: &[(String, String, usize)],
    request: &Request,
    response: &Response,
) -> std::io::Result<()> {
    let empty = Explanation::default();
    let explanation = response.explanation().unwrap_or(&empty);
    let output = Output {
        decision: response.decision(),
        layer: response.layer(),
        principal: request.caller().map(|c| PrincipalOut {
            name: c.to_string(),
            arn: c.arn(),
        }),
        request: RequestOut {
            action: request.action(),
            resource: request.resource(),
            resource_group: request.resource_group(),
        },
        deciding: response.deciding(),
        near_misses: near_misses_out(explanation.near_misses()),
        steps: explanation.steps(),
        notes: explanation.notes().iter().map(note).collect(),
        errors: condition_errors_out(response.errors()),
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

fn write_text(out: &mut dyn Write, request: &Request, response: &Response) -> std::io::Result<()> {
    let empty = Explanation::default();
    let explanation = response.explanation().unwrap_or(&empty);
    let group = request
        .resource_group()
        .map(|g| format!(" in resource group {}", printable(g)))
        .unwrap_or_default();
    writeln!(
        out,
        "{}: {} on {}{group}",
        response.decision(),
        printable(request.action()),
        printable(request.resource())
    )?;
    if let Some(caller) = request.caller() {
        write_caller(out, caller)?;
    }
    match response.decision() {
        Decision::Allow => {
            writeln!(out, "  allowed at {}", response.layer())?;
            for s in response.deciding() {
                writeln!(out, "    by {}", describe(s))?;
            }
        }
        Decision::ExplicitDeny => {
            writeln!(out, "  explicitly denied at {}", response.layer())?;
            for s in response.deciding() {
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
                response.layer()
            )?;
            let near = explanation.near_misses();
            if near.is_empty() {
                writeln!(
                    out,
                    "  no Allow statement there names the action `{}`: attach a policy that allows it",
                    printable(request.action())
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
    let steps: Vec<String> = explanation
        .steps()
        .iter()
        .map(|s| match s.level {
            Some(level) => format!("{}[{level}] {}", s.layer, s.decision),
            None => format!("{} {}", s.layer, s.decision),
        })
        .collect();
    if !steps.is_empty() {
        writeln!(out, "  steps: {}", steps.join(" -> "))?;
    }
    for n in explanation.notes() {
        writeln!(out, "  note: {}", note(n))?;
    }
    for e in response.errors() {
        writeln!(
            out,
            "  warning: {:?} {}: {}",
            e.statement.effect,
            describe(&e.statement),
            printable(&condition_error_message(e))
        )?;
    }
    Ok(())
}

fn write_caller(out: &mut dyn Write, caller: &Caller) -> std::io::Result<()> {
    let name = caller.to_string();
    match caller.arn() {
        Some(arn) => writeln!(out, "  principal: {} ({})", printable(&name), printable(&arn)),
        None => writeln!(out, "  principal: {}", printable(&name)),
    }
}
