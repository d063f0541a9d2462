//! Unit tests of `set.rs`: intset widths and order, conversions, the dense tables'
//! removal bookkeeping, cost accounting, random picks.

use super::*;

fn members(s: &Set) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = s.iter().map(Cow::into_owned).collect();
    v.sort();
    v
}

#[test]
fn intset_keeps_sorted_order_and_upgrades_its_width() {
    let mut s = Set::new();
    for v in ["5", "-3", "100", "7"] {
        assert!(s.add(v.as_bytes(), 512));
    }
    assert!(!s.add(b"5", 512));
    let Repr::Intset(i) = &s.repr else { panic!("intset") };
    assert_eq!(i.width, 2);
    assert_eq!(i.data.len(), 8);
    assert!(s.add(b"70000", 512));
    let Repr::Intset(i) = &s.repr else { panic!("intset") };
    assert_eq!(i.width, 4);
    assert!(s.add(b"-9223372036854775808", 512));
    assert!(s.add(b"9223372036854775807", 512));
    let Repr::Intset(i) = &s.repr else { panic!("intset") };
    assert_eq!(i.width, 8);
    let order: Vec<Vec<u8>> = s.iter().map(Cow::into_owned).collect();
    let want: Vec<Vec<u8>> = ["-9223372036854775808", "-3", "5", "7", "100", "70000", "9223372036854775807"]
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect();
    assert_eq!(order, want);
    assert_eq!(s.encoding_name(), "intset");
    assert!(s.contains(b"70000") && !s.contains(b"70001") && !s.contains(b"x"));
    assert!(s.remove(b"-3"));
    assert!(!s.remove(b"-3"));
    assert!(!s.remove(b"abc"));
    assert_eq!(s.len(), 6);
}

#[test]
fn non_canonical_integers_are_strings() {
    for m in ["07", "+1", " 1", "-0", "", "1.0", "9223372036854775808"] {
        let mut s = Set::for_first(m.as_bytes());
        s.add(m.as_bytes(), 512);
        assert_eq!(s.encoding_name(), "hashtable", "{m:?}");
        assert!(s.contains(m.as_bytes()));
    }
}

#[test]
fn intset_converts_past_the_limit_and_on_a_string() {
    let mut s = Set::new();
    for i in 0..4 {
        s.add(i.to_string().as_bytes(), 4);
    }
    assert_eq!(s.encoding_name(), "intset");
    s.add(b"4", 4);
    assert_eq!(s.encoding_name(), "hashtable");
    assert!(matches!(s.repr, Repr::Ints(_)));
    assert!(s.contains(b"3") && !s.contains(b"03"));
    // A string member turns the integer table into the string one.
    s.add(b"x", 4);
    assert!(matches!(s.repr, Repr::Strs(_)));
    assert_eq!(members(&s), ["0", "1", "2", "3", "4", "x"].map(|m| m.as_bytes().to_vec()));
    // Shrinking never goes back.
    for m in ["0", "1", "2", "3", "x"] {
        assert!(s.remove(m.as_bytes()));
    }
    assert_eq!(s.encoding_name(), "hashtable");
    // A limit of 0: a first integer makes an intset that converts at once, as Redis.
    let mut z = Set::for_first(b"1");
    z.add(b"1", 0);
    assert_eq!(z.encoding_name(), "hashtable");
    let mut t = Set::new();
    t.add(b"1", 512);
    t.add(b"hello", 512);
    assert_eq!(members(&t), vec![b"1".to_vec(), b"hello".to_vec()]);
}

#[test]
fn tables_stay_consistent_through_many_removals() {
    for strings in [false, true] {
        let mut s = Set::new();
        let name = |i: u32| if strings { format!("member:{i}").into_bytes() } else { i.to_string().into_bytes() };
        for i in 0..5000 {
            assert!(s.add(&name(i), 512));
        }
        assert_eq!(s.encoding_name(), "hashtable");
        for i in (0..5000).filter(|i| i % 3 != 0) {
            assert!(s.remove(&name(i)), "{i}");
        }
        assert_eq!(s.len(), 1667);
        for i in 0..5000 {
            assert_eq!(s.contains(&name(i)), i % 3 == 0, "{i}");
        }
        // Long members take a multi-byte varint.
        let long = vec![b'z'; 300];
        assert!(s.add(&long, 512));
        assert!(s.contains(&long));
        assert_eq!(s.iter().filter(|m| m.len() == 300).count(), 1);
    }
}

#[test]
fn cost_follows_the_buffers() {
    let mut s = Set::new();
    assert_eq!(s.allocated_bytes(), 0);
    s.add(b"1", 512);
    let small = s.allocated_bytes();
    assert!(small >= 32);
    let mut t = Set::new();
    for i in 0..100_000 {
        t.add(format!("{i:016}").as_bytes(), 512);
    }
    let big = t.allocated_bytes();
    // 16-byte members: arena (17), offset (8), index (5 per bucket at most 7/8 full).
    assert!((100_000 * 30..100_000 * 45).contains(&big), "{big}");
    for i in 0..99_000 {
        t.remove(format!("{i:016}").as_bytes());
    }
    assert!(t.allocated_bytes() < big / 4, "{} after removals", t.allocated_bytes());
    let c = t.clone();
    assert_eq!(members(&c), members(&t));
}

#[test]
fn random_picks_cover_the_set_and_pops_empty_it() {
    let mut rng = Rng::new(42);
    let mut s = Set::new();
    for m in ["a", "b", "c", "d"] {
        s.add(m.as_bytes(), 512);
    }
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        seen.insert(s.random(&mut rng).map(|m| m.to_vec()));
    }
    assert_eq!(seen.len(), 4);
    let sample = s.sample(3, &mut rng);
    let distinct: std::collections::BTreeSet<_> = sample.iter().collect();
    assert_eq!(distinct.len(), 3);
    assert!(sample.iter().all(|m| s.contains(m)));
    assert_eq!(s.sample(1, &mut rng).len(), 1);
    assert_eq!(s.sample(10, &mut rng).len(), 4);
    let mut popped = Vec::new();
    while let Some(m) = s.pop_random(&mut rng) {
        popped.push(m);
    }
    popped.sort();
    assert_eq!(popped, ["a", "b", "c", "d"].map(|m| m.as_bytes().to_vec()));
    assert!(s.is_empty() && s.random(&mut rng).is_none());
    let mut ints = Set::new();
    for i in 0..10 {
        ints.add(i.to_string().as_bytes(), 512);
    }
    let m = ints.pop_random(&mut rng).expect("a member");
    assert!(!ints.contains(&m) && ints.len() == 9);
}

#[test]
fn a_set_is_no_larger_than_a_vec_and_a_tag() {
    // `Value` holds it inline: it must not grow every key's slot.
    assert!(std::mem::size_of::<Set>() <= 32, "{}", std::mem::size_of::<Set>());
}
