//! The policy reader on arbitrary bytes, as every kind of policy: it never panics, and what it
//! says is well-formed (errors in document order with real positions; a policy it accepts is
//! read the same way twice and compiles and evaluates).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ram_policy::{Detail, Policy, PolicyKind, PolicySet, Request};

fuzz_target!(|data: &[u8]| {
    for kind in [PolicyKind::Identity, PolicyKind::Trust, PolicyKind::Resource] {
        match Policy::from_bytes("fuzz", "fuzz.json", kind, data) {
            Ok(policy) => {
                assert!(!policy.statements().is_empty());
                let again = Policy::from_bytes("fuzz", "fuzz.json", kind, data).expect("read twice");
                assert_eq!(again, policy);
                let set: PolicySet = [policy].into_iter().collect::<Result<_, _>>().unwrap();
                let compiled = set.compile();
                let request = Request::builder("ecs:DescribeInstances")
                    .resource("acs:ecs:cn-hangzhou:123456789012:instance/i-1")
                    .context("acs:SourceIp", "192.0.2.1")
                    .context("my:key", "value")
                    .build()
                    .expect("a valid request");
                assert_eq!(
                    compiled.authorize(&request, Detail::Decision).decision(),
                    compiled.authorize(&request, Detail::Deciding).decision()
                );
            }
            Err(errors) => {
                assert!(!errors.errors.is_empty());
                let mut previous = 0;
                for e in &errors.errors {
                    assert!(e.location.line >= 1 && e.location.column >= 1);
                    assert!(!e.message.is_empty());
                    assert!(e.location.span.start >= previous, "errors out of order");
                    assert!(e.location.span.start <= data.len());
                    previous = e.location.span.start;
                }
            }
        }
    }
});
