//! RAM wildcards: `*` matches any run of characters (including none, `:` and `/`), `?` exactly
//! one character, over the whole string. There is no escape character.
//!
//! Patterns come from untrusted policies, so matching must never backtrack exponentially. A
//! pattern is split at its stars into segments; the first segment is anchored at the start, the
//! last at the end, and each middle segment is matched at its leftmost occurrence. Leftmost is
//! always safe for globs whose only variable-length token is `*`, which gives a worst case of
//! `O(pattern × input)` with no recursion. Common shapes (exact, prefix, suffix, `*`) are
//! classified once when the policy is compiled, as globset does, and cost one comparison.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Strategy {
    /// `*`: matches everything.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `text*` with no other wildcard.
    Prefix(Box<str>),
    /// `*text` with no other wildcard.
    Suffix(Box<str>),
    /// `*text*` with no other wildcard.
    Contains(Box<Segment>),
    /// Anything else: segments between stars, each possibly holding `?`.
    General {
        /// Whether the pattern starts with `*` (the first segment is not anchored).
        leading_star: bool,
        /// Whether the pattern ends with `*` (the last segment is not anchored).
        trailing_star: bool,
        /// Non-empty segments between stars, in order.
        segments: Box<[Segment]>,
    },
}

impl Pattern {
    /// Compiles `pattern`. For case-insensitive matching, pass the pattern and every input
    /// already folded to ASCII lower case.
    pub fn new(pattern: &str) -> Pattern {
        let strategy = if pattern.chars().all(|c| c == '*') && !pattern.is_empty() {
            Strategy::Any
        } else if !pattern.contains(['*', '?']) {
            Strategy::Exact(pattern.into())
        } else {
            let leading_star = pattern.starts_with('*');
            let trailing_star = pattern.ends_with('*');
            let segments: Vec<&str> = pattern.split('*').filter(|s| !s.is_empty()).collect();
            match (leading_star, trailing_star, segments.as_slice()) {
                (false, true, [one]) if !one.contains('?') => Strategy::Prefix((*one).into()),
                (true, false, [one]) if !one.contains('?') => Strategy::Suffix((*one).into()),
                (true, true, [one]) if !one.contains('?') => Strategy::Contains(Box::new(Segment::new(one))),
                _ => Strategy::General {
                    leading_star,
                    trailing_star,
                    segments: segments.into_iter().map(Segment::new).collect(),
                },
            }
        };
        Pattern { strategy }
    }

    /// Whether this pattern is `*` (or `**`…), which matches every input.
    pub fn is_any(&self) -> bool {
        matches!(self.strategy, Strategy::Any)
    }

    /// Whether the whole of `input` matches the pattern.
    pub fn matches(&self, input: &str) -> bool {
        match &self.strategy {
            Strategy::Any => true,
            Strategy::Exact(text) => input == &**text,
            Strategy::Prefix(text) => input.starts_with(&**text),
            Strategy::Suffix(text) => input.ends_with(&**text),
            Strategy::Contains(segment) => segment.find(input, 0).is_some(),
            Strategy::General {
                leading_star,
                trailing_star,
                segments,
            } => general_match(*leading_star, *trailing_star, segments, input),
        }
    }
}

/// Literal text between stars.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    text: Box<str>,
    /// Whether it holds `?`, which needs matching by characters; without, bytes compare.
    any_char: bool,
    /// For a segment with `?`: its literal runs and its runs of `?`, so that a run of `?` is
    /// one fixed-length skip rather than work per character (an ASCII input skips bytes).
    pieces: Box<[Piece]>,
    /// Its length in characters (each `?` is one).
    chars: usize,
}

/// A part of a segment that holds `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text.
    Literal(Box<str>),
    /// A run of this many `?`.
    Skip(usize),
}

impl Segment {
    fn new(text: &str) -> Segment {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut skip = 0;
        for c in text.chars() {
            if c == '?' {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal).into()));
                }
                skip += 1;
            } else {
                if skip > 0 {
                    pieces.push(Piece::Skip(std::mem::take(&mut skip)));
                }
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal.into()));
        }
        if skip > 0 {
            pieces.push(Piece::Skip(skip));
        }
        Segment {
            text: text.into(),
            any_char: text.contains('?'),
            pieces: pieces.into(),
            chars: text.chars().count(),
        }
    }

    /// The end of the leftmost match of the segment in `input` at or after byte `from`.
    fn find(&self, input: &str, from: usize) -> Option<usize> {
        if self.any_char {
            if input.is_ascii() {
                return self.find_ascii(input.as_bytes(), from);
            }
            return find(&self.text, input, from);
        }
        // Segments and inputs are short: `memchr` to each place the first byte occurs, then a
        // comparison, beats building a substring searcher (profiled: `memmem` set up a
        // Rabin-Karp search on every call).
        let hay = input.as_bytes().get(from..)?;
        let needle = self.text.as_bytes();
        let (&first, rest) = needle.split_first()?;
        let mut at = 0;
        while let Some(i) = hay.get(at..).and_then(|h| memchr::memchr(first, h)) {
            let start = at + i;
            if hay.get(start + 1..).is_some_and(|after| after.starts_with(rest)) {
                return Some(from + start + needle.len());
            }
            at = start + 1;
        }
        None
    }

    /// [`Segment::find`] for a segment with `?` in an ASCII input, where a character is a
    /// byte: the candidates are the places where the segment's first literal run occurs (found
    /// with `memchr`), shifted back over the `?` run before it, and each is checked piece by
    /// piece, a `?` run in one step.
    fn find_ascii(&self, input: &[u8], from: usize) -> Option<usize> {
        if input.len() < from + self.chars {
            return None;
        }
        let (lead, anchor) = match self.pieces.as_ref() {
            [Piece::Skip(n), Piece::Literal(l), ..] => (*n, l),
            [Piece::Literal(l), ..] => (0, l),
            // Only `?`: any `chars` characters, so the leftmost place is `from`.
            _ => return Some(from + self.chars),
        };
        let needle = anchor.as_bytes();
        let (&first, rest) = needle.split_first()?;
        let mut at = from + lead;
        while let Some(i) = input.get(at..).and_then(|h| memchr::memchr(first, h)) {
            let found = at + i;
            if input.get(found + 1..).is_some_and(|after| after.starts_with(rest)) {
                let start = found - lead;
                if let Some(end) = self.match_ascii(input, start) {
                    return Some(end);
                }
            }
            at = found + 1;
        }
        None
    }

    /// If the segment (with `?`) matches the ASCII `input` at byte `at`, where it ends.
    fn match_ascii(&self, input: &[u8], at: usize) -> Option<usize> {
        let mut pos = at;
        for piece in self.pieces.iter() {
            match piece {
                Piece::Skip(n) => {
                    pos += n;
                    if pos > input.len() {
                        return None;
                    }
                }
                Piece::Literal(l) => {
                    if !input.get(pos..)?.starts_with(l.as_bytes()) {
                        return None;
                    }
                    pos += l.len();
                }
            }
        }
        Some(pos)
    }

    /// If the segment matches at the start of `input`, the byte length it took.
    fn match_here(&self, input: &str) -> Option<usize> {
        if !self.any_char {
            input.starts_with(&*self.text).then_some(self.text.len())
        } else if input.is_ascii() {
            self.match_ascii(input.as_bytes(), 0)
        } else {
            match_here(&self.text, input)
        }
    }

    /// Whether the segment matches at the very end of `input`.
    fn match_end(&self, input: &str) -> bool {
        if !self.any_char {
            return input.ends_with(&*self.text);
        }
        // Its length in characters is fixed, so there is one place to try.
        if input.is_ascii() {
            return input
                .len()
                .checked_sub(self.chars)
                .and_then(|start| self.match_ascii(input.as_bytes(), start))
                == Some(input.len());
        }
        let Some((start, _)) = input.char_indices().rev().nth(self.chars.wrapping_sub(1)) else {
            return false;
        };
        input.get(start..).and_then(|t| match_here(&self.text, t)) == Some(input.len() - start)
    }
}

/// ASCII case folding, as RAM does for actions.
pub fn fold_case(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// If `segment` (which may hold `?`) matches at the start of `input`, the byte length it took.
fn match_here(segment: &str, input: &str) -> Option<usize> {
    let mut rest = input.chars();
    for p in segment.chars() {
        let c = rest.next()?;
        if p != '?' && p != c {
            return None;
        }
    }
    Some(input.len() - rest.as_str().len())
}

fn general_match(leading_star: bool, trailing_star: bool, segments: &[Segment], input: &str) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        // Only `?`-free stars: handled as `Any`; an empty pattern matches only the empty input.
        return input.is_empty() || leading_star;
    };
    let mut pos = 0;
    let mut middle = rest;
    if !leading_star {
        let Some(len) = first.match_here(input) else {
            return false;
        };
        pos = len;
    } else {
        middle = segments;
    }
    // The last segment is anchored at the end unless the pattern ends with `*`.
    let last = if trailing_star {
        None
    } else {
        match middle.split_last() {
            Some((last, init)) => {
                middle = init;
                Some(last)
            }
            // A single anchored-both-ends segment: it must have taken the whole input.
            None => return pos == input.len(),
        }
    };
    for segment in middle {
        match segment.find(input, pos) {
            Some(end) => pos = end,
            None => return false,
        }
    }
    // The final segment must end exactly at the end of the input, after `pos`.
    last.is_none_or(|last| last.match_end(input.get(pos..).unwrap_or_default()))
}

/// The end of the leftmost match of `segment` in `input` at or after byte `from`.
fn find(segment: &str, input: &str, from: usize) -> Option<usize> {
    let hay = input.get(from..)?;
    if !segment.contains('?') {
        // Segments are short and searched once: a scan for the first byte beats building a
        // two-way searcher (`str::find`) on every call.
        let needle = segment.as_bytes();
        let (&first, rest) = needle.split_first()?;
        let bytes = hay.as_bytes();
        let mut at = 0;
        while let Some(i) = bytes.get(at..).and_then(|b| b.iter().position(|&c| c == first)) {
            let start = at + i;
            if bytes.get(start + 1..start + needle.len()) == Some(rest) {
                return Some(from + start + needle.len());
            }
            at = start + 1;
        }
        return None;
    }
    for (i, _) in hay.char_indices() {
        if let Some(len) = hay.get(i..).and_then(|t| match_here(segment, t)) {
            return Some(from + i + len);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious recursive matcher: exponential in the worst case, fine for short inputs.
    fn slow(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| slow(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && slow(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && slow(rest, &s[1..]),
        }
    }

    fn check(p: &str, s: &str) -> bool {
        let pc: Vec<char> = p.chars().collect();
        let sc: Vec<char> = s.chars().collect();
        let expected = slow(&pc, &sc);
        assert_eq!(Pattern::new(p).matches(s), expected, "pattern {p:?} input {s:?}");
        expected
    }

    #[test]
    fn examples() {
        assert!(check("*", ""));
        assert!(check("", ""));
        assert!(!check("", "a"));
        assert!(check("acs:ram:*:*:user/alice", "acs:ram::123456789012:user/alice"));
        assert!(check("ecs:*SecurityGroup*", "ecs:AuthorizeSecurityGroupEgress"));
        assert!(check("*:Describe*", "polardb:DescribeDBClusters"));
        assert!(!check("polardb:Describe", "polardb:DescribeDBClusters"));
        assert!(check("a?c", "abc"));
        assert!(check("a?c", "aéc"));
        assert!(!check("a?c", "ac"));
        assert!(check("*a*a", "aaa"));
        assert!(check("a*b*c", "abbbc"));
        assert!(!check("a*b*c", "abbbcx"));
        assert!(check("?*?", "ab"));
        assert!(!check("?*?", "a"));
        assert!(check("*?", "é"));
        assert!(!check("ab*ba", "aba"));
        assert!(check("x*y?z", "xyyz"));
        // A lone `?` between stars is a wildcard, never the byte `?` (found by the property test).
        assert!(check("*?*?", "éééaéaéaéé"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let pattern = "*a".repeat(100) + "b";
        let input = "a".repeat(10_000);
        let start = std::time::Instant::now();
        assert!(!Pattern::new(&pattern).matches(&input));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    proptest! {
        #[test]
        fn agrees_with_the_slow_matcher(p in "[ab*?é]{0,8}", s in "[abé]{0,10}") {
            check(&p, &s);
        }
    }
}
