//! Runs the decision corpus in `tests/corpus/` (format: `tests/corpus/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

use ram_policy::{Decision, Detail, Policy, PolicySet, Request};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    policies: BTreeMap<String, Box<RawValue>>,
    #[serde(default)]
    cases: Vec<Case>,
    #[serde(default)]
    policy_errors: Vec<PolicyErrorCase>,
    #[serde(default)]
    request_errors: Vec<RequestErrorCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    action: String,
    resource: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Box<RawValue>>,
    policies: Option<Vec<String>>,
    decision: String,
    deciding: Option<Vec<Deciding>>,
    condition_error: Option<bool>,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct Deciding {
    policy: String,
    statement: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyErrorCase {
    name: String,
    document: String,
    errors: Vec<ExpectedError>,
    #[allow(dead_code)]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    line: Option<u32>,
    column: Option<u32>,
    contains: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestErrorCase {
    name: String,
    action: String,
    resource: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Box<RawValue>>,
    contains: String,
    #[allow(dead_code)]
    source: Option<String>,
}

/// The text values of one context entry: a string, a boolean or number (as its text), or an
/// array of them. Numbers keep their exact text.
fn context_values(raw: &RawValue) -> Result<Vec<String>, String> {
    let text = raw.get().trim();
    if text.starts_with('[') {
        let items: Vec<Box<RawValue>> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for item in items {
            out.extend(context_values(&item)?);
        }
        Ok(out)
    } else if text.starts_with('"') {
        Ok(vec![serde_json::from_str::<String>(text).map_err(|e| e.to_string())?])
    } else if text == "true"
        || text == "false"
        || text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    {
        Ok(vec![text.to_owned()])
    } else {
        Err(format!("unsupported context value {text}"))
    }
}

fn build_request(
    action: &str,
    resource: Option<&str>,
    context: &BTreeMap<String, Box<RawValue>>,
) -> Result<Result<Request, ram_policy::RequestError>, String> {
    let mut builder = Request::builder(action);
    if let Some(resource) = resource {
        builder = builder.resource(resource);
    }
    for (key, raw) in context {
        for value in context_values(raw)? {
            builder = builder.context(key.clone(), value);
        }
    }
    Ok(builder.build())
}

fn policy_text(raw: &RawValue) -> String {
    let text = raw.get();
    if text.trim_start().starts_with('"') {
        serde_json::from_str(text).expect("a raw policy is a JSON string")
    } else {
        text.to_owned()
    }
}

fn run_file(path: &Path, failures: &mut Vec<String>) -> usize {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let corpus: CorpusFile = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            failures.push(format!("{file}: not a corpus file: {e}"));
            return 0;
        }
    };
    let mut fail = |name: &str, msg: String| failures.push(format!("{file} / {name}: {msg}"));
    let mut policies = BTreeMap::new();
    for (name, raw) in &corpus.policies {
        match Policy::parse(name, &policy_text(raw)) {
            Ok(p) => {
                policies.insert(name.clone(), p);
            }
            Err(e) => fail(name, format!("policy does not parse:\n{e}")),
        }
    }
    let mut count = 0;
    for case in &corpus.cases {
        count += 1;
        let names: Vec<String> = case
            .policies
            .clone()
            .unwrap_or_else(|| corpus.policies.keys().cloned().collect());
        let mut set = PolicySet::new();
        for name in &names {
            match policies.get(name) {
                Some(p) => set.add(p.clone()).unwrap(),
                None => fail(&case.name, format!("unknown or invalid policy `{name}`")),
            }
        }
        let request = match build_request(&case.action, case.resource.as_deref(), &case.context) {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                fail(&case.name, format!("request refused: {e}"));
                continue;
            }
            Err(e) => {
                fail(&case.name, e);
                continue;
            }
        };
        let store = set.compile();
        let response = store.authorize(&request, Detail::Deciding);
        let fast = store.authorize(&request, Detail::Decision);
        if (fast.decision(), fast.layer()) != (response.decision(), response.layer()) {
            fail(&case.name, format!("the fast path decides {}", fast.decision()));
        }
        let expected = match case.decision.as_str() {
            "Allow" => Decision::Allow,
            "ExplicitDeny" => Decision::ExplicitDeny,
            "ImplicitDeny" => Decision::ImplicitDeny,
            other => {
                fail(&case.name, format!("unknown decision `{other}`"));
                continue;
            }
        };
        if response.decision() != expected {
            fail(
                &case.name,
                format!("expected {expected}, got {} ({:?})", response.decision(), response),
            );
            continue;
        }
        if let Some(deciding) = &case.deciding {
            let mut want = deciding.clone();
            want.sort();
            let mut got: Vec<Deciding> = response
                .deciding()
                .iter()
                .map(|s| Deciding {
                    policy: s.policy.to_string(),
                    statement: s.statement,
                })
                .collect();
            got.sort();
            if got != want {
                fail(
                    &case.name,
                    format!("deciding statements: expected {want:?}, got {got:?}"),
                );
            }
        }
        if let Some(want) = case.condition_error {
            if want == response.errors().is_empty() {
                fail(
                    &case.name,
                    format!("condition_error: expected {want}, got {:?}", response.errors()),
                );
            }
        }
    }
    for case in &corpus.policy_errors {
        count += 1;
        let errors = match Policy::parse(&case.name, &case.document) {
            Ok(_) => {
                fail(&case.name, "document was accepted".into());
                continue;
            }
            Err(e) => e.errors,
        };
        if errors.len() != case.errors.len() {
            let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
            fail(
                &case.name,
                format!(
                    "expected {} errors, got {}:\n  {}",
                    case.errors.len(),
                    errors.len(),
                    got.join("\n  ")
                ),
            );
            continue;
        }
        for (want, got) in case.errors.iter().zip(&errors) {
            let full = format!("{} {}", got.message, got.help.clone().unwrap_or_default());
            if want.line.is_some_and(|l| l != got.location.line)
                || want.column.is_some_and(|c| c != got.location.column)
            {
                fail(
                    &case.name,
                    format!(
                        "error at {}:{}, expected {:?}:{:?}: {full}",
                        got.location.line, got.location.column, want.line, want.column
                    ),
                );
            }
            if let Some(needle) = &want.contains {
                if !full.contains(needle.as_str()) {
                    fail(&case.name, format!("error `{full}` does not contain `{needle}`"));
                }
            }
        }
    }
    for case in &corpus.request_errors {
        count += 1;
        match build_request(&case.action, case.resource.as_deref(), &case.context) {
            Ok(Ok(_)) => fail(&case.name, "request was accepted".into()),
            Ok(Err(e)) if !e.to_string().contains(case.contains.as_str()) => {
                fail(&case.name, format!("error `{e}` does not contain `{}`", case.contains))
            }
            Ok(Err(_)) => {}
            Err(e) => fail(&case.name, e),
        }
    }
    count
}

#[test]
fn decision_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    let mut total = 0;
    for path in &paths {
        let n = run_file(path, &mut failures);
        println!("{:>5} cases  {}", n, path.file_name().unwrap().to_string_lossy());
        total += n;
    }
    println!("{total} cases in {} files", paths.len());
    assert!(
        failures.is_empty(),
        "{} corpus failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 300, "the corpus has only {total} cases");
}
