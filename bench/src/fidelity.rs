//! Edge cases of SPEC §2–§3 that the benchmark workloads do not reach, decided by every engine
//! before anything is timed: a check of the translations (and of ram-policy), not timed.

use crate::workload::{CondSpec, PolicySpec, RequestSpec, StatementSpec, Workload};

fn st(
    allow: bool,
    actions: &[&str],
    resources: &[&str],
    conditions: &[(&'static str, &str, &[&str])],
) -> StatementSpec {
    StatementSpec {
        allow,
        actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        resources: resources.iter().map(|s| (*s).to_owned()).collect(),
        conditions: conditions
            .iter()
            .map(|(op, key, values)| CondSpec {
                op,
                key: (*key).to_owned(),
                values: values.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect(),
    }
}

fn req(action: &str, resource: &str, context: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        action: action.to_owned(),
        resource: resource.to_owned(),
        context: context
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// Statements and requests around case folding, `*` across `.`, `:` and `/`, absent keys,
/// unparseable request values (fail closed), IPv4/IPv6, host bits and date formats.
pub fn workload() -> Workload {
    let statements = vec![
        st(true, &["Svc:Get*"], &["acs:svc:*:*:bucket/a.b/*"], &[]),
        st(false, &["svc:Get*"], &["*"], &[("Bool", "custom:Flag", &["TRUE"])]),
        st(
            true,
            &["svc:List*"],
            &["*"],
            &[("IpAddress", "custom:ip", &["10.0.0.1/8", "2001:db8::/32"])],
        ),
        st(
            false,
            &["svc:List*"],
            &["*"],
            &[("IpAddress", "custom:denyip", &["192.0.2.0/24"])],
        ),
        st(
            true,
            &["svc:Put*"],
            &["*"],
            &[
                ("DateLessThan", "custom:until", &["2027-01-01"]),
                ("StringLike", "acs:ResourceTag/Team", &["a*b"]),
            ],
        ),
        st(
            false,
            &["svc:Put*"],
            &["*"],
            &[("DateLessThan", "custom:deadline", &["1800000000"])],
        ),
        st(
            true,
            &["*:Describe*"],
            &["*"],
            &[("StringEquals", "Custom:Env", &["prod", "stage"])],
        ),
        st(true, &["svc:*:*"], &["acs:svc:*"], &[]),
    ];
    let object = "acs:svc:cn-hangzhou:123456789012:bucket/a.b/x.y";
    let until = ("custom:until", "2026-12-31T23:59:59+08:00");
    let team = ("acs:resourcetag/team", "a.x/yb");
    let requests = vec![
        req("svc:GetObject", object, &[]),
        req("svc:getobject", object, &[("custom:flag", "true")]),
        req("svc:GetObject", object, &[("CUSTOM:FLAG", "maybe")]),
        req("svc:GetObject", object, &[("custom:flag", "False")]),
        req("svc:GetObject", "*", &[]),
        req("svc:GetObject", "acs:svc:cn-hangzhou:123456789012:bucket/a.c/x", &[]),
        req("svc:ListThings", "*", &[("custom:ip", "10.9.9.9")]),
        req("svc:ListThings", "*", &[("custom:ip", "2001:db8::5")]),
        req("svc:ListThings", "*", &[("custom:ip", "not-an-ip")]),
        req("svc:ListThings", "*", &[("custom:ip", "::ffff:10.1.1.1")]),
        req(
            "svc:ListThings",
            "*",
            &[("custom:ip", "10.1.1.1"), ("custom:denyip", "garbage")],
        ),
        req(
            "svc:ListThings",
            "*",
            &[("custom:ip", "10.1.1.1"), ("custom:denyip", "192.0.2.200")],
        ),
        req("SVC:PUTX", "*", &[until, team]),
        req("svc:PutX", "*", &[("custom:until", "2027-01-01T00:00:00Z"), team]),
        req("svc:PutX", "*", &[("custom:until", "1798761599"), team]),
        req(
            "svc:PutX",
            "*",
            &[("custom:until", "2026-12-31"), ("acs:resourcetag/team", "ab")],
        ),
        req("svc:PutX", "*", &[until, ("acs:resourcetag/team", "AB")]),
        req(
            "svc:PutX",
            "*",
            &[until, team, ("custom:deadline", "2027-01-15T08:00:00Z")],
        ),
        req(
            "svc:PutX",
            "*",
            &[until, team, ("custom:deadline", "2027-01-15T07:59:59.999Z")],
        ),
        req("svc:PutX", "*", &[until, team, ("custom:deadline", "soon")]),
        req("other:DescribeX", "*", &[("CUSTOM:ENV", "stage")]),
        req("other:DescribeX", "*", &[("custom:env", "Prod")]),
        req("svc:a:b", "acs:svc:", &[]),
        req("svc:a", "acs:svc:x", &[]),
    ];
    Workload {
        name: "edge-cases".into(),
        policies: vec![PolicySpec {
            name: "edge".into(),
            statements,
        }],
        requests,
    }
}
