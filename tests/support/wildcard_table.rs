//! Shared by the wildcard fuzz target and its regression tests: how the target turns its bytes
//! into a pattern and an input, and the obvious matcher it compares ours with.
#![allow(dead_code)]

/// The obvious definition — `*` any run, `?` one character, anything else itself — as a table:
/// `m[i][j]` says whether `p[i..]` matches `s[j..]`. (The recursive form is exponential on runs
/// of stars and made the fuzzer report the reference itself as slow.)
pub fn table(p: &[char], s: &[char]) -> bool {
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

/// A decoded input: the pattern and the input as characters, and the raw halves of the bytes.
pub type Decoded<'a> = (Vec<char>, Vec<char>, &'a [u8], &'a [u8]);

/// The first byte says where the pattern's bytes end; bytes map to a small alphabet (`*`, `?`,
/// two letters, a multi-byte character, `:` and `/`) so that matches happen; the input has no
/// wildcards. Also returns the raw halves, for trying any text.
pub fn decode(data: &[u8]) -> Option<Decoded<'_>> {
    let (&split, rest) = data.split_first()?;
    let (pattern, input) = rest.split_at((split as usize).min(rest.len()));
    let map = |b: &u8| ['*', '?', 'a', 'b', 'é', ':', '/', 'a'][usize::from(*b % 8)];
    let p: Vec<char> = pattern.iter().take(12).map(map).collect();
    let s: Vec<char> = input
        .iter()
        .take(24)
        .map(map)
        .filter(|c| *c != '*' && *c != '?')
        .collect();
    Some((p, s, pattern, input))
}
