//! The benchmark workloads, shared by the criterion benchmarks (`benches/`) and the comparison
//! with other engines (`bench/`): RAM-shaped policy sets as structured data (so that other
//! engines can be given a faithful translation) and as RAM JSON, plus the requests to decide.
//!
//! Everything is deterministic (a fixed-seed generator), so every run measures the same work.
#![allow(dead_code)]

/// One condition: operator, key, values.
#[derive(Debug, Clone)]
pub struct CondSpec {
    /// `StringEquals`, `StringLike`, `IpAddress`, `Bool`, `DateLessThan`, `NumericLessThan`.
    pub op: &'static str,
    pub key: String,
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct StatementSpec {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub conditions: Vec<CondSpec>,
}

/// One policy: a name and its statements.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    pub name: String,
    pub statements: Vec<StatementSpec>,
}

/// One request: action, resource and context (every key single-valued).
#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub action: String,
    pub resource: String,
    pub context: Vec<(String, String)>,
}

/// A policy set and the requests to decide against it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: String,
    pub policies: Vec<PolicySpec>,
    pub requests: Vec<RequestSpec>,
}

impl Workload {
    /// How many statements the set holds.
    pub fn statement_count(&self) -> usize {
        self.policies.iter().map(|p| p.statements.len()).sum()
    }
}

fn quote(s: &str) -> String {
    // The workloads use only plain ASCII without quotes or backslashes.
    format!("\"{s}\"")
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

impl PolicySpec {
    /// The policy as a RAM JSON document.
    pub fn to_json(&self) -> String {
        let statements: Vec<String> = self
            .statements
            .iter()
            .map(|s| {
                let mut text = format!(
                    "    {{\"Effect\": \"{}\", \"Action\": {}, \"Resource\": {}",
                    if s.allow { "Allow" } else { "Deny" },
                    list(&s.actions),
                    list(&s.resources)
                );
                if !s.conditions.is_empty() {
                    // Several conditions may share an operator: group them under it.
                    let mut ops: Vec<(&str, Vec<String>)> = Vec::new();
                    for c in &s.conditions {
                        let entry = format!("{}: {}", quote(&c.key), list(&c.values));
                        match ops.iter_mut().find(|(op, _)| *op == c.op) {
                            Some((_, entries)) => entries.push(entry),
                            None => ops.push((c.op, vec![entry])),
                        }
                    }
                    let blocks: Vec<String> = ops
                        .iter()
                        .map(|(op, entries)| format!("\"{op}\": {{{}}}", entries.join(", ")))
                        .collect();
                    text.push_str(&format!(", \"Condition\": {{{}}}", blocks.join(", ")));
                }
                text.push('}');
                text
            })
            .collect();
        format!(
            "{{\n  \"Version\": \"1\",\n  \"Statement\": [\n{}\n  ]\n}}\n",
            statements.join(",\n")
        )
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn st(allow: bool, actions: &[&str], resources: &[&str], conditions: Vec<CondSpec>) -> StatementSpec {
    StatementSpec {
        allow,
        actions: strings(actions),
        resources: strings(resources),
        conditions,
    }
}

fn cond(op: &'static str, key: &str, values: &[&str]) -> CondSpec {
    CondSpec {
        op,
        key: key.to_owned(),
        values: strings(values),
    }
}

const CLUSTER: &str = "acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-bp150t3l1td9863q9";

/// The small set: the PolarDB system policies a PolarDB team attaches (AliyunPolardbFullAccess,
/// 7 statements; AliyunPolardbReadOnlyWithSQLLogArchiveAccess, 2) plus five custom statements
/// with conditions — 14 statements — and a mix of requests that end in each decision.
pub fn small() -> Workload {
    let full = PolicySpec {
        name: "AliyunPolardbFullAccess".into(),
        statements: vec![
            st(true, &["polardb:*"], &["*"], vec![]),
            st(true, &["hdm:*"], &["acs:polardb:*:*:*"], vec![]),
            st(true, &["dbs:*"], &["acs:polardb:*:*:*"], vec![]),
            st(true, &["vpc:DescribeVpcs", "vpc:DescribeVSwitches"], &["*"], vec![]),
            st(true, &["dms:LoginDatabase"], &["acs:polardb:*:*:*"], vec![]),
            st(true, &["bss:ModifyAgreementRecord"], &["*"], vec![]),
            st(
                true,
                &["ram:CreateServiceLinkedRole"],
                &["*"],
                vec![cond("StringEquals", "ram:ServiceName", &["polardb.aliyuncs.com"])],
            ),
        ],
    };
    let sql_log = PolicySpec {
        name: "AliyunPolardbReadOnlyWithSQLLogArchiveAccess".into(),
        statements: vec![
            st(
                true,
                &["polardb:Describe*", "polardb:StartSqlLogDetailArchive"],
                &["*"],
                vec![],
            ),
            st(
                true,
                &[
                    "hdm:Get*",
                    "hdm:Describe*",
                    "hdm:Query*",
                    "hdm:Support*",
                    "hdm:StartLakeQuery",
                    "hdm:StartLakeQueryArchive",
                    "hdm:CreateSqlLogTask",
                ],
                &["acs:polardb:*:*:*"],
                vec![],
            ),
        ],
    };
    let custom = PolicySpec {
        name: "team-custom".into(),
        statements: vec![
            st(
                false,
                &["polardb:DeleteDBCluster", "polardb:DeleteBackup"],
                &["*"],
                vec![],
            ),
            st(
                false,
                &["polardb:*"],
                &["*"],
                vec![cond("Bool", "acs:SecureTransport", &["false"])],
            ),
            st(
                false,
                &["polardb:Modify*"],
                &["acs:polardb:*:*:dbcluster/*"],
                vec![
                    cond("StringEquals", "acs:ResourceTag/env", &["prod"]),
                    cond("Bool", "acs:MFAPresent", &["false"]),
                ],
            ),
            st(
                true,
                &["polardb:AbortDBClusterMigration", "polardb:ContinueDBClusterMigration"],
                &["acs:polardb:cn-hangzhou:123456789012:dbcluster/*"],
                vec![
                    cond("IpAddress", "acs:SourceIp", &["203.0.113.0/24", "198.51.100.7"]),
                    cond("Bool", "acs:MFAPresent", &["true"]),
                    cond("DateLessThan", "acs:CurrentTime", &["2027-01-01T00:00:00Z"]),
                ],
            ),
            st(
                true,
                &["ecs:Describe*"],
                &["acs:ecs:cn-hangzhou:*:instance/*"],
                vec![cond("StringLike", "acs:ResourceTag/team", &["polardb-*"])],
            ),
        ],
    };
    let ctx = |ip: &str, mfa: &str, https: &str| {
        vec![
            ("acs:SourceIp".to_owned(), ip.to_owned()),
            ("acs:MFAPresent".to_owned(), mfa.to_owned()),
            ("acs:SecureTransport".to_owned(), https.to_owned()),
            ("acs:CurrentTime".to_owned(), "2026-11-28T02:00:00Z".to_owned()),
            ("acs:ResourceTag/env".to_owned(), "prod".to_owned()),
            ("acs:ResourceTag/team".to_owned(), "polardb-core".to_owned()),
        ]
    };
    let req = |action: &str, resource: &str, context: Vec<(String, String)>| RequestSpec {
        action: action.into(),
        resource: resource.into(),
        context,
    };
    let requests = vec![
        // The headline: allowed by polardb:* (and the operator statement), no Deny applies.
        req(
            "polardb:AbortDBClusterMigration",
            CLUSTER,
            ctx("203.0.113.9", "true", "true"),
        ),
        // Explicit deny by the guardrail.
        req("polardb:DeleteDBCluster", CLUSTER, ctx("203.0.113.9", "true", "true")),
        // Explicit deny: plain HTTP.
        req("polardb:DescribeDBClusters", "*", ctx("192.0.2.1", "false", "false")),
        // Explicit deny: modifying a prod cluster without MFA.
        req(
            "polardb:ModifyDBClusterParameters",
            CLUSTER,
            ctx("192.0.2.1", "false", "true"),
        ),
        // Allowed: hdm on a PolarDB resource.
        req("hdm:GetInstanceInspections", CLUSTER, ctx("192.0.2.1", "false", "true")),
        // Implicit deny: another service.
        req("rds:DescribeDBInstances", "*", ctx("192.0.2.1", "false", "true")),
        // Implicit deny: hdm on a non-PolarDB resource.
        req(
            "hdm:GetInstanceInspections",
            "acs:rds:cn-hangzhou:123456789012:dbinstance/rm-1",
            ctx("192.0.2.1", "false", "true"),
        ),
        // Allowed by a condition (StringLike on a resource tag).
        req(
            "ecs:DescribeInstances",
            "acs:ecs:cn-hangzhou:123456789012:instance/i-1",
            ctx("192.0.2.1", "false", "true"),
        ),
    ];
    Workload {
        name: "small".into(),
        policies: vec![full, sql_log, custom],
        requests,
    }
}

/// A small deterministic generator (SplitMix64), so that no benchmark depends on `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const VERBS: &[&str] = &["Describe", "Create", "Modify", "Delete", "List", "Get", "Start", "Stop"];
const NOUNS: &[&str] = &[
    "Instance", "Cluster", "Backup", "Snapshot", "Account", "Endpoint", "Tag", "Policy", "Node", "Log",
];

/// `n` statements spread over 100 services (`svc00` … `svc99`): exact actions, prefix
/// wildcards (`svc17:Describe*`), some `*:Get*`-style cross-service patterns, resource
/// patterns with wildcards, a third with conditions (tags, IP ranges, MFA), one in ten a Deny,
/// in policies of 10 statements. Requests hit exact actions, wildcards and nothing.
pub fn large(n: usize) -> Workload {
    let mut rng = Rng::new(0x5eed_0000 + n as u64);
    let mut statements = Vec::with_capacity(n);
    for i in 0..n {
        let svc = format!("svc{:02}", i % 100);
        let verb = VERBS[rng.below(VERBS.len())];
        let noun = NOUNS[rng.below(NOUNS.len())];
        let actions = match rng.below(10) {
            0..=4 => vec![format!("{svc}:{verb}{noun}{}", rng.below(20))],
            5..=7 => vec![format!("{svc}:{verb}*")],
            8 => vec![
                format!("{svc}:{verb}{noun}*"),
                format!("{svc}:{verb}{noun}{}", rng.below(20)),
            ],
            // A few cross-service patterns, as in Alibaba's read-only examples.
            _ if i % 97 == 0 => vec![format!("*:{verb}{noun}{}", rng.below(20))],
            _ => vec![format!("{svc}:*{noun}*")],
        };
        let region = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "*"][rng.below(4)];
        let resources = match rng.below(4) {
            0 => vec!["*".to_owned()],
            1 => vec![format!(
                "acs:{svc}:{region}:123456789012:{}/*",
                noun.to_ascii_lowercase()
            )],
            2 => vec![format!(
                "acs:{svc}:*:*:{}/r-{}",
                noun.to_ascii_lowercase(),
                rng.below(50)
            )],
            _ => vec![format!("acs:{svc}:{region}:*:*")],
        };
        let conditions = match rng.below(6) {
            0 => vec![cond(
                "StringEquals",
                "acs:ResourceTag/team",
                &[["blue", "green", "red"][rng.below(3)]],
            )],
            1 => vec![cond("IpAddress", "acs:SourceIp", &["10.0.0.0/8", "192.0.2.0/24"])],
            2 => vec![
                cond("Bool", "acs:MFAPresent", &["true"]),
                cond("StringLike", "acs:ResourceTag/env", &["prod*"]),
            ],
            _ => vec![],
        };
        statements.push(StatementSpec {
            allow: i % 10 != 3,
            actions,
            resources,
            conditions,
        });
    }
    let policies = statements
        .chunks(10)
        .enumerate()
        .map(|(i, chunk)| PolicySpec {
            name: format!("p{i:04}"),
            statements: chunk.to_vec(),
        })
        .collect();
    let mut requests = Vec::new();
    for i in 0..64 {
        let svc = format!("svc{:02}", rng.below(100));
        let verb = VERBS[rng.below(VERBS.len())];
        let noun = NOUNS[rng.below(NOUNS.len())];
        let action = if i % 8 == 7 {
            format!("other{i}:{verb}{noun}")
        } else {
            format!("{svc}:{verb}{noun}{}", rng.below(20))
        };
        let resource = format!(
            "acs:{svc}:{}:123456789012:{}/r-{}",
            ["cn-hangzhou", "cn-shanghai", "cn-beijing"][rng.below(3)],
            noun.to_ascii_lowercase(),
            rng.below(50)
        );
        let context = vec![
            (
                "acs:SourceIp".to_owned(),
                ["10.1.2.3", "203.0.113.9"][rng.below(2)].to_owned(),
            ),
            ("acs:MFAPresent".to_owned(), ["true", "false"][rng.below(2)].to_owned()),
            ("acs:CurrentTime".to_owned(), "2026-11-28T02:00:00Z".to_owned()),
            (
                "acs:ResourceTag/team".to_owned(),
                ["blue", "green", "red"][rng.below(3)].to_owned(),
            ),
            (
                "acs:ResourceTag/env".to_owned(),
                ["prod", "test"][rng.below(2)].to_owned(),
            ),
        ];
        requests.push(RequestSpec {
            action,
            resource,
            context,
        });
    }
    Workload {
        name: format!("large-{n}"),
        policies,
        requests,
    }
}

/// A custom policy of about 6,144 characters (RAM's limit): many statements with conditions.
pub fn max_size_policy() -> PolicySpec {
    let mut statements = Vec::new();
    let mut i = 0;
    loop {
        let spec = PolicySpec {
            name: "max".into(),
            statements: statements.clone(),
        };
        if spec.to_json().len() > 5_900 {
            return spec;
        }
        statements.push(st(
            i % 4 != 0,
            &[&format!("polardb:Describe{i}*"), &format!("polardb:Modify{i}")],
            &[&format!("acs:polardb:cn-hangzhou:123456789012:dbcluster/pc-{i}*")],
            vec![
                cond("IpAddress", "acs:SourceIp", &["203.0.113.0/24"]),
                cond("StringEquals", "acs:ResourceTag/team", &["polardb"]),
            ],
        ));
        i += 1;
    }
}

/// Requests aimed at `w`'s statements, so that a large set's requests end in every decision
/// (`large`'s own requests mostly end in ImplicitDeny). Each takes one statement (every fourth a
/// Deny), fills the wildcards of its first action and first resource pattern with concrete text
/// and gives the context the values its conditions ask for. The decision is the engines' to
/// find: another statement may still deny, or a Deny may not apply.
pub fn aimed_requests(w: &Workload, count: usize, seed: u64) -> Vec<RequestSpec> {
    let statements: Vec<&StatementSpec> = w.policies.iter().flat_map(|p| &p.statements).collect();
    let denies: Vec<&StatementSpec> = statements.iter().copied().filter(|s| !s.allow).collect();
    let mut rng = Rng::new(seed);
    let mut requests = Vec::with_capacity(count);
    for j in 0..count {
        let s = if j % 4 == 0 && !denies.is_empty() {
            denies[rng.below(denies.len())]
        } else {
            statements[rng.below(statements.len())]
        };
        let svc = format!("svc{:02}", rng.below(100));
        let noun = NOUNS[rng.below(NOUNS.len())];
        let mut action = String::new();
        let pattern = &s.actions[0];
        for (i, c) in pattern.chars().enumerate() {
            match c {
                '*' if i == 0 && pattern[1..].starts_with(':') => action.push_str(&svc),
                '*' => action.push_str(&format!("{noun}{}", rng.below(20))),
                '?' => action.push('x'),
                c => action.push(c),
            }
        }
        let service = action.split(':').next().unwrap_or_default().to_owned();
        let region = ["cn-hangzhou", "cn-shanghai", "cn-beijing"][rng.below(3)];
        let relative = format!("{}/r-{}", noun.to_ascii_lowercase(), rng.below(50));
        let resource = if s.resources[0] == "*" {
            format!("acs:{service}:{region}:123456789012:{relative}")
        } else {
            let segments: Vec<String> = s.resources[0]
                .splitn(5, ':')
                .enumerate()
                .map(|(i, segment)| match (i, segment) {
                    (2, "*") => region.to_owned(),
                    (3, "*") => "123456789012".to_owned(),
                    (4, "*") => relative.clone(),
                    (_, segment) => segment.replace('*', &format!("r-{}", rng.below(50))).replace('?', "x"),
                })
                .collect();
            segments.join(":")
        };
        let mut context = vec![
            (
                "acs:SourceIp".to_owned(),
                ["10.1.2.3", "203.0.113.9"][rng.below(2)].to_owned(),
            ),
            ("acs:MFAPresent".to_owned(), ["true", "false"][rng.below(2)].to_owned()),
            ("acs:CurrentTime".to_owned(), "2026-11-28T02:00:00Z".to_owned()),
            (
                "acs:ResourceTag/team".to_owned(),
                ["blue", "green", "red"][rng.below(3)].to_owned(),
            ),
            (
                "acs:ResourceTag/env".to_owned(),
                ["prod", "test"][rng.below(2)].to_owned(),
            ),
        ];
        for c in &s.conditions {
            let value = match c.op {
                "StringEquals" | "Bool" => c.values[0].clone(),
                "StringLike" => c.values[0].replace('*', "").replace('?', "x"),
                "IpAddress" => c.values[0].split('/').next().unwrap_or_default().to_owned(),
                _ => continue,
            };
            match context.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&c.key)) {
                Some(entry) => entry.1 = value,
                None => context.push((c.key.clone(), value)),
            }
        }
        requests.push(RequestSpec {
            action,
            resource,
            context,
        });
    }
    requests
}
