//! Structured random policies and requests through the compiled engine, compared with the
//! reference evaluator of the property tests (`tests/support/generate.rs`). The fuzzer's first
//! 32 bytes seed the generator. (Feeding the bytes straight through as the generator's random
//! stream ran out of bytes and stalled the generator's rejection loops on the first input.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use ram_policy::{Detail, PolicySet};

#[path = "../../tests/support/generate.rs"]
mod generate;

fuzz_target!(|data: &[u8]| {
    let mut seed = [0u8; 32];
    for (slot, byte) in seed.iter_mut().zip(data) {
        *slot = *byte;
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let Ok(tree) = generate::case().new_tree(&mut runner) else {
        return;
    };
    let (case, _) = generate::to_case(tree.current());
    let policies = generate::parse_all(&case);
    let seen = generate::RefRequest::new(&case.request);
    let expected = generate::reference(&policies, &seen);
    let compiled = policies.iter().cloned().collect::<Result<PolicySet, _>>().unwrap().compile();
    let request = generate::build(&case.request);
    let response = compiled.authorize(&request, Detail::Deciding);
    assert_eq!(response.decision(), expected.decision, "\n{}", generate::describe(&case));
    let fast = compiled.authorize(&request, Detail::Decision).decision();
    assert_eq!(fast, expected.decision, "\n{}", generate::describe(&case));
    let mut deciding: Vec<(String, usize)> =
        response.deciding().iter().map(|s| (s.policy.to_string(), s.statement)).collect();
    deciding.sort();
    assert_eq!(deciding, expected.deciding, "\n{}", generate::describe(&case));
    assert_eq!(response.errors().is_empty(), expected.errors.is_empty(), "\n{}", generate::describe(&case));
});
