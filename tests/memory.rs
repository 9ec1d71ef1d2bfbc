//! Memory held by a compiled set of 10,000 statements: at most 10 MiB (issue target), counted by
//! a global allocator that tracks live bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
// The counting allocator below is the only unsafe code: it forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use ram_policy::{Policy, PolicySet};

#[path = "../benches/workload.rs"]
mod workload;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is only
// bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn compiled_10k_statement_set_fits_in_10_mib() {
    let w = workload::large(10_000);
    let texts: Vec<(String, String)> = w.policies.iter().map(|p| (p.name.clone(), p.to_json())).collect();
    let before = LIVE.load(Ordering::Relaxed);
    let compiled = {
        let set: PolicySet = texts
            .iter()
            .map(|(n, t)| Policy::parse(n, t).unwrap())
            .collect::<Result<_, _>>()
            .unwrap();
        set.compile()
        // The policy set itself is dropped here: the compiled set keeps what it needs.
    };
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "compiled set of {} statements holds {} bytes ({:.2} MiB)",
        compiled.statement_count(),
        held,
        held as f64 / 1048576.0
    );
    assert_eq!(compiled.statement_count(), 10_000);
    assert!(held <= 10 * 1024 * 1024, "{held} bytes");
}
