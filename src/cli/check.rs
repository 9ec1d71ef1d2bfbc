//! `ram-policy check`: decide one request against a set of policies and say why.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::input::{add_context_file, add_context_pairs, load_policies};
use super::{render, Exit, Format};
use crate::{CompiledPolicySet, Decision, Effect, PolicyKind, PolicySet, Request, Response, StatementRef};

/// Arguments of `ram-policy check`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    ram-policy check --policy AliyunPolardbReadOnlyAccess --action polardb:DescribeDBClusters\n  \
    ram-policy check --policy policies/custom/ --action polardb:DeleteDBCluster \\\n      \
    --resource acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-1 --context acs:SourceIp=192.0.2.7\n\n\
    Exit status: 0 Allow, 1 ExplicitDeny or ImplicitDeny, 2 usage, input or policy error.")]
pub struct CheckArgs {
    /// The action to check, as `service:Name` (matched case-insensitively)
    #[arg(long, value_name = "ACTION")]
    pub action: String,

    /// The resource ARN; `*` stands for an action without resource-level permission
    #[arg(long, value_name = "ARN", default_value = "*")]
    pub resource: String,

    /// An identity policy of the principal: a JSON file, a directory or glob (every *.json in
    /// it), a built-in system policy name, or `-` for standard input. Repeatable
    #[arg(long = "policy", value_name = "FILE|DIR|GLOB|NAME", required = true)]
    pub policies: Vec<String>,

    /// The resource group of the target resource
    #[arg(long, value_name = "ID")]
    pub resource_group: Option<String>,

    /// A condition key of the request; repeat a key to give it several values
    /// (acs:CurrentTime defaults to now)
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// A JSON object of condition keys to a value or an array of values
    #[arg(long, value_name = "FILE")]
    pub context_file: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// The JSON output of `check` (documented in the README; keep it stable).
#[derive(Serialize)]
struct Output<'a> {
    decision: Decision,
    request: RequestOut<'a>,
    deciding: &'a [StatementRef],
    errors: &'a [crate::ConditionError],
    policies: Vec<PolicyOut<'a>>,
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
    let loaded = match load_policies(&args.policies, PolicyKind::Identity) {
        Ok(loaded) => loaded,
        Err(e) => {
            render::error(err, &e);
            return Exit::Error;
        }
    };
    if !loaded.errors.is_empty() {
        render::policy_errors(err, &loaded.errors, color);
        return Exit::Error;
    }
    let request = match build_request(args) {
        Ok(r) => r,
        Err(message) => {
            render::error(err, &message);
            return Exit::Error;
        }
    };
    let set: PolicySet = loaded.policies.into_iter().collect();
    let compiled = set.compile();
    let response = compiled.authorize(&request);
    let written = match args.format {
        Format::Json => write_json(out, &set, &request, &response),
        Format::Text => write_text(out, &set, &compiled, &request, &response),
    };
    if let Err(e) = written {
        render::error(err, &format!("cannot write the output: {e}"));
        return Exit::Error;
    }
    if response.decision.is_allowed() {
        Exit::Allow
    } else {
        Exit::Deny
    }
}

fn build_request(args: &CheckArgs) -> Result<Request, String> {
    let mut builder = Request::builder(args.action.clone()).resource(args.resource.clone());
    if let Some(group) = &args.resource_group {
        builder = builder.resource_group(group.clone());
    }
    if let Some(path) = &args.context_file {
        builder = add_context_file(builder, path).map_err(|e| e.to_string())?;
    }
    builder = add_context_pairs(builder, &args.context).map_err(|e| e.to_string())?;
    builder.build().map_err(|e| e.to_string())
}

fn write_json(out: &mut dyn Write, set: &PolicySet, request: &Request, response: &Response) -> std::io::Result<()> {
    let output = Output {
        decision: response.decision,
        request: RequestOut {
            action: request.action(),
            resource: request.resource(),
            resource_group: request.resource_group(),
        },
        deciding: &response.deciding,
        errors: &response.errors,
        policies: set
            .policies()
            .iter()
            .map(|p| PolicyOut {
                name: p.name(),
                file: p.origin(),
                statements: p.statements().len(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}

fn describe(s: &StatementRef) -> String {
    let sid = s.sid.as_ref().map(|sid| format!(" (Sid `{sid}`)")).unwrap_or_default();
    format!(
        "{} statement {}{sid} at {}:{}:{}",
        s.policy, s.statement, s.file, s.line, s.column
    )
}

fn write_text(
    out: &mut dyn Write,
    set: &PolicySet,
    compiled: &CompiledPolicySet,
    request: &Request,
    response: &Response,
) -> std::io::Result<()> {
    let group = request
        .resource_group()
        .map(|g| format!(" in resource group {g}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}: {} on {}{group}",
        response.decision,
        request.action(),
        request.resource()
    )?;
    match response.decision {
        Decision::Allow | Decision::ExplicitDeny => {
            let verb = if response.decision == Decision::Allow {
                "allowed"
            } else {
                "denied"
            };
            for s in &response.deciding {
                writeln!(out, "  {verb} by {}", describe(s))?;
            }
        }
        Decision::ImplicitDeny => {
            let names: Vec<&str> = set.policies().iter().map(|p| p.name()).collect();
            let policies = compiled.policy_count();
            writeln!(
                out,
                "  no statement allows it in {policies} polic{} ({} statements): {}",
                if policies == 1 { "y" } else { "ies" },
                compiled.statement_count(),
                names.join(", ")
            )?;
        }
    }
    for e in &response.errors {
        let effect = match e.statement.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        writeln!(out, "  warning: {effect} {}: {}", describe(&e.statement), e.message)?;
    }
    Ok(())
}
