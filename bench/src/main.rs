//! Decision time of ram-policy against Cedar and Regorus on the shared RAM workloads
//! (`benches/workload.rs`). See README.md in this folder for the translations and their limits.
//!
//! `cargo run --release --manifest-path bench/Cargo.toml -- [--quick]`

mod cedar;
mod common;
mod fidelity;
mod rego;
#[allow(clippy::all)]
#[path = "../../benches/workload.rs"]
mod workload;

use std::hint::black_box;
use std::process::exit;
use std::time::{Duration, Instant};

use ram_policy::{CompiledPolicySet, Decision, Detail, Policy, PolicySet, Request};

use workload::{RequestSpec, Workload};

/// How long and how often to measure.
struct Plan {
    /// Wall time one batch should take at least.
    batch: Duration,
    /// Batches per engine and workload; the median is reported.
    batches: usize,
}

/// `large(n)` with as many requests again aimed at its statements, for a mix of decisions.
fn large(n: usize) -> Workload {
    let mut w = workload::large(n);
    let aimed = workload::aimed_requests(&w, w.requests.len(), 0xa1_3ed0 + n as u64);
    w.requests.extend(aimed);
    w
}

/// Everything one workload needs, loaded and prepared.
struct Loaded {
    ram: CompiledPolicySet,
    ram_requests: Vec<Request>,
    cedar: cedar::Cedar,
    cedar_requests: Vec<cedar_policy::Request>,
    interpreter: rego::Interpreter,
    /// The RVM, when the set fits its program limits.
    vm: Result<rego::Vm, String>,
    rego_inputs: Vec<regorus::Value>,
    /// Reading + compiling times: ram-policy, Cedar, Regorus interpreter, Regorus RVM.
    setup: [Option<Duration>; 4],
    /// Time to write the RAM JSON, Cedar and Rego texts (the harness's work, not an engine's).
    translate: Duration,
}

fn fail(message: String) -> ! {
    eprintln!("error: {message}");
    exit(1)
}

fn ram_request(spec: &RequestSpec) -> Request {
    let mut builder = Request::builder(spec.action.clone()).resource(spec.resource.clone());
    for (key, value) in &spec.context {
        builder = builder.context(key.clone(), value.clone());
    }
    builder
        .build()
        .unwrap_or_else(|e| fail(format!("ram-policy rejects request {}: {e}", spec.action)))
}

fn load(w: &Workload) -> Loaded {
    let start = Instant::now();
    let documents: Vec<String> = w.policies.iter().map(|p| p.to_json()).collect();
    let cedar_text = cedar::translate(w);
    let rego_modules = rego::translate(w);
    let translate = start.elapsed();

    let start = Instant::now();
    let mut set = PolicySet::new();
    for (p, json) in w.policies.iter().zip(&documents) {
        let policy = Policy::parse(&p.name, json)
            .unwrap_or_else(|e| fail(format!("ram-policy rejects {} of {}: {e}", p.name, w.name)));
        set.add(policy).expect("unique policy names");
    }
    let ram = set.compile();
    let ram_setup = start.elapsed();

    let start = Instant::now();
    let cedar = cedar::Cedar::new(&cedar_text).unwrap_or_else(|e| fail(format!("{}: {e}", w.name)));
    let cedar_setup = start.elapsed();

    let start = Instant::now();
    let interpreter = rego::Interpreter::new(&rego_modules).unwrap_or_else(|e| fail(format!("{}: {e}", w.name)));
    let interpreter_setup = start.elapsed();

    let start = Instant::now();
    let vm = rego::Vm::new(&rego_modules);
    let vm_setup = vm.as_ref().ok().map(|_| start.elapsed());
    if let Err(e) = &vm {
        println!("{}: no RVM timing: {e}", w.name);
    }

    if std::env::var_os("BENCH_DUMP").is_some() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let rego: Vec<&str> = rego_modules.iter().map(|(_, text)| text.as_str()).collect();
        for (ext, text) in [("cedar", cedar_text.clone()), ("rego", rego.join("\n"))] {
            let path = dir.join(format!("{}.{ext}", w.name));
            std::fs::write(&path, text).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        }
    }

    Loaded {
        ram,
        ram_requests: w.requests.iter().map(ram_request).collect(),
        cedar,
        cedar_requests: w.requests.iter().map(cedar::request).collect(),
        interpreter,
        vm,
        rego_inputs: w.requests.iter().map(rego::input).collect(),
        setup: [Some(ram_setup), Some(cedar_setup), Some(interpreter_setup), vm_setup],
        translate,
    }
}

/// Every engine must decide every request alike; returns the count of each decision.
fn check(w: &Workload, l: &mut Loaded) -> [usize; 3] {
    let mut counts = [0; 3];
    let mut dump = std::env::var_os("BENCH_DUMP").map(|_| Vec::new());
    for (i, spec) in w.requests.iter().enumerate() {
        let ours = l.ram.authorize(&l.ram_requests[i], Detail::Decision).decision();
        let explained = l.ram.authorize(&l.ram_requests[i], Detail::Deciding).decision();
        let (cedar, cedar_errors) = l.cedar.decide_checked(&l.cedar_requests[i]);
        let interpreted = l.interpreter.decide(&l.rego_inputs[i]).unwrap_or_else(|e| fail(e));
        let vm = match &mut l.vm {
            Ok(vm) => vm.decide(&l.rego_inputs[i]).unwrap_or_else(|e| fail(e)),
            Err(_) => ours,
        };
        if !cedar_errors.is_empty() {
            fail(format!(
                "{} request {i} ({} on {}): Cedar reports evaluation errors: {cedar_errors:?}",
                w.name, spec.action, spec.resource
            ));
        }
        if [explained, cedar, interpreted, vm].iter().any(|d| *d != ours) {
            fail(format!(
                "the engines disagree on {} request {i}: {} on {} with {:?}\n  ram-policy decide={ours} authorize={explained}\n  cedar={cedar}\n  regorus={interpreted} (rvm={vm})",
                w.name, spec.action, spec.resource, spec.context
            ));
        }
        if let Some(lines) = &mut dump {
            lines.push(format!(
                "{ours}\t{}\t{}\t{:?}",
                spec.action, spec.resource, spec.context
            ));
        }
        counts[match ours {
            Decision::Allow => 0,
            Decision::ExplicitDeny => 1,
            Decision::ImplicitDeny => 2,
        }] += 1;
    }
    if let Some(lines) = dump {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("{}.decisions", w.name));
        std::fs::write(&path, lines.join("\n") + "\n").unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
    }
    counts
}

/// Median nanoseconds per decision of `decide` over the requests. A batch runs whole passes
/// over the requests when a pass is shorter than the batch time; otherwise (the slowest engines
/// on the largest sets) every `stride`-th request from a rotating offset, so that each batch
/// still samples the whole list.
fn time<R>(plan: &Plan, requests: &[R], mut decide: impl FnMut(&R) -> Decision) -> f64 {
    // Warm up (at most one pass or one batch time) and estimate the time of one decision.
    let start = Instant::now();
    let mut done = 0;
    for r in requests {
        black_box(decide(black_box(r)));
        done += 1;
        if start.elapsed() >= plan.batch {
            break;
        }
    }
    let per_decision = start.elapsed().as_nanos().max(1) / done as u128;
    let per_batch = (plan.batch.as_nanos() / per_decision).max(1) as usize;
    let n = requests.len();
    let mut samples: Vec<f64> = (0..plan.batches)
        .map(|batch| {
            let start = Instant::now();
            let decisions = if per_batch >= n {
                let passes = per_batch / n;
                for _ in 0..passes {
                    for r in requests {
                        black_box(decide(black_box(r)));
                    }
                }
                passes * n
            } else {
                let stride = n.div_ceil(per_batch);
                let picked: Vec<&R> = requests.iter().skip(batch % stride).step_by(stride).collect();
                for r in &picked {
                    black_box(decide(black_box(r)));
                }
                picked.len()
            };
            start.elapsed().as_nanos() as f64 / decisions as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Per-decision medians: ram-policy decide, ram-policy authorize, Cedar, Regorus interpreter,
/// Regorus RVM.
fn measure(plan: &Plan, l: &mut Loaded) -> [f64; 5] {
    let ram = &l.ram;
    let decide = time(plan, &l.ram_requests, |r| ram.authorize(r, Detail::Decision).decision());
    let authorize = time(plan, &l.ram_requests, |r| ram.authorize(r, Detail::Deciding).decision());
    let cedar = &l.cedar;
    let cedar_ns = time(plan, &l.cedar_requests, |r| cedar.decide(r));
    let interpreter = &mut l.interpreter;
    let interpreted = time(plan, &l.rego_inputs, |input| {
        interpreter.decide(input).unwrap_or_else(|e| fail(e))
    });
    let vm_ns = match &mut l.vm {
        Ok(vm) => time(plan, &l.rego_inputs, |input| {
            vm.decide(input).unwrap_or_else(|e| fail(e))
        }),
        Err(_) => f64::NAN,
    };
    [decide, authorize, cedar_ns, interpreted, vm_ns]
}

fn ns(value: f64) -> String {
    if value.is_nan() {
        "n/a".into()
    } else if value >= 1e6 {
        format!("{:.2} ms", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.1} µs", value / 1e3)
    } else {
        format!("{value:.0} ns")
    }
}

fn ratio(value: f64) -> String {
    if value.is_nan() {
        return "n/a".into();
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        None => "n/a".into(),
    }
}

fn main() {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    if let Some(other) = std::env::args().skip(1).find(|a| a != "--quick") {
        fail(format!("unknown argument {other:?}; usage: ram-policy-bench [--quick]"));
    }
    let plan = if quick {
        Plan {
            batch: Duration::from_millis(50),
            batches: 11,
        }
    } else {
        Plan {
            batch: Duration::from_millis(250),
            batches: 31,
        }
    };
    // A gateway keeps every compiled glob: size Regorus's glob cache for the largest set.
    regorus::cache::configure(regorus::cache::Config {
        regex: 0,
        glob: regorus::cache::Config::MAX_CAPACITY,
    });

    println!(
        "ram-policy vs Cedar vs Regorus: median time per decision ({} batches of >= {} ms; {})",
        plan.batches,
        plan.batch.as_millis(),
        if quick { "--quick" } else { "full run" }
    );
    let edge = fidelity::workload();
    let [allow, explicit, implicit] = check(&edge, &mut load(&edge));
    println!(
        "{:<12} {:>6} statements, {:>3} requests: all engines agree (Allow {allow}, ExplicitDeny {explicit}, ImplicitDeny {implicit}); not timed",
        edge.name,
        edge.statement_count(),
        edge.requests.len()
    );
    let workloads = [workload::small(), large(100), large(1000), large(10_000)];
    let mut results = Vec::new();
    for w in &workloads {
        let mut loaded = load(w);
        let [allow, explicit, implicit] = check(w, &mut loaded);
        println!(
            "{:<12} {:>6} statements, {:>3} requests: all engines agree (Allow {allow}, ExplicitDeny {explicit}, ImplicitDeny {implicit})",
            w.name,
            w.statement_count(),
            w.requests.len()
        );
        let times = measure(&plan, &mut loaded);
        results.push((w, loaded.setup, loaded.translate, times));
    }

    println!();
    println!(
        "{:<12} {:>7} | {:>10} {:>10} | {:>10} {:>7} | {:>10} {:>7} | {:>10} {:>7}",
        "workload", "stmts", "ram decide", "authorize", "cedar", "x", "regorus", "x", "rvm", "x"
    );
    for (w, _, _, t) in &results {
        println!(
            "{:<12} {:>7} | {:>10} {:>10} | {:>10} {:>7} | {:>10} {:>7} | {:>10} {:>7}",
            w.name,
            w.statement_count(),
            ns(t[0]),
            ns(t[1]),
            ns(t[2]),
            ratio(t[2] / t[0]),
            ns(t[3]),
            ratio(t[3] / t[0]),
            ns(t[4]),
            ratio(t[4] / t[0])
        );
    }
    println!("(x = engine / ram-policy decide; regorus = interpreter: set_input + eval_rule; rvm = Regorus VM: set_input + execute)");

    println!();
    println!("reading + compiling the policy set (once):");
    println!(
        "{:<12} {:>7} | {:>12} {:>12} {:>12} {:>12} | {:>12}",
        "workload", "stmts", "ram-policy", "cedar", "regorus", "rvm", "(translate)"
    );
    for (w, setup, translate, _) in &results {
        println!(
            "{:<12} {:>7} | {:>12} {:>12} {:>12} {:>12} | {:>12}",
            w.name,
            w.statement_count(),
            ms(setup[0]),
            ms(setup[1]),
            ms(setup[2]),
            ms(setup[3]),
            ms(Some(*translate))
        );
    }
    println!("(ram-policy: parse JSON + compile; cedar: parse; regorus: parse; rvm: parse + compile to bytecode; translate: writing the RAM JSON, Cedar and Rego texts, not counted for any engine)");

    let small = &results[0].3;
    let large = &results[results.len() - 1].3;
    println!();
    println!(
        "ratio cedar/ram-policy={} regorus/ram-policy={} at10k cedar/ram-policy={} regorus/ram-policy={}",
        ratio(small[2] / small[0]),
        ratio(small[3] / small[0]),
        ratio(large[2] / large[0]),
        ratio(large[3] / large[0])
    );
}
