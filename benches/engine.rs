//! Benchmarks of the engine (divan): reading and compiling policies (the deepest 1 MiB documents
//! included), one decision on small and large sets, the pathological wildcard, and the whole
//! chain for a principal. The worst cases of one decision are in `benches/worst.rs`.
//!
//! Run: `cargo bench --bench engine` (figures in the README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::path::Path;

use divan::Bencher;
use ram_policy::{
    Account, CompileOptions, CompiledPolicySet, Detail, Policy, PolicySet, Request, Store, MAX_DOCUMENT_BYTES,
};

#[path = "workload.rs"]
mod workload;

fn main() {
    divan::main();
}

fn compile(w: &workload::Workload) -> CompiledPolicySet {
    let set: PolicySet = w
        .policies
        .iter()
        .map(|p| Policy::parse(&p.name, &p.to_json()).unwrap())
        .collect::<Result<_, _>>()
        .unwrap();
    set.compile()
}

fn requests(w: &workload::Workload) -> Vec<Request> {
    w.requests
        .iter()
        .map(|r| {
            let mut b = Request::builder(r.action.clone()).resource(r.resource.clone());
            for (k, v) in &r.context {
                b = b.context(k.clone(), v.clone());
            }
            b.build().unwrap()
        })
        .collect()
}

/// One decision per iteration, cycling through the workload's requests.
fn bench_decisions(bencher: Bencher, w: &workload::Workload, explain: bool) {
    let set = compile(w);
    let requests = requests(w);
    let mut i = 0;
    bencher.bench_local(|| {
        let r = &requests[i % requests.len()];
        i += 1;
        if explain {
            black_box(set.authorize(black_box(r), Detail::Deciding).decision())
        } else {
            black_box(set.authorize(black_box(r), Detail::Decision).decision())
        }
    });
}

mod read_and_compile {
    use super::*;

    #[divan::bench]
    fn aliyun_polardb_full_access(bencher: Bencher) {
        let text = ram_policy::system::text("AliyunPolardbFullAccess").unwrap();
        bencher.bench(|| {
            let p = Policy::parse("AliyunPolardbFullAccess", black_box(text)).unwrap();
            [p].into_iter().collect::<Result<PolicySet, _>>().unwrap().compile()
        });
    }

    #[divan::bench]
    fn custom_6144_characters(bencher: Bencher) {
        let text = workload::max_size_policy().to_json();
        bencher.bench(|| {
            let p = Policy::parse("max", black_box(&text)).unwrap();
            [p].into_iter().collect::<Result<PolicySet, _>>().unwrap().compile()
        });
    }

    /// The deepest documents that fit in 1 MiB (`[[[…]]]`, `{"a":{"a":…`, statements in
    /// statements), each refused with a depth error (`tests/reader_never_panics.rs` checks the
    /// errors).
    #[divan::bench(args = ["[", "{\"a\":", "{\"Statement\": ["], sample_count = 20)]
    fn deepest_1_mib(bencher: Bencher, opener: &str) {
        let n = (MAX_DOCUMENT_BYTES - 1) / (opener.len() + 1);
        let text = opener.repeat(n) + &"]".repeat(n);
        bencher.bench(|| Policy::parse("deep", black_box(&text)).unwrap_err());
    }

    #[divan::bench(sample_count = 20)]
    fn set_of_10000_statements(bencher: Bencher) {
        let w = workload::large(10_000);
        let texts: Vec<(String, String)> = w.policies.iter().map(|p| (p.name.clone(), p.to_json())).collect();
        let documents: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        bencher.bench(|| {
            PolicySet::parse_all(black_box(&documents), true)
                .unwrap()
                .compile_on_all_cores()
        });
    }
}

// Many iterations per sample: one sample then covers every request of the workload many
// times over, and the median is of steady-state figures.
mod decide {
    use super::*;

    #[divan::bench(sample_size = 2000)]
    fn small_set(bencher: Bencher) {
        bench_decisions(bencher, &workload::small(), false);
    }

    #[divan::bench(args = [100, 1_000, 10_000], sample_size = 2000)]
    fn statements(bencher: Bencher, n: usize) {
        bench_decisions(bencher, &workload::large(n), false);
    }
}

mod authorize_with_explanation {
    use super::*;

    #[divan::bench(sample_size = 2000)]
    fn small_set(bencher: Bencher) {
        bench_decisions(bencher, &workload::small(), true);
    }

    #[divan::bench(args = [100, 1_000, 10_000], sample_size = 2000)]
    fn statements(bencher: Bencher, n: usize) {
        bench_decisions(bencher, &workload::large(n), true);
    }
}

mod wildcard {
    use super::*;

    /// A pattern of 100 `*a` (then `b`, so it never matches) against a resource of `len`
    /// characters: the work must grow linearly with the input.
    #[divan::bench(args = [1_000, 10_000, 100_000])]
    fn pathological(bencher: Bencher, len: usize) {
        let pattern = "*a".repeat(100) + "b";
        let text = format!(
            r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "{pattern}"}}]}}"#
        );
        let set = [Policy::parse("p", &text).unwrap()]
            .into_iter()
            .collect::<Result<PolicySet, _>>()
            .unwrap()
            .compile();
        let request = Request::builder("oss:GetObject")
            .resource("a".repeat(len))
            .build()
            .unwrap();
        bencher.bench(|| black_box(set.authorize(black_box(&request), Detail::Decision).decision()));
    }
}

mod chain {
    use super::*;

    fn carol() -> (Store, Request) {
        let account = Account::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/account.json")).unwrap();
        let caller = account.caller("user/carol").unwrap();
        let store = Store::for_account(&account, &[], CompileOptions::default()).unwrap();
        let request = Request::builder("polardb:AbortDBClusterMigration")
            .caller(caller)
            .resource("acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-bp150t3l1td9863q9")
            .context("acs:SourceIp", "203.0.113.9")
            .context("acs:MFAPresent", "true")
            .context("acs:CurrentTime", "2026-11-28T10:00:00+08:00")
            .build()
            .unwrap();
        (store, request)
    }

    /// The whole chain (two control levels, identity policies, resource policies) for user
    /// carol of the bundled account, with the explanation.
    #[divan::bench(sample_size = 1000)]
    fn account_principal(bencher: Bencher) {
        let (store, request) = carol();
        bencher.bench(|| black_box(store.authorize(black_box(&request), Detail::Explanation).decision()));
    }

    /// The same through the fast path.
    #[divan::bench(sample_size = 1000)]
    fn account_principal_decision(bencher: Bencher) {
        let (store, request) = carol();
        bencher.bench(|| black_box(store.authorize(black_box(&request), Detail::Decision).decision()));
    }
}

mod request {
    use super::*;

    /// Building and checking a request with four context keys.
    #[divan::bench]
    fn build(bencher: Bencher) {
        bencher.bench(|| {
            Request::builder(black_box("polardb:AbortDBClusterMigration"))
                .resource("acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-bp150t3l1td9863q9")
                .context("acs:SourceIp", "203.0.113.9")
                .context("acs:MFAPresent", "true")
                .context("acs:CurrentTime", "2026-11-28T10:00:00+08:00")
                .build()
                .unwrap()
        });
    }
}
