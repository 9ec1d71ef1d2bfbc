//! Metamorphic properties of basic evaluation (SPEC §2, §3, §5), over the random policies and
//! requests of `support/generate.rs`:
//!
//! 1. adding a `Deny` statement never turns a non-Allow decision into Allow;
//! 2. adding an `Allow` statement never turns Allow into a deny;
//! 3. removing a `Deny` statement never turns Allow into a deny;
//! 4. the order of policies, statements, array entries, condition operators, keys and values,
//!    and duplicated statements, never change the decision or the deciding statements;
//! 5. `NotAction`/`NotResource` are the exact complements of `Action`/`Resource`;
//! 6. a request value that cannot be read for its operator never lets a `Deny` be skipped.
//!
//! Properties 1–3 also check the exact law behind them (SPEC §5): basic evaluation of a union is
//! the combination of the parts' decisions, deciding statements and condition errors. That the
//! compiled set agrees with the reference evaluator, and that `decide` agrees with `authorize`,
//! is `reference.rs`; every evaluation here checks `decide` against `authorize` again.
//! `properties_meet_their_cases` keeps the generators producing cases where each property has
//! something to say.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/generate.rs"]
mod generate;

use generate::*;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use ram_policy::{Decision, Policy, PolicySet};

// ---------------------------------------------------------------------------------------------
// Policies whose statements keep an identity through edits
// ---------------------------------------------------------------------------------------------

/// A generated statement and the id it keeps when it is moved or copied.
#[derive(Debug, Clone)]
struct Tagged {
    id: usize,
    statement: GenStatement,
}

/// A named policy document.
#[derive(Debug, Clone)]
struct Doc {
    name: String,
    statements: Vec<Tagged>,
}

/// Names the policies `p0`, `p1`, … and numbers their statements from `first_id` on.
fn tag(policies: &[Vec<GenStatement>], first_id: usize) -> Vec<Doc> {
    let mut ids = first_id..;
    policies
        .iter()
        .enumerate()
        .map(|(i, statements)| Doc {
            name: format!("p{i}"),
            statements: statements
                .iter()
                .zip(&mut ids)
                .map(|(s, id)| Tagged {
                    id,
                    statement: s.clone(),
                })
                .collect(),
        })
        .collect()
}

fn single(name: &str, id: usize, statement: &GenStatement) -> Vec<Doc> {
    vec![Doc {
        name: name.to_owned(),
        statements: vec![Tagged {
            id,
            statement: statement.clone(),
        }],
    }]
}

fn text(doc: &Doc) -> String {
    let statements: Vec<GenStatement> = doc.statements.iter().map(|t| t.statement.clone()).collect();
    render_policy(&statements)
}

/// The policies and the request, for a failure message.
fn show(docs: &[Doc], request: &GenRequest) -> String {
    let mut out = String::new();
    for doc in docs {
        out.push_str(&format!("  {}: {}\n", doc.name, text(doc)));
    }
    out.push_str(&format!("  request: {request:?}\n"));
    out
}

/// A condition error as compared here: statement id, operator, key.
type ErrorId = (usize, String, String);

/// What basic evaluation said, by statement id: the decision, the deciding statements and the
/// condition errors, each sorted (a statement there twice stays twice).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    decision: Decision,
    deciding: Vec<usize>,
    errors: Vec<ErrorId>,
}

/// Evaluates the documents on the request, checking that `decide` agrees with `authorize`.
fn run(docs: &[Doc], request: &GenRequest) -> Result<Seen, TestCaseError> {
    let policies: Vec<Policy> = docs
        .iter()
        .map(|doc| {
            let text = text(doc);
            Policy::parse(&doc.name, &text)
                .unwrap_or_else(|e| panic!("the generator wrote an invalid policy:\n{text}\n{e}"))
        })
        .collect();
    let compiled = policies
        .into_iter()
        .collect::<Result<PolicySet, _>>()
        .unwrap()
        .compile();
    let built = build(request);
    let response = compiled.authorize(&built);
    prop_assert_eq!(
        compiled.decide(&built),
        response.decision,
        "decide and authorize differ on\n{}",
        show(docs, request)
    );
    let id = |policy: &str, statement: usize| docs.iter().find(|d| d.name == policy).unwrap().statements[statement].id;
    Ok(Seen {
        decision: response.decision,
        deciding: sorted(response.deciding.iter().map(|s| id(&s.policy, s.statement)).collect()),
        errors: sorted(
            response
                .errors
                .iter()
                .map(|e| {
                    (
                        id(&e.statement.policy, e.statement.statement),
                        e.operator.clone(),
                        e.key.to_string(),
                    )
                })
                .collect(),
        ),
    })
}

/// SPEC §5 over a union of statement sets, from each part's result: any explicit deny wins (its
/// denying statements decide), else any Allow (its allowing statements decide), else an implicit
/// deny. Every statement is looked at, so the condition errors add up.
fn combine(parts: &[&Seen]) -> Seen {
    let decision = if parts.iter().any(|p| p.decision == Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if parts.iter().any(|p| p.decision == Decision::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    Seen {
        decision,
        deciding: sorted(
            parts
                .iter()
                .filter(|p| p.decision == decision)
                .flat_map(|p| p.deciding.iter().copied())
                .collect(),
        ),
        errors: sorted(parts.iter().flat_map(|p| p.errors.iter().cloned()).collect()),
    }
}

/// Makes a statement's action and resource those of the request, so that whether it applies
/// is up to its conditions.
fn aim(statement: &mut GenStatement, request: &GenRequest) {
    statement.not_action = false;
    statement.actions = vec![request.action.clone()];
    statement.actions_as_array = false;
    statement.not_resource = false;
    statement.resources = vec![request.resource.clone()];
    statement.resources_as_array = false;
}

/// Policies plus one more statement (half of the time aimed at the request), and a request
/// whose keys favour all their conditions.
fn with_extra(allow: bool) -> impl Strategy<Value = (Vec<Vec<GenStatement>>, GenStatement, GenRequest, Index, Index)> {
    (prop::collection::vec(policy_statements(), 1..=3), statement())
        .prop_flat_map(move |(policies, mut extra)| {
            extra.allow = allow;
            let mut all = policies.clone();
            all.push(vec![extra.clone()]);
            let hot = hot_keys(&all);
            (
                Just(policies),
                Just(extra),
                request(hot),
                any::<Index>(),
                any::<Index>(),
                any::<bool>(),
            )
        })
        .prop_map(|(policies, mut extra, request, which, at, aimed)| {
            if aimed {
                aim(&mut extra, &request);
            }
            (policies, extra, request, which, at)
        })
}

/// Whether a property's case exercised what the property is about (for the coverage test).
type Interesting = bool;

// ---------------------------------------------------------------------------------------------
// 1–3: adding and removing statements
// ---------------------------------------------------------------------------------------------

/// Adds `extra` to the policies: as a new policy, or into an existing one at some position.
fn check_adding(
    (policies, extra, request, which, at): (Vec<Vec<GenStatement>>, GenStatement, GenRequest, Index, Index),
) -> Result<Interesting, TestCaseError> {
    let before_docs = tag(&policies, 0);
    let new_id = 1000;
    let mut after_docs = before_docs.clone();
    let target = which.index(after_docs.len() + 1);
    let tagged = Tagged {
        id: new_id,
        statement: extra.clone(),
    };
    let place = if target == after_docs.len() {
        after_docs.push(Doc {
            name: "added".into(),
            statements: vec![tagged],
        });
        "as a new policy `added`".to_owned()
    } else {
        let doc = &mut after_docs[target];
        let position = at.index(doc.statements.len() + 1);
        doc.statements.insert(position, tagged);
        format!("as statement {position} of {}", doc.name)
    };
    let before = run(&before_docs, &request)?;
    let after = run(&after_docs, &request)?;
    let alone = run(&single("alone", new_id, &extra), &request)?;
    let effect = if extra.allow { "an Allow" } else { "a Deny" };
    let story = || {
        format!(
            "adding {effect} statement {place} turned {:?} into {:?}\nbefore:\n{}after:\n{}",
            before.decision,
            after.decision,
            show(&before_docs, &request),
            show(&after_docs, &request)
        )
    };
    if extra.allow {
        prop_assert!(
            before.decision != Decision::Allow || after.decision == Decision::Allow,
            "{}",
            story()
        );
        prop_assert!(
            after.decision == before.decision || after.decision == Decision::Allow,
            "{}",
            story()
        );
    } else {
        prop_assert!(
            before.decision == Decision::Allow || after.decision != Decision::Allow,
            "{}",
            story()
        );
        prop_assert!(
            after.decision == before.decision || after.decision == Decision::ExplicitDeny,
            "{}",
            story()
        );
    }
    let expected = combine(&[&before, &alone]);
    prop_assert_eq!(
        &after,
        &expected,
        "the union is not the combination of its parts (statement ids: added {})\n{}",
        new_id,
        story()
    );
    Ok(alone.decision != Decision::ImplicitDeny)
}

/// Random policies and a request, a choice of `Deny` statement, and whether to aim it at the
/// request.
fn removal_case() -> impl Strategy<Value = ((Vec<Vec<GenStatement>>, GenRequest), Index, bool)> {
    (case(), any::<Index>(), any::<bool>())
}

/// Removes one `Deny` statement (making one a Deny first when there is none, and half of the
/// time aiming it at the request first); a policy left without statements is dropped.
fn check_removing_deny(
    ((policies, request), which, aimed): ((Vec<Vec<GenStatement>>, GenRequest), Index, bool),
) -> Result<Interesting, TestCaseError> {
    let mut before_docs = tag(&policies, 0);
    let positions = |docs: &[Doc]| -> Vec<(usize, usize)> {
        docs.iter()
            .enumerate()
            .flat_map(|(d, doc)| {
                doc.statements
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| !t.statement.allow)
                    .map(move |(s, _)| (d, s))
            })
            .collect()
    };
    let mut denies = positions(&before_docs);
    if denies.is_empty() {
        let all: Vec<(usize, usize)> = before_docs
            .iter()
            .enumerate()
            .flat_map(|(d, doc)| (0..doc.statements.len()).map(move |s| (d, s)))
            .collect();
        let (d, s) = *which.get(&all);
        before_docs[d].statements[s].statement.allow = false;
        denies = positions(&before_docs);
    }
    let (d, s) = *which.get(&denies);
    if aimed {
        aim(&mut before_docs[d].statements[s].statement, &request);
    }
    let mut after_docs = before_docs.clone();
    let removed = after_docs[d].statements.remove(s);
    if after_docs[d].statements.is_empty() {
        after_docs.remove(d);
    }
    let before = run(&before_docs, &request)?;
    let after = run(&after_docs, &request)?;
    let alone = run(&single("alone", removed.id, &removed.statement), &request)?;
    let story = || {
        format!(
            "removing Deny statement {s} of {} turned {:?} into {:?}\nbefore:\n{}after:\n{}",
            before_docs[d].name,
            before.decision,
            after.decision,
            show(&before_docs, &request),
            show(&after_docs, &request)
        )
    };
    prop_assert!(
        before.decision != Decision::Allow || after.decision == Decision::Allow,
        "{}",
        story()
    );
    prop_assert!(
        before.decision == Decision::ExplicitDeny || after.decision == before.decision,
        "{}",
        story()
    );
    let expected = combine(&[&after, &alone]);
    prop_assert_eq!(
        &before,
        &expected,
        "the union is not the combination of its parts (statement ids: removed {})\n{}",
        removed.id,
        story()
    );
    Ok(alone.decision != Decision::ImplicitDeny)
}

// ---------------------------------------------------------------------------------------------
// 4: order and duplicates
// ---------------------------------------------------------------------------------------------

/// A small deterministic generator (SplitMix64) for the many shuffles of one case.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// What one case of property 4 changes.
#[derive(Debug, Clone, Copy)]
struct Reorder {
    seed: u64,
    /// Reorder condition operators and keys (which may change which undecidable conditions are
    /// reached, so condition errors are then not compared).
    conditions: bool,
    /// Copy one statement somewhere.
    duplicate: bool,
}

/// Reorders everything whose order SPEC says does not matter, and writes single-element lists
/// and single values either as a string or as an array, and bare JSON numbers and booleans as
/// strings. Returns a description of the duplicate, if any.
fn reorder(docs: &mut Vec<Doc>, request: &mut GenRequest, how: Reorder) -> Option<(usize, String)> {
    let mut mix = Mix(how.seed);
    mix.shuffle(docs);
    for doc in docs.iter_mut() {
        mix.shuffle(&mut doc.statements);
        for t in &mut doc.statements {
            let s = &mut t.statement;
            mix.shuffle(&mut s.actions);
            mix.shuffle(&mut s.resources);
            mix.shuffle(&mut s.order);
            s.actions_as_array = s.actions.len() > 1 || mix.coin();
            s.resources_as_array = s.resources.len() > 1 || mix.coin();
            if how.conditions {
                mix.shuffle(&mut s.conditions);
            }
            for (_, keys) in &mut s.conditions {
                if how.conditions {
                    mix.shuffle(keys);
                }
                for c in keys.iter_mut() {
                    mix.shuffle(&mut c.values);
                    c.as_array = c.values.len() > 1 || mix.coin();
                    for v in &mut c.values {
                        v.bare = v.bare && mix.coin();
                    }
                }
            }
        }
    }
    mix.shuffle(&mut request.context);
    if !how.duplicate {
        return None;
    }
    let from = mix.below(docs.len());
    let copy = docs[from].statements[mix.below(docs[from].statements.len())].clone();
    let to = mix.below(docs.len() + 1);
    let id = copy.id;
    if to == docs.len() {
        docs.push(Doc {
            name: "copy".into(),
            statements: vec![copy],
        });
        Some((id, "as a new policy `copy`".into()))
    } else {
        let position = mix.below(docs[to].statements.len() + 1);
        docs[to].statements.insert(position, copy);
        Some((id, format!("as statement {position} of {}", docs[to].name)))
    }
}

fn check_reordering(
    ((policies, request), how): ((Vec<Vec<GenStatement>>, GenRequest), Reorder),
) -> Result<Interesting, TestCaseError> {
    let before_docs = tag(&policies, 0);
    let mut after_docs = before_docs.clone();
    let mut after_request = request.clone();
    let duplicate = reorder(&mut after_docs, &mut after_request, how);
    let before = run(&before_docs, &request)?;
    let after = run(&after_docs, &after_request)?;
    let copied = match &duplicate {
        Some((id, place)) => format!(", and statement id {id} copied {place}"),
        None => String::new(),
    };
    let story = || {
        format!(
            "reordered{copied}{}: {:?} became {:?}\nbefore:\n{}after:\n{}",
            if how.conditions { " (with conditions)" } else { "" },
            before,
            after,
            show(&before_docs, &request),
            show(&after_docs, &after_request)
        )
    };
    prop_assert_eq!(after.decision, before.decision, "{}", story());
    let mut deciding = before.deciding.clone();
    let mut errors = before.errors.clone();
    if let Some((id, _)) = duplicate {
        if before.deciding.contains(&id) {
            deciding.push(id);
        }
        errors.extend(before.errors.iter().filter(|e| e.0 == id).cloned());
    }
    prop_assert_eq!(
        &after.deciding,
        &sorted(deciding),
        "deciding statements differ: {}",
        story()
    );
    if !how.conditions {
        prop_assert_eq!(&after.errors, &sorted(errors), "condition errors differ: {}", story());
    }
    Ok(duplicate.is_some())
}

fn reorder_case() -> impl Strategy<Value = ((Vec<Vec<GenStatement>>, GenRequest), Reorder)> {
    (
        case(),
        (any::<u64>(), any::<bool>(), any::<bool>()).prop_map(|(seed, conditions, duplicate)| Reorder {
            seed,
            conditions,
            duplicate,
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// 5: NotAction and NotResource
// ---------------------------------------------------------------------------------------------

fn bare_statement(allow: bool, actions: Vec<String>, resources: Vec<String>) -> GenStatement {
    GenStatement {
        sid: None,
        allow,
        not_action: false,
        actions_as_array: actions.len() > 1,
        actions,
        not_resource: false,
        resources_as_array: resources.len() > 1,
        resources,
        conditions: Vec::new(),
        order: vec![0, 1, 2, 3, 4],
    }
}

/// The pools' action patterns, and short random ones over a few letters (some not ASCII: `é`,
/// `É`, and the Kelvin sign, which Unicode but not ASCII case folding makes `k`), `:`, `*` and
/// `?`.
fn action_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![3 => action_pattern(), 2 => "[ecsECdDk:*?\u{e9}\u{c9}\u{212a}]{1,8}"],
        1..=3,
    )
}

fn request_action() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (select(REQUEST_SERVICES), select(REQUEST_NAMES)).prop_map(|(s, n)| format!("{s}:{n}")),
        2 => "[ecsE\u{e9}]{1,3}:[ecsdDkK:\u{e9}\u{c9}\u{212a}]{1,4}",
    ]
}

fn resource_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![3 => owned(RESOURCE_PATTERNS), 2 => "[abAB:/*?\u{e9}]{1,8}"],
        1..=3,
    )
}

fn request_resource() -> impl Strategy<Value = String> {
    prop_oneof![3 => owned(REQUEST_RESOURCES), 2 => "[abAB:/\u{e9}]{1,8}", 1 => Just("*".to_owned())]
}

#[derive(Debug, Clone)]
struct Complement {
    /// `NotAction` (else `NotResource`).
    action: bool,
    allow: bool,
    patterns: Vec<String>,
    request: GenRequest,
}

fn complement_case() -> impl Strategy<Value = Complement> {
    (any::<bool>(), any::<bool>()).prop_flat_map(|(action, allow)| {
        let patterns = if action {
            action_list().boxed()
        } else {
            resource_list().boxed()
        };
        (patterns, request_action(), request_resource()).prop_map(move |(patterns, a, r)| Complement {
            action,
            allow,
            patterns,
            request: GenRequest {
                action: a,
                resource: r,
                context: Vec::new(),
            },
        })
    })
}

fn check_complement(case: Complement) -> Result<Interesting, TestCaseError> {
    let Complement {
        action,
        allow,
        patterns,
        request,
    } = case;
    let star = vec!["*".to_owned()];
    let positive = if action {
        bare_statement(allow, patterns.clone(), star)
    } else {
        bare_statement(allow, star, patterns.clone())
    };
    let mut negative = positive.clone();
    if action {
        negative.not_action = true;
    } else {
        negative.not_resource = true;
    }
    // One pattern: once as a string and once as an array.
    if action {
        negative.actions_as_array = true;
    } else {
        negative.resources_as_array = true;
    }
    let pos_docs = single("positive", 0, &positive);
    let neg_docs = single("negative", 1, &negative);
    let pos = run(&pos_docs, &request)?.decision;
    let neg = run(&neg_docs, &request)?.decision;
    let hit = if allow { Decision::Allow } else { Decision::ExplicitDeny };
    let story = || {
        format!(
            "{:?} and {:?}\n{}{}",
            pos,
            neg,
            show(&pos_docs, &request),
            show(&neg_docs, &request)
        )
    };
    for d in [pos, neg] {
        prop_assert!(d == hit || d == Decision::ImplicitDeny, "{}", story());
    }
    prop_assert!(
        (pos == hit) != (neg == hit),
        "exactly one of the statements must apply: {}",
        story()
    );
    // And the one that applies is the right one (SPEC §2, by the reference's matcher).
    let matches = if action {
        patterns.iter().any(|p| like_ignore_case(p, &request.action))
    } else {
        patterns.iter().any(|p| like(p, &request.resource))
    };
    prop_assert_eq!(
        pos == hit,
        matches,
        "the listed statement's match is wrong: {}",
        story()
    );
    Ok(matches)
}

/// Sets of statements over the random patterns, without conditions: the engine's indexes of
/// actions by service and name meet odd patterns (`:` inside names, `*` across the `:`).
fn pattern_set_case() -> impl Strategy<Value = (Vec<Vec<GenStatement>>, GenRequest)> {
    let statement = (
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.2),
        action_list(),
        prop::bool::weighted(0.2),
        resource_list(),
    )
        .prop_map(|(allow, not_action, actions, not_resource, resources)| {
            let mut s = bare_statement(allow, actions, resources);
            s.not_action = not_action;
            s.not_resource = not_resource;
            s
        });
    (
        prop::collection::vec(prop::collection::vec(statement, 1..=4), 1..=3),
        request_action(),
        request_resource(),
    )
        .prop_map(|(policies, action, resource)| {
            (
                policies,
                GenRequest {
                    action,
                    resource,
                    context: Vec::new(),
                },
            )
        })
}

fn check_pattern_set((policies, request): (Vec<Vec<GenStatement>>, GenRequest)) -> Result<Interesting, TestCaseError> {
    let docs = tag(&policies, 0);
    let parsed: Vec<Policy> = docs.iter().map(|d| Policy::parse(&d.name, &text(d)).unwrap()).collect();
    let expected = reference(&parsed, &RefRequest::new(&request));
    let seen = run(&docs, &request)?;
    let deciding: Vec<usize> = sorted(
        expected
            .deciding
            .iter()
            .map(|(p, i)| docs.iter().find(|d| d.name == *p).unwrap().statements[*i].id)
            .collect(),
    );
    prop_assert_eq!(
        (seen.decision, &seen.deciding),
        (expected.decision, &deciding),
        "the engine and the reference differ on\n{}",
        show(&docs, &request)
    );
    Ok(seen.decision == Decision::Allow)
}

// ---------------------------------------------------------------------------------------------
// 6: unreadable request values in a Deny
// ---------------------------------------------------------------------------------------------

/// The key, operators, policy values and good and unreadable request values of one family of
/// typed operators. The keys are not well-known, so any value passes the request builder.
struct Typed {
    key: &'static str,
    operators: &'static [&'static str],
    policy_values: &'static [&'static str],
    bare_ok: fn(&str) -> bool,
    good: &'static [&'static str],
    bad: &'static [&'static str],
}

const TYPED: &[Typed] = &[
    Typed {
        key: "my:num",
        operators: NUMERIC_OPERATORS,
        policy_values: NUMBER_VALUES,
        bare_ok: json_number,
        good: NUMBER_VALUES,
        bad: &["ten", "1e3", "1.", ".5", "", "0x10", "--1", "1,5", "10.0.0.1", "yes"],
    },
    Typed {
        key: "my:date",
        operators: DATE_OPERATORS,
        policy_values: EPOCH_VALUES,
        bare_ok: json_number,
        good: EPOCH_VALUES,
        bad: &[
            "yesterday",
            "noon",
            "",
            "1e3",
            "1.5",
            "2026-13-01",
            "2026-02-30",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "10.0.0.1",
        ],
    },
    Typed {
        key: "my:flag",
        operators: &["Bool"],
        policy_values: BOOL_VALUES,
        bare_ok: json_bool,
        good: BOOL_VALUES,
        bad: &["maybe", "yes", "no", "1", "0", "", "t", "truee", "on"],
    },
    Typed {
        key: "my:ip",
        operators: &["IpAddress", "NotIpAddress"],
        policy_values: NETWORK_VALUES,
        bare_ok: never,
        good: ADDRESS_VALUES,
        bad: &[
            "not-an-ip",
            "10.0.0.300",
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "::g",
            "ten",
        ],
    },
];

#[derive(Debug, Clone)]
struct Unreadable {
    /// The operator as written (with any qualifier and `IfExists`) and the condition.
    operator: String,
    condition: GenCondition,
    /// The request values given to the condition's key: at least one unreadable.
    values: Vec<String>,
    bad: Vec<String>,
    /// The statement, a Deny whose action and resource match the request, without the target.
    statement: GenStatement,
    /// Where the target condition goes among the statement's operators.
    slot: Index,
    /// Other policies next to it.
    others: Vec<Vec<GenStatement>>,
    request: GenRequest,
}

fn unreadable_target() -> impl Strategy<Value = (String, GenCondition, Vec<String>, Vec<String>)> {
    (0..TYPED.len()).prop_flat_map(|family| {
        let t = &TYPED[family];
        let qualifier = prop_oneof![6 => Just(""), 2 => Just("ForAnyValue:"), 2 => Just("ForAllValues:")];
        let if_exists = prop_oneof![3 => Just(""), 1 => Just("IfExists")];
        (
            qualifier,
            select(t.operators),
            if_exists,
            case_variant(t.key),
            values_of(t.policy_values, t.bare_ok, 3),
            any::<bool>(),
            prop::collection::vec(select(t.bad), 1..=2),
            prop::collection::vec(select(t.good), 0..=1),
            any::<u64>(),
        )
            .prop_map(|(q, op, suffix, key, values, as_array, bad, good, seed)| {
                let bad: Vec<String> = bad.into_iter().map(str::to_owned).collect();
                let mut given: Vec<String> = bad.iter().cloned().chain(good.into_iter().map(str::to_owned)).collect();
                Mix(seed).shuffle(&mut given);
                (
                    format!("{q}{op}{suffix}"),
                    GenCondition {
                        key,
                        as_array: as_array || values.len() > 1,
                        values,
                    },
                    given,
                    bad,
                )
            })
    })
}

fn unreadable_case() -> impl Strategy<Value = Unreadable> {
    (
        unreadable_target(),
        statement(),
        prop::collection::vec(policy_statements(), 0..=2),
        any::<Index>(),
    )
        .prop_flat_map(|((operator, condition, values, bad), statement, others, slot)| {
            let mut all = others.clone();
            all.push(vec![statement.clone()]);
            let hot = hot_keys(&all);
            (
                Just((operator, condition, values, bad)),
                Just(statement),
                Just(others),
                Just(slot),
                request(hot),
            )
        })
        .prop_map(
            |((operator, condition, values, bad), mut statement, others, slot, mut request)| {
                let key = fold(&condition.key);
                // A Deny whose action and resource are the request's, and no other condition on
                // the target's key.
                statement.allow = false;
                aim(&mut statement, &request);
                for (_, keys) in &mut statement.conditions {
                    keys.retain(|c| fold(&c.key) != key);
                }
                statement.conditions.retain(|(_, keys)| !keys.is_empty());
                // The request's values for the key are replaced.
                request.context.retain(|(k, _)| fold(k) != key);
                request
                    .context
                    .extend(values.iter().map(|v| (condition.key.clone(), v.clone())));
                Unreadable {
                    operator,
                    condition,
                    values,
                    bad,
                    statement,
                    slot,
                    others,
                    request,
                }
            },
        )
}

/// The statement with the target condition at `slot` among its operators (under an operator
/// the statement already has, if it is the same).
fn with_target(case: &Unreadable) -> GenStatement {
    let mut statement = case.statement.clone();
    match statement.conditions.iter_mut().find(|(op, _)| *op == case.operator) {
        Some((_, keys)) => {
            let at = case.slot.index(keys.len() + 1);
            keys.insert(at, case.condition.clone());
        }
        None => {
            let at = case.slot.index(statement.conditions.len() + 1);
            statement
                .conditions
                .insert(at, (case.operator.clone(), vec![case.condition.clone()]));
        }
    }
    statement
}

fn check_unreadable(case: Unreadable) -> Result<Interesting, TestCaseError> {
    let request = &case.request;
    let base_docs = single("base", 0, &case.statement);
    // The precondition: without the target, the Deny applies.
    let base = run(&base_docs, request)?;
    if base.decision != Decision::ExplicitDeny {
        return Ok(false);
    }
    let deny = with_target(&case);
    let deny_docs = single("deny", 0, &deny);
    let story = |docs: &[Doc], what: &str| {
        format!(
            "{what} with `{}` on {} = {:?} (unreadable: {:?})\n{}",
            case.operator,
            case.condition.key,
            case.values,
            case.bad,
            show(docs, request)
        )
    };
    let error_on_target = |seen: &Seen, id: usize| {
        seen.errors
            .iter()
            .any(|(s, op, key)| *s == id && *op == case.operator && fold(key) == fold(&case.condition.key))
    };
    let seen = run(&deny_docs, request)?;
    prop_assert_eq!(
        seen.decision,
        Decision::ExplicitDeny,
        "an unreadable value let the Deny be skipped: {}",
        story(&deny_docs, "a Deny that applies without the condition")
    );
    prop_assert!(
        error_on_target(&seen, 0),
        "no condition error for the unreadable value: {:?}\n{}",
        seen.errors,
        story(&deny_docs, "a Deny")
    );
    // The same statement as an Allow does not apply (fail closed), and says why.
    let mut allow = deny.clone();
    allow.allow = true;
    let allow_docs = single("allow", 0, &allow);
    let seen = run(&allow_docs, request)?;
    prop_assert_eq!(
        seen.decision,
        Decision::ImplicitDeny,
        "an unreadable value let an Allow apply: {}",
        story(&allow_docs, "an Allow that applies without the condition")
    );
    // It reaches the target condition unless another condition was undecidable (and so false
    // in an Allow) before it.
    prop_assert!(
        !base.errors.is_empty() || error_on_target(&seen, 0),
        "no condition error for the unreadable value: {:?}\n{}",
        seen.errors,
        story(&allow_docs, "an Allow")
    );
    // Among other policies, the Deny still decides.
    let mut docs = tag(&case.others, 1);
    docs.extend(single("deny", 0, &deny));
    let seen = run(&docs, request)?;
    prop_assert!(
        seen.decision == Decision::ExplicitDeny && seen.deciding.contains(&0) && error_on_target(&seen, 0),
        "among other policies, the Deny with an unreadable value did not decide: {:?}\n{}",
        seen,
        story(&docs, "a Deny (`deny`) that applies without the condition")
    );
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

/// `n` cases, or as many as `PROPTEST_CASES` says (for a longer search).
fn cases(n: u32) -> proptest::test_runner::Config {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    config(n)
}

proptest! {
    #![proptest_config(cases(600))]

    /// 1. Adding a Deny statement never turns a non-Allow decision into Allow (nor Allow into
    /// ImplicitDeny); the result is the combination of the two parts.
    #[test]
    fn adding_a_deny_never_allows(case in with_extra(false)) {
        check_adding(case)?;
    }

    /// 2. Adding an Allow statement never turns Allow into a deny (nor ExplicitDeny into
    /// anything else); the result is the combination of the two parts.
    #[test]
    fn adding_an_allow_never_denies(case in with_extra(true)) {
        check_adding(case)?;
    }

    /// 3. Removing a Deny statement never turns Allow into a deny (nor changes an ImplicitDeny).
    #[test]
    fn removing_a_deny_never_denies(case in removal_case()) {
        check_removing_deny(case)?;
    }

    /// 4. Order never matters, and a duplicated statement changes nothing but itself.
    #[test]
    fn order_and_duplicates_do_not_matter(case in reorder_case()) {
        check_reordering(case)?;
    }

    /// 5, more widely: statement sets over the random patterns agree with the reference.
    #[test]
    fn odd_patterns_agree_with_the_reference(case in pattern_set_case()) {
        check_pattern_set(case)?;
    }

    /// 6. An unreadable request value never lets a Deny be skipped (nor an Allow apply).
    #[test]
    fn unreadable_values_never_skip_a_deny(case in unreadable_case()) {
        check_unreadable(case)?;
    }
}

proptest! {
    #![proptest_config(cases(2000))]

    /// 5. `NotAction: L` applies exactly when `Action: L` does not; the same for resources.
    #[test]
    fn not_action_and_not_resource_are_complements(case in complement_case()) {
        check_complement(case)?;
    }

}

/// Each property meets, often enough, the cases it is about: decisions that the added or
/// removed statement changes, duplicates, matches of the listed patterns, and Deny statements
/// that apply but for the unreadable value.
#[test]
fn properties_meet_their_cases() {
    fn share<S: Strategy>(
        strategy: S,
        samples: usize,
        check: impl Fn(S::Value) -> Result<Interesting, TestCaseError>,
    ) -> usize {
        let mut runner = TestRunner::deterministic();
        let hits = (0..samples)
            .filter(|_| check(strategy.new_tree(&mut runner).unwrap().current()).unwrap())
            .count();
        hits * 100 / samples
    }
    let samples = 120;
    let shares = [
        ("an added Deny applies", share(with_extra(false), samples, check_adding)),
        ("an added Allow applies", share(with_extra(true), samples, check_adding)),
        (
            "a removed Deny applied",
            share(removal_case(), samples, check_removing_deny),
        ),
        (
            "a statement is duplicated",
            share(reorder_case(), samples, check_reordering),
        ),
        (
            "the listed patterns match",
            share(complement_case(), samples, check_complement),
        ),
        (
            "a set of odd patterns allows",
            share(pattern_set_case(), samples, check_pattern_set),
        ),
        (
            "a Deny applies but for the unreadable value",
            share(unreadable_case(), samples, check_unreadable),
        ),
    ];
    for (what, percent) in shares {
        println!("{what}: {percent}% of {samples}");
    }
    for (what, percent) in shares {
        assert!(percent >= 15, "{what} in only {percent}% of {samples} cases");
    }
}
