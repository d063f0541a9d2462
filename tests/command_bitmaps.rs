//! Bitmap commands through `command::dispatch`: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO, with Redis 7.0's argument order and error texts (checked
//! against redis-server 7.0.15).

use embedis::command::Reply;

mod command_common;
use command_common::Conn;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

fn ints(v: &[Option<i64>]) -> Reply {
    Reply::Array(v.iter().map(|i| i.map_or(Reply::Nil, Reply::Int)).collect())
}

#[test]
fn setbit_grows_the_string_and_answers_the_old_bit() {
    let mut c = Conn::new();
    assert_eq!(c.int("SETBIT k 7 1"), 0);
    assert_eq!(c.int("SETBIT k 7 1"), 1);
    assert_eq!(c.ok("GET k"), Reply::Bulk(vec![1]));
    assert_eq!(c.int("SETBIT k 17 0"), 0);
    assert_eq!(c.int("STRLEN k"), 3);
    assert_eq!(c.int("GETBIT k 7"), 1);
    assert_eq!(c.int("GETBIT k 1000"), 0);
    assert_eq!(c.int("GETBIT missing 0"), 0);
    assert_eq!(c.err("SETBIT k 7 2"), "ERR bit is not an integer or out of range");
    assert_eq!(c.err("SETBIT k -1 1"), BIT_OFFSET);
    assert_eq!(c.err("SETBIT k 4294967296 1"), BIT_OFFSET);
    assert_eq!(c.err("SETBIT k x 5"), BIT_OFFSET, "the offset is checked first");
    c.ok("RPUSH l a");
    assert_eq!(c.err("SETBIT l 0 1"), WRONGTYPE);
    assert_eq!(c.err("GETBIT l 0"), WRONGTYPE);
}

#[test]
fn bitcount_looks_the_key_up_before_the_range() {
    let mut c = Conn::new();
    c.ok("SET s foobar");
    assert_eq!(c.int("BITCOUNT s"), 26);
    assert_eq!(c.int("BITCOUNT s 1 1"), 6);
    assert_eq!(c.int("BITCOUNT s 5 30 BIT"), 17);
    assert_eq!(c.int("BITCOUNT s -1 -2"), 0);
    assert_eq!(c.err("BITCOUNT s 0"), SYNTAX);
    assert_eq!(c.err("BITCOUNT s 0 1 FOO"), SYNTAX);
    assert_eq!(c.int("BITCOUNT missing a b"), 0, "Redis 7.0 answers before reading the range");
    c.ok("RPUSH l a");
    assert_eq!(c.err("BITCOUNT l a"), WRONGTYPE);
}

#[test]
fn bitpos_edge_cases() {
    let mut c = Conn::new();
    c.ok("SETRANGE k 0 \u{7f}");
    assert_eq!(c.int("BITPOS k 1"), 1);
    assert_eq!(c.int("BITPOS k 0"), 0);
    c.ok("SET ones \u{7f}");
    c.ok("SETBIT ones 0 1");
    assert_eq!(c.int("BITPOS ones 0"), 8, "no end given: the zero padding counts");
    assert_eq!(c.int("BITPOS ones 0 0 -1"), -1, "an explicit end: it does not");
    assert_eq!(c.int("BITPOS ones 1 2"), -1);
    assert_eq!(c.int("BITPOS ones 1 3 5 BIT"), 3);
    assert_eq!(c.int("BITPOS missing 0 x"), 0, "a missing key answers before the range is read");
    assert_eq!(c.int("BITPOS missing 1"), -1);
    assert_eq!(c.err("BITPOS k 2"), "ERR The bit argument must be 1 or 0.");
    assert_eq!(c.err("BITPOS k 1 0 1 FOO"), SYNTAX);
}

#[test]
fn bitop_stores_or_deletes_the_destination() {
    let mut c = Conn::new();
    c.ok("SET a abc");
    c.ok("SET b a");
    assert_eq!(c.int("BITOP AND d a b"), 3);
    assert_eq!(c.ok("GET d"), Reply::Bulk(b"a\0\0".to_vec()));
    assert_eq!(c.int("BITOP OR d a missing"), 3);
    assert_eq!(c.int("BITOP NOT d b"), 1);
    assert_eq!(c.ok("GET d"), Reply::Bulk(vec![!b'a']));
    assert_eq!(c.int("BITOP AND d missing other"), 0);
    assert_eq!(c.int("EXISTS d"), 0, "an empty result deletes the destination");
    assert_eq!(c.err("BITOP NOT d a b"), "ERR BITOP NOT must be called with a single source key.");
    assert_eq!(c.err("BITOP NAND d a"), SYNTAX);
    c.ok("RPUSH l x");
    assert_eq!(c.err("BITOP AND d a l"), WRONGTYPE);
    assert_eq!(c.int("BITOP AND l a"), 3, "the destination may hold any type");
}

#[test]
fn bitfield_operations_and_overflow() {
    let mut c = Conn::new();
    assert_eq!(c.ok("BITFIELD k SET i8 0 100 GET u4 0 INCRBY i8 0 100"), ints(&[Some(0), Some(6), Some(-56)]));
    assert_eq!(c.ok("BITFIELD k OVERFLOW SAT INCRBY i8 0 -100 OVERFLOW FAIL INCRBY i8 0 -1"), ints(&[Some(-128), None]));
    assert_eq!(c.ok("BITFIELD k SET u8 #1 300 GET u8 #1"), ints(&[Some(0), Some(44)]));
    assert_eq!(c.ok("BITFIELD k OVERFLOW SAT SET u8 #2 -1"), ints(&[Some(0)]));
    assert_eq!(c.ok("BITFIELD k GET u8 16"), ints(&[Some(255)]));
    assert_eq!(c.ok("BITFIELD k OVERFLOW FAIL INCRBY u8 80 300"), ints(&[None]));
    assert_eq!(c.int("STRLEN k"), 11, "a refused write still grows the string");
    assert_eq!(c.ok("BITFIELD k SET i64 0 -9223372036854775808 INCRBY i64 0 -1"), ints(&[Some(-9_210_706_762_414_424_064), Some(i64::MAX)]));
    assert_eq!(c.err("BITFIELD k GET u64 0"), BAD_TYPE);
    assert_eq!(c.err("BITFIELD k GET I8 0"), BAD_TYPE);
    assert_eq!(c.err("BITFIELD k GET i8 -1"), BIT_OFFSET);
    assert_eq!(c.err("BITFIELD k OVERFLOW FOO"), "ERR Invalid OVERFLOW type specified");
    assert_eq!(c.err("BITFIELD k GET i8"), SYNTAX);
    assert_eq!(c.err("BITFIELD k SET i8 0 x"), "ERR value is not an integer or out of range");
    assert_eq!(c.ok("BITFIELD k"), Reply::Array(vec![]));
    assert_eq!(c.ok("BITFIELD missing GET u8 0"), ints(&[Some(0)]));
    assert_eq!(c.int("EXISTS missing"), 0, "reads create nothing");
    assert_eq!(c.ok("BITFIELD_RO k GET u8 16"), ints(&[Some(255)]));
    assert_eq!(c.err("BITFIELD_RO k SET u8 0 1"), "ERR BITFIELD_RO only supports the GET subcommand");
    assert_eq!(c.err("BITFIELD_RO k SET u8 0 1 GET x 0"), BAD_TYPE, "every operation is parsed first");
    c.ok("RPUSH l x");
    assert_eq!(c.err("BITFIELD l GET u8 0"), WRONGTYPE);
    assert_eq!(c.err("BITFIELD_RO l SET u8 0 1"), "ERR BITFIELD_RO only supports the GET subcommand");
}
