//! Did you mean: the one helper every reader and the command line use for suggestions (Cedar's
//! `fuzzy_match.rs` in spirit; `strsim` does the measuring).

/// The closest candidate to `word`, for "did you mean" hints.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let score = if c.eq_ignore_ascii_case(word) {
                1.0
            } else {
                strsim::jaro_winkler(&c.to_ascii_lowercase(), &lower)
            };
            (c, score)
        })
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

/// `did you mean `X`?` for the candidate closest to `word`, if any is close.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    suggest(word, candidates.iter().copied()).map(|c| format!("did you mean `{c}`?"))
}
