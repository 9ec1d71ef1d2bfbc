//! The reader and the request builder take untrusted input (SPEC §1, §6, STYLE item 15):
//! whatever the bytes, `Policy::from_bytes` returns — deterministically, without panicking —
//! either a policy or errors that each have a line, a column and a message; and
//! `Request::builder(..).build()` and evaluation never panic on any strings. (How long reading
//! the deepest documents takes is a benchmark's question: `benches/engine.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::Config;
use ram_policy::{
    CompiledPolicySet, Decision, Detail, Policy, PolicyErrors, PolicyKind, PolicySet, Request, MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
};

/// The built-in system policies, as shipped.
const SYSTEM: &[&str] = &[
    include_str!("../policies/system/AdministratorAccess.json"),
    include_str!("../policies/system/AliyunPolardbFullAccess.json"),
    include_str!("../policies/system/AliyunPolardbReadOnlyAccess.json"),
    include_str!("../policies/system/AliyunPolardbReadOnlyWithSQLLogArchiveAccess.json"),
    include_str!("../policies/system/FullAliyunAccess.json"),
];

/// Documents with the elements the system policies lack: every condition family, `NotAction`,
/// `NotResource`, `Sid`, numbers and booleans as values, principals, escapes and non-ASCII text.
const RICH: &[(PolicyKind, &str)] = &[
    (
        PolicyKind::Identity,
        r#"{
  "Version": "1",
  "Statement": [
    {
      "Sid": "Guard\u00e9",
      "Effect": "Deny",
      "NotAction": ["polardb:Describe*", "ecs:?et*"],
      "NotResource": "acs:polardb:*:*:dbcluster/pc-*",
      "Condition": {
        "NotIpAddress": {"acs:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]},
        "ForAllValues:StringLikeIfExists": {"acs:RequestTag/env": ["prod*", "test?"]},
        "Null": {"acs:SourceVpc": "false"}
      }
    },
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": ["acs:ecs:cn-hangzhou:123456789012:instance/*", "*"],
      "Condition": {
        "NumericLessThanEquals": {"my:count": [10, "2.5", -3]},
        "DateGreaterThan": {"acs:CurrentTime": ["2026-01-01T00:00:00Z", "2019-08-12", 86400]},
        "Bool": {"acs:MFAPresent": true, "acs:SecureTransport": "TRUE"},
        "StringEqualsIgnoreCase": {"acs:SourceVpc": "vpc-\u4e2d"}
      }
    }
  ]
}"#,
    ),
    (
        PolicyKind::Trust,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
  "Principal": {"RAM": ["acs:ram::123456789012:root"], "Service": ["ecs.aliyuncs.com"]}}]}"#,
    ),
    (
        PolicyKind::Resource,
        r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
  "Principal": ["20000000001", "*"], "Resource": "acs:oss:*:123456789012:bucket/b/*"}]}"#,
    ),
];

const KINDS: &[PolicyKind] = &[
    PolicyKind::Identity,
    PolicyKind::Session,
    PolicyKind::Control,
    PolicyKind::Resource,
    PolicyKind::Trust,
];

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Reads `bytes` and checks everything that must hold whatever they are.
fn read(bytes: &[u8], kind: PolicyKind) -> Result<Result<Policy, PolicyErrors>, TestCaseError> {
    let result = Policy::from_bytes("fuzz", "fuzz.json", kind, bytes);
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    match &result {
        Ok(policy) => {
            prop_assert!(!policy.statements().is_empty());
            for (i, s) in policy.statements().iter().enumerate() {
                prop_assert_eq!(s.index(), i);
                prop_assert!(s.location().line >= 1 && s.location().column >= 1);
            }
        }
        Err(errors) => {
            prop_assert!(!errors.errors.is_empty(), "an Err without errors");
            prop_assert!(
                errors.errors.len() <= bytes.len() + 1,
                "{} errors for {} bytes",
                errors.errors.len(),
                bytes.len()
            );
            let mut previous = 0;
            for e in &errors.errors {
                let at = e.location;
                prop_assert!(at.line >= 1 && at.column >= 1, "{e:?}");
                prop_assert!(at.line as usize <= lines, "{e:?} past the last line {lines}");
                prop_assert!(at.column as usize <= bytes.len() + 1, "{e:?}");
                prop_assert!(at.span.start <= at.span.end && at.span.end <= bytes.len(), "{e:?}");
                prop_assert!(!e.message.trim().is_empty(), "{e:?}");
                prop_assert!(
                    at.span.start >= previous,
                    "errors out of document order: {:?}",
                    errors.errors
                );
                previous = at.span.start;
            }
            prop_assert!(!errors.to_string().is_empty());
        }
    }
    // Deterministic: the same bytes give the same answer.
    let again = Policy::from_bytes("fuzz", "fuzz.json", kind, bytes);
    match (&result, &again) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
        (Err(a), Err(b)) => {
            prop_assert_eq!(&a.errors, &b.errors);
            prop_assert_eq!(&a.text, &b.text);
        }
        _ => prop_assert!(false, "the same bytes read once as Ok and once as Err"),
    }
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// (a) arbitrary bytes
// ---------------------------------------------------------------------------------------------

/// Bytes a JSON reader must think about: structure, quotes, escapes, digits, letters of the
/// literals and element names, whitespace, a BOM byte and a multi-byte character's bytes.
const JSON_BYTES: &[u8] = b"{}[]\",:\\/0123456789-+.eE \n\t\rtruefalsnVSAEPRCu\xef\xbb\xbf\xe4\xb8\xad";

fn json_soup() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(select(JSON_BYTES), 0..2048)
}

/// Random well-formed JSON over the policy vocabulary, so that the checks after the JSON
/// reader (types, elements, operators, values) see every kind of wrong shape.
fn json_value() -> impl Strategy<Value = String> {
    let words = select(
        &[
            "Version",
            "Statement",
            "Effect",
            "Allow",
            "Deny",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
            "Principal",
            "RAM",
            "Service",
            "Sid",
            "StringEquals",
            "ForAllValues:StringLikeIfExists",
            "NumericLessThan",
            "DateEquals",
            "Bool",
            "IpAddress",
            "Null",
            "acs:SourceIp",
            "1",
            "*",
            "ecs:*",
            "10.0.0.0/8",
            "10.0.0.300",
            "2026-01-01T00:00:00Z",
            "true",
            "",
            "statement",
        ][..],
    );
    let leaf = prop_oneof![
        words.prop_map(|w| serde_json::to_string(w).unwrap()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("1".to_owned()),
        Just("-2.5e3".to_owned()),
    ];
    let key = select(
        &[
            "Version",
            "Statement",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Condition",
            "Principal",
            "Sid",
            "RAM",
            "Service",
            "Federated",
            "StringEquals",
            "StringNotLike",
            "NumericEquals",
            "DateLessThan",
            "ForAnyValue:IpAddress",
            "BoolIfExists",
            "Null",
            "acs:SourceIp",
            "ACS:sourceip",
            "k",
            "",
        ][..],
    );
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|entries| {
                let entries: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

/// A document-shaped object around random JSON: `{"Version": "1", "Statement": [...]}`.
fn policy_shaped() -> impl Strategy<Value = String> {
    (prop::collection::vec(json_value(), 0..4), any::<bool>()).prop_map(|(statements, version)| {
        format!(
            "{{{}\"Statement\": [{}]}}",
            if version { "\"Version\": \"1\", " } else { "" },
            statements.join(", ")
        )
    })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096), kind in select(KINDS)) {
        let _ = read(&bytes, kind)?;
    }

    #[test]
    fn arbitrary_json_soup(bytes in json_soup(), kind in select(KINDS)) {
        let _ = read(&bytes, kind)?;
    }

    #[test]
    fn arbitrary_text(text in any::<String>(), kind in select(KINDS)) {
        let _ = read(text.as_bytes(), kind)?;
    }

    #[test]
    fn arbitrary_json_values(text in prop_oneof![json_value(), policy_shaped()], kind in select(KINDS)) {
        let _ = read(text.as_bytes(), kind)?;
    }
}

// ---------------------------------------------------------------------------------------------
// (b) mutations of valid documents
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Delete(Index, usize),
    Insert(Index, u8),
    Duplicate(Index, usize),
    Truncate(Index),
}

const INSERTED: &[u8] = b"{}[]\",:0123456789";

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        4 => (any::<Index>(), 1usize..6).prop_map(|(at, n)| Mutation::Delete(at, n)),
        4 => (any::<Index>(), select(INSERTED)).prop_map(|(at, b)| Mutation::Insert(at, b)),
        1 => (any::<Index>(), 1usize..40).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Insert(at, b) => bytes.insert(at.index(len + 1), *b),
            _ if len == 0 => {}
            Mutation::Flip(at, bit) => bytes[at.index(len)] ^= 1 << bit,
            Mutation::Delete(at, n) => {
                let start = at.index(len);
                bytes.drain(start..(start + n).min(len));
            }
            Mutation::Duplicate(at, n) => {
                let start = at.index(len);
                let piece = bytes[start..(start + n).min(len)].to_vec();
                let end = (start + n).min(len);
                bytes.splice(end..end, piece);
            }
            Mutation::Truncate(at) => bytes.truncate(at.index(len)),
        }
    }
    bytes
}

fn valid_document() -> impl Strategy<Value = (PolicyKind, &'static str)> {
    let mut all: Vec<(PolicyKind, &'static str)> = SYSTEM.iter().map(|text| (PolicyKind::Identity, *text)).collect();
    all.extend_from_slice(RICH);
    select(all)
}

#[test]
fn the_documents_to_mutate_are_valid() {
    for text in SYSTEM {
        for kind in [PolicyKind::Identity, PolicyKind::Session, PolicyKind::Control] {
            Policy::from_bytes("system", "system.json", kind, text.as_bytes()).unwrap();
        }
    }
    for (kind, text) in RICH {
        Policy::from_bytes("rich", "rich.json", *kind, text.as_bytes()).unwrap();
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn mutated_documents(
        (kind, text) in valid_document(),
        mutations in prop::collection::vec(mutation(), 1..8),
        other_kind in select(KINDS),
    ) {
        let bytes = mutate(text.as_bytes().to_vec(), &mutations);
        let _ = read(&bytes, kind)?;
        let _ = read(&bytes, other_kind)?;
    }
}

// ---------------------------------------------------------------------------------------------
// (c) nesting beyond the depth limit
// ---------------------------------------------------------------------------------------------

/// Where the deep value sits, as text before and after it and the depth of that place.
const PLACES: &[(&str, &str, usize)] = &[
    ("", "", 0),
    ("{\"Version\": \"1\", \"Statement\": ", "}", 1),
    (
        "{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"k\": ",
        "}}}]}",
        5,
    ),
];

/// Nested arrays (`true`) and objects (`false`) around `0`, inside `place`; closed or not.
/// Returns the text and the byte offset of the first opener past the depth limit, if any.
fn nested(place: (&str, &str, usize), levels: &[bool], closed: bool) -> (String, Option<usize>) {
    let (before, after, depth) = place;
    let mut text = before.to_owned();
    let mut too_deep = None;
    for (i, &array) in levels.iter().enumerate() {
        if depth + i + 1 > MAX_DEPTH && too_deep.is_none() {
            too_deep = Some(text.len());
        }
        text.push_str(if array { "[" } else { "{\"a\": " });
    }
    text.push('0');
    if closed {
        for &array in levels.iter().rev() {
            text.push(if array { ']' } else { '}' });
        }
        text.push_str(after);
    }
    (text, too_deep)
}

fn is_depth_error(message: &str) -> bool {
    message.contains("nesting") && message.contains(&MAX_DEPTH.to_string())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn deep_nesting_is_a_clear_error(
        place in select(PLACES),
        levels in prop::collection::vec(prop::bool::weighted(0.6), 40..400),
        closed in prop::bool::weighted(0.8),
        kind in select(KINDS),
    ) {
        let (text, too_deep) = nested(place, &levels, closed);
        let errors = match read(text.as_bytes(), kind)? {
            Ok(_) => return Err(TestCaseError::fail("a document with a nested `0` was accepted")),
            Err(errors) => errors.errors,
        };
        let depth_errors: Vec<_> = errors.iter().filter(|e| is_depth_error(&e.message)).collect();
        match too_deep {
            Some(offset) => {
                // Exactly one, at the opener that goes one level too deep (ASCII: column = offset + 1).
                prop_assert_eq!(depth_errors.len(), 1, "{:?}", errors);
                let at = depth_errors[0].location;
                prop_assert_eq!((at.line, at.column as usize), (1, offset + 1));
                prop_assert_eq!(at.span.start, offset);
            }
            None => prop_assert!(depth_errors.is_empty(), "{:?}", errors),
        }
    }
}

#[test]
fn depth_limit_is_exact() {
    for (array, deep) in [
        (true, MAX_DEPTH),
        (false, MAX_DEPTH),
        (true, MAX_DEPTH + 1),
        (false, MAX_DEPTH + 1),
    ] {
        let (text, too_deep) = nested(PLACES[0], &vec![array; deep], true);
        assert_eq!(too_deep.is_some(), deep > MAX_DEPTH);
        let errors = Policy::parse("deep", &text).unwrap_err().errors;
        assert_eq!(
            errors.iter().any(|e| is_depth_error(&e.message)),
            deep > MAX_DEPTH,
            "{deep} levels: {errors:?}"
        );
    }
}

#[test]
fn very_deep_documents_get_one_depth_error() {
    for opener in ["[", "{\"a\":", "{\"Statement\": ["] {
        for closed in [false, true] {
            // As deep as fits in the 1 MiB limit.
            let n = (MAX_DOCUMENT_BYTES - 1) / (opener.len() + 1);
            let mut text = opener.repeat(n);
            if closed {
                text.push_str(&"]".repeat(n));
            }
            let errors = Policy::parse("deep", &text).unwrap_err().errors;
            assert!(errors.iter().any(|e| is_depth_error(&e.message)), "{errors:?}");
            assert!(errors.len() < 10, "{} errors", errors.len());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests: building and evaluating never panic
// ---------------------------------------------------------------------------------------------

const OPERATORS: &[(&str, &[&str])] = &[
    ("StringEquals", &["a", ""]),
    ("StringNotEquals", &["a"]),
    ("StringEqualsIgnoreCase", &["A\u{e9}"]),
    ("StringNotEqualsIgnoreCase", &["x"]),
    ("StringLike", &["*a?*", "?"]),
    ("StringNotLike", &["*\u{4e2d}*"]),
    ("NumericEquals", &["10", "-0.5"]),
    ("NumericNotEquals", &["+7"]),
    ("NumericLessThan", &["12345678901234567890.123"]),
    ("NumericLessThanEquals", &["0"]),
    ("NumericGreaterThan", &["-3"]),
    ("NumericGreaterThanEquals", &["2.5"]),
    ("DateEquals", &["2026-01-01T00:00:00Z", "86400"]),
    ("DateNotEquals", &["2019-08-12"]),
    ("DateLessThan", &["2026-01-01T08:00:00.123+08:00"]),
    ("DateLessThanEquals", &["-1"]),
    ("DateGreaterThan", &["1970-01-01"]),
    ("DateGreaterThanEquals", &["2100-12-31T23:59:59-05:30"]),
    ("Bool", &["true"]),
    ("IpAddress", &["10.0.0.1/8", "2001:db8::/32", "192.0.2.7"]),
    ("NotIpAddress", &["0.0.0.0/0", "::/0"]),
];

/// Every operator, with and without prefix and suffix, in Allow and Deny statements, on the
/// key `k` and on the well-known keys; plus the system policies.
fn every_operator() -> &'static CompiledPolicySet {
    static SET: OnceLock<CompiledPolicySet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut statements = Vec::new();
        for (i, (op, values)) in OPERATORS.iter().enumerate() {
            for prefix in ["", "ForAnyValue:", "ForAllValues:"] {
                for suffix in ["", "IfExists"] {
                    let values = serde_json::to_string(values).unwrap();
                    let effect = if (i + prefix.len() + suffix.len()) % 2 == 0 { "Allow" } else { "Deny" };
                    statements.push(format!(
                        r#"{{"Effect": "{effect}", "Action": "*", "Resource": "*", "Condition": {{"{prefix}{op}{suffix}": {{"k": {values}, "acs:SourceIp": {values}, "acs:CurrentTime": {values}}}}}}}"#
                    ));
                }
            }
        }
        for flag in ["true", "false"] {
            statements.push(format!(
                r#"{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"Null": {{"k": "{flag}"}}}}}}"#
            ));
        }
        let text = format!("{{\"Version\": \"1\", \"Statement\": [{}]}}", statements.join(",\n"));
        let mut set = PolicySet::new();
        set.add(Policy::parse("every-operator", &text).unwrap()).unwrap();
        for (i, text) in SYSTEM.iter().enumerate() {
            set.add(Policy::parse(&format!("system{i}"), text).unwrap()).unwrap();
        }
        assert!(set.policies().len() > SYSTEM.len());
        set.compile()
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        1 => "[a-zA-Z]{0,6}:[a-zA-Z*?]{0,10}",
        1 => "[-+]?[0-9]{0,25}(\\.[0-9]{0,5})?",
        1 => "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?",
        1 => "[0-9]{1,3}(\\.[0-9]{1,3}){0,4}(/[0-9]{1,3})?",
        1 => "[0-9a-fA-F:.]{0,40}(/[0-9]{1,3})?",
        1 => "(?i:true|false)",
        1 => Just(String::new()),
        1 => Just("*".to_owned()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => text(),
        3 => select(
            &[
                "k",
                "K",
                "acs:SourceIp",
                "ACS:SOURCEIP",
                "acs:CurrentTime",
                "acs:currenttime",
                "acs:MFAPresent",
                "acs:SecureTransport",
                "polardb:EncryptionRequired",
                "acs:PrincipalARN",
                "acs:RequestTag/env",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn requests_never_panic(
        action in text(),
        resource in prop::option::of(text()),
        group in prop::option::of(text()),
        context in prop::collection::vec((key(), text()), 0..4),
        k_values in prop::collection::vec(text(), 0..3),
    ) {
        let mut builder = Request::builder(action.clone());
        if let Some(resource) = &resource {
            builder = builder.resource(resource.clone());
        }
        if let Some(group) = &group {
            builder = builder.resource_group(group.clone());
        }
        for (k, v) in &context {
            builder = builder.context(k.clone(), v.clone());
        }
        for v in &k_values {
            builder = builder.context("k", v.clone());
        }
        match builder.build() {
            Ok(request) => {
                prop_assert_eq!(request.action(), action.as_str());
                prop_assert_eq!(request.resource(), resource.as_deref().unwrap_or("*"));
                let k_count = context.iter().filter(|(k, _)| k.eq_ignore_ascii_case("k")).count() + k_values.len();
                prop_assert_eq!(request.context().get("k").len(), k_count);
                let response = every_operator().authorize(&request, Detail::Deciding);
                prop_assert_eq!(response.deciding().is_empty(), response.decision() == Decision::ImplicitDeny);
                for e in response.errors() {
                    prop_assert!(!e.expected.is_empty());
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
