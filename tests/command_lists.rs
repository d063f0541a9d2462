//! List commands through `command::dispatch`: reply shapes and Redis 7.0's exact errors
//! (each checked against redis-server 7.0.15).

use embedis::command::Reply;

mod command_common;
use command_common::Conn;

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}

fn ints(items: &[i64]) -> Reply {
    Reply::Array(items.iter().map(|&i| Reply::Int(i)).collect())
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn pushes_answer_the_new_length_and_keep_order() {
    let mut c = Conn::new();
    assert_eq!(c.ok("RPUSH q a b"), Reply::Int(2));
    assert_eq!(c.ok("lpush q x y"), Reply::Int(4));
    assert_eq!(c.ok("LRANGE q 0 -1"), bulks(&["y", "x", "a", "b"]));
}

#[test]
fn pushx_does_nothing_on_a_missing_key() {
    let mut c = Conn::new();
    assert_eq!(c.ok("LPUSHX q a"), Reply::Int(0));
    assert_eq!(c.ok("RPUSHX q a b"), Reply::Int(0));
    assert_eq!(c.ok("EXISTS q"), Reply::Int(0));
    c.ok("RPUSH q a");
    assert_eq!(c.ok("RPUSHX q b c"), Reply::Int(3));
}

#[test]
fn push_and_pop_on_a_string_are_wrongtype() {
    let mut c = Conn::new();
    c.ok("SET s v");
    for line in ["LPUSH s a", "LPUSHX s a", "LPOP s", "RPOP s 2", "LPOP s 0", "LLEN s", "LRANGE s 0 -1", "LINDEX s 0"] {
        assert_eq!(c.err(line), WRONGTYPE, "{line}");
    }
}

#[test]
fn pop_without_count_answers_element_or_nil() {
    let mut c = Conn::new();
    c.ok("RPUSH q a b");
    assert_eq!(c.ok("LPOP q"), bulk("a"));
    assert_eq!(c.ok("RPOP q"), bulk("b"));
    assert_eq!(c.ok("LPOP q"), Reply::Nil);
    assert_eq!(c.ok("EXISTS q"), Reply::Int(0), "an emptied list is deleted");
}

#[test]
fn pop_with_count_follows_redis_7_pop_generic_command() {
    let mut c = Conn::new();
    // A missing key with a count is a null array, whatever the count.
    assert_eq!(c.ok("LPOP nokey 1"), Reply::NilArray);
    assert_eq!(c.ok("LPOP nokey 0"), Reply::NilArray);
    c.ok("RPUSH q a b c");
    // Count 0 on an existing list: an empty array, nothing popped.
    assert_eq!(c.ok("LPOP q 0"), Reply::Array(vec![]));
    assert_eq!(c.ok("RPOP q 2"), bulks(&["c", "b"]));
    assert_eq!(c.ok("LPOP q 10"), bulks(&["a"]));
    assert_eq!(c.ok("LPOP q 1"), Reply::NilArray);
}

#[test]
fn pop_count_that_is_negative_or_not_a_number_is_refused_even_on_a_missing_key() {
    let mut c = Conn::new();
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(c.err("LPOP nokey -1"), positive);
    assert_eq!(c.err("RPOP nokey abc"), positive);
    assert_eq!(c.err("LPOP nokey 99999999999999999999"), positive);
    assert_eq!(c.err("LPOP q 1 2"), "ERR wrong number of arguments for 'lpop' command");
}

#[test]
fn llen_and_lrange_on_missing_keys_are_empty() {
    let mut c = Conn::new();
    assert_eq!(c.ok("LLEN q"), Reply::Int(0));
    assert_eq!(c.ok("LRANGE q 0 -1"), Reply::Array(vec![]));
}

#[test]
fn lrange_checks_its_indexes_before_the_key() {
    let mut c = Conn::new();
    c.ok("SET s v");
    assert_eq!(c.err("LRANGE s a b"), NOT_INT);
    assert_eq!(c.err("LRANGE nokey 0 99999999999999999999"), NOT_INT);
    assert_eq!(c.err("LTRIM s 0 x"), NOT_INT);
    assert_eq!(c.err("LREM s x a"), NOT_INT);
}

#[test]
fn lindex_looks_up_the_key_before_parsing_the_index() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("RPUSH q a b");
    assert_eq!(c.ok("LINDEX nokey abc"), Reply::Nil);
    assert_eq!(c.err("LINDEX s abc"), WRONGTYPE);
    assert_eq!(c.err("LINDEX q abc"), NOT_INT);
    assert_eq!(c.ok("LINDEX q -1"), bulk("b"));
    assert_eq!(c.ok("LINDEX q 99"), Reply::Nil);
}

#[test]
fn lset_errors_in_redis_order() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("RPUSH q a b");
    assert_eq!(c.err("LSET nokey abc x"), "ERR no such key");
    assert_eq!(c.err("LSET nokey 0 x"), "ERR no such key");
    assert_eq!(c.err("LSET s abc x"), WRONGTYPE);
    assert_eq!(c.err("LSET q abc x"), NOT_INT);
    assert_eq!(c.err("LSET q 5 x"), "ERR index out of range");
    assert_eq!(c.ok("LSET q -1 z"), Reply::Ok);
    assert_eq!(c.ok("LRANGE q 0 -1"), bulks(&["a", "z"]));
}

#[test]
fn linsert_answers_length_minus_one_or_zero() {
    let mut c = Conn::new();
    assert_eq!(c.ok("LINSERT q BEFORE a x"), Reply::Int(0));
    c.ok("RPUSH q a b");
    assert_eq!(c.ok("LINSERT q after a x"), Reply::Int(3));
    assert_eq!(c.ok("LINSERT q Before zz x"), Reply::Int(-1));
    assert_eq!(c.err("LINSERT q MIDDLE a x"), SYNTAX);
    assert_eq!(c.ok("LRANGE q 0 -1"), bulks(&["a", "x", "b"]));
}

#[test]
fn lrem_and_ltrim_edit_in_place_and_drop_emptied_lists() {
    let mut c = Conn::new();
    c.ok("RPUSH q a b a c a");
    assert_eq!(c.ok("LREM q -2 a"), Reply::Int(2));
    assert_eq!(c.ok("LRANGE q 0 -1"), bulks(&["a", "b", "c"]));
    assert_eq!(c.ok("LTRIM q 1 -1"), Reply::Ok);
    assert_eq!(c.ok("LRANGE q 0 -1"), bulks(&["b", "c"]));
    assert_eq!(c.ok("LTRIM q 5 10"), Reply::Ok);
    assert_eq!(c.ok("EXISTS q"), Reply::Int(0));
    assert_eq!(c.ok("LTRIM nokey 0 1"), Reply::Ok);
}

#[test]
fn lpos_answers_an_index_or_nil_without_count_and_an_array_with_it() {
    let mut c = Conn::new();
    c.ok("RPUSH q a b c b a");
    assert_eq!(c.ok("LPOS q b"), Reply::Int(1));
    assert_eq!(c.ok("LPOS q z"), Reply::Nil);
    assert_eq!(c.ok("LPOS q b COUNT 0"), ints(&[1, 3]));
    assert_eq!(c.ok("LPOS q z COUNT 0"), Reply::Array(vec![]));
    assert_eq!(c.ok("LPOS nokey z COUNT 0"), Reply::Array(vec![]));
    assert_eq!(c.ok("LPOS nokey z"), Reply::Nil);
    // Options in any order; the last RANK counts.
    assert_eq!(c.ok("LPOS q b COUNT 1 RANK -1 MAXLEN 10"), ints(&[3]));
    assert_eq!(c.ok("lpos q b rank 1 rank 2"), Reply::Int(3));
    assert_eq!(c.ok("LPOS q a MAXLEN 2"), Reply::Int(0));
    assert_eq!(c.ok("LPOS q c MAXLEN 2"), Reply::Nil);
}

#[test]
fn lpos_checks_each_option_as_it_reads_it() {
    let mut c = Conn::new();
    c.ok("RPUSH q a");
    let rank0 = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                 or use negative to start from the end of the list";
    assert_eq!(c.err("LPOS nokey a RANK 0"), rank0, "options come before the key");
    assert_eq!(c.err("LPOS q a RANK 0 COUNT -1"), rank0);
    assert_eq!(c.err("LPOS q a COUNT -1 RANK 0"), "ERR COUNT can't be negative");
    assert_eq!(c.err("LPOS q a COUNT abc"), "ERR COUNT can't be negative");
    assert_eq!(c.err("LPOS q a MAXLEN -1"), "ERR MAXLEN can't be negative");
    assert_eq!(c.err("LPOS q a MAXLEN 99999999999999999999"), "ERR MAXLEN can't be negative");
    assert_eq!(c.err("LPOS q a RANK abc"), NOT_INT);
    assert_eq!(c.err("LPOS q a RANK"), SYNTAX);
    assert_eq!(c.err("LPOS q a FOO 1"), SYNTAX);
    c.ok("SET s v");
    assert_eq!(c.err("LPOS s a"), WRONGTYPE);
}

#[test]
fn lmove_moves_between_chosen_ends() {
    let mut c = Conn::new();
    c.ok("RPUSH src a b c");
    assert_eq!(c.ok("LMOVE src dst left RIGHT"), bulk("a"));
    assert_eq!(c.ok("RPOPLPUSH src dst"), bulk("c"));
    assert_eq!(c.ok("LRANGE dst 0 -1"), bulks(&["c", "a"]));
    assert_eq!(c.ok("LMOVE nokey dst LEFT LEFT"), Reply::Nil);
    assert_eq!(c.ok("RPOPLPUSH nokey dst"), Reply::Nil);
    assert_eq!(c.err("LMOVE src dst MIDDLE LEFT"), SYNTAX);
    assert_eq!(c.err("LMOVE src dst LEFT UP"), SYNTAX);
}

#[test]
fn lmove_checks_destination_type_before_moving() {
    let mut c = Conn::new();
    c.ok("RPUSH src a");
    c.ok("SET s v");
    assert_eq!(c.err("LMOVE src s LEFT RIGHT"), WRONGTYPE);
    assert_eq!(c.ok("LLEN src"), Reply::Int(1), "nothing moved");
    // An empty source answers nil before the destination is looked at.
    assert_eq!(c.ok("LMOVE nokey s LEFT RIGHT"), Reply::Nil);
}

#[test]
fn lmpop_pops_from_the_first_non_empty_key() {
    let mut c = Conn::new();
    assert_eq!(c.ok("LMPOP 2 a b LEFT"), Reply::NilArray);
    c.ok("RPUSH b 1 2 3");
    assert_eq!(
        c.ok("LMPOP 2 a b RIGHT COUNT 2"),
        Reply::Array(vec![bulk("b"), bulks(&["3", "2"])])
    );
    assert_eq!(c.ok("lmpop 1 b left"), Reply::Array(vec![bulk("b"), bulks(&["1"])]));
    assert_eq!(c.ok("EXISTS b"), Reply::Int(0));
}

#[test]
fn lmpop_argument_errors_are_redis_7_texts() {
    let mut c = Conn::new();
    let numkeys = "ERR numkeys should be greater than 0";
    let count = "ERR count should be greater than 0";
    assert_eq!(c.err("LMPOP 0 a LEFT"), numkeys);
    assert_eq!(c.err("LMPOP -1 a LEFT"), numkeys);
    assert_eq!(c.err("LMPOP abc a LEFT"), numkeys);
    // More keys announced than given: a syntax error, not "Number of keys…".
    assert_eq!(c.err("LMPOP 2 a LEFT"), SYNTAX);
    assert_eq!(c.err("LMPOP 9223372036854775807 a LEFT"), SYNTAX);
    assert_eq!(c.err("LMPOP 1 a MIDDLE"), SYNTAX);
    assert_eq!(c.err("LMPOP 1 a LEFT COUNT 0"), count);
    assert_eq!(c.err("LMPOP 1 a LEFT COUNT -1"), count);
    assert_eq!(c.err("LMPOP 1 a LEFT COUNT abc"), count);
    assert_eq!(c.err("LMPOP 1 a LEFT COUNT 1 COUNT 2"), SYNTAX);
    assert_eq!(c.err("LMPOP 1 a LEFT COUNT"), SYNTAX);
    assert_eq!(c.err("LMPOP 1 a LEFT foo"), SYNTAX);
    assert_eq!(c.err("LMPOP 1 a"), "ERR wrong number of arguments for 'lmpop' command");
}

#[test]
fn lmpop_checks_types_in_key_order() {
    let mut c = Conn::new();
    c.ok("SET s v");
    c.ok("RPUSH q x");
    assert_eq!(c.err("LMPOP 2 nokey s LEFT"), WRONGTYPE);
    // The first non-empty list wins before a later key's type is looked at.
    assert_eq!(c.ok("LMPOP 2 q s LEFT"), Reply::Array(vec![bulk("q"), bulks(&["x"])]));
}

#[test]
fn list_commands_check_arity_with_the_lower_case_name() {
    let mut c = Conn::new();
    for (line, name) in [
        ("LPUSH", "lpush"),
        ("LPUSH q", "lpush"),
        ("RPOP", "rpop"),
        ("LLEN a b", "llen"),
        ("LRANGE q 0", "lrange"),
        ("LINSERT q BEFORE a", "linsert"),
        ("LMOVE a b LEFT", "lmove"),
        ("BLPOP q", "blpop"),
        ("BLMOVE a b LEFT RIGHT", "blmove"),
        ("BLMPOP 0 1 q", "blmpop"),
    ] {
        assert_eq!(c.err(line), format!("ERR wrong number of arguments for '{name}' command"));
    }
}
