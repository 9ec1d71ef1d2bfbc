//! The wildcard matcher against the obvious one (a table), on short patterns and inputs built
//! from a small alphabet (so that matches happen), and on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ram_policy::Pattern;

#[path = "../../tests/support/wildcard_table.rs"]
mod wildcard_table;

fuzz_target!(|data: &[u8]| {
    let Some((p, s, pattern, input)) = wildcard_table::decode(data) else {
        return;
    };
    let ps: String = p.iter().collect();
    let ss: String = s.iter().collect();
    assert_eq!(Pattern::new(&ps).matches(&ss), wildcard_table::table(&p, &s), "pattern {ps:?} input {ss:?}");
    // And any text at all must not panic.
    if let (Ok(p), Ok(s)) = (std::str::from_utf8(pattern), std::str::from_utf8(input)) {
        let _ = Pattern::new(p).matches(s);
    }
});
