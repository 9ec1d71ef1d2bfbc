//! RAM wildcards: `*` matches any run of characters (including none, `:` and `/`), `?` exactly
//! one character, over the whole string. There is no escape character.
//!
//! Patterns come from untrusted policies, so matching must never backtrack exponentially. A
//! pattern is split at its stars into segments; the first segment is anchored at the start and
//! the last at the end (both checked first: one place each to try), and each middle segment is
//! matched at its leftmost occurrence between them. Leftmost is always safe for globs whose only
//! variable-length token is `*`, so there is no recursion. Common shapes (exact, prefix, suffix,
//! `*`) are classified once when the policy is compiled, as globset does, and cost one
//! comparison.
//!
//! A segment is found by its longest literal run (`memchr`, or `memmem` when the run is long,
//! which is linear), each place checked piece by piece, a run of `?` in one step. When those
//! checks cost more than scanning would, the rest of the input is scanned with a bit-parallel
//! matcher (shift-and: `⌈length / 64⌉` word operations per character), so a segment built to
//! almost match everywhere costs `O(input × ⌈segment / 64⌉)`, not `O(input × segment)`. An input
//! with multi-byte characters is walked by characters when the pattern has `?`, by bytes
//! otherwise.

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
        /// Whether some segment holds `?`: then a non-ASCII input is matched by characters.
        any_char: bool,
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
                    any_char: pattern.contains('?'),
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
        self.matches_known(input, || input.is_ascii())
    }

    /// [`Pattern::matches`] for an input whose ASCII-ness is known (requests note it when they
    /// are built): a policy may hold a hundred thousand patterns, each a look at a 4 KiB value.
    pub(crate) fn matches_known(&self, input: &str, is_ascii: impl FnOnce() -> bool) -> bool {
        match &self.strategy {
            Strategy::Any => true,
            Strategy::Exact(text) => input == &**text,
            Strategy::Prefix(text) => input.starts_with(&**text),
            Strategy::Suffix(text) => input.ends_with(&**text),
            Strategy::Contains(segment) => {
                let input = Bytes(input.as_bytes());
                segment.find(&input, 0, input.len(), BUDGET).is_some()
            }
            Strategy::General {
                leading_star,
                trailing_star,
                any_char,
                segments,
            } => {
                // Without `?`, a byte is as good as a character: a literal found in valid UTF-8
                // starts and ends on character boundaries.
                if !any_char || is_ascii() {
                    general_match(*leading_star, *trailing_star, segments, &Bytes(input.as_bytes()))
                } else {
                    general_match(*leading_star, *trailing_star, segments, &Chars::new(input))
                }
            }
        }
    }
}

/// How much checking of candidate places a segment may do, in pieces checked per word
/// operation that scanning the input passed so far would have cost (one per 64 characters of
/// the segment per character of input), before the rest is left to the bit-parallel scan.
const BUDGET: usize = 2;

/// Literal text between stars.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    /// Its literal runs and its runs of `?`, so that a run of `?` is one fixed-length skip rather
    /// than work per character. A segment without `?` is one literal piece (and a policy may hold
    /// half a million segments: the text is kept once).
    pieces: Box<[Piece]>,
    /// Whether it holds `?`.
    any_char: bool,
    /// The piece that candidates are found by (the longest literal run; the last of equals,
    /// since near misses tend to differ late), with its offset; `None` when it is all `?`.
    anchor: Option<Anchor>,
    /// Its length in bytes where a `?` is one byte (an ASCII input).
    bytes: usize,
    /// Its length in characters (each `?` is one).
    chars: usize,
}

/// The piece of a segment that candidates are found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    /// Its index in the pieces.
    piece: usize,
    /// Where it starts in the segment, in bytes where a `?` is one byte.
    bytes: usize,
    /// Where it starts in the segment, in characters.
    chars: usize,
}

/// A part of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text, and its length in characters.
    Literal(Box<str>, usize),
    /// A run of this many `?`.
    Skip(usize),
}

impl Piece {
    fn len<T: Text>(&self) -> usize {
        match self {
            Piece::Literal(text, chars) => T::pick(text.len(), *chars),
            Piece::Skip(n) => *n,
        }
    }
}

impl Segment {
    fn new(text: &str) -> Segment {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut skip = 0;
        let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
            if !literal.is_empty() {
                let chars = literal.chars().count();
                pieces.push(Piece::Literal(std::mem::take(literal).into(), chars));
            }
        };
        for c in text.chars() {
            if c == '?' {
                flush(&mut literal, &mut pieces);
                skip += 1;
            } else {
                if skip > 0 {
                    pieces.push(Piece::Skip(std::mem::take(&mut skip)));
                }
                literal.push(c);
            }
        }
        flush(&mut literal, &mut pieces);
        if skip > 0 {
            pieces.push(Piece::Skip(skip));
        }
        let (mut bytes, mut chars) = (0, 0);
        let mut anchor: Option<(usize, Anchor)> = None;
        for (i, piece) in pieces.iter().enumerate() {
            if let Piece::Literal(_, n) = piece {
                if anchor.is_none_or(|(longest, _)| *n >= longest) {
                    anchor = Some((*n, Anchor { piece: i, bytes, chars }));
                }
            }
            bytes += piece.len::<Bytes>();
            chars += piece.len::<Chars>();
        }
        Segment {
            pieces: pieces.into(),
            any_char: text.contains('?'),
            anchor: anchor.map(|(_, a)| a),
            bytes,
            chars,
        }
    }

    fn len<T: Text>(&self) -> usize {
        T::pick(self.bytes, self.chars)
    }

    /// Whether the segment matches `input` at `at`.
    fn matches_at<T: Text>(&self, input: &T, at: usize) -> bool {
        if at + self.len::<T>() > input.len() {
            return false;
        }
        let mut pos = at;
        for piece in self.pieces.iter() {
            if let Piece::Literal(text, _) = piece {
                if !input.literal_at(pos, text) {
                    return false;
                }
            }
            pos += piece.len::<T>();
        }
        true
    }

    /// The end of the leftmost match of the segment wholly inside `input[from..to]`. Checking
    /// candidates may cost one candidate's pieces, and `budget` pieces per word operation the
    /// scan would have spent on the input passed, before the rest is scanned bit-parallel (0:
    /// once two candidates have failed; `usize::MAX`: never, for tests).
    fn find<T: Text>(&self, input: &T, from: usize, to: usize, budget: usize) -> Option<usize> {
        let len = self.len::<T>();
        // The last place the segment may start.
        let last = to.checked_sub(len).filter(|&last| last >= from)?;
        if !self.any_char {
            let Some(Piece::Literal(text, _)) = self.pieces.first() else {
                return None;
            };
            let needle = Needle::new(text.as_bytes());
            return input.find_literal(from, to, &needle).map(|start| start + len);
        }
        let Some(anchor) = self.anchor else {
            // Only `?`: any `len` characters, so the leftmost place is `from`.
            return Some(from + len);
        };
        let Some(Piece::Literal(text, chars)) = self.pieces.get(anchor.piece) else {
            return None;
        };
        let offset = T::pick(anchor.bytes, anchor.chars);
        let needle = Needle::new(text.as_bytes());
        // The anchor of a match at `start` is at `start + offset`.
        let anchors_end = last + offset + T::pick(text.len(), *chars);
        let mut at = from + offset;
        let mut work = 0usize;
        while let Some(found) = input.find_literal(at, anchors_end, &needle) {
            let start = found - offset;
            if self.matches_at(input, start) {
                return Some(start + len);
            }
            // Checks may cost what scanning the input passed so far would, and one whole
            // candidate more; past that, scanning the rest is cheaper.
            work = work.saturating_add(self.pieces.len());
            let scan_cost = len.div_ceil(64).saturating_mul(start - from);
            if work > budget.saturating_mul(scan_cost).saturating_add(self.pieces.len()) {
                return self.scan(input, start + 1, to);
            }
            at = found + 1;
        }
        None
    }

    /// [`Segment::find`] by shift-and: bit `i` of the state is set when the last `i + 1` units
    /// read match the segment's first `i + 1`; a match ends where the top bit is set. Every
    /// match has the same length, so the first to end is the leftmost.
    fn scan<T: Text>(&self, input: &T, from: usize, to: usize) -> Option<usize> {
        let len = self.len::<T>();
        if len == 0 || to < from + len {
            return None;
        }
        let words = len.div_ceil(64);
        // One mask per distinct unit of the segment's literals (each also set where a `?`
        // is), then the mask of every other unit: only the `?` places.
        let mut places: Vec<(u32, usize)> = Vec::new();
        let mut any = vec![0u64; words];
        let mut pos = 0;
        for piece in self.pieces.iter() {
            match piece {
                Piece::Literal(text, _) => {
                    for unit in T::literal_units(text) {
                        places.push((unit, pos));
                        pos += 1;
                    }
                }
                Piece::Skip(n) => {
                    for p in pos..pos + n {
                        set_bit(&mut any, p);
                    }
                    pos += n;
                }
            }
        }
        places.sort_unstable();
        let mut units: Vec<u32> = places.iter().map(|&(u, _)| u).collect();
        units.dedup();
        let mut masks: Vec<u64> = Vec::with_capacity((units.len() + 1) * words);
        for _ in 0..=units.len() {
            masks.extend_from_slice(&any);
        }
        for &(unit, p) in &places {
            let group = units.partition_point(|&u| u < unit);
            if let Some(mask) = masks.get_mut(group * words..(group + 1) * words) {
                set_bit(mask, p);
            }
        }
        let other = units.len();
        let mut ascii = [other; 128];
        for (group, &unit) in units.iter().enumerate() {
            if let Some(slot) = usize::try_from(unit).ok().and_then(|u| ascii.get_mut(u)) {
                *slot = group;
            }
        }
        let (top, bit) = ((len - 1) / 64, (len - 1) % 64);
        let mut state = vec![0u64; words];
        let mut next = vec![0u64; words];
        // A text of multi-byte characters tends to repeat them: the last one's group is kept.
        let mut last = (u32::MAX, other);
        for (i, unit) in input.units_of(from, to).enumerate() {
            let group = match usize::try_from(unit).ok().and_then(|u| ascii.get(u)) {
                Some(&group) => group,
                None if unit == last.0 => last.1,
                None => {
                    last = (unit, units.binary_search(&unit).unwrap_or(other));
                    last.1
                }
            };
            let mask = masks.get(group * words..(group + 1) * words)?;
            shift_and(&state, &mut next, mask);
            std::mem::swap(&mut state, &mut next);
            if state.get(top).is_some_and(|w| w >> bit & 1 == 1) {
                return Some(from + i + 1);
            }
        }
        None
    }
}

/// One step of shift-and over several words: `next = ((state << 1) | 1) & mask`, the bits moving
/// up across words. Written without a carry from one word to the next so that it vectorizes.
fn shift_and(state: &[u64], next: &mut [u64], mask: &[u64]) {
    let (Some((first, rest)), Some((low, _)), Some((m, masks))) =
        (next.split_first_mut(), state.split_first(), mask.split_first())
    else {
        return;
    };
    *first = ((low << 1) | 1) & m;
    let highs = state.get(1..).unwrap_or_default();
    for (((n, high), low), m) in rest.iter_mut().zip(highs).zip(state).zip(masks) {
        *n = ((high << 1) | (low >> 63)) & m;
    }
}

fn set_bit(words: &mut [u64], i: usize) {
    if let Some(w) = words.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

/// ASCII case folding, as RAM does for actions.
pub fn fold_case(text: &str) -> String {
    text.to_ascii_lowercase()
}

fn general_match<T: Text>(leading_star: bool, trailing_star: bool, segments: &[Segment], input: &T) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        // Only `?`-free stars: handled as `Any`; an empty pattern matches only the empty input.
        return input.len() == 0 || leading_star;
    };
    let mut pos = 0;
    let mut middle = segments;
    if !leading_star {
        if !first.matches_at(input, 0) {
            return false;
        }
        pos = first.len::<T>();
        middle = rest;
    }
    // The last segment is anchored at the end unless the pattern ends with `*`: it has one
    // place to go, checked before the middle segments are searched for before it.
    let mut end = input.len();
    if !trailing_star {
        match middle.split_last() {
            Some((last, init)) => {
                let Some(start) = end.checked_sub(last.len::<T>()).filter(|&start| start >= pos) else {
                    return false;
                };
                if !last.matches_at(input, start) {
                    return false;
                }
                end = start;
                middle = init;
            }
            // A single anchored-both-ends segment: it must have taken the whole input.
            None => return pos == input.len(),
        }
    }
    for segment in middle {
        match segment.find(input, pos, end, BUDGET) {
            Some(next) => pos = next,
            None => return false,
        }
    }
    true
}

/// An input as the matcher walks it: by bytes, or by characters where a `?` must take a whole
/// multi-byte character. Positions are in its units.
trait Text {
    /// Its length in units.
    fn len(&self) -> usize;
    /// Of a length in bytes and one in characters, the one in its units.
    fn pick(bytes: usize, chars: usize) -> usize;
    /// The units of literal text, as numbers.
    fn literal_units(text: &str) -> impl Iterator<Item = u32>;
    /// Whether `literal` occurs at `at`.
    fn literal_at(&self, at: usize, literal: &str) -> bool;
    /// The start of the leftmost occurrence of `needle` wholly inside `[from, to)`.
    fn find_literal(&self, from: usize, to: usize, needle: &Needle<'_>) -> Option<usize>;
    /// The units of `[from, to)`, as numbers.
    fn units_of(&self, from: usize, to: usize) -> impl Iterator<Item = u32>;
}

/// An input walked byte by byte: an ASCII input, or any input when the pattern has no `?`.
struct Bytes<'a>(&'a [u8]);

impl Text for Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn pick(bytes: usize, _: usize) -> usize {
        bytes
    }

    fn literal_units(text: &str) -> impl Iterator<Item = u32> {
        text.bytes().map(u32::from)
    }

    fn literal_at(&self, at: usize, literal: &str) -> bool {
        self.0
            .get(at..)
            .is_some_and(|rest| rest.starts_with(literal.as_bytes()))
    }

    fn find_literal(&self, from: usize, to: usize, needle: &Needle<'_>) -> Option<usize> {
        needle.find(self.0.get(from..to)?).map(|i| from + i)
    }

    fn units_of(&self, from: usize, to: usize) -> impl Iterator<Item = u32> {
        self.0.get(from..to).unwrap_or_default().iter().map(|&b| u32::from(b))
    }
}

/// A non-ASCII input walked character by character, for a pattern with `?`. Literals are still
/// compared and searched as bytes.
struct Chars<'a> {
    text: &'a str,
    /// The byte offset of each character, and the text's length last.
    starts: Vec<usize>,
}

impl<'a> Chars<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());
        Chars { text, starts }
    }

    fn byte(&self, at: usize) -> Option<usize> {
        self.starts.get(at).copied()
    }
}

impl Text for Chars<'_> {
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn pick(_: usize, chars: usize) -> usize {
        chars
    }

    fn literal_units(text: &str) -> impl Iterator<Item = u32> {
        text.chars().map(u32::from)
    }

    fn literal_at(&self, at: usize, literal: &str) -> bool {
        self.byte(at)
            .and_then(|b| self.text.as_bytes().get(b..))
            .is_some_and(|rest| rest.starts_with(literal.as_bytes()))
    }

    fn find_literal(&self, from: usize, to: usize, needle: &Needle<'_>) -> Option<usize> {
        let (start, end) = (self.byte(from)?, self.byte(to)?);
        let found = start + needle.find(self.text.as_bytes().get(start..end)?)?;
        // A literal found in valid UTF-8 starts on a character boundary.
        self.starts.binary_search(&found).ok()
    }

    fn units_of(&self, from: usize, to: usize) -> impl Iterator<Item = u32> {
        let bytes = self.byte(from).zip(self.byte(to));
        bytes
            .and_then(|(start, end)| self.text.get(start..end))
            .unwrap_or_default()
            .chars()
            .map(u32::from)
    }
}

/// A literal to search for, prepared once per search of a segment.
#[expect(
    clippy::large_enum_variant,
    reason = "a local of one search, never stored: boxing would add an allocation per search"
)]
enum Needle<'a> {
    /// Short: `memchr` to each place its first byte occurs, then a comparison.
    Short(&'a [u8]),
    /// Long: a `memmem` searcher, linear in the input whatever the needle.
    Long(memchr::memmem::Finder<'a>),
}

/// From this length on, a literal is searched for with `memmem`: short literals are many and
/// searched once, and setting up a searcher costs more than it saves (profiled: `memmem` set up a
/// Rabin-Karp search on every call); a long one that almost matches everywhere would cost
/// `O(input × literal)` by comparisons.
const LONG_NEEDLE: usize = 32;

impl<'a> Needle<'a> {
    fn new(needle: &'a [u8]) -> Self {
        if needle.len() >= LONG_NEEDLE {
            Needle::Long(memchr::memmem::Finder::new(needle))
        } else {
            Needle::Short(needle)
        }
    }

    fn find(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Needle::Long(finder) => finder.find(hay),
            Needle::Short(needle) => {
                let (&first, rest) = needle.split_first()?;
                if rest.is_empty() {
                    return memchr::memchr(first, hay);
                }
                let mut at = 0;
                while let Some(i) = hay.get(at..).and_then(|h| memchr::memchr(first, h)) {
                    let start = at + i;
                    if hay.get(start + 1..).is_some_and(|after| after.starts_with(rest)) {
                        return Some(start);
                    }
                    at = start + 1;
                }
                None
            }
        }
    }
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

    /// The textbook table: whether `p[..i]` matches `s[..j]`, a row per pattern character.
    fn table(p: &[char], s: &[char]) -> bool {
        let mut row = vec![false; s.len() + 1];
        row[0] = true;
        for &pc in p {
            let mut next = vec![false; s.len() + 1];
            if pc == '*' {
                let mut any = false;
                for j in 0..=s.len() {
                    any |= row[j];
                    next[j] = any;
                }
            } else {
                for j in 1..=s.len() {
                    next[j] = row[j - 1] && (pc == '?' || pc == s[j - 1]);
                }
            }
            row = next;
        }
        row[s.len()]
    }

    fn check(p: &str, s: &str) -> bool {
        let pc: Vec<char> = p.chars().collect();
        let sc: Vec<char> = s.chars().collect();
        let expected = slow(&pc, &sc);
        assert_eq!(Pattern::new(p).matches(s), expected, "pattern {p:?} input {s:?}");
        expected
    }

    /// The end of the leftmost match of `segment` (no `*`) inside `input[from..to]`, by
    /// characters, trying every place.
    fn leftmost(segment: &str, input: &str, from: usize, to: usize) -> Option<usize> {
        let p: Vec<char> = segment.chars().collect();
        let s: Vec<char> = input.chars().collect();
        let last = to.checked_sub(p.len())?;
        (from..=last)
            .find(|&at| p.iter().zip(&s[at..]).all(|(p, c)| *p == '?' || p == c))
            .map(|at| at + p.len())
    }

    /// Every way `Segment` finds `segment` in `input[from..to]` agrees with [`leftmost`]: by
    /// characters and (for an ASCII input) by bytes; checking candidates only, switching to the
    /// bit-parallel scan after the first failed candidate, and scanning only.
    fn check_find(segment: &str, input: &str, from: usize, to: usize) {
        let expected = leftmost(segment, input, from, to);
        let seg = Segment::new(segment);
        let chars = Chars::new(input);
        for (how, found) in [
            ("candidates", seg.find(&chars, from, to, usize::MAX)),
            ("switching", seg.find(&chars, from, to, 0)),
            ("scan", seg.scan(&chars, from, to)),
        ] {
            assert_eq!(
                found, expected,
                "{how} by characters: {segment:?} in {input:?}[{from}..{to}]"
            );
        }
        if input.is_ascii() {
            let bytes = Bytes(input.as_bytes());
            for (how, found) in [
                ("candidates", seg.find(&bytes, from, to, usize::MAX)),
                ("switching", seg.find(&bytes, from, to, 0)),
                ("scan", seg.scan(&bytes, from, to)),
            ] {
                assert_eq!(
                    found, expected,
                    "{how} by bytes: {segment:?} in {input:?}[{from}..{to}]"
                );
            }
        }
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
        // The last segment is checked at the end first; the middle ones must fit before it.
        assert!(!check("*ab*ba", "aba"));
        assert!(check("*ab*ba", "abba"));
        assert!(check("a*?b*b", "axbb"));
        assert!(!check("a*?b*b", "abb"));
        // Multi-byte characters under `?` and in literals, with and without `?`.
        assert!(check("*é?é*", "aééxéb"));
        assert!(check("*é?é", "aééxé"));
        assert!(!check("*é?é", "aééb"));
        assert!(check("*é?é", "aééé"));
        assert!(check("*éé*b", "aéébb"));
    }

    #[test]
    fn anchors_are_the_longest_literal_run() {
        let anchor = |s: &str| {
            let seg = Segment::new(s);
            seg.anchor.map(|a| (a.piece, a.bytes, a.chars))
        };
        assert_eq!(anchor("a?a?ab"), Some((4, 4, 4)));
        // The last of equals.
        assert_eq!(anchor("a?b"), Some((2, 2, 2)));
        assert_eq!(anchor("éé?x"), Some((0, 0, 0)));
        assert_eq!(anchor("x?éé"), Some((2, 2, 2)));
        assert_eq!(anchor("é?éé"), Some((2, 3, 2)));
        assert_eq!(anchor("???"), None);
    }

    #[test]
    fn pathological_patterns() {
        // Each of these once took time quadratic (or worse) in the input; timing them is the
        // benchmark's job (`benches/engine.rs`, `benches/worst.rs`), the answer is the test's.
        let a = "a".repeat(10_000);
        assert!(!Pattern::new(&("*a".repeat(100) + "b")).matches(&a));
        assert!(Pattern::new(&("*a".repeat(100) + "*")).matches(&a));
        assert!(!Pattern::new(&format!("*{}ab*", "a?".repeat(1000))).matches(&a));
        assert!(Pattern::new(&format!("*{}a*", "a?".repeat(1000))).matches(&a));
        assert!(!Pattern::new(&format!("*{}b*", "a".repeat(2000))).matches(&a));
        assert!(!Pattern::new(&format!("*{}?{}b*", "a".repeat(999), "a".repeat(999))).matches(&a));
        let e = "é".repeat(3000);
        assert!(!Pattern::new(&format!("*{}éb*", "é?".repeat(500))).matches(&e));
        assert!(Pattern::new(&format!("*{}é*", "é?".repeat(500))).matches(&e));
    }

    /// A text with a `b` every `q` characters is matched by no segment `a?a?…?a` of `q` `a`s
    /// (`q` odd): whatever the candidate, one of its `a`s meets a `b`, a different one each
    /// time. The bit-parallel scan takes over from the candidate checks.
    #[test]
    fn residues() {
        for (q, a) in [(7, 'a'), (63, 'a'), (101, 'é'), (129, 'a')] {
            let text: String = (0..q * 5).map(|i| if i % q == q - 1 { 'b' } else { a }).collect();
            let mut segment = format!("{a}?").repeat(q - 1);
            segment.push(a);
            let n = text.chars().count();
            check_find(&segment, &text, 0, n);
            assert!(!Pattern::new(&format!("*{segment}*")).matches(&text));
            // One `?` fewer at the end of the text's period fits again.
            let fits: String = format!("{a}?").repeat(q / 2 - 1) + &a.to_string();
            check_find(&fits, &text, 0, n);
            assert!(Pattern::new(&format!("*{fits}*")).matches(&text));
        }
    }

    #[test]
    fn scans_across_words() {
        // Segments of 64, 65 and 130 characters, so the state spans one, two and three words.
        for len in [64, 65, 130] {
            let segment: String = (0..len).map(|i| if i % 3 == 1 { '?' } else { 'a' }).collect();
            let mut text = "a".repeat(len - 1) + "b" + &"a".repeat(len + 5);
            check_find(&segment, &text, 0, text.len());
            text.replace_range(len + 2..len + 3, "b");
            check_find(&segment, &text, 0, text.len());
            check_find(&segment, &text, 3, text.len() - 2);
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_slow_matcher(p in "[ab*?é]{0,8}", s in "[abé]{0,10}") {
            check(&p, &s);
        }

        #[test]
        fn agrees_with_the_table(p in "[ab*?é]{0,24}", s in "[abé]{0,48}") {
            let pc: Vec<char> = p.chars().collect();
            let sc: Vec<char> = s.chars().collect();
            prop_assert_eq!(Pattern::new(&p).matches(&s), table(&pc, &sc), "pattern {:?} input {:?}", p, s);
        }

        #[test]
        fn segments_are_found_leftmost(
            segment in "[ab?é]{1,10}",
            input in "[abé]{0,40}",
            from in 0usize..=40,
            to in 0usize..=40,
        ) {
            let n = input.chars().count();
            let (from, to) = (from.min(n), to.min(n));
            check_find(&segment, &input, from.min(to), to);
        }

        /// Long segments (several words of state) cut from the input with some characters
        /// turned into `?` and perhaps one changed: near misses and matches.
        #[test]
        fn long_segments_are_found_leftmost(
            input in "[ab]{100,300}",
            start in 0usize..100,
            len in 40usize..160,
            holes in prop::collection::vec(any::<bool>(), 160),
            flip in prop::option::of(0usize..160),
        ) {
            let chars: Vec<char> = input.chars().collect();
            let end = (start + len).min(chars.len());
            let mut segment: Vec<char> = chars[start..end]
                .iter()
                .zip(&holes)
                .map(|(&c, &hole)| if hole { '?' } else { c })
                .collect();
            if let Some(i) = flip.filter(|&i| i < segment.len()) {
                segment[i] = if segment[i] == 'a' { 'b' } else { 'a' };
            }
            let segment: String = segment.into_iter().collect();
            check_find(&segment, &input, 0, input.len());
            check_find(&segment, &input, start.min(input.len()), input.len());
        }

        /// Long literals (`memmem`) and short ones (`memchr`, then a comparison) are found at the
        /// same leftmost place as by trying every place.
        #[test]
        fn literals_are_found_leftmost(
            hay in "[ab]{0,400}",
            start in 0usize..400,
            len in 1usize..80,
            flip in prop::option::of(0usize..80),
        ) {
            let end = (start + len).min(hay.len());
            let mut needle: Vec<u8> = hay.as_bytes().get(start.min(end)..end).unwrap_or_default().to_vec();
            if needle.is_empty() {
                needle.push(b'a');
            }
            if let Some(i) = flip.filter(|&i| i < needle.len()) {
                needle[i] = if needle[i] == b'a' { b'b' } else { b'a' };
            }
            let expected = hay.as_bytes().windows(needle.len()).position(|w| w == needle.as_slice());
            prop_assert_eq!(Needle::new(&needle).find(hay.as_bytes()), expected);
            prop_assert_eq!(Needle::Short(&needle).find(hay.as_bytes()), expected);
            prop_assert_eq!(Needle::Long(memchr::memmem::Finder::new(&needle)).find(hay.as_bytes()), expected);
        }
    }
}
