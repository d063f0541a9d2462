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

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn copy_copies_value_and_expiry_within_and_across_databases() {
    let mut c = Conn::new();
    c.ok("RPUSH l a b");
    c.ok("PEXPIRE l 100000");
    assert_eq!(c.int("COPY l l2"), 1);
    assert_eq!(c.ok("LRANGE l2 0 -1"), bulks(&["a", "b"]));
    assert!(c.int("PTTL l2") > 0, "the copy keeps the expiry");
    c.ok("RPUSH l2 c");
    assert_eq!(c.ok("LRANGE l 0 -1"), bulks(&["a", "b"]), "a deep copy");
    assert_eq!(c.int("COPY l l2"), 0, "destination exists");
    assert_eq!(c.int("COPY l l2 REPLACE"), 1);
    assert_eq!(c.int("LLEN l2"), 2);
    assert_eq!(c.int("COPY l l DB 3"), 1, "same name, other database");
    assert_eq!(c.int("COPY nokey x"), 0);
    assert_eq!(c.int("COPY l x replace REPLACE db 1 DB 2"), 1, "repeats allowed, the last DB counts");
    c.ok("SELECT 2");
    assert_eq!(c.ok("LRANGE x 0 -1"), bulks(&["a", "b"]));
}

#[test]
fn copy_and_move_errors_are_redis_texts() {
    let mut c = Conn::new();
    c.ok("SET a 1");
    assert_eq!(c.err("COPY a a"), "ERR source and destination objects are the same");
    assert_eq!(c.err("COPY a b DB 16"), "ERR DB index is out of range");
    assert_eq!(c.err("COPY a b DB -1"), "ERR DB index is out of range");
    assert_eq!(c.err("COPY a b DB x"), NOT_INT);
    assert_eq!(c.err("COPY a b DB 99999999999"), "ERR value is out of range, value must between -2147483648 and 2147483647");
    assert_eq!(c.err("COPY a b FOO"), SYNTAX);
    assert_eq!(c.err("COPY a b DB"), SYNTAX);
    assert_eq!(c.err("COPY a"), "ERR wrong number of arguments for 'copy' command");
    assert_eq!(c.err("MOVE a 0"), "ERR source and destination objects are the same");
    assert_eq!(c.err("MOVE a 16"), "ERR DB index is out of range");
    assert_eq!(c.err("MOVE a x"), NOT_INT);
    assert_eq!(c.err("MOVE a"), "ERR wrong number of arguments for 'move' command");
}

#[test]
fn move_refuses_an_existing_target_and_keeps_the_expiry() {
    let mut c = Conn::new();
    c.ok("SET k 1");
    c.ok("EXPIRE k 100");
    assert_eq!(c.int("MOVE nokey 1"), 0);
    c.ok("SELECT 1");
    c.ok("SET k other");
    c.ok("SELECT 0");
    assert_eq!(c.int("MOVE k 1"), 0, "the target database has the key");
    c.ok("SELECT 1");
    c.ok("DEL k");
    c.ok("SELECT 0");
    assert_eq!(c.int("MOVE k 1"), 1);
    assert_eq!(c.int("EXISTS k"), 0);
    c.ok("SELECT 1");
    assert_eq!(c.ok("GET k"), bulk("1"));
    assert!(c.int("TTL k") > 0);
}

#[test]
fn swapdb_swaps_contents_and_checks_indexes_as_redis() {
    let mut c = Conn::new();
    c.ok("SET a 0");
    c.ok("SELECT 1");
    c.ok("SET b 1");
    assert_eq!(c.ok("SWAPDB 0 1"), Reply::Ok);
    assert_eq!(c.ok("GET a"), bulk("0"), "the connection stays on database 1, now holding a");
    assert_eq!(c.int("EXISTS b"), 0);
    assert_eq!(c.ok("SWAPDB 3 3"), Reply::Ok);
    assert_eq!(c.err("SWAPDB x 1"), "ERR invalid first DB index");
    assert_eq!(c.err("SWAPDB 1 x"), "ERR invalid second DB index");
    assert_eq!(c.err("SWAPDB 99999999999 1"), "ERR invalid first DB index");
    assert_eq!(c.err("SWAPDB -1 0"), "ERR DB index is out of range");
    assert_eq!(c.err("SWAPDB 0 16"), "ERR DB index is out of range");
    assert_eq!(c.err("SWAPDB 0"), "ERR wrong number of arguments for 'swapdb' command");
}

#[test]
fn randomkey_touch_and_expiretime() {
    let mut c = Conn::new();
    assert_eq!(c.ok("RANDOMKEY"), Reply::Nil);
    c.ok("SET a 1");
    assert_eq!(c.ok("RANDOMKEY"), bulk("a"));
    c.ok("SET gone 1");
    c.ok("PEXPIRE gone 1");
    c.ok("DEL a");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(c.ok("RANDOMKEY"), Reply::Nil, "a key past its time is never drawn");
    c.ok("MSET a 1 b 2");
    assert_eq!(c.int("TOUCH a b a nokey"), 3);
    assert_eq!(c.int("EXPIRETIME a"), -1);
    assert_eq!(c.int("PEXPIRETIME nokey"), -2);
    c.ok("PEXPIREAT a 4102444800123");
    assert_eq!(c.int("PEXPIRETIME a"), 4_102_444_800_123);
    assert_eq!(c.int("EXPIRETIME a"), 4_102_444_800, "rounded as Redis rounds");
    c.ok("PEXPIREAT a 4102444800500");
    assert_eq!(c.int("EXPIRETIME a"), 4_102_444_801);
}

#[test]
fn expire_options_follow_redis_7_0() {
    let mut c = Conn::new();
    c.ok("SET k v");
    assert_eq!(c.int("EXPIRE k 100 XX"), 0, "no expiry yet");
    assert_eq!(c.int("EXPIRE k 100 GT"), 0, "no expiry counts as infinite");
    assert_eq!(c.int("EXPIRE k 100 XX LT"), 0);
    assert_eq!(c.int("EXPIRE k 100 LT"), 1);
    assert_eq!(c.int("EXPIRE k 50 NX"), 0);
    assert_eq!(c.int("EXPIRE k 200 GT"), 1);
    assert_eq!(c.int("EXPIRE k 300 LT"), 0);
    assert_eq!(c.int("EXPIRE k 150 XX LT"), 1);
    assert_eq!(c.err("EXPIRE k 10 NX XX"), "ERR NX and XX, GT or LT options at the same time are not compatible");
    assert_eq!(c.err("EXPIRE k 10 GT LT"), "ERR GT and LT options at the same time are not compatible");
    assert_eq!(c.err("PEXPIREAT k 10 FOO"), "ERR Unsupported option FOO");
}

#[test]
fn object_subcommands_answer_as_redis() {
    let mut c = Conn::new();
    c.ok("SET i 123");
    c.ok("SET e abc");
    c.ok(&format!("SET r {}", "x".repeat(45)));
    c.ok("RPUSH l a");
    c.ok("XADD s 1-1 f v");
    for (k, enc) in [("i", "int"), ("e", "embstr"), ("r", "raw"), ("l", "quicklist"), ("s", "stream")] {
        assert_eq!(c.ok(&format!("OBJECT ENCODING {k}")), bulk(enc), "{k}");
    }
    assert_eq!(c.ok("object encoding nokey"), Reply::Nil);
    assert_eq!(c.int("OBJECT REFCOUNT i"), 2_147_483_647, "small integers are shared");
    assert_eq!(c.int("OBJECT REFCOUNT e"), 1);
    assert_eq!(c.int("OBJECT IDLETIME i"), 0);
    assert_eq!(c.ok("OBJECT FREQ nokey"), Reply::Nil, "a missing key is checked first");
    assert!(c.err("OBJECT FREQ i").starts_with("ERR An LFU maxmemory policy is not selected"));
    assert_eq!(c.err("OBJECT ENCODING"), "ERR wrong number of arguments for 'object|encoding' command");
    assert_eq!(c.err("OBJECT HELP x"), "ERR wrong number of arguments for 'object|help' command");
    assert_eq!(c.err("OBJECT FOO k"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    assert_eq!(c.err("OBJECT"), "ERR wrong number of arguments for 'object' command");
    let Reply::Array(help) = c.ok("OBJECT HELP") else { panic!() };
    assert_eq!(help.len(), 15);
    c.engine.execute(|ks| {
        let mut cfg = ks.memory_config();
        cfg.policy = embedis::engine::memory::Policy::AllKeysLfu;
        ks.set_memory_config(cfg);
    });
    assert!(c.int("OBJECT FREQ i") >= 0, "an LRU stamp read as a counter: approximate after a switch, as Redis warns");
    assert!(c.err("OBJECT IDLETIME i").starts_with("ERR An LFU maxmemory policy is selected"));
}

#[test]
fn sort_orders_limits_and_projects_as_redis() {
    let mut c = Conn::new();
    c.ok("RPUSH l 3 1 2 10");
    assert_eq!(c.ok("SORT l"), bulks(&["1", "2", "3", "10"]));
    assert_eq!(c.ok("SORT l DESC"), bulks(&["10", "3", "2", "1"]));
    assert_eq!(c.ok("SORT l ALPHA"), bulks(&["1", "10", "2", "3"]));
    assert_eq!(c.ok("SORT l LIMIT 1 2"), bulks(&["2", "3"]));
    assert_eq!(c.ok("SORT l LIMIT -1 2"), bulks(&["1", "2"]));
    assert_eq!(c.ok("SORT l LIMIT 1 -1"), bulks(&["2", "3", "10"]));
    assert_eq!(c.ok("SORT l LIMIT 9 1"), bulks(&[]));
    assert_eq!(c.ok("SORT l BY nosort"), bulks(&["3", "1", "2", "10"]));
    assert_eq!(c.ok("SORT l BY nosort DESC LIMIT 1 2"), bulks(&["2", "1"]));
    c.ok("MSET w_1 30 w_2 20 w_3 10 name_1 one name_3 three");
    assert_eq!(c.ok("SORT l BY w_*"), bulks(&["10", "3", "2", "1"]), "missing weights are 0");
    assert_eq!(
        c.ok("SORT l BY w_* GET # GET name_*"),
        Reply::Array(vec![bulk("10"), Reply::Nil, bulk("3"), bulk("three"), bulk("2"), Reply::Nil, bulk("1"), bulk("one")])
    );
    assert_eq!(c.ok("SORT l GET nostar LIMIT 0 1"), Reply::Array(vec![Reply::Nil]));
    assert_eq!(c.ok("SORT l GET w_*->f LIMIT 0 1"), Reply::Array(vec![Reply::Nil]), "a string has no fields");
    assert_eq!(c.ok("SORT nokey"), bulks(&[]));
    assert_eq!(c.ok("SORT_RO l LIMIT 0 1"), bulks(&["1"]));
}

#[test]
fn sort_errors_are_redis_texts() {
    let mut c = Conn::new();
    c.ok("RPUSH bad a 1");
    c.ok("SET s x");
    assert_eq!(c.err("SORT bad"), "ERR One or more scores can't be converted into double");
    assert_eq!(c.ok("SORT bad ALPHA"), bulks(&["1", "a"]));
    assert_eq!(c.err("SORT s"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_eq!(c.err("SORT bad LIMIT 1"), SYNTAX);
    assert_eq!(c.err("SORT bad LIMIT x 1"), NOT_INT);
    assert_eq!(c.err("SORT bad STORE"), SYNTAX);
    assert_eq!(c.err("SORT bad BY"), SYNTAX);
    assert_eq!(c.err("SORT_RO bad STORE d"), SYNTAX);
    assert_eq!(c.err("SORT"), "ERR wrong number of arguments for 'sort' command");
}

#[test]
fn sort_store_replaces_destination_and_an_empty_result_deletes_it() {
    let mut c = Conn::new();
    c.ok("RPUSH l 2 1");
    c.ok("SET d x");
    c.ok("EXPIRE d 100");
    assert_eq!(c.int("SORT l STORE d"), 2);
    assert_eq!(c.ok("LRANGE d 0 -1"), bulks(&["1", "2"]));
    assert_eq!(c.int("TTL d"), -1, "the stored list has no expiry");
    assert_eq!(c.int("SORT l GET nostar STORE d"), 2);
    assert_eq!(c.ok("LRANGE d 0 -1"), bulks(&["", ""]), "a missing GET value is stored empty");
    assert_eq!(c.int("SORT nokey STORE d"), 0);
    assert_eq!(c.int("EXISTS d"), 0);
}

#[test]
fn scan_type_filters_each_type_name() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("RPUSH l a");
    c.ok("XADD x 1-1 f v");
    for (t, k) in [("string", "s"), ("list", "l"), ("stream", "x"), ("LIST", "l")] {
        let (_, keys) = c.scan(&format!("SCAN 0 COUNT 100 TYPE {t}"));
        assert_eq!(keys, vec![k.to_string()], "{t}");
    }
    let (_, keys) = c.scan("SCAN 0 TYPE hash");
    assert!(keys.is_empty());
}
