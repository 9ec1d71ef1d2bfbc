//! Worst cases (divan): one decision for each adversarial policy and request of
//! `benches/worst_cases.rs`, built at the limits of SPEC §1 and §4, through the fast path
//! (`Detail::Decision`), with the deciding statements (`Detail::Deciding`), and through the whole
//! chain of a store for a known caller (`Store::authorize` with `Detail::Explanation`). The requirement they measure: any policy within SPEC §1's limits and any
//! request within §4's decides in at most 10 ms. `tests/hostile.rs` checks that each case
//! decides the right answer.
//!
//! Run: `cargo bench --bench worst` (figures in the README). Each sample is one decision on a
//! request that has never been evaluated, so the request values' readings (numbers, addresses)
//! are parsed inside the measured time, as on a gateway.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use divan::Bencher;
use ram_policy::{Caller, CompileOptions, CompiledPolicySet, Detail, Policy, PolicySet, RequestBuilder, Store};

#[path = "worst_cases.rs"]
mod worst_cases;

use worst_cases::{Scale, NAMES, PAIRWISE};

fn main() {
    divan::main();
}

fn prepare(name: &str) -> (CompiledPolicySet, Policy, RequestBuilder) {
    let case = worst_cases::case(name, Scale::Limits);
    let policy = Policy::parse(name, &case.document).unwrap();
    let set = PolicySet::from(policy.clone()).compile();
    (set, policy, case.request)
}

/// The cases but [`PAIRWISE`], whose minutes `decide` alone shows: an explanation adds nothing to
/// them.
fn explained() -> Vec<&'static str> {
    NAMES.iter().copied().filter(|name| !PAIRWISE.contains(name)).collect()
}

// Some cases take far more than 10 ms: a few samples of one decision each are enough to tell.
#[divan::bench(args = NAMES, sample_count = 10, sample_size = 1, max_time = 10)]
fn decide(bencher: Bencher, name: &str) {
    let (set, _, request) = prepare(name);
    let request = request.build().unwrap();
    bencher
        .with_inputs(|| request.clone())
        .bench_local_refs(|r| black_box(set.authorize(black_box(r), Detail::Decision).decision()));
}

#[divan::bench(args = explained(), sample_count = 10, sample_size = 1, max_time = 10)]
fn authorize(bencher: Bencher, name: &str) {
    let (set, _, request) = prepare(name);
    let request = request.build().unwrap();
    bencher
        .with_inputs(|| request.clone())
        .bench_local_refs(|r| black_box(set.authorize(black_box(r), Detail::Deciding).decision()));
}

/// The policy as a RAM user's identity policies in a store, the request carrying its caller.
#[divan::bench(args = explained(), sample_count = 10, sample_size = 1, max_time = 10)]
fn chain(bencher: Bencher, name: &str) {
    let (_, policy, request) = prepare(name);
    let store = Store::for_policies(vec![policy], &[], CompileOptions::default()).unwrap();
    let request = request
        .caller(Caller::User {
            account: "123456789012".into(),
            name: "alice".into(),
            id: None,
        })
        .build()
        .unwrap();
    bencher
        .with_inputs(|| request.clone())
        .bench_local_refs(|r| black_box(store.authorize(black_box(r), Detail::Explanation).decision()));
}
