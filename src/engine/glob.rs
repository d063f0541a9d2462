//! Redis glob-style pattern matching, for PSUBSCRIBE (and later KEYS and SCAN MATCH).
//!
//! Gives the answers of `stringmatchlen` in redis `src/util.c` (Redis 7), byte for byte,
//! but walks the pattern iteratively, so no pattern can make it take exponential time or
//! deep recursion. Knows nothing of RESP, files or Python.

/// Redis gives up on a pattern once matching has recursed through this many `*` groups
/// (the `nesting > 1000` guard in `stringmatchlen_impl`); such a pattern matches nothing.
const MAX_STAR_GROUPS: usize = 1000;

/// Whether `subject` matches the glob `pattern`, as Redis's `stringmatchlen`.
///
/// The syntax, on bytes:
/// - `*` matches any run of bytes, `?` exactly one byte;
/// - `[abc]` one of the bytes listed, `[^abc]` any byte but those, `[a-z]` a range
///   (`[z-a]` is the same range), `\x` inside brackets the byte `x` itself;
/// - `\x` matches `x` literally; a `\` that ends the pattern matches a `\`;
/// - `nocase` folds ASCII letters only, as C's `tolower` in the "C" locale.
///
/// Quirks kept because Redis has them:
/// - an empty subject matches only the empty pattern, so `*` does not match `""`
///   (KEYS and SCAN short-circuit a bare `*` before asking; callers that want every
///   key must do the same);
/// - an unterminated class (`[abc`) runs to the end of the pattern, `[` alone matches
///   nothing, `[]` matches nothing and `[^]` or `[^` any one byte;
/// - `[a-]` is the range from `a` to `]`, and the class then goes on looking for its `]`;
/// - inside brackets an escaped byte is compared case-sensitively even with `nocase`,
///   and a range is folded after its ends are put in order (so `[Z-a]` with `nocase`
///   is the empty range `z..=a`);
/// - a pattern with more than 1000 `*` groups before its last other token matches
///   nothing.
///
/// One deliberate difference: bytes are compared unsigned. Redis compares `char`, which
/// is signed on x86, so its ranges that span `0x7f`/`0x80` behave differently there
/// (ARM builds of Redis agree with this function).
#[must_use]
pub fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    if subject.is_empty() {
        return pattern.is_empty();
    }
    let mut p = 0;
    let mut s = 0;
    // Where to resume when a token fails: just after the last `*` group, with that star
    // swallowing one more byte. Each token other than `*` consumes exactly one byte, so
    // retrying only the last star is complete (an earlier star taking more bytes could
    // only shift the same suffix later), which is the reasoning behind Redis's
    // `skipLongerMatches`. Cost is O(pattern * subject) at worst.
    let mut resume: Option<(usize, usize)> = None;
    let mut star_groups = 0;
    loop {
        if pattern.get(p) == Some(&b'*') {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
            star_groups += 1;
            if star_groups > MAX_STAR_GROUPS {
                // Any match would have to pass through this group, and Redis refuses
                // to recurse that deep.
                return false;
            }
            resume = Some((p, s));
            continue;
        }
        let Some(&byte) = subject.get(s) else {
            break;
        };
        if p < pattern.len() {
            let (matched, next) = match_token(pattern, p, byte, nocase);
            if matched {
                p = next;
                s += 1;
                continue;
            }
        }
        match resume {
            Some((after_star, star_end)) => {
                resume = Some((after_star, star_end + 1));
                p = after_star;
                s = star_end + 1;
            }
            None => return false,
        }
    }
    // The subject is used up: only stars may remain.
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    p == pattern.len()
}

/// Matches the one-byte token at `pattern[p]` (anything but `*`) against `byte`.
///
/// Returns whether it matched and where the next token starts.
fn match_token(pattern: &[u8], p: usize, byte: u8, nocase: bool) -> (bool, usize) {
    match pattern[p] {
        b'?' => (true, p + 1),
        b'[' => match_class(pattern, p + 1, byte, nocase),
        b'\\' => match pattern.get(p + 1) {
            Some(&escaped) => (same_byte(escaped, byte, nocase), p + 2),
            None => (same_byte(b'\\', byte, nocase), p + 1),
        },
        literal => (same_byte(literal, byte, nocase), p + 1),
    }
}

/// Matches a bracket class whose body starts at `pattern[i]` (just after the `[`).
///
/// Returns whether `byte` is in the class and where the next token starts. How far the
/// class reaches depends on the pattern alone, never on `byte`.
fn match_class(pattern: &[u8], mut i: usize, byte: u8, nocase: bool) -> (bool, usize) {
    let negated = pattern.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let next = loop {
        let Some(&b) = pattern.get(i) else {
            // Unterminated: Redis lets the class run to the end of the pattern.
            break pattern.len();
        };
        if b == b'\\' && i + 1 < pattern.len() {
            // Compared case-sensitively even with nocase, as Redis does.
            matched |= pattern[i + 1] == byte;
            i += 2;
        } else if b == b']' {
            break i + 1;
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut lo, mut hi) = (b, pattern[i + 2]);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let mut c = byte;
            if nocase {
                // Folded after ordering, as Redis does.
                lo = lo.to_ascii_lowercase();
                hi = hi.to_ascii_lowercase();
                c = c.to_ascii_lowercase();
            }
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= same_byte(b, byte, nocase);
            i += 1;
        }
    };
    (matched != negated, next)
}

fn same_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    fn m(pattern: &str, subject: &str) -> bool {
        glob_match(pattern.as_bytes(), subject.as_bytes(), false)
    }

    fn mi(pattern: &str, subject: &str) -> bool {
        glob_match(pattern.as_bytes(), subject.as_bytes(), true)
    }

    #[test]
    fn literal_patterns_match_only_themselves() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(!m("hello", "Hello"));
        assert!(mi("hello", "HeLLo"));
    }

    #[test]
    fn empty_pattern_matches_only_the_empty_subject() {
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn empty_subject_matches_only_the_empty_pattern_as_redis_7() {
        // stringmatchlen's loop runs `while (patternLen && stringLen)`: a bare star does
        // not match "" (KEYS/SCAN short-circuit "*" before calling it).
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(!m("[^]", ""));
    }

    #[test]
    fn star_matches_any_run_including_empty() {
        assert!(m("*", "a"));
        assert!(m("*", "anything at all"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("a*", "a"));
        assert!(m("*a", "a"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("a**b", "ab"));
        assert!(m("*.png", "cdn/eu/logo.png"));
        assert!(!m("*.png", "cdn/eu/logo.png.txt"));
        assert!(m("user:*:session", "user:1234:session"));
        assert!(m("ab*", "ab"));
        assert!(m("ab***", "ab"));
        assert!(!m("ab*c", "ab"));
    }

    #[test]
    fn star_backtracks_to_later_occurrences() {
        assert!(m("*ab", "aaab"));
        assert!(m("*aab", "aaaab"));
        assert!(m("*a*b", "xaxxaxxb"));
        assert!(!m("*a*b", "xaxxaxx"));
        assert!(m("a*a", "aa"));
        assert!(!m("a*a", "a"));
        assert!(m("*?", "a"));
        assert!(!m("*??", "a"));
    }

    #[test]
    fn question_mark_matches_exactly_one_byte() {
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(m("h?llo", "hxllo"));
        assert!(!m("h?llo", "hllo"));
        assert!(!m("h?llo", "heello"));
        assert!(glob_match(b"?", &[0xff], false));
        assert!(glob_match(b"?", &[0], false));
    }

    #[test]
    fn bracket_lists_match_one_listed_byte() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(!m("h[ae]llo", "hllo"));
        assert!(!m("h[ae]llo", "Hello"));
        assert!(mi("h[AE]llo", "hello"));
        assert!(mi("H[ae]LLO", "hEllo"));
    }

    #[test]
    fn negated_brackets_match_any_other_byte() {
        assert!(m("h[^e]llo", "hallo"));
        assert!(m("h[^e]llo", "hbllo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(!m("h[^e]llo", "hllo"));
        assert!(!mi("h[^e]llo", "hEllo"));
        assert!(m("h[^e]llo", "hEllo"));
    }

    #[test]
    fn ranges_match_inclusively_in_either_order() {
        assert!(m("h[a-b]llo", "hallo"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h[z-a]llo", "hmllo"));
        assert!(m("[0-9][0-9]", "42"));
        assert!(!m("[0-9]", "x"));
        assert!(m("[a-cx-z]", "y"));
        assert!(!m("[a-cx-z]", "m"));
        assert!(m("[^a-c]", "d"));
        assert!(!m("[^a-c]", "b"));
        assert!(!m("[A-Z]", "q"));
        assert!(mi("[A-Z]", "q"));
        assert!(mi("[a-z]", "Q"));
    }

    #[test]
    fn nocase_range_is_folded_after_ordering_as_redis() {
        // start='Z', end='a': already ordered, then folded to 'z'..='a': empty.
        assert!(!mi("[Z-a]", "z"));
        assert!(!mi("[Z-a]", "a"));
        assert!(!mi("[Z-a]", "_"));
        // Case-sensitively it is the range 0x5a..=0x61.
        assert!(m("[Z-a]", "_"));
        assert!(m("[Z-a]", "a"));
    }

    #[test]
    fn dash_at_the_edges_of_a_class() {
        // A leading '-' is a plain member.
        assert!(m("[-a]", "-"));
        assert!(m("[-a]", "a"));
        assert!(!m("[-a]", "b"));
        // `[a-]` is the range ']'..='a' and the class then runs on, unterminated.
        assert!(m("[a-]", "^"));
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]x", "ax"), "the x was swallowed by the class");
        assert!(m("[a-]x", "x"), "x is a member of the unterminated class");
        // `[a-` has too few bytes left for a range: 'a' and '-' are members.
        assert!(m("[a-", "-"));
        assert!(m("[a-", "a"));
        assert!(!m("[a-", "b"));
    }

    #[test]
    fn unterminated_bracket_runs_to_the_end_of_the_pattern() {
        assert!(m("[abc", "a"));
        assert!(m("[abc", "c"));
        assert!(!m("[abc", "d"));
        assert!(!m("[abc", "ab"));
        assert!(m("x[abc", "xb"));
        assert!(m("[^abc", "d"));
        assert!(!m("[^abc", "a"));
    }

    #[test]
    fn lone_and_empty_brackets() {
        for s in ["a", "[", "]", "\\"] {
            assert!(!m("[", s), "[ matches nothing, not {s:?}");
            assert!(!m("[]", s), "[] matches nothing, not {s:?}");
            assert!(m("[^]", s), "[^] matches any byte, {s:?} too");
            assert!(m("[^", s), "[^ matches any byte, {s:?} too");
        }
        assert!(!m("[]a]", "a"), "[] is a whole (never matching) class");
        assert!(!m("[]a]", "]"));
        assert!(!m("[^]", "ab"));
        assert!(!m("a[", "a["), "a trailing [ matches nothing");
    }

    #[test]
    fn backslash_escapes_outside_brackets() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("\\[a]", "[a]"));
        assert!(!m("\\[a]", "a"));
        assert!(m("\\\\", "\\"));
        assert!(m("\\a", "a"));
        assert!(
            mi("\\A", "a"),
            "an escaped letter still folds outside brackets"
        );
    }

    #[test]
    fn backslash_at_the_end_matches_itself() {
        assert!(m("a\\", "a\\"));
        assert!(!m("a\\", "a"));
        assert!(m("\\", "\\"));
        assert!(!m("\\", "a"));
        assert!(m("*\\", "abc\\"));
    }

    #[test]
    fn escapes_inside_brackets() {
        assert!(m("[\\]]", "]"));
        assert!(!m("[\\]]", "\\"));
        assert!(m("[\\^a]", "^"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "m"), "an escaped dash makes no range");
        assert!(
            m("[\\a-z]", "-"),
            "the escape takes 'a'; '-' and 'z' are members"
        );
        assert!(!m("[\\a-z]", "m"));
        // A backslash closing an unterminated class is a member.
        assert!(m("[\\", "\\"));
        assert!(!m("[\\", "a"));
        // Escaped bytes inside brackets ignore nocase, as Redis.
        assert!(!mi("[\\A]", "a"));
        assert!(mi("[\\A]", "A"));
        assert!(mi("[A]", "a"));
    }

    #[test]
    fn non_ascii_bytes_are_plain_bytes() {
        assert!(glob_match(&[0xe9, b'*'], &[0xe9, 1, 2], false));
        assert!(glob_match(&[b'[', 0x80, b'-', 0xff, b']'], &[0xc3], false));
        assert!(!glob_match(&[b'[', 0x80, b'-', 0xff, b']'], b"a", false));
        // No folding outside ASCII.
        assert!(!glob_match(&[0xc9], &[0xe9], true));
        assert!(glob_match(b"a?c", &[b'a', 0, b'c'], false));
    }

    #[test]
    fn star_heavy_patterns_run_in_polynomial_time() {
        let subject = vec![b'a'; 20_000];
        let start = Instant::now();
        assert!(!glob_match(b"*a*a*a*a*a*a*a*a*a*a*a*a*b", &subject, false));
        assert!(!glob_match(
            &b"a*"
                .repeat(24)
                .into_iter()
                .chain(*b"b")
                .collect::<Vec<_>>(),
            &subject[..200],
            false
        ));
        assert!(glob_match(b"*a*a*a*a*a*a*a*a*a*a*a*a*", &subject, false));
        assert!(!glob_match(b"*?*?*?*?*?*?*?*?*?*?*?*?b", &subject, true));
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn more_than_1000_star_groups_match_nothing_as_redis() {
        let subject = vec![b'a'; 1200];
        let ok: Vec<u8> = b"*a".repeat(1000);
        assert!(glob_match(&ok, &subject, false));
        let too_many: Vec<u8> = b"*a".repeat(1001);
        assert!(!glob_match(&too_many, &subject, false));
        // Only groups before the last other token count: a trailing star is free.
        let mut trailing = ok.clone();
        trailing.push(b'*');
        assert!(glob_match(&trailing, &subject, false));
    }

    /// Plain glob semantics over `*`, `?`, `\` and literals, by exhaustive recursion,
    /// plus Redis's empty-subject rule.
    fn reference(pattern: &[u8], subject: &[u8]) -> bool {
        fn go(p: &[u8], s: &[u8]) -> bool {
            match p {
                [] => s.is_empty(),
                [b'*', rest @ ..] => (0..=s.len()).any(|k| go(rest, &s[k..])),
                [b'?', rest @ ..] => !s.is_empty() && go(rest, &s[1..]),
                [b'\\', c, rest @ ..] | [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
            }
        }
        if subject.is_empty() {
            return pattern.is_empty();
        }
        go(pattern, subject)
    }

    /// Full syntax by exhaustive recursion over tokens, sharing only the one-byte token
    /// matcher: checks the iterative star handling.
    fn recursive(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
        fn go(p: &[u8], s: &[u8], nocase: bool) -> bool {
            match p.first() {
                None => s.is_empty(),
                Some(b'*') => (0..=s.len()).any(|k| go(&p[1..], &s[k..], nocase)),
                Some(_) => match s.first() {
                    None => false,
                    Some(&c) => {
                        let (ok, next) = match_token(p, 0, c, nocase);
                        ok && go(&p[next..], &s[1..], nocase)
                    }
                },
            }
        }
        if subject.is_empty() {
            return pattern.is_empty();
        }
        go(pattern, subject, nocase)
    }

    fn bytes_from(alphabet: &'static [u8], max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_reference_without_brackets(
            pattern in bytes_from(b"ab*?\\", 10),
            subject in bytes_from(b"ab*?\\", 10),
        ) {
            prop_assert_eq!(glob_match(&pattern, &subject, false), reference(&pattern, &subject));
        }

        #[test]
        fn agrees_with_exhaustive_recursion_on_full_syntax(
            pattern in bytes_from(b"aAbB*?\\[]^-", 10),
            subject in bytes_from(b"aAbB[]^-\\", 8),
            nocase in any::<bool>(),
        ) {
            prop_assert_eq!(
                glob_match(&pattern, &subject, nocase),
                recursive(&pattern, &subject, nocase)
            );
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(
            pattern in proptest::collection::vec(any::<u8>(), 0..40),
            subject in proptest::collection::vec(any::<u8>(), 0..40),
            nocase in any::<bool>(),
        ) {
            let _ = glob_match(&pattern, &subject, nocase);
        }

        #[test]
        fn escaped_subject_matches_itself(subject in proptest::collection::vec(any::<u8>(), 1..30)) {
            let mut pattern = Vec::new();
            for &b in &subject {
                pattern.push(b'\\');
                pattern.push(b);
            }
            prop_assert!(glob_match(&pattern, &subject, false));
        }
    }
}
