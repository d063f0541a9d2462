//! Stream commands through `command::dispatch`: reply shapes and Redis 7.0's exact errors,
//! in Redis's order (each checked against redis-server 7.0.15), and the waits that
//! `parse_blocking` finds in XREAD/XREADGROUP BLOCK.

use embedis::command::{parse_blocking, Reply};
use embedis::engine::waiters::BlockOp;

mod command_common;
use command_common::Conn;

impl Conn {
    /// A stream `s` with 1-1 {a: 1, b: 2}, 1-2 {a: 3}, 2-0 {c: 4}, and groups g (from 0)
    /// and g2 (from $).
    fn with_stream() -> Conn {
        let mut c = Conn::new();
        c.ok("XADD s 1-1 a 1 b 2");
        c.ok("XADD s 1-2 a 3");
        c.ok("XADD s 2-0 c 4");
        c.ok("XGROUP CREATE s g 0");
        c.ok("XGROUP CREATE s g2 $");
        c
    }
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

fn entry(id: &str, fields: &[&str]) -> Reply {
    Reply::Array(vec![bulk(id), bulks(fields)])
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const BAD_ID: &str = "ERR Invalid stream ID specified as stream command argument";

#[test]
fn xadd_checks_in_redis_order() {
    let mut c = Conn::with_stream();
    c.ok("SET str x");
    assert_eq!(c.err("XADD s MAXLEN -1 * a 1"), "ERR The MAXLEN argument must be >= 0.");
    assert_eq!(c.err("XADD s LIMIT -1 * a 1"), "ERR The LIMIT argument must be >= 0.");
    assert_eq!(c.err("XADD s LIMIT 5 * a 1"), "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    assert_eq!(c.err("XADD s LIMIT 0 * a 1"), "ERR syntax error, LIMIT cannot be used without the special ~ option");
    assert_eq!(c.err("XADD s MAXLEN = 1 LIMIT 5 * a 1"), "ERR syntax error, LIMIT cannot be used without the special ~ option");
    assert_eq!(c.err("XADD s MAXLEN 1 MINID 0 * a 1"), "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
    assert_eq!(c.err("XADD s * a"), "ERR wrong number of arguments for 'xadd' command");
    assert_eq!(c.err("XADD s MAXLEN 5"), "ERR wrong number of arguments for 'xadd' command");
    assert_eq!(c.err("XADD s foo * a 1"), BAD_ID);
    assert_eq!(c.err("XADD s - a 1"), BAD_ID);
    // 0-0 is refused before the key's type is looked at.
    assert_eq!(c.err("XADD str 0-0 a 1"), "ERR The ID specified in XADD must be greater than 0-0");
    assert_eq!(c.err("XADD str * a 1"), WRONGTYPE);
    assert_eq!(c.err("XADD s 1-5 a 1"), "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    assert_eq!(c.ok("XADD nokey NOMKSTREAM * a 1"), Reply::Nil);
    assert_eq!(c.ok("XADD s 3-* a 1"), bulk("3-0"));
    assert_eq!(c.ok("XADD s 3-* a 1"), bulk("3-1"));
    assert_eq!(c.ok("XADD s MAXLEN ~ 1 LIMIT 5 4-0 a 1"), bulk("4-0"));
}

#[test]
fn ranges_and_counts() {
    let mut c = Conn::with_stream();
    assert_eq!(
        c.ok("XRANGE s - +"),
        Reply::Array(vec![entry("1-1", &["a", "1", "b", "2"]), entry("1-2", &["a", "3"]), entry("2-0", &["c", "4"])])
    );
    assert_eq!(c.ok("XRANGE s (1-1 + COUNT 1"), Reply::Array(vec![entry("1-2", &["a", "3"])]));
    assert_eq!(c.ok("XREVRANGE s + - COUNT 1"), Reply::Array(vec![entry("2-0", &["c", "4"])]));
    assert_eq!(c.ok("XRANGE s 1 1"), Reply::Array(vec![entry("1-1", &["a", "1", "b", "2"]), entry("1-2", &["a", "3"])]));
    // COUNT 0 (or below) on a stream is a null array; on a missing key an empty one.
    assert_eq!(c.ok("XRANGE s - + COUNT 0"), Reply::NilArray);
    assert_eq!(c.ok("XRANGE s - + COUNT -5"), Reply::NilArray);
    assert_eq!(c.ok("XRANGE nokey - + COUNT 0"), Reply::Array(vec![]));
    assert_eq!(c.err("XRANGE s (18446744073709551615-18446744073709551615 +"), "ERR invalid start ID for the interval");
    assert_eq!(c.err("XRANGE s - (0-0"), "ERR invalid end ID for the interval");
    assert_eq!(c.err("XRANGE s - + foo"), SYNTAX);
    assert_eq!(c.ok("XLEN s"), Reply::Int(3));
    assert_eq!(c.ok("XLEN nokey"), Reply::Int(0));
}

#[test]
fn xdel_xack_answer_zero_for_missing_keys_before_reading_ids() {
    let mut c = Conn::with_stream();
    assert_eq!(c.ok("XDEL nokey x"), Reply::Int(0));
    assert_eq!(c.err("XDEL s x"), BAD_ID);
    assert_eq!(c.ok("XACK s nog x"), Reply::Int(0));
    assert_eq!(c.err("XACK s g x"), BAD_ID);
    assert_eq!(c.ok("XDEL s 1-2 9-9"), Reply::Int(1));
}

#[test]
fn xtrim_needs_a_strategy() {
    let mut c = Conn::with_stream();
    assert_eq!(c.err("XTRIM s LIMIT 5"), "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    assert_eq!(c.err("XTRIM s foo 1"), SYNTAX);
    assert_eq!(c.err("XTRIM s MAXLEN ~"), "ERR value is not an integer or out of range");
    assert_eq!(c.ok("XTRIM nokey MAXLEN 1"), Reply::Int(0));
    assert_eq!(c.ok("XTRIM s MAXLEN = 1"), Reply::Int(2));
}

#[test]
fn group_reads_and_pending() {
    let mut c = Conn::with_stream();
    assert_eq!(
        c.ok("XREADGROUP GROUP g c1 COUNT 1 STREAMS s >"),
        Reply::Array(vec![Reply::Array(vec![bulk("s"), Reply::Array(vec![entry("1-1", &["a", "1", "b", "2"])])])])
    );
    // Nothing new for g2: a null array.
    assert_eq!(c.ok("XREADGROUP GROUP g2 c1 STREAMS s >"), Reply::NilArray);
    // History is always answered, even when empty.
    assert_eq!(c.ok("XREADGROUP GROUP g c9 STREAMS s 0"), Reply::Array(vec![Reply::Array(vec![bulk("s"), Reply::Array(vec![])])]));
    c.ok("XDEL s 1-1");
    assert_eq!(
        c.ok("XREADGROUP GROUP g c1 STREAMS s 0"),
        Reply::Array(vec![Reply::Array(vec![bulk("s"), Reply::Array(vec![Reply::Array(vec![bulk("1-1"), Reply::NilArray])])])])
    );
    let Reply::Array(summary) = c.ok("XPENDING s g") else { panic!() };
    assert_eq!(summary[0], Reply::Int(1));
    assert_eq!(summary[3], Reply::Array(vec![bulks(&["c1", "1"])]));
    assert_eq!(c.ok("XPENDING s g2"), Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]));
    assert_eq!(c.err("XPENDING s g - +"), SYNTAX);
    assert_eq!(c.err("XPENDING s g IDLE 1 - +"), SYNTAX);
    assert_eq!(c.err("XPENDING s nog"), "NOGROUP No such key 's' or consumer group 'nog'");
}

#[test]
fn xread_and_xreadgroup_option_errors() {
    let mut c = Conn::with_stream();
    c.ok("SET str x");
    assert_eq!(c.err("XREAD GROUP g c STREAMS s 0"), "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
    assert_eq!(c.err("XREAD NOACK STREAMS s 0"), "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
    assert_eq!(c.err("XREADGROUP COUNT 1 NOACK STREAMS s 0"), "ERR Missing GROUP option for XREADGROUP");
    assert_eq!(c.err("XREAD BLOCK x STREAMS s 0"), "ERR timeout is not an integer or out of range");
    assert_eq!(c.err("XREAD BLOCK -1 STREAMS s 0"), "ERR timeout is negative");
    assert_eq!(c.err("XREAD STREAMS s s2 0"), "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
    assert_eq!(c.err("XREAD STREAMS s >"), "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
    assert!(c.err("XREADGROUP GROUP g c STREAMS s $").starts_with("ERR The $ ID is meaningless"));
    // Key by key: the type of the first key before the ID of the second.
    assert_eq!(c.err("XREAD STREAMS str s 0 x"), WRONGTYPE);
    assert_eq!(c.err("XREAD STREAMS s str x 0"), BAD_ID);
    assert_eq!(c.err("XREADGROUP GROUP g c STREAMS s nokey 0 0"), "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option");
    // BLOCK where blocking is not allowed: a null array.
    assert_eq!(c.ok("XREAD BLOCK 0 STREAMS s $"), Reply::NilArray);
}

#[test]
fn xread_replies_are_maps_in_resp3() {
    let mut c = Conn::with_stream();
    c.ctx.resp = 3;
    let Reply::Map(pairs) = c.ok("XREAD COUNT 1 STREAMS s 0") else { panic!("a map") };
    assert_eq!(pairs, vec![(bulk("s"), Reply::Array(vec![entry("1-1", &["a", "1", "b", "2"])]))]);
}

#[test]
fn claims() {
    let mut c = Conn::with_stream();
    c.ok("XREADGROUP GROUP g c1 STREAMS s >");
    assert_eq!(c.err("XCLAIM s nog c x 1-1"), "NOGROUP No such key 's' or consumer group 'nog'");
    assert_eq!(c.err("XCLAIM s g c x 1-1"), "ERR Invalid min-idle-time argument for XCLAIM");
    assert_eq!(c.err("XCLAIM s g c 0 1-1 IDLE x"), "ERR Invalid IDLE option argument for XCLAIM");
    assert_eq!(c.err("XCLAIM s g c 0 1-1 foo 1-2"), "ERR Unrecognized XCLAIM option 'foo'");
    assert_eq!(c.err("XCLAIM s g c 0 1-1 IDLE"), "ERR Unrecognized XCLAIM option 'IDLE'");
    assert_eq!(c.ok("XCLAIM s g c2 0 1-1 1-2 9-9 JUSTID"), bulks(&["1-1", "1-2"]));
    assert_eq!(c.err("XAUTOCLAIM s g c x 0"), "ERR Invalid min-idle-time argument for XAUTOCLAIM");
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 COUNT 0"), "ERR COUNT must be > 0");
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 foo"), SYNTAX);
    // COUNT: 1..=LONG_MAX/16, then a buffer of COUNT IDs that must be allocatable (embedis
    // fixes the limit at 2^42), checked after the key and group.
    const TOO_HIGH: &str = "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 COUNT 576460752303423488"), "ERR COUNT must be > 0");
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 COUNT 576460752303423487"), TOO_HIGH);
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 COUNT 4398046511105 JUSTID"), TOO_HIGH);
    assert_eq!(c.err("XAUTOCLAIM s g c 0 0 COUNT 576460752303423487 foo"), SYNTAX);
    assert_eq!(c.err("XAUTOCLAIM s nog c 0 0 COUNT 576460752303423487"), "NOGROUP No such key 's' or consumer group 'nog'");
    assert_eq!(c.err("XAUTOCLAIM nokey g c 0 0 COUNT 576460752303423487"), "NOGROUP No such key 'nokey' or consumer group 'g'");
    c.ok("SET str v");
    assert_eq!(c.err("XAUTOCLAIM str g c 0 0 COUNT 576460752303423487"), WRONGTYPE);
    assert_eq!(c.ok("XAUTOCLAIM s g c 0 (2-0 COUNT 4398046511104 JUSTID"), Reply::Array(vec![bulk("0-0"), bulks(&[]), bulks(&[])]));
    c.ok("XDEL s 1-2");
    assert_eq!(
        c.ok("XAUTOCLAIM s g c3 0 0"),
        Reply::Array(vec![
            bulk("0-0"),
            Reply::Array(vec![entry("1-1", &["a", "1", "b", "2"]), entry("2-0", &["c", "4"])]),
            bulks(&["1-2"]),
        ])
    );
}

#[test]
fn xgroup_subcommands() {
    let mut c = Conn::with_stream();
    assert_eq!(c.err("XGROUP CREATE s g 0"), "BUSYGROUP Consumer Group name already exists");
    assert_eq!(c.err("XGROUP CREATE s g3 0 foo"), "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.");
    assert_eq!(c.err("XGROUP CREATE s g3 0 ENTRIESREAD -2"), "ERR value for ENTRIESREAD must be positive or -1");
    assert_eq!(c.err("XGROUP SETID s g 0 foo 1"), "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.");
    assert_eq!(c.err("XGROUP create"), "ERR wrong number of arguments for 'xgroup|create' command");
    assert_eq!(c.err("XGROUP foo s g"), "ERR unknown subcommand 'foo'. Try XGROUP HELP.");
    assert!(c.err("XGROUP DESTROY nokey g").starts_with("ERR The XGROUP subcommand requires the key to exist."));
    assert_eq!(c.err("XGROUP SETID s nog 0"), "NOGROUP No such consumer group 'nog' for key name 's'");
    assert_eq!(c.ok("XGROUP CREATE new g $ MKSTREAM"), Reply::Ok);
    assert_eq!(c.ok("XGROUP CREATECONSUMER s g c1"), Reply::Int(1));
    assert_eq!(c.ok("XGROUP CREATECONSUMER s g c1"), Reply::Int(0));
    assert_eq!(c.ok("XGROUP DELCONSUMER s g c1"), Reply::Int(0));
    assert_eq!(c.ok("XGROUP SETID s g + ENTRIESREAD 3"), Reply::Ok);
    assert_eq!(c.ok("XGROUP DESTROY s g2"), Reply::Int(1));
    assert_eq!(c.ok("XGROUP DESTROY s g2"), Reply::Int(0));
    let Reply::Array(help) = c.ok("XGROUP HELP") else { panic!() };
    assert_eq!(help.len(), 17);
}

#[test]
fn xinfo() {
    let mut c = Conn::with_stream();
    assert_eq!(c.err("XINFO STREAM nokey"), "ERR no such key");
    assert_eq!(c.err("XINFO STREAM s foo"), "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.");
    assert_eq!(c.err("XINFO STREAM s FULL COUNT x"), "ERR value is not an integer or out of range");
    assert_eq!(c.err("XINFO stream"), "ERR wrong number of arguments for 'xinfo|stream' command");
    assert_eq!(c.err("XINFO CONSUMERS s nog"), "NOGROUP No such consumer group 'nog' for key name 's'");
    let Reply::Map(info) = c.ok("XINFO STREAM s") else { panic!() };
    let names: Vec<Reply> = info.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        names,
        [
            "length",
            "radix-tree-keys",
            "radix-tree-nodes",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
            "recorded-first-entry-id",
            "groups",
            "first-entry",
            "last-entry"
        ]
        .iter()
        .map(|s| bulk(s))
        .collect::<Vec<_>>()
    );
    let Reply::Array(groups) = c.ok("XINFO GROUPS s") else { panic!() };
    assert_eq!(groups.len(), 2);
}

#[test]
fn parse_blocking_finds_a_wait_only_with_block() {
    let argv = |line: &'static str| -> Vec<&'static [u8]> { line.split_whitespace().map(str::as_bytes).collect() };
    assert!(parse_blocking(&argv("XREAD STREAMS s 0")).unwrap().is_none());
    let call = parse_blocking(&argv("XREAD COUNT 2 BLOCK 1500 STREAMS a b $ 0")).unwrap().unwrap();
    assert_eq!(call.timeout, Some(std::time::Duration::from_millis(1500)));
    assert_eq!(call.keys.len(), 2);
    assert!(matches!(call.op, BlockOp::XRead { count: Some(2), .. }));
    let call = parse_blocking(&argv("XREADGROUP GROUP g c BLOCK 0 NOACK STREAMS s >")).unwrap().unwrap();
    assert_eq!(call.timeout, None);
    assert!(matches!(call.op, BlockOp::XReadGroup { noack: true, .. }));
    assert_eq!(
        parse_blocking(&argv("XREAD STREAMS s")).unwrap_err().to_string(),
        "ERR wrong number of arguments for 'xread' command"
    );
    assert_eq!(
        parse_blocking(&argv("XREAD BLOCK 1 STREAMS s")).unwrap_err().to_string(),
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    );
}
