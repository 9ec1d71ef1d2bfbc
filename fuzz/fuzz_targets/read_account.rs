//! The account-file reader on arbitrary text: it never panics, reports well-formed errors, and
//! an account it accepts compiles into a store that evaluates every principal's requests
//! without panicking, the fast path agreeing with the explanation.
#![no_main]


use libfuzzer_sys::fuzz_target;
use ram_policy::{Account, CompileOptions, Detail, NoFiles, Request, Store};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Policy paths resolve against a folder that does not exist: they are errors, not reads.
    match Account::parse("fuzz.json", text, &NoFiles) {
        Err(e) => {
            assert!(!e.documents.is_empty());
            for doc in &e.documents {
                assert!(!doc.errors.is_empty());
                for error in &doc.errors {
                    assert!(error.location.line >= 1 && error.location.column >= 1);
                }
            }
        }
        Ok(account) => {
            let mut principals: Vec<String> = account.users().map(|u| format!("user/{u}")).collect();
            principals.extend(account.roles().map(|r| format!("role/{r}")));
            principals.push("root".into());
            principals.push("service/ecs.aliyuncs.com".into());
            let role = account.roles().next().map(|r| format!("acs:ram::{}:role/{r}", account.account_id()));
            let store = Store::for_account(&account, &[], CompileOptions::default()).expect("unique names");
            for principal in principals.iter().take(8) {
                let Ok(caller) = account.caller(principal) else { continue };
                for (action, resource) in [
                    ("polardb:DescribeDBClusters", "*".to_owned()),
                    ("sts:AssumeRole", role.clone().unwrap_or_else(|| "*".into())),
                    ("oss:GetObject", format!("acs:oss:*:{}:bucket/key", account.account_id())),
                ] {
                    let request = Request::builder(action)
                        .caller(caller.clone())
                        .resource(resource)
                        .resource_group("rg-1")
                        .build()
                        .expect("a valid request");
                    let full = store.authorize(&request, Detail::Explanation);
                    let fast = store.authorize(&request, Detail::Decision);
                    assert_eq!((fast.decision(), fast.layer()), (full.decision(), full.layer()));
                }
            }
        }
    }
});
