//! `ram-policy test`: policy test suites (`*.test.json`), run like `cargo test`, with a JUnit
//! report for CI systems and a coverage report of the statements no case exercised.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::explain::{describe, near_miss_reasons, note};
use super::input::load_policies_in;
use super::render::printable;
use super::setup::{compile_session, report_setup_error, Setup, SetupError};
use super::{junit, render, Exit};
use crate::read::diagnostic::{Diagnostic, LineIndex, PolicyErrors, Report};
use crate::read::json::{self, CowStr, Node, Value};
use crate::read::source::decode_document;
use crate::read::source::read_document;
use crate::{Account, Decision, Detail, Layer, Policy, PolicyKind, Response};

/// Arguments of `ram-policy test`.
#[derive(Debug, Args)]
#[command(after_help = "A directory is searched recursively for *.test.json suites.\n\
    The suite format is described in the README.\n\n\
    Exit status: 0 every case passed, 1 a case failed, 2 a suite or policy could not be read.")]
pub struct TestArgs {
    /// Test suites (*.test.json) or directories holding them
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// List every statement no case exercised (by default only the count is shown)
    #[arg(long)]
    pub coverage: bool,
}

/// One case as read from a suite.
struct Case {
    name: String,
    principal: Option<String>,
    action: String,
    resource: Option<String>,
    resource_group: Option<String>,
    context: Vec<(String, String)>,
    session: Option<Vec<Policy>>,
    expect: Decision,
    layer: Option<Layer>,
    deciding: Vec<ExpectedStatement>,
}

struct ExpectedStatement {
    policy: String,
    statement: Option<usize>,
    sid: Option<String>,
}

struct Suite {
    path: PathBuf,
    setup: Setup,
    /// Every policy the suite evaluates (for coverage).
    policies: Vec<Policy>,
    cases: Vec<Case>,
}

/// How one case went.
pub(super) struct CaseResult {
    /// The case's name, as the suite gives it.
    pub(super) name: String,
    /// What differed, or `None` when the case passed (user text in it is already escaped for a
    /// terminal).
    pub(super) failure: Option<String>,
    /// How long it took.
    pub(super) seconds: f64,
}

/// How the cases of one suite went.
pub(super) struct SuiteResult {
    /// The suite's path, as found.
    pub(super) path: String,
    /// Its cases, in the suite's order.
    pub(super) cases: Vec<CaseResult>,
}

/// Runs `test`.
pub fn run(args: &TestArgs, out: &mut dyn Write, err: &mut dyn Write, color: bool) -> Exit {
    let started = Instant::now();
    let files = match find_suites(&args.paths) {
        Ok(files) => files,
        Err(message) => {
            render::error(err, &message);
            return Exit::Error;
        }
    };
    if files.is_empty() {
        render::error(err, &"no *.test.json suites found");
        return Exit::Error;
    }
    let mut broken = 0;
    let mut results = Vec::new();
    // Statements of the user's policies, and those some case exercised: (file, policy, index).
    let mut universe: BTreeMap<(String, String, usize), String> = BTreeMap::new();
    let mut exercised: BTreeSet<(String, String, usize)> = BTreeSet::new();
    for file in &files {
        let mut suite = match read_suite(file) {
            Ok(s) => s,
            Err(e) => {
                broken += 1;
                let _ = report_setup_error(err, e, color);
                continue;
            }
        };
        for policy in &suite.policies {
            if policy.origin().starts_with("<builtin>") {
                continue;
            }
            for s in policy.statements() {
                let sid = s
                    .sid
                    .as_ref()
                    .map(|sid| format!(" (Sid `{}`)", printable(sid)))
                    .unwrap_or_default();
                universe.insert(
                    (policy.origin().to_string(), policy.name().to_owned(), s.index),
                    format!(
                        "{} statement {}{sid} at {}:{}:{}",
                        printable(policy.name()),
                        s.index,
                        printable(policy.origin()),
                        s.location.line,
                        s.location.column
                    ),
                );
            }
        }
        let _ = writeln!(
            out,
            "\nrunning {} tests from {}",
            suite.cases.len(),
            printable(&suite.path.display().to_string())
        );
        let mut result = SuiteResult {
            path: suite.path.display().to_string(),
            cases: Vec::new(),
        };
        let cases = std::mem::take(&mut suite.cases);
        for case in &cases {
            let t = Instant::now();
            let failure = match run_case(&suite.setup, case) {
                Ok(response) => {
                    for step in response.explanation().map_or(&[][..], |e| e.steps()) {
                        for s in &step.deciding {
                            exercised.insert((s.file.to_string(), s.policy.to_string(), s.statement));
                        }
                    }
                    check(case, &response)
                }
                Err(message) => Some(format!("the case could not run: {}", printable(&message))),
            };
            let _ = writeln!(
                out,
                "test {} ... {}",
                printable(&case.name),
                if failure.is_some() { "FAILED" } else { "ok" }
            );
            result.cases.push(CaseResult {
                name: case.name.clone(),
                failure,
                seconds: t.elapsed().as_secs_f64(),
            });
        }
        results.push(result);
    }
    let failed: Vec<(&SuiteResult, &CaseResult)> = results
        .iter()
        .flat_map(|s| s.cases.iter().filter(|c| c.failure.is_some()).map(move |c| (s, c)))
        .collect();
    let total: usize = results.iter().map(|s| s.cases.len()).sum();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nfailures:\n");
        for (suite, case) in &failed {
            let _ = writeln!(out, "---- {} ({}) ----", printable(&case.name), printable(&suite.path));
            let _ = writeln!(out, "{}\n", case.failure.as_deref().unwrap_or_default());
        }
        let _ = writeln!(out, "failures:");
        for (_, case) in &failed {
            let _ = writeln!(out, "    {}", printable(&case.name));
        }
    }
    let passed = total - failed.len();
    let unexercised: Vec<&String> = universe
        .iter()
        .filter(|(key, _)| !exercised.contains(*key))
        .map(|(_, text)| text)
        .collect();
    let _ = writeln!(
        out,
        "\ncoverage: {} of {} statements of your policies exercised",
        universe.len() - unexercised.len(),
        universe.len()
    );
    if args.coverage {
        for text in &unexercised {
            let _ = writeln!(out, "  not exercised: {text}");
        }
    } else if !unexercised.is_empty() {
        let _ = writeln!(out, "  ({} not exercised; --coverage lists them)", unexercised.len());
    }
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, junit::report(&results, started.elapsed().as_secs_f64())) {
            render::error(err, &format!("cannot write `{}`: {e}", path.display()));
            return Exit::Error;
        }
    }
    let status = if broken > 0 {
        "FAILED (suites with errors)"
    } else if failed.is_empty() {
        "ok"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        out,
        "\ntest result: {status}. {passed} passed; {} failed; {broken} broken suites; finished in {:.2}s",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(out, "{passed} passed, {} failed", failed.len());
    if broken > 0 {
        Exit::Error
    } else if failed.is_empty() {
        Exit::Allow
    } else {
        Exit::Deny
    }
}

/// The suites the command line names, each once, in the order of the arguments (a directory's
/// suites sorted by path). A directory is searched recursively, each real directory once however
/// many links lead to it (a link to `.` would otherwise loop for ever), and a suite reached twice
/// (named twice, named and inside a named directory, or through links) runs once: under the path
/// of the first argument that reached it and, in a directory, the path through the fewest links.
fn find_suites(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut seen_dirs = BTreeSet::new();
    let mut seen_files = BTreeSet::new();
    let mut files = Vec::new();
    for path in paths {
        let mut found = if path.is_dir() {
            walk(path, &mut seen_dirs)?
        } else if path.is_file() {
            vec![(false, path.clone())]
        } else {
            return Err(format!("`{}`: no such file or directory", path.display()));
        };
        // Of two paths to one suite, the one through fewer links wins.
        found.sort();
        let mut new: Vec<PathBuf> = found
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| seen_files.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())))
            .collect();
        new.sort();
        files.extend(new);
    }
    Ok(files)
}

/// The `*.test.json` files under `root`, each with whether a link led to it. Real directories
/// are read first and the ones reached through links last, so that a suite's path names as few
/// links as possible; a directory already in `seen` (by its canonical path) is not read again.
fn walk(root: &Path, seen: &mut BTreeSet<PathBuf>) -> Result<Vec<(bool, PathBuf)>, String> {
    let mut found = Vec::new();
    let mut real = vec![root.to_path_buf()];
    let mut linked = BTreeSet::new();
    // INVARIANT: once `real` is empty every directory left was reached through a link.
    let mut through_link = false;
    loop {
        let dir = match real.pop() {
            Some(dir) => dir,
            None => match linked.pop_first() {
                Some(dir) => {
                    through_link = true;
                    dir
                }
                None => break,
            },
        };
        let cannot_read = |e: std::io::Error| format!("cannot read `{}`: {e}", dir.display());
        if !seen.insert(std::fs::canonicalize(&dir).map_err(cannot_read)?) {
            continue;
        }
        for entry in std::fs::read_dir(&dir).map_err(cannot_read)?.filter_map(Result::ok) {
            let p = entry.path();
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if p.is_dir() {
                if link {
                    linked.insert(p);
                } else {
                    real.push(p);
                }
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".test.json"))
            {
                found.push((through_link || link, p));
            }
        }
    }
    Ok(found)
}

fn run_case(setup: &Setup, case: &Case) -> Result<Response, String> {
    let session = case.session.clone().map(compile_session).transpose()?;
    let mut builder = setup.request(case.action.clone(), case.principal.as_deref(), session)?;
    if let Some(r) = &case.resource {
        builder = builder.resource(r.clone());
    }
    if let Some(g) = &case.resource_group {
        builder = builder.resource_group(g.clone());
    }
    for (k, v) in &case.context {
        builder = builder.context(k.clone(), v.clone());
    }
    let request = builder.build().map_err(|e| e.to_string())?;
    Ok(setup.store().authorize(&request, Detail::Explanation))
}

/// What is wrong with an evaluation for a case, or `None` when it passes.
fn check(case: &Case, response: &Response) -> Option<String> {
    let mut problems = Vec::new();
    if response.decision() != case.expect {
        problems.push(format!(
            "expected {}, got {} at {}",
            case.expect,
            response.decision(),
            response.layer()
        ));
    }
    if let Some(layer) = case.layer {
        if response.layer() != layer {
            problems.push(format!(
                "expected the decision at {layer}, got it at {}",
                response.layer()
            ));
        }
    }
    for want in &case.deciding {
        let found = response.deciding().iter().any(|s| {
            *s.policy == *want.policy
                && want.statement.is_none_or(|i| i == s.statement)
                && want
                    .sid
                    .as_ref()
                    .is_none_or(|sid| s.sid.as_deref() == Some(sid.as_str()))
        });
        if !found {
            let policy = printable(&want.policy);
            let what = match (&want.statement, &want.sid) {
                (Some(i), _) => format!("{policy} statement {i}"),
                (None, Some(sid)) => format!("{policy} Sid `{}`", printable(sid)),
                (None, None) => policy.into_owned(),
            };
            problems.push(format!("expected {what} among the deciding statements"));
        }
    }
    if problems.is_empty() {
        return None;
    }
    let mut text = problems.join("\n");
    if response.deciding().is_empty() {
        text.push_str("\n  deciding statements: none");
    } else {
        for s in response.deciding() {
            let _ = write!(text, "\n  deciding: {}", printable(&describe(s)));
        }
    }
    let explanation = response.explanation();
    // Only the closest two: a failure report stays short.
    let near = explanation.map_or(&[][..], |e| e.near_misses());
    for m in near.iter().take(2) {
        let _ = write!(text, "\n  closest Allow: {}", printable(&describe(&m.statement)));
        for reason in near_miss_reasons(m, case.resource.as_deref().unwrap_or("*")) {
            let _ = write!(text, "\n    - {}", printable(&reason));
        }
    }
    for n in explanation.map_or(&[][..], |e| e.notes()) {
        let _ = write!(text, "\n  note: {}", printable(&note(n)));
    }
    Some(text)
}

/// Reads a suite file: its own mistakes are reported with file, line and column.
fn read_suite(path: &Path) -> Result<Suite, SetupError> {
    let origin = path.display().to_string();
    let bytes = read_document(path).map_err(|reason| SetupError::Usage(format!("cannot read `{origin}`: {reason}")))?;
    let text = decode_document(&bytes).map_err(|reason| SetupError::Usage(format!("`{origin}` is {reason}")))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut reader = SuiteReader {
        index: LineIndex::new(text),
        errors: Vec::new(),
        documents: Vec::new(),
        base,
        origin: origin.clone(),
    };
    let parsed = json::parse(text);
    for p in &parsed.problems {
        reader.error(p.span, p.message.clone());
    }
    let suite = parsed.root.as_ref().and_then(|root| reader.suite(root, path));
    let mut documents = reader.documents;
    if !reader.errors.is_empty() {
        documents.insert(
            0,
            PolicyErrors {
                origin: origin.as_str().into(),
                text: text.into(),
                errors: reader.errors,
            },
        );
    }
    match suite {
        Some(suite) if documents.is_empty() => Ok(suite),
        _ => Err(SetupError::Policies(documents)),
    }
}

struct SuiteReader<'a> {
    index: LineIndex<'a>,
    errors: Vec<Diagnostic>,
    documents: Vec<PolicyErrors>,
    base: PathBuf,
    origin: String,
}

const SUITE_KEYS: &[&str] = &[
    "description",
    "account",
    "policies",
    "control_policies",
    "session_policy",
    "context",
    "cases",
];
const CASE_KEYS: &[&str] = &[
    "name",
    "principal",
    "action",
    "resource",
    "resource_group",
    "context",
    "session_policy",
    "expect",
    "layer",
    "deciding",
    "source",
    "note",
];

impl Report for SuiteReader<'_> {
    fn line_index(&self) -> &LineIndex<'_> {
        &self.index
    }

    fn errors_mut(&mut self) -> &mut Vec<Diagnostic> {
        &mut self.errors
    }
}

impl SuiteReader<'_> {
    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::String(s) => Some(s.to_string()),
            other => {
                self.error(node.span, format!("{what} must be a string, not {}", other.type_name()));
                None
            }
        }
    }

    fn unknown(&mut self, key: &json::Key, allowed: &[&str], place: &str) {
        let hint = crate::read::suggest::suggest(&key.text, allowed.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        self.error(key.span, format!("unknown key `{}` in {place}{hint}", key.text));
    }

    /// Policies given as paths (relative to the suite), built-in names or inline documents.
    fn policies(&mut self, node: &Node, kind: PolicyKind, what: &str) -> Vec<Policy> {
        let items: Vec<&Node> = match &node.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match &item.value {
                Value::String(reference) => match load_policies_in(&self.base, &[reference.to_string()], kind) {
                    Ok(loaded) => {
                        self.documents.extend(loaded.errors);
                        out.extend(loaded.policies);
                    }
                    Err(e) => self.error(item.span, e.to_string()),
                },
                Value::Object(_) => {
                    let source: std::sync::Arc<str> = self.index_text().into();
                    let name = format!("{what}[{i}]");
                    match Policy::from_node(
                        &name,
                        self.origin.as_str().into(),
                        kind,
                        &self.index,
                        item,
                        &source,
                        Vec::new(),
                    ) {
                        Ok(p) => out.push(p),
                        Err(e) => self.errors.extend(e.errors),
                    }
                }
                other => self.error(
                    item.span,
                    format!(
                        "a policy must be a path, a built-in name or a document, not {}",
                        other.type_name()
                    ),
                ),
            }
        }
        out
    }

    fn index_text(&self) -> &str {
        self.index.text()
    }

    fn context(&mut self, node: &Node, into: &mut Vec<(String, String)>) {
        match json::context_pairs(node) {
            Ok(pairs) => {
                // A case's key replaces the suite's default for that key (keys are
                // case-insensitive).
                into.retain(|(k, _)| !pairs.iter().any(|(p, _)| p.eq_ignore_ascii_case(k)));
                into.extend(pairs);
            }
            Err((span, message)) => self.error(span, message),
        }
    }

    fn suite(&mut self, root: &Node, path: &Path) -> Option<Suite> {
        let Value::Object(entries) = &root.value else {
            self.error(root.span, "a test suite must be a JSON object");
            return None;
        };
        let mut account = None;
        let mut adhoc = None;
        let mut control: Vec<Vec<Policy>> = Vec::new();
        let mut session = None;
        let mut defaults = Vec::new();
        let mut case_nodes = None;
        for (key, value) in entries {
            match key.text.as_str() {
                "description" => {
                    let _ = self.string(value, "`description`");
                }
                "account" => {
                    if let Some(file) = self.string(value, "`account`") {
                        match Account::from_file(&self.base.join(&file)) {
                            Ok(a) => account = Some(a),
                            Err(e) => self.documents.extend(e.documents),
                        }
                    }
                }
                "policies" => adhoc = Some(self.policies(value, PolicyKind::Identity, "policies")),
                "control_policies" => match &value.value {
                    Value::Array(levels) => {
                        for (i, level) in levels.iter().enumerate() {
                            let label = format!("control_policies[{i}]");
                            control.push(self.policies(level, PolicyKind::Control, &label));
                        }
                    }
                    _ => self.error(value.span, "`control_policies` must be an array of levels"),
                },
                "session_policy" => session = Some(self.policies(value, PolicyKind::Session, "session_policy")),
                "context" => self.context(value, &mut defaults),
                "cases" => case_nodes = Some(value),
                _ => self.unknown(key, SUITE_KEYS, "a test suite"),
            }
        }
        if account.is_some() && adhoc.is_some() {
            self.error(root.span, "a suite has `account` or `policies`, not both");
        }
        if account.is_none() && adhoc.is_none() && self.documents.is_empty() {
            self.error(root.span, "a suite needs `account` or `policies`");
        }
        let mut cases = Vec::new();
        match case_nodes.map(|n| &n.value) {
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut names = BTreeSet::new();
                for item in items {
                    if let Some(case) = self.case(item, &defaults, account.is_some()) {
                        if !names.insert(case.name.clone()) {
                            self.error(item.span, format!("duplicate case name `{}`", case.name));
                        }
                        cases.push(case);
                    }
                }
            }
            _ => self.error(root.span, "a suite needs a non-empty `cases` array"),
        }
        if !self.errors.is_empty() || !self.documents.is_empty() {
            return None;
        }
        let mut policies: Vec<Policy> = Vec::new();
        if let Some(a) = &account {
            policies.extend(a.all_policies().into_iter().cloned());
        }
        policies.extend(adhoc.iter().flatten().cloned());
        policies.extend(session.iter().flatten().cloned());
        policies.extend(control.iter().flatten().cloned());
        policies.extend(cases.iter().flat_map(|c| c.session.iter().flatten().cloned()));
        let setup = match Setup::new(account, adhoc, session, control) {
            Ok(setup) => setup,
            Err(message) => {
                self.error(root.span, message);
                return None;
            }
        };
        Some(Suite {
            path: path.to_path_buf(),
            setup,
            policies,
            cases,
        })
    }

    fn case(&mut self, node: &Node, defaults: &[(String, String)], has_account: bool) -> Option<Case> {
        let Value::Object(entries) = &node.value else {
            self.error(node.span, "a case must be an object");
            return None;
        };
        let before = self.errors.len();
        let (mut name, mut principal, mut action, mut resource, mut group) = (None, None, None, None, None);
        let mut context = defaults.to_vec();
        let mut session = None;
        let mut expect = None;
        let mut layer = None;
        let mut deciding = Vec::new();
        for (key, value) in entries {
            match key.text.as_str() {
                "name" => name = self.string(value, "`name`"),
                "principal" => principal = self.string(value, "`principal`"),
                "action" => action = self.string(value, "`action`"),
                "resource" => resource = self.string(value, "`resource`"),
                "resource_group" => group = self.string(value, "`resource_group`"),
                "context" => self.context(value, &mut context),
                "session_policy" => session = Some(self.policies(value, PolicyKind::Session, "session_policy")),
                "expect" => {
                    expect = match self.string(value, "`expect`").as_deref() {
                        Some("Allow") => Some(Decision::Allow),
                        Some("ExplicitDeny") => Some(Decision::ExplicitDeny),
                        Some("ImplicitDeny") => Some(Decision::ImplicitDeny),
                        Some(other) => {
                            self.error(
                                value.span,
                                format!("`expect` is Allow, ExplicitDeny or ImplicitDeny, not `{other}`"),
                            );
                            None
                        }
                        None => None,
                    }
                }
                "layer" => {
                    let text = self.string(value, "`layer`");
                    layer = text.as_deref().and_then(Layer::from_name);
                    if layer.is_none() {
                        if let Some(t) = text {
                            self.error(value.span, format!("unknown layer `{t}`"));
                        }
                    }
                }
                "deciding" => deciding = self.deciding(value),
                "source" | "note" => {}
                _ => self.unknown(key, CASE_KEYS, "a case"),
            }
        }
        if name.is_none() {
            self.error(node.span, "a case needs a `name`");
        }
        if action.is_none() {
            self.error(node.span, "a case needs an `action`");
        }
        if expect.is_none() && !entries.iter().any(|(k, _)| k.text == "expect") {
            self.error(node.span, "a case needs `expect`: Allow, ExplicitDeny or ImplicitDeny");
        }
        if has_account && principal.is_none() {
            self.error(node.span, "a case of a suite with an `account` needs a `principal`");
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Case {
            name: name?,
            principal,
            action: action?,
            resource,
            resource_group: group,
            context,
            session,
            expect: expect?,
            layer,
            deciding,
        })
    }

    fn deciding(&mut self, node: &Node) -> Vec<ExpectedStatement> {
        let Value::Array(items) = &node.value else {
            self.error(
                node.span,
                "`deciding` must be an array of {\"policy\", \"statement\" or \"sid\"}",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Value::Object(entries) = &item.value else {
                self.error(item.span, "a deciding statement is {\"policy\": NAME, \"statement\": INDEX} or {\"policy\": NAME, \"sid\": SID}");
                continue;
            };
            let mut expected = ExpectedStatement {
                policy: String::new(),
                statement: None,
                sid: None,
            };
            for (key, value) in entries {
                match key.text.as_str() {
                    "policy" => expected.policy = self.string(value, "`policy`").unwrap_or_default(),
                    "sid" => expected.sid = self.string(value, "`sid`"),
                    "statement" => match &value.value {
                        Value::Number(n) => match n.parse() {
                            Ok(i) => expected.statement = Some(i),
                            Err(_) => self.error(value.span, "`statement` must be a 0-based index"),
                        },
                        _ => self.error(value.span, "`statement` must be a 0-based index"),
                    },
                    _ => self.unknown(key, &["policy", "statement", "sid"], "a deciding statement"),
                }
            }
            if expected.policy.is_empty() {
                self.error(item.span, "a deciding statement needs its `policy`");
            }
            out.push(expected);
        }
        out
    }
}
