//! TEMPORARY stand-in for Redis glob matching (being written): `*` and `?` only.
pub fn glob_match(p: &[u8], s: &[u8], _nocase: bool) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&p[1..], s, false) || (!s.is_empty() && glob_match(p, &s[1..], false)),
        (Some(b'?'), Some(_)) => glob_match(&p[1..], &s[1..], false),
        (Some(a), Some(b)) if a == b => glob_match(&p[1..], &s[1..], false),
        _ => false,
    }
}
