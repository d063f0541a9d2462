//! MULTI/EXEC/DISCARD/WATCH over the network, as redis-py's pipelines use them; WATCH sees
//! writes from other connections and from the process itself.

#![cfg(feature = "server")]

mod server_common;

use std::time::Duration;

use embedis::command::{self, Context};
use embedis::engine::Engine;
use server_common::{start, Conn};

fn run(e: &Engine, args: &[&[u8]]) {
    command::dispatch(e, &mut Context::default(), args).expect("command runs");
}

#[test]
fn multi_exec_runs_the_queue_atomically_with_per_command_errors() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(
        b"MULTI\r\nSET a 1\r\nINCR a\r\nLPUSH a x\r\nGET a\r\nCLIENT SETNAME tx\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n\
          *5\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$1\r\n2\r\n+OK\r\n",
    );
    c.roundtrip(b"CLIENT GETNAME\r\n", b"$2\r\ntx\r\n");
}

#[test]
fn a_refused_command_aborts_exec() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(
        b"MULTI\r\nSET a 1\r\nGET\r\nEXEC\r\nGET a\r\n",
        b"+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n\
          -EXECABORT Transaction discarded because of previous errors.\r\n$-1\r\n",
    );
    c.roundtrip(b"MULTI\r\nSAVE\r\nEXEC\r\n", b"+OK\r\n-ERR Command not allowed inside a transaction\r\n-EXECABORT Transaction discarded because of previous errors.\r\n");
    c.roundtrip(b"MULTI\r\nSET a 1\r\nDISCARD\r\nGET a\r\n", b"+OK\r\n+QUEUED\r\n+OK\r\n$-1\r\n");
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"MULTI\r\nBLPOP q 0\r\nBLMOVE q d LEFT LEFT 0\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*-1\r\n$-1\r\n");
}

#[test]
fn watch_aborts_exec_when_another_client_writes() {
    let e = Engine::new();
    let srv = start(&e);
    let mut a = Conn::open(&srv);
    let mut b = Conn::open(&srv);
    a.roundtrip(b"SET k 1\r\nWATCH k\r\nMULTI\r\nINCR k\r\n", b"+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n");
    b.roundtrip(b"SET k 10\r\n", b"+OK\r\n");
    a.roundtrip(b"EXEC\r\nGET k\r\n", b"*-1\r\n$2\r\n10\r\n");
    // Unwatched after EXEC: the next transaction goes through.
    a.roundtrip(b"MULTI\r\nINCR k\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n:11\r\n");
}

#[test]
fn watch_sees_in_process_writes_and_only_the_watched_keys() {
    let e = Engine::new();
    let srv = start(&e);
    let mut a = Conn::open(&srv);
    a.roundtrip(b"WATCH q other\r\n", b"+OK\r\n");
    run(&e, &[b"SET", b"unrelated", b"v"]);
    a.roundtrip(b"MULTI\r\nPING\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    a.roundtrip(b"WATCH q\r\n", b"+OK\r\n");
    run(&e, &[b"RPUSH", b"q", b"job"]);
    a.roundtrip(b"MULTI\r\nLPOP q\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*-1\r\n");
    // A watched key that expires counts as touched.
    a.roundtrip(b"SET t v PX 30\r\nWATCH t\r\n", b"+OK\r\n+OK\r\n");
    std::thread::sleep(Duration::from_millis(60));
    a.roundtrip(b"MULTI\r\nPING\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*-1\r\n");
    // FLUSHALL touches everything; UNWATCH forgets.
    a.roundtrip(b"WATCH q\r\nFLUSHALL\r\nMULTI\r\nPING\r\nEXEC\r\n", b"+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n");
    a.roundtrip(b"WATCH q\r\nUNWATCH\r\n", b"+OK\r\n+OK\r\n");
    run(&e, &[b"RPUSH", b"q", b"job"]);
    a.roundtrip(b"MULTI\r\nLPOP q\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n$3\r\njob\r\n");
}

#[test]
fn watch_inside_multi_and_exec_without_multi_are_refused() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(
        b"EXEC\r\nDISCARD\r\nMULTI\r\nMULTI\r\nWATCH x\r\nEXEC\r\n",
        b"-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n-ERR MULTI calls can not be nested\r\n\
          -ERR WATCH inside MULTI is not allowed\r\n*0\r\n",
    );
}

#[test]
fn a_closed_connection_stops_watching() {
    let e = Engine::new();
    let srv = start(&e);
    {
        let mut c = Conn::open(&srv);
        c.roundtrip(b"WATCH a b c\r\n", b"+OK\r\n");
    }
    assert!(server_common::eventually(|| srv.connected_clients() == 0));
    assert!(e.execute(|ks| ks.db(0).watched.is_empty()));
}
