//! A property test that the compiled policy set agrees with a tiny, obviously-correct reference
//! evaluator (STYLE item 14). The reference and the generator of random policies and requests are
//! in `support/generate.rs` (shared with `invariants.rs`); `decisions_are_balanced` keeps the
//! generator producing matches, non-matches, denials and undecidable conditions often.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/generate.rs"]
mod generate;

use std::cmp::Ordering;

use generate::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use ram_policy::{Decision, Detail, Effect, Policy, PolicySet, Request};

// ---------------------------------------------------------------------------------------------
// Running a case both ways
// ---------------------------------------------------------------------------------------------

/// The library's answer, in the reference's terms, after checking what the reference does not
/// compute: the details of deciding statements and condition errors.
fn library(policies: &[Policy], request: &GenRequest, seen: &RefRequest) -> Result<Verdict, TestCaseError> {
    let store = policies
        .iter()
        .cloned()
        .collect::<Result<PolicySet, _>>()
        .unwrap()
        .compile();
    let built = build(request);
    let response = store.authorize(&built, Detail::Deciding);
    prop_assert_eq!(
        &store.authorize(&built, Detail::Deciding),
        &response,
        "a second evaluation differs"
    );
    let fast = store.authorize(&built, Detail::Decision);
    prop_assert_eq!(
        (fast.decision(), fast.layer()),
        (response.decision(), response.layer()),
        "the fast path decides differently"
    );
    let full = store.authorize(&built, Detail::Explanation);
    prop_assert_eq!(
        (full.decision(), full.layer(), full.deciding(), full.errors()),
        (
            response.decision(),
            response.layer(),
            response.deciding(),
            response.errors()
        ),
        "the explanation decides differently"
    );
    for s in response.deciding() {
        let policy = policies.iter().find(|p| p.name() == &*s.policy).unwrap();
        let statement = &policy.statements()[s.statement];
        prop_assert_eq!(s.effect, statement.effect());
        prop_assert_eq!(s.sid.as_ref(), statement.sid());
        prop_assert_eq!(
            (s.line, s.column),
            (statement.location().line, statement.location().column)
        );
    }
    for e in response.errors() {
        // The value it names is one of the key's request values, and one that does not parse.
        let w = written(&e.operator);
        prop_assert!(seen.values(&e.key).iter().any(|v| **v == *e.value), "{e:?}");
        prop_assert!(positive(w.family, w.test, &e.value, &[]).is_none(), "{e:?}");
        prop_assert!(!e.expected.is_empty());
    }
    Ok(Verdict {
        decision: response.decision(),
        deciding: sorted(
            response
                .deciding()
                .iter()
                .map(|s| (s.policy.to_string(), s.statement))
                .collect(),
        ),
        errors: sorted(
            response
                .errors()
                .iter()
                .map(|e| {
                    (
                        e.statement.policy.to_string(),
                        e.statement.statement,
                        e.operator.clone(),
                        e.key.to_string(),
                    )
                })
                .collect(),
        ),
    })
}

/// The checked model holds what the generator wrote (the reference depends on it).
fn check_model(policies: &[Policy], generated: &[Vec<GenStatement>]) -> Result<(), TestCaseError> {
    for (policy, statements) in policies.iter().zip(generated) {
        prop_assert_eq!(policy.statements().len(), statements.len());
        for (i, (s, g)) in policy.statements().iter().zip(statements).enumerate() {
            prop_assert_eq!(s.index(), i);
            prop_assert_eq!(s.sid().map(|x| &**x), g.sid.as_deref());
            prop_assert_eq!(s.effect() == Effect::Allow, g.allow);
            let (actions, not) = s.action().patterns();
            prop_assert_eq!(not, g.not_action);
            prop_assert_eq!(actions.iter().map(|p| p.text()).collect::<Vec<_>>(), g.actions.clone());
            let (resources, not) = s.resource().as_ref().unwrap().patterns();
            prop_assert_eq!(not, g.not_resource);
            prop_assert_eq!(
                resources.iter().map(|p| p.text()).collect::<Vec<_>>(),
                g.resources.clone()
            );
            let written: Vec<(String, String, Vec<String>)> = g
                .conditions
                .iter()
                .flat_map(|(op, keys)| {
                    keys.iter().map(move |c| {
                        (
                            op.clone(),
                            c.key.clone(),
                            c.values.iter().map(|v| v.text.clone()).collect(),
                        )
                    })
                })
                .collect();
            let read: Vec<(String, String, Vec<String>)> = s
                .conditions()
                .iter()
                .map(|c| {
                    (
                        c.operator().to_string(),
                        c.key().to_string(),
                        c.raw_values().iter().map(|v| v.to_string()).collect(),
                    )
                })
                .collect();
            prop_assert_eq!(read, written);
        }
    }
    Ok(())
}

fn check_case(case: &Case, policies: &[Policy]) -> Result<Verdict, TestCaseError> {
    let seen = RefRequest::new(&case.request);
    let expected = reference(policies, &seen);
    let got = library(policies, &case.request, &seen)?;
    prop_assert_eq!(&got, &expected, "\n{}", describe(case));
    Ok(expected)
}

proptest! {
    #![proptest_config(config(2000))]

    /// The compiled set and the reference give the same decision, deciding statements and
    /// condition errors.
    #[test]
    fn compiled_set_agrees_with_the_reference(generated in case()) {
        let (case, statements) = to_case(generated);
        let policies = parse_all(&case);
        check_model(&policies, &statements)?;
        check_case(&case, &policies)?;
    }
}

/// The generator keeps producing every decision, and undecidable conditions, often enough for
/// the property test to mean something.
#[test]
fn decisions_are_balanced() {
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let samples = 500;
    let (mut allow, mut explicit, mut implicit, mut errors) = (0, 0, 0, 0);
    for _ in 0..samples {
        let (case, _) = to_case(strategy.new_tree(&mut runner).unwrap().current());
        let verdict = check_case(&case, &parse_all(&case)).unwrap();
        match verdict.decision {
            Decision::Allow => allow += 1,
            Decision::ExplicitDeny => explicit += 1,
            Decision::ImplicitDeny => implicit += 1,
        }
        if !verdict.errors.is_empty() {
            errors += 1;
        }
    }
    println!(
        "of {samples}: Allow {allow}, ExplicitDeny {explicit}, ImplicitDeny {implicit}; with condition errors {errors}"
    );
    for (name, n) in [("Allow", allow), ("ExplicitDeny", explicit), ("ImplicitDeny", implicit)] {
        assert!(n * 10 >= samples, "{name} in only {n} of {samples} cases");
    }
    assert!(
        errors * 20 >= samples,
        "condition errors in only {errors} of {samples} cases"
    );
}

// ---------------------------------------------------------------------------------------------
// The reference's own building blocks, against SPEC's examples
// ---------------------------------------------------------------------------------------------

#[test]
fn reference_wildcards_follow_spec_examples() {
    assert!(like("acs:ram:*:*:user/alice", "acs:ram::123456789012:user/alice"));
    assert!(like("*", "*"));
    assert!(like("*", ""));
    assert!(!like("a?c", "ac"));
    assert!(!like("acs:ECS:*", "acs:ecs:x"));
    assert!(like_ignore_case("*:Describe*", "polardb:describeDBClusters"));
    assert!(like_ignore_case(
        "ecs:*SecurityGroup*",
        "ECS:AuthorizeSecurityGroupEgress"
    ));
    assert!(!like_ignore_case("polardb:Describe", "polardb:DescribeDBClusters"));
}

#[test]
fn reference_values_follow_spec_examples() {
    let d = |t: &str| decimal(t).unwrap();
    assert_eq!(cmp_dec(&d("10"), &d("10.0")), Ordering::Equal);
    assert_eq!(cmp_dec(&d("+7"), &d("007.000")), Ordering::Equal);
    assert_eq!(cmp_dec(&d("-0"), &d("0")), Ordering::Equal);
    assert_eq!(cmp_dec(&d("-3"), &d("-2.5")), Ordering::Less);
    assert_eq!(cmp_dec(&d("0.6"), &d("0.51")), Ordering::Greater);
    assert_eq!(cmp_dec(&d("99"), &d("100")), Ordering::Less);
    assert_eq!(
        cmp_dec(&d("12345678901234567890.5"), &d("12345678901234567890")),
        Ordering::Greater
    );
    for bad in ["", "-", "+", "1e3", "ten", "1.", ".5", "1.2.3", " 1", "--1"] {
        assert!(decimal(bad).is_none(), "{bad}");
    }
    assert_eq!(epoch("-1"), Some(-1));
    assert_eq!(epoch("+7"), None);
    assert_eq!(boolean("TRUE"), Some(true));
    assert!(ipv4("010.0.0.1").is_none() && ipv4("10.0.0.300").is_none() && ipv4("10.0.0.0/8").is_none());
    let net = network("10.1.2.3/16").unwrap();
    assert!(in_network(ipv4("10.1.200.1").unwrap(), net));
    assert!(!in_network(ipv4("10.2.0.1").unwrap(), net));
    assert!(in_network(ipv4("8.8.8.8").unwrap(), network("0.0.0.0/0").unwrap()));
    assert!(!in_network(address("::1").unwrap(), network("0.0.0.0/0").unwrap()));
    assert!(in_network(address("::1").unwrap(), network("::/0").unwrap()));
    assert!(!in_network(
        ipv4("192.168.1.2").unwrap(),
        network("192.168.1.1").unwrap()
    ));
}

// ---------------------------------------------------------------------------------------------
// Library bugs found while writing the reference, kept as regression tests (fixed since)
// ---------------------------------------------------------------------------------------------

/// SPEC §3: dates are RFC 3339 "with `Z` or `±hh:mm` (`T` separator …)". The library rejects a
/// lower-case `t` separator (as SPEC's `T` asks) but accepts a lower-case `z` offset, which RFC
/// 3339 allows and SPEC's `Z` does not.
#[test]
fn lower_case_z_is_not_a_date() {
    let text = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"acs:CurrentTime": "2026-01-01T00:00:00z"}}}]}"#;
    assert!(
        Policy::parse("p", text).is_err(),
        "`2026-01-01T00:00:00z` was read as a date"
    );
    let request = Request::builder("ecs:DescribeInstances")
        .context("acs:CurrentTime", "2026-01-01T00:00:00z")
        .build();
    assert!(
        request.is_err(),
        "`2026-01-01T00:00:00z` was accepted as acs:CurrentTime"
    );
}
