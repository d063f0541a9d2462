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

/// Redis 7 queues SUBSCRIBE and its kin in MULTI; EXEC runs them, its array counting
/// commands while each subscription command writes one frame per name (bytes as
/// redis-server 7.0.15 sends them).
#[test]
fn subscribe_inside_multi_as_redis_7() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(
        b"MULTI\r\nSUBSCRIBE a b\r\nPING\r\nEXEC\r\nPING\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n\
          *2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n",
    );
    assert_eq!(publish(&e, b"b", b"m"), Reply::Int(1));
    c.expect(b"*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$1\r\nm\r\n");

    // Other commands run inside EXEC even though it made the client a subscriber; after
    // it, RESP2's pub/sub rules apply.
    let mut d = Conn::open(&srv);
    d.roundtrip(
        b"MULTI\r\nSUBSCRIBE a\r\nPSUBSCRIBE p*\r\nUNSUBSCRIBE a\r\nSET k v\r\nEXEC\r\nGET k\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n\
          *3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n+OK\r\n\
          -ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );

    // A message the transaction publishes to its own new subscription comes before
    // PUBLISH's reply.
    let mut f = Conn::open(&srv);
    f.roundtrip(
        b"MULTI\r\nSUBSCRIBE z\r\nPUBLISH z x\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nz\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$1\r\nx\r\n:1\r\n",
    );

    // Unsubscribing with nothing held, and arity errors while queuing.
    let mut g = Conn::open(&srv);
    g.roundtrip(
        b"MULTI\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nEXEC\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
    );
    g.roundtrip(
        b"MULTI\r\nSUBSCRIBE\r\nUNSUBSCRIBE\r\nEXEC\r\n",
        b"+OK\r\n-ERR wrong number of arguments for 'subscribe' command\r\n+QUEUED\r\n\
          -EXECABORT Transaction discarded because of previous errors.\r\n",
    );

    // RESP3: push frames inside EXEC's array; any command afterwards.
    let mut h = Conn::open(&srv);
    h.cmd(&[b"HELLO", b"3"]);
    let _ = h.frame();
    h.roundtrip(b"MULTI\r\nSUBSCRIBE a\r\nEXEC\r\nGET k\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n$1\r\nv\r\n");
}
