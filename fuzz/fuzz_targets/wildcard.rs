//! The wildcard matcher against the obvious recursive one, on short patterns and inputs built
//! from a small alphabet (so that matches happen), and on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ram_policy::Pattern;

/// The obvious definition — `*` any run, `?` one character, anything else itself — as a table:
/// `m[i][j]` says whether `p[i..]` matches `s[j..]`. (The recursive form is exponential on runs
/// of stars and made the fuzzer report the reference itself as slow.)
fn slow(p: &[char], s: &[char]) -> bool {
    let mut m = vec![vec![false; s.len() + 1]; p.len() + 1];
    m[p.len()][s.len()] = true;
    for i in (0..p.len()).rev() {
        for j in (0..=s.len()).rev() {
            m[i][j] = match p[i] {
                '*' => m[i + 1][j] || (j < s.len() && m[i][j + 1]),
                '?' => j < s.len() && m[i + 1][j + 1],
                c => j < s.len() && s[j] == c && m[i + 1][j + 1],
            };
        }
    }
    m[0][0]
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
