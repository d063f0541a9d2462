//! Generic key commands through `command::dispatch`: DEL … SELECT, with the EXPIRE
//! family's Redis 7.0 options and errors. Errors checked against redis-server 7.0.15.

use embedis::command::{dispatch, Reply};

mod command_common;
use command_common::Conn;

impl Conn {
    /// SCAN's reply as (cursor, sorted keys).
    fn scan(&mut self, line: &str) -> (String, Vec<String>) {
        let Reply::Array(parts) = self.ok(line) else { panic!("{line}") };
        let [Reply::Bulk(cursor), Reply::Array(keys)] = &parts[..] else { panic!("{line}: {parts:?}") };
        let mut keys: Vec<String> = keys
            .iter()
            .map(|k| match k {
                Reply::Bulk(b) => String::from_utf8(b.clone()).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        keys.sort();
        (String::from_utf8(cursor.clone()).unwrap(), keys)
    }
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn del_unlink_and_exists_count_keys() {
    let mut c = Conn::new();
    c.ok("MSET a 1 b 2 c 3");
    assert_eq!(c.ok("EXISTS a a nokey"), Reply::Int(2), "a key named twice counts twice");
    assert_eq!(c.ok("DEL a a nokey"), Reply::Int(1));
    assert_eq!(c.ok("UNLINK b c"), Reply::Int(2));
    assert_eq!(c.ok("DBSIZE"), Reply::Int(0));
}

#[test]
fn type_answers_a_status_word() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("RPUSH l a");
    assert_eq!(c.ok("TYPE s"), Reply::Simple(b"string".to_vec()));
    assert_eq!(c.ok("TYPE l"), Reply::Simple(b"list".to_vec()));
    assert_eq!(c.ok("TYPE nokey"), Reply::Simple(b"none".to_vec()));
}

#[test]
fn keys_matches_a_glob() {
    let mut c = Conn::new();
    c.ok("MSET user:1 a user:2 b other c");
    let Reply::Array(mut found) = c.ok("KEYS user:*") else { panic!() };
    found.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(found, vec![bulk("user:1"), bulk("user:2")]);
    assert_eq!(c.err("KEYS"), "ERR wrong number of arguments for 'keys' command");
}

#[test]
fn scan_walks_every_key_with_match_and_type() {
    let mut c = Conn::new();
    for i in 0..50 {
        c.ok(&format!("SET k{i} v"));
    }
    c.ok("RPUSH l a");
    let mut seen = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        let (next, keys) = c.scan(&format!("SCAN {cursor} COUNT 7"));
        seen.extend(keys);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 51);
    assert_eq!(c.scan("SCAN 0 COUNT 1000 TYPE list"), ("0".to_owned(), vec!["l".to_owned()]));
    assert_eq!(c.scan("SCAN 0 COUNT 1000 MATCH k1?").1.len(), 10);
    // Options may repeat; the last counts.
    assert_eq!(c.scan("scan 0 count 5 count 1000 match * type LIST").1, vec!["l".to_owned()]);
}

#[test]
fn scan_reads_its_cursor_as_strtoul_does() {
    let mut c = Conn::new();
    c.ok("SET a 1");
    let invalid = "ERR invalid cursor";
    assert_eq!(c.err("SCAN abc"), invalid);
    assert_eq!(c.err("SCAN 18446744073709551616"), invalid);
    assert_eq!(c.err("SCAN 0x10"), invalid);
    let argv: [&[u8]; 2] = [b"SCAN", b" 0"];
    assert_eq!(dispatch(&c.engine, &mut c.ctx, &argv).unwrap_err().to_string(), invalid);
    // strtoul accepts a sign and an empty string (0); "-1" wraps to the last cursor.
    assert_eq!(c.scan("SCAN +0").1, vec!["a".to_owned()]);
    assert_eq!(c.scan("SCAN 00").1, vec!["a".to_owned()]);
    assert_eq!(c.scan("SCAN -1"), ("0".to_owned(), vec![]));
    let argv: [&[u8]; 2] = [b"SCAN", b""];
    assert!(dispatch(&c.engine, &mut c.ctx, &argv).is_ok());
}

#[test]
fn scan_option_errors_are_redis_texts() {
    let mut c = Conn::new();
    assert_eq!(c.err("SCAN 0 COUNT 0"), SYNTAX);
    assert_eq!(c.err("SCAN 0 COUNT -1"), SYNTAX);
    assert_eq!(c.err("SCAN 0 COUNT abc"), NOT_INT);
    assert_eq!(c.err("SCAN 0 COUNT 99999999999999999999"), NOT_INT);
    assert_eq!(c.err("SCAN 0 MATCH"), SYNTAX);
    assert_eq!(c.err("SCAN 0 foo bar"), SYNTAX);
    // The cursor is checked before the options.
    assert_eq!(c.err("SCAN x COUNT 0"), "ERR invalid cursor");
}

#[test]
fn flushdb_empties_one_database_and_flushall_all() {
    let mut c = Conn::new();
    c.ok("SET a 1");
    c.ok("SELECT 1");
    c.ok("SET b 1");
    assert_eq!(c.ok("FLUSHDB ASYNC"), Reply::Ok);
    assert_eq!(c.ok("DBSIZE"), Reply::Int(0));
    c.ok("SELECT 0");
    assert_eq!(c.ok("DBSIZE"), Reply::Int(1));
    assert_eq!(c.ok("flushall sync"), Reply::Ok);
    assert_eq!(c.ok("DBSIZE"), Reply::Int(0));
    assert_eq!(c.err("FLUSHDB foo"), SYNTAX);
    assert_eq!(c.err("FLUSHDB SYNC ASYNC"), SYNTAX);
    assert_eq!(c.err("FLUSHALL now"), SYNTAX);
}

#[test]
fn rename_moves_value_and_ttl_and_refuses_missing_keys() {
    let mut c = Conn::new();
    assert_eq!(c.err("RENAME nokey x"), "ERR no such key");
    assert_eq!(c.err("RENAMENX nokey x"), "ERR no such key");
    c.ok("SET a 1 EX 100");
    assert_eq!(c.ok("RENAME a a"), Reply::Ok);
    assert_eq!(c.ok("RENAMENX a a"), Reply::Int(0));
    assert_eq!(c.ok("RENAME a b"), Reply::Ok);
    assert_eq!(c.int("TTL b"), 100);
    c.ok("SET c 3");
    assert_eq!(c.ok("RENAMENX b c"), Reply::Int(0));
    assert_eq!(c.ok("RENAMENX b d"), Reply::Int(1));
    assert_eq!(c.ok("GET d"), bulk("1"));
}

#[test]
fn ttl_pttl_and_persist() {
    let mut c = Conn::new();
    assert_eq!(c.int("TTL nokey"), -2);
    assert_eq!(c.int("PTTL nokey"), -2);
    c.ok("SET k v");
    assert_eq!(c.int("TTL k"), -1);
    assert_eq!(c.int("PERSIST k"), 0);
    assert_eq!(c.int("PEXPIRE k 1500"), 1);
    // Rounded to the nearest second, as Redis: 1.5 s reads 2 (or 1 if time passed).
    assert!((1..=2).contains(&c.int("TTL k")));
    assert_eq!(c.int("PERSIST k"), 1);
    assert_eq!(c.int("TTL k"), -1);
}

#[test]
fn expire_with_a_past_time_deletes_the_key() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.int("EXPIRE k -1"), 1);
    assert_eq!(c.int("EXISTS k"), 0);
    c.ok("SET k v");
    assert_eq!(c.int("PEXPIREAT k 1"), 1);
    assert_eq!(c.int("EXISTS k"), 0);
    assert_eq!(c.int("EXPIRE nokey 10"), 0);
}

#[test]
fn expire_at_sets_an_absolute_time() {
    let mut c = Conn::new();
    c.ok("SET k v");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(c.int(&format!("EXPIREAT k {}", now + 100)), 1);
    assert!((99..=100).contains(&c.int("TTL k")));
}

#[test]
fn expire_conditions_follow_redis_7() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.int("EXPIRE k 100 XX"), 0, "XX: no expiry yet");
    assert_eq!(c.int("EXPIRE k 100 GT"), 0, "GT: no expiry counts as infinite");
    assert_eq!(c.int("EXPIRE k 100 LT"), 1, "LT: anything is below infinite");
    assert_eq!(c.int("EXPIRE k 200 NX"), 0);
    assert_eq!(c.int("EXPIRE k 200 LT"), 0);
    assert_eq!(c.int("EXPIRE k 200 gt"), 1);
    assert_eq!(c.int("TTL k"), 200);
    assert_eq!(c.int("EXPIRE k 50 XX LT"), 1);
    assert_eq!(c.int("TTL k"), 50);
    assert_eq!(c.int("EXPIRE k 60 xx gt"), 1);
    assert_eq!(c.int("TTL k"), 60);
    // Repeats are allowed.
    assert_eq!(c.int("PEXPIRE k 10000 xx xx"), 1);
    c.ok("SET plain v");
    assert_eq!(c.int("EXPIRE plain 10 XX LT"), 0, "XX LT needs an existing expiry");
    assert_eq!(c.int("TTL plain"), -1);
}

#[test]
fn expire_option_errors_come_before_the_time_is_parsed() {
    let mut c = Conn::new();
    assert_eq!(c.err("EXPIRE k 10 foo"), "ERR Unsupported option foo");
    assert_eq!(c.err("EXPIRE k abc foo"), "ERR Unsupported option foo");
    let nx = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(c.err("EXPIRE k 10 NX XX"), nx);
    assert_eq!(c.err("EXPIRE k abc NX XX"), nx);
    assert_eq!(c.err("EXPIRE k 10 gt nx"), nx);
    assert_eq!(c.err("PEXPIRE k 10 NX LT"), nx);
    assert_eq!(c.err("EXPIRE k 10 GT LT"), "ERR GT and LT options at the same time are not compatible");
    assert_eq!(c.err("EXPIRE k abc"), NOT_INT);
    assert_eq!(c.err("EXPIRE k 99999999999999999999 NX"), NOT_INT);
}

#[test]
fn expire_overflow_names_the_command() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.err("EXPIRE k 9223372036854775"), "ERR invalid expire time in 'expire' command");
    assert_eq!(c.err("EXPIRE k 9223372036854775807"), "ERR invalid expire time in 'expire' command");
    assert_eq!(c.err("PEXPIRE k 9223372036854775807"), "ERR invalid expire time in 'pexpire' command");
    assert_eq!(
        c.err("EXPIREAT k -9223372036854775808"),
        "ERR invalid expire time in 'expireat' command"
    );
    // Checked before the key is looked up.
    assert_eq!(c.err("expire nokey 9223372036854775807"), "ERR invalid expire time in 'expire' command");
    assert_eq!(c.int("TTL k"), -1);
    // The largest absolute times are fine.
    assert_eq!(c.int("PEXPIREAT k 9223372036854775807"), 1);
    assert_eq!(c.int("EXPIREAT k 9223372036854775"), 1);
}

#[test]
fn select_changes_the_context_database() {
    let mut c = Conn::new();
    c.ok("SET a 0");
    assert_eq!(c.ok("SELECT 15"), Reply::Ok);
    assert_eq!(c.ctx.db, 15);
    assert_eq!(c.ok("GET a"), Reply::Nil);
    c.ok("SET a 15");
    c.ok("SELECT 0");
    assert_eq!(c.ok("GET a"), bulk("0"));
}

#[test]
fn select_errors_are_redis_texts_and_leave_the_database() {
    let mut c = Conn::new();
    c.ok("SELECT 3");
    assert_eq!(c.err("SELECT 16"), "ERR DB index is out of range");
    assert_eq!(c.err("SELECT -1"), "ERR DB index is out of range");
    assert_eq!(c.err("SELECT abc"), NOT_INT);
    let int_range = "ERR value is out of range, value must between -2147483648 and 2147483647";
    assert_eq!(c.err("SELECT 2147483648"), int_range);
    assert_eq!(c.err("SELECT 99999999999"), int_range);
    assert_eq!(c.ctx.db, 3);
}
