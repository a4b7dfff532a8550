//! Error text for people: TOML syntax errors as "line L, column C", and "did you mean"
//! suggestions for misspelt keys and names (Damerau–Levenshtein distance, `strsim`).

/// Turns a TOML syntax error into "line L, column C: message".
pub(super) fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!("line {line}, column {col}: {}", e.message().trim())
        }
        None => e.message().trim().to_string(),
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of `a`, `b`" messages.
pub(super) fn with_suggestion(message: &str) -> String {
    let message = message.trim().to_string();
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some(end) = rest.find('`') else { return message };
    let unknown = &rest[..end];
    let expected: Vec<&str> = rest[end..].split('`').skip(2).step_by(2).collect();
    suggest(unknown, &expected).map(|s| format!("{message}; did you mean `{s}`?")).unwrap_or(message)
}

/// The closest candidate to `word`, when it is close enough to be a plausible typo.
pub(super) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}
