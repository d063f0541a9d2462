//! The command layer's entry points: lookup by name in any case, arity, the unknown-command
//! error quoting as Redis `processCommand`, `dispatch_in` inside a held unit, the table,
//! and PING/ECHO.

use embedis::command::{command_names, dispatch, dispatch_in, lookup, Context, Flags, Reply};
use embedis::engine::Engine;

fn run(e: &Engine, ctx: &mut Context, argv: &[&[u8]]) -> Result<Reply, String> {
    dispatch(e, ctx, argv).map_err(|e| e.to_string())
}

fn line(e: &Engine, l: &str) -> Result<Reply, String> {
    let argv: Vec<&[u8]> = l.split_whitespace().map(str::as_bytes).collect();
    run(e, &mut Context::default(), &argv)
}

#[test]
fn command_names_are_case_insensitive() {
    let e = Engine::new();
    assert_eq!(line(&e, "set k v"), Ok(Reply::Ok));
    assert_eq!(line(&e, "GeT k"), Ok(Reply::Bulk(b"v".to_vec())));
    assert_eq!(line(&e, "gEt"), Err("ERR wrong number of arguments for 'get' command".into()));
}

#[test]
fn unknown_command_quotes_name_and_arguments() {
    let e = Engine::new();
    assert_eq!(
        line(&e, "FOO a b"),
        Err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ".into())
    );
    assert_eq!(line(&e, "foo"), Err("ERR unknown command 'foo', with args beginning with: ".into()));
    assert_eq!(
        run(&e, &mut Context::default(), &[b"", b""]),
        Err("ERR unknown command '', with args beginning with: '' ".into())
    );
}

#[test]
fn unknown_command_quotes_at_most_128_bytes_as_redis() {
    let e = Engine::new();
    let name = vec![b'x'; 200];
    let a = vec![b'a'; 100];
    let b = vec![b'b'; 50];
    let c = b"c".to_vec();
    let err = run(&e, &mut Context::default(), &[&name, &a, &b, &c]).unwrap_err();
    // 'a…'(100) + quotes and space = 103 bytes, so b is cut to 128 - 103 = 25; c is not quoted.
    let expected = format!(
        "ERR unknown command '{}', with args beginning with: '{}' '{}' ",
        "x".repeat(128),
        "a".repeat(100),
        "b".repeat(25)
    );
    assert_eq!(err, expected);
}

#[test]
fn unknown_command_error_stays_on_one_line() {
    let e = Engine::new();
    let err = run(&e, &mut Context::default(), &[b"foo", b"a\r\nb", "é".as_bytes()]).unwrap_err();
    assert_eq!(err, "ERR unknown command 'foo', with args beginning with: 'a  b' 'é' ");
}

#[test]
fn empty_argv_is_an_unknown_command_not_a_panic() {
    let e = Engine::new();
    assert!(run(&e, &mut Context::default(), &[]).unwrap_err().starts_with("ERR unknown command ''"));
}

#[test]
fn a_context_naming_a_missing_database_is_refused() {
    let e = Engine::new();
    let mut ctx = Context { db: 99, resp: 2 };
    assert_eq!(run(&e, &mut ctx, &[b"GET", b"k"]), Err("ERR DB index is out of range".into()));
}

#[test]
fn dispatch_in_runs_several_commands_in_one_unit() {
    let e = Engine::new();
    let mut ctx = Context::default();
    let replies = e.execute(|ks| {
        [&[&b"RPUSH"[..], b"q", b"a", b"b"][..], &[b"SELECT", b"2"], &[b"RPUSH", b"q", b"c"], &[b"NOPE"]]
            .iter()
            .map(|argv| dispatch_in(ks, &mut ctx, argv).map_err(|e| e.to_string()))
            .collect::<Vec<_>>()
    });
    assert_eq!(replies[0], Ok(Reply::Int(2)));
    assert_eq!(replies[1], Ok(Reply::Ok));
    assert_eq!(replies[2], Ok(Reply::Int(1)), "SELECT applies to the rest of the unit");
    assert!(replies[3].as_ref().is_err_and(|e| e.starts_with("ERR unknown command 'NOPE'")));
    assert_eq!(ctx.db, 2);
    assert_eq!(line(&e, "LLEN q"), Ok(Reply::Int(2)));
}

#[test]
fn ping_and_echo() {
    let e = Engine::new();
    assert_eq!(line(&e, "PING"), Ok(Reply::Simple(b"PONG".to_vec())));
    assert_eq!(line(&e, "ping hello"), Ok(Reply::Bulk(b"hello".to_vec())));
    assert_eq!(line(&e, "PING a b"), Err("ERR wrong number of arguments for 'ping' command".into()));
    assert_eq!(line(&e, "ECHO hi"), Ok(Reply::Bulk(b"hi".to_vec())));
    assert_eq!(line(&e, "ECHO"), Err("ERR wrong number of arguments for 'echo' command".into()));
}

#[test]
fn table_rows_carry_redis_arity_and_flags() {
    let lpush = lookup(b"LPUSH").unwrap();
    assert_eq!((lpush.name, lpush.arity), ("lpush", -3));
    assert!(lpush.flags.contains(Flags::of(&[Flags::WRITE, Flags::DENYOOM, Flags::FAST])));
    assert!(!lpush.arity_ok(2) && lpush.arity_ok(3) && lpush.arity_ok(10));
    let get = lookup(b"get").unwrap();
    assert_eq!(get.arity, 2);
    assert!(get.flags.contains(Flags::READONLY) && !get.flags.contains(Flags::WRITE));
    assert!(get.arity_ok(2) && !get.arity_ok(3));
    let blpop = lookup(b"blpop").unwrap();
    assert!(blpop.flags.contains(Flags::BLOCKING) && blpop.block.is_some());
    assert!(lookup(b"lpop").unwrap().block.is_none());
}

#[test]
fn command_names_lists_every_command_once() {
    let names: Vec<&str> = command_names().collect();
    for n in ["get", "set", "lpush", "blmpop", "scan", "select", "ping", "echo", "unlink"] {
        assert_eq!(names.iter().filter(|&&x| x == n).count(), 1, "{n}");
    }
    assert!(names.iter().all(|n| lookup(n.as_bytes()).is_some()));
}
