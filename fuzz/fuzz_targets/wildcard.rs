//! The wildcard matcher against the obvious recursive one, on short patterns and inputs built
//! from a small alphabet (so that matches happen), and on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ram_policy::Pattern;

/// `*` any run, `?` one character, anything else itself: exponential at worst, fine here.
fn slow(p: &[char], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('*', rest)) => (0..=s.len()).any(|i| slow(rest, &s[i..])),
        Some(('?', rest)) => !s.is_empty() && slow(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && slow(rest, &s[1..]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let cut = (split as usize).min(rest.len());
    let (pattern, input) = rest.split_at(cut);
    // A small alphabet: `*`, `?`, two letters, a multi-byte character and `:`/`/`.
    let map = |b: &u8| ['*', '?', 'a', 'b', 'é', ':', '/', 'a'][usize::from(*b % 8)];
    let p: Vec<char> = pattern.iter().take(12).map(map).collect();
    let s: Vec<char> = input.iter().take(24).map(|b| map(b)).filter(|c| *c != '*' && *c != '?').collect();
    let ps: String = p.iter().collect();
    let ss: String = s.iter().collect();
    assert_eq!(Pattern::new(&ps).matches(&ss), slow(&p, &s), "pattern {ps:?} input {ss:?}");
    // And any text at all must not panic.
    if let (Ok(p), Ok(s)) = (std::str::from_utf8(pattern), std::str::from_utf8(input)) {
        let _ = Pattern::new(p).matches(s);
    }
});
