//! Blocking list commands: run once through `dispatch` (as Redis runs them where a client
//! may not block), parsed into a wait by `parse_blocking`, served through the engine's
//! waiter API and shaped by `served_reply`. Errors checked against redis-server 7.0.15.

use std::sync::Arc;
use std::time::{Duration, Instant};

use embedis::command::{dispatch, parse_blocking, served_reply, BlockingCall, Context, Reply};
use embedis::engine::blocking::Attempt;
use embedis::engine::waiters::{BlockOp, Wake};
use embedis::engine::{End, Engine};
use parking_lot::Condvar;

fn words(line: &str) -> Vec<&[u8]> {
    line.split_whitespace().map(str::as_bytes).collect()
}

fn run(e: &Engine, line: &str) -> Result<Reply, String> {
    dispatch(e, &mut Context::default(), &words(line)).map_err(|e| e.to_string())
}

fn parse(line: &str) -> Result<Option<BlockingCall>, String> {
    parse_blocking(&words(line)).map_err(|e| e.to_string())
}

fn call(line: &str) -> BlockingCall {
    parse(line).unwrap_or_else(|e| panic!("{line}: {e}")).unwrap_or_else(|| panic!("{line}: not blocking"))
}

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
const NEGATIVE: &str = "ERR timeout is negative";
const SYNTAX: &str = "ERR syntax error";

#[test]
fn blocking_commands_without_data_answer_as_redis_does_when_blocking_is_denied() {
    let e = Engine::new();
    assert_eq!(run(&e, "BLPOP a b 0"), Ok(Reply::NilArray));
    assert_eq!(run(&e, "BRPOP a 0.01"), Ok(Reply::NilArray));
    assert_eq!(run(&e, "BLMPOP 0 2 a b LEFT"), Ok(Reply::NilArray));
    // blmoveGenericCommand answers a null bulk under CLIENT_DENY_BLOCKING.
    assert_eq!(run(&e, "BLMOVE a b LEFT RIGHT 0"), Ok(Reply::Nil));
    assert_eq!(run(&e, "BRPOPLPUSH a b 0"), Ok(Reply::Nil));
}

#[test]
fn blocking_commands_with_data_pop_at_once() {
    let e = Engine::new();
    run(&e, "RPUSH b 1 2 3").unwrap();
    assert_eq!(run(&e, "BLPOP a b 0"), Ok(Reply::Array(vec![bulk("b"), bulk("1")])));
    assert_eq!(run(&e, "BRPOP a b 0"), Ok(Reply::Array(vec![bulk("b"), bulk("3")])));
    assert_eq!(run(&e, "BLMOVE b d RIGHT LEFT 0"), Ok(bulk("2")));
    assert_eq!(run(&e, "BRPOPLPUSH d b 0"), Ok(bulk("2")));
    run(&e, "RPUSH b 4").unwrap();
    assert_eq!(
        run(&e, "BLMPOP 0 1 b LEFT COUNT 5"),
        Ok(Reply::Array(vec![bulk("b"), Reply::Array(vec![bulk("2"), bulk("4")])]))
    );
}

#[test]
fn blocking_pops_check_types_in_key_order() {
    let e = Engine::new();
    run(&e, "SET s v").unwrap();
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(run(&e, "BLPOP nokey s 0"), Err(wrongtype.to_owned()));
    assert_eq!(run(&e, "BLMPOP 0 2 nokey s LEFT"), Err(wrongtype.to_owned()));
    run(&e, "RPUSH src x").unwrap();
    assert_eq!(run(&e, "BLMOVE src s LEFT LEFT 0"), Err(wrongtype.to_owned()));
    assert_eq!(run(&e, "LLEN src"), Ok(Reply::Int(1)));
}

#[test]
fn timeout_errors_are_redis_texts() {
    assert_eq!(parse("BLPOP k abc").unwrap_err(), NOT_FLOAT);
    assert_eq!(parse("BLPOP k nan").unwrap_err(), NOT_FLOAT);
    assert_eq!(parse("BLPOP k 1.5abc").unwrap_err(), NOT_FLOAT);
    assert_eq!(parse_blocking(&[b"BLPOP", b"k", b" 1"]).unwrap_err().to_string(), NOT_FLOAT);
    assert_eq!(parse_blocking(&[b"BLPOP", b"k", b""]).unwrap_err().to_string(), NOT_FLOAT);
    assert_eq!(parse("BLPOP k -1").unwrap_err(), NEGATIVE);
    assert_eq!(parse("BLPOP k -inf").unwrap_err(), NEGATIVE);
    assert_eq!(parse("BRPOP k -0.5").unwrap_err(), NEGATIVE);
    // Too large for a millisecond deadline (Redis 7.2's wording; 7.0 says "negative").
    assert_eq!(parse("BLPOP k inf").unwrap_err(), "ERR timeout is negative");
    assert_eq!(parse("BLPOP k 1e20").unwrap_err(), "ERR timeout is negative");
    assert_eq!(parse("BLPOP k 1e400").unwrap_err(), "ERR timeout is negative");
    // Representable, but now + timeout overflows: Redis 7.0 blocks (for good).
    assert!(parse("BLPOP k 9223372036854").is_ok());
    assert_eq!(parse("BRPOPLPUSH a b abc").unwrap_err(), NOT_FLOAT);
    assert_eq!(parse("BLMOVE a b LEFT LEFT abc").unwrap_err(), NOT_FLOAT);
    assert_eq!(parse("BLMPOP abc 1 k LEFT").unwrap_err(), NOT_FLOAT);
}

#[test]
fn an_invalid_timeout_is_refused_before_anything_runs() {
    let e = Engine::new();
    run(&e, "RPUSH q a").unwrap();
    assert_eq!(run(&e, "BLPOP q -1"), Err(NEGATIVE.to_owned()));
    assert_eq!(run(&e, "BLMOVE q d LEFT LEFT x"), Err(NOT_FLOAT.to_owned()));
    assert_eq!(run(&e, "LLEN q"), Ok(Reply::Int(1)), "nothing was popped");
}

#[test]
fn blmove_and_blmpop_check_their_syntax_before_the_timeout() {
    // Redis parses BLMOVE's directions, and BLMPOP's numkeys/direction/COUNT, before the
    // timeout (t_list.c `blmoveCommand`, `lmpopGenericCommand`).
    assert_eq!(parse("BLMOVE k d MIDDLE LEFT abc").unwrap_err(), SYNTAX);
    assert_eq!(parse("BLMPOP abc 0 k LEFT").unwrap_err(), "ERR numkeys should be greater than 0");
    assert_eq!(parse("BLMPOP abc 2 k LEFT").unwrap_err(), SYNTAX);
    assert_eq!(parse("BLMPOP -1 1 k MIDDLE").unwrap_err(), SYNTAX);
    assert_eq!(parse("BLMPOP abc 1 k LEFT COUNT 0").unwrap_err(), "ERR count should be greater than 0");
    assert_eq!(parse("BLMPOP -1 1 k LEFT").unwrap_err(), NEGATIVE);
}

#[test]
fn timeouts_are_seconds_rounded_up_to_milliseconds_and_zero_is_forever() {
    assert_eq!(call("BLPOP k 0").timeout, None);
    assert_eq!(call("BLPOP k 0.0").timeout, None);
    // ceil(-0.1 ms) is 0: forever, as Redis 7.0.
    assert_eq!(call("BLPOP k -0.0001").timeout, None);
    assert_eq!(call("BLPOP k 0.0001").timeout, Some(Duration::from_millis(1)));
    assert_eq!(call("BLPOP k 1.5").timeout, Some(Duration::from_millis(1500)));
    assert_eq!(call("BLPOP k 1E1").timeout, Some(Duration::from_secs(10)));
    assert_eq!(call("BLPOP k .5").timeout, Some(Duration::from_millis(500)));
    assert_eq!(call("BLPOP k +2").timeout, Some(Duration::from_secs(2)));
}

#[test]
fn parse_blocking_gives_keys_op_and_timeout() {
    let c = call("BRPOP a b a 2");
    assert_eq!(c.keys, vec![Box::from(&b"a"[..]), Box::from(&b"b"[..]), Box::from(&b"a"[..])]);
    assert!(matches!(c.op, BlockOp::Pop { end: End::Right }));

    let c = call("blmove src dst right LEFT 0");
    assert_eq!(c.keys, vec![Box::from(&b"src"[..])]);
    assert!(matches!(&c.op, BlockOp::Move { from: End::Right, dest, to: End::Left } if &**dest == b"dst"));

    let c = call("BRPOPLPUSH src dst 1");
    assert!(matches!(&c.op, BlockOp::Move { from: End::Right, dest, to: End::Left } if &**dest == b"dst"));

    let c = call("BLMPOP 3 2 a b RIGHT COUNT 7");
    assert_eq!(c.keys.len(), 2);
    assert!(matches!(c.op, BlockOp::MPop { end: End::Right, count: 7 }));
    assert_eq!(c.timeout, Some(Duration::from_secs(3)));
    assert!(matches!(call("BLMPOP 0 1 a LEFT").op, BlockOp::MPop { end: End::Left, count: 1 }));
}

#[test]
fn parse_blocking_ignores_other_commands_and_checks_arity() {
    assert!(parse("LPOP q").unwrap().is_none());
    assert!(parse("NOSUCH q").unwrap().is_none());
    assert!(parse_blocking(&[]).unwrap().is_none());
    assert_eq!(parse("BLPOP q").unwrap_err(), "ERR wrong number of arguments for 'blpop' command");
    assert_eq!(parse("BRPOPLPUSH a b").unwrap_err(), "ERR wrong number of arguments for 'brpoplpush' command");
}

#[test]
fn timeout_and_denied_replies_follow_redis() {
    assert_eq!(call("BLPOP k 0").timeout_reply(), Reply::NilArray);
    assert_eq!(call("BLMOVE a b LEFT LEFT 0").timeout_reply(), Reply::NilArray);
    assert_eq!(call("BLMPOP 0 1 k LEFT").timeout_reply(), Reply::NilArray);
    assert_eq!(call("BLPOP k 0").no_block_reply(), Reply::NilArray);
    assert_eq!(call("BLMOVE a b LEFT LEFT 0").no_block_reply(), Reply::Nil);
}

/// Blocks through the engine as the binding and server will: register, push from another
/// thread, and shape what was handed over.
fn block_and_feed(e: &Engine, line: &str, feed: &'static str) -> Reply {
    let c = call(line);
    let cv = Arc::new(Condvar::new());
    let id = match e.block(0, c.keys.clone(), c.op.clone(), Wake::Thread(cv.clone())).unwrap() {
        Attempt::Waiting(id) => id,
        Attempt::Ready(served) => return served_reply(&served),
    };
    let producer = {
        let e = e.clone();
        std::thread::spawn(move || run(&e, feed).unwrap())
    };
    let served = e.wait_until(id, &cv, Instant::now() + Duration::from_secs(5));
    producer.join().unwrap();
    served.map_or_else(|| c.timeout_reply(), |s| served_reply(&s))
}

#[test]
fn served_replies_have_redis_shapes() {
    let e = Engine::new();
    assert_eq!(block_and_feed(&e, "BLPOP a b 0", "RPUSH b x"), Reply::Array(vec![bulk("b"), bulk("x")]));
    assert_eq!(block_and_feed(&e, "BLMOVE a d LEFT RIGHT 0", "RPUSH a y"), bulk("y"));
    assert_eq!(run(&e, "LRANGE d 0 -1"), Ok(Reply::Array(vec![bulk("y")])));
    assert_eq!(
        block_and_feed(&e, "BLMPOP 0 1 m LEFT COUNT 2", "RPUSH m 1 2 3"),
        Reply::Array(vec![bulk("m"), Reply::Array(vec![bulk("1"), bulk("2")])])
    );
    assert_eq!(run(&e, "LRANGE m 0 -1"), Ok(Reply::Array(vec![bulk("3")])));
}

#[test]
fn timeouts_may_be_hexadecimal_floats_as_strtod_reads_them() {
    use embedis::command::parse_timeout;
    use std::time::Duration;
    assert_eq!(parse_timeout(b"0x10"), Ok(Some(Duration::from_secs(16))));
    assert_eq!(parse_timeout(b"0x1.8p1"), Ok(Some(Duration::from_secs(3))));
    assert_eq!(parse_timeout(b"-0x1p0").unwrap_err().to_string(), "ERR timeout is negative");
    assert_eq!(parse_timeout(b"0x").unwrap_err().to_string(), "ERR timeout is not a float or out of range");
    assert_eq!(parse_timeout(b"0xg").unwrap_err().to_string(), "ERR timeout is not a float or out of range");
}

#[test]
fn a_blmove_refused_for_its_destination_type_replies_wrongtype_and_moves_nothing() {
    // Redis 7.0.15: the blocked BLMOVE/BRPOPLPUSH gets WRONGTYPE once an element comes,
    // and the element stays in the source.
    let e = Engine::new();
    run(&e, "SET s v").unwrap();
    let wrongtype = Reply::Error(embedis::engine::Error::WrongType);
    assert_eq!(block_and_feed(&e, "BLMOVE src s LEFT RIGHT 0", "RPUSH src a"), wrongtype);
    assert_eq!(block_and_feed(&e, "BRPOPLPUSH empty s 0", "LPUSH empty b"), wrongtype);
    assert_eq!(run(&e, "LRANGE src 0 -1"), Ok(Reply::Array(vec![bulk("a")])));
    assert_eq!(run(&e, "LRANGE empty 0 -1"), Ok(Reply::Array(vec![bulk("b")])));
    assert_eq!(run(&e, "GET s"), Ok(bulk("v")));
    let Reply::Error(err) = block_and_feed(&e, "BLMOVE q s LEFT RIGHT 0", "RPUSH q c") else { panic!("an error") };
    assert_eq!(err.to_string(), "WRONGTYPE Operation against a key holding the wrong kind of value");
}
