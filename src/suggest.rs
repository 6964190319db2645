//! "Did you mean" hints for names typed by people (engines, keys, enum values).

/// The candidate closest to `word`, if close enough to be a plausible typo. Case is ignored
/// first (`jNeuroml_NEURON` → `jNeuroML_NEURON`), then edit distance decides.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    if let Some(exact) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| {
            (
                c,
                strsim::normalized_damerau_levenshtein(&lower, &c.to_lowercase()),
            )
        })
        .filter(|(_, score)| *score >= 0.5)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| *c)
}
