//! Pub/sub mode over the network, by RESP2's rules (arrays, a restricted command set) and
//! RESP3's (push frames among ordinary replies); publishers in the process and on other
//! connections.

#![cfg(feature = "server")]

mod server_common;

use embedis::command::{self, Context, Reply};
use embedis::engine::Engine;
use server_common::{eventually, start, Conn};

fn publish(e: &Engine, ch: &[u8], msg: &[u8]) -> Reply {
    command::dispatch(e, &mut Context::default(), &[b"PUBLISH", ch, msg]).unwrap()
}

#[test]
fn resp2_subscriber_gets_messages_from_the_process_and_other_clients() {
    let e = Engine::new();
    let srv = start(&e);
    let mut sub = Conn::open(&srv);
    sub.roundtrip(
        b"SUBSCRIBE news\r\nPSUBSCRIBE n*\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n",
    );
    assert_eq!(publish(&e, b"news", b"hello"), Reply::Int(2));
    sub.expect(b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
    let mut p = Conn::open(&srv);
    p.roundtrip(b"PUBLISH nope x\r\n", b":1\r\n");
    sub.expect(b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnope\r\n$1\r\nx\r\n");
    // Only pub/sub commands now; PING answers in the stream.
    sub.roundtrip(
        b"GET k\r\nPING\r\n",
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n\
          *2\r\n$4\r\npong\r\n$0\r\n\r\n",
    );
    sub.roundtrip(
        b"UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nGET k\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:0\r\n$-1\r\n",
    );
}

#[test]
fn resp3_subscriber_gets_push_frames_and_may_run_any_command() {
    let e = Engine::new();
    let srv = start(&e);
    let mut sub = Conn::open(&srv);
    sub.cmd(&[b"HELLO", b"3"]);
    let _ = sub.frame();
    sub.roundtrip(b"SUBSCRIBE c\r\nPING\r\nGET k\r\n", b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n+PONG\r\n_\r\n");
    publish(&e, b"c", b"m");
    sub.expect(b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
    sub.roundtrip(b"UNSUBSCRIBE x\r\n", b">3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n");
}

#[test]
fn a_subscriber_that_closes_leaves_its_channels() {
    let e = Engine::new();
    let srv = start(&e);
    {
        let mut sub = Conn::open(&srv);
        sub.roundtrip(b"SUBSCRIBE a b\r\n", b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
        assert_eq!(publish(&e, b"a", b"x"), Reply::Int(1));
    }
    assert!(eventually(|| publish(&e, b"a", b"x") == Reply::Int(0)));
    let mut c = Conn::open(&srv);
    c.roundtrip(b"PUBSUB NUMSUB a b\r\n", b"*4\r\n$1\r\na\r\n:0\r\n$1\r\nb\r\n:0\r\n");
}

#[test]
fn a_subscriber_over_its_output_limit_is_disconnected() {
    let e = Engine::new();
    let srv = start(&e);
    let mut admin = Conn::open(&srv);
    admin.roundtrip(b"CONFIG SET client-output-buffer-limit \"pubsub 64kb 0 0\"\r\n", b"+OK\r\n");
    let mut sub = Conn::open(&srv);
    sub.roundtrip(b"SUBSCRIBE flood\r\n", b"*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n");
    // The subscriber does not read: its socket buffers fill, then its mailbox, then it is
    // closed rather than growing without bound.
    let payload = vec![b'z'; 16 * 1024];
    let mut delivered = 0;
    for _ in 0..10_000 {
        if publish(&e, b"flood", &payload) == Reply::Int(0) {
            break;
        }
        delivered += 1;
    }
    assert!(delivered < 10_000, "the subscriber was never cut off");
    assert!(eventually(|| srv.connected_clients() == 1));
}
