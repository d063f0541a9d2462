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

fn spublish(e: &Engine, ch: &[u8], msg: &[u8]) -> Reply {
    command::dispatch(e, &mut Context::default(), &[b"SPUBLISH", ch, msg]).unwrap()
}

/// Shard channels over the network (bytes as redis-server 7.0.15 sends them, except that
/// Redis leaves "all" in its dict's order, embedis in subscription order): their own
/// count in confirmations, `smessage`, RESP2's subscribed mode, SUNSUBSCRIBE with nothing
/// left, and a push frame in RESP3.
#[test]
fn shard_subscriptions_as_redis_7() {
    let e = Engine::new();
    let srv = start(&e);
    let mut sub = Conn::open(&srv);
    sub.roundtrip(
        b"SSUBSCRIBE x y x\r\nSUBSCRIBE x\r\n",
        b"*3\r\n$10\r\nssubscribe\r\n$1\r\nx\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\ny\r\n:2\r\n\
          *3\r\n$10\r\nssubscribe\r\n$1\r\nx\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n",
    );
    assert_eq!(spublish(&e, b"x", b"s"), Reply::Int(1));
    assert_eq!(publish(&e, b"y", b"p"), Reply::Int(0));
    sub.expect(b"*3\r\n$8\r\nsmessage\r\n$1\r\nx\r\n$1\r\ns\r\n");
    sub.roundtrip(
        b"UNSUBSCRIBE\r\nCONFIG GET x\r\nSUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nGET k\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n\
          -ERR Can't execute 'config|get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n\
          *3\r\n$12\r\nsunsubscribe\r\n$1\r\nx\r\n:1\r\n*3\r\n$12\r\nsunsubscribe\r\n$1\r\ny\r\n:0\r\n\
          *3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n$-1\r\n",
    );
    let mut r3 = Conn::open(&srv);
    r3.cmd(&[b"HELLO", b"3"]);
    let _ = r3.frame();
    r3.roundtrip(b"SSUBSCRIBE q\r\nGET k\r\n", b">3\r\n$10\r\nssubscribe\r\n$1\r\nq\r\n:1\r\n_\r\n");
    let mut p = Conn::open(&srv);
    p.roundtrip(b"SPUBLISH q m\r\nPUBSUB SHARDNUMSUB q\r\n", b":1\r\n*2\r\n$1\r\nq\r\n:1\r\n");
    r3.expect(b">3\r\n$8\r\nsmessage\r\n$1\r\nq\r\n$1\r\nm\r\n");
    // SSUBSCRIBE is refused inside a transaction, SUNSUBSCRIBE is not.
    let mut m = Conn::open(&srv);
    m.roundtrip(
        b"MULTI\r\nSSUBSCRIBE z\r\nSUNSUBSCRIBE z\r\nEXEC\r\nPING\r\n",
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n\
          *3\r\n$12\r\nsunsubscribe\r\n$1\r\nz\r\n:0\r\n+PONG\r\n",
    );
}

/// CLIENT REPLY OFF silences replies but not pub/sub pushes (Redis's `CLIENT_PUSHING`):
/// confirmations and messages still come; the RESP2 pong, errors and EXEC's array do not.
#[test]
fn client_reply_off_keeps_pubsub_pushes() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(
        b"CLIENT REPLY OFF\r\nSUBSCRIBE a\r\nSSUBSCRIBE s\r\nPING\r\nGET k\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n",
    );
    assert_eq!(publish(&e, b"a", b"1"), Reply::Int(1));
    assert_eq!(spublish(&e, b"s", b"2"), Reply::Int(1));
    c.expect(b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\n2\r\n");
    c.roundtrip(
        b"UNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nMULTI\r\nSUBSCRIBE t\r\nSET k v\r\nEXEC\r\nUNSUBSCRIBE\r\nCLIENT REPLY ON\r\nPING\r\n",
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n*3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n\
          *3\r\n$9\r\nsubscribe\r\n$1\r\nt\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nt\r\n:0\r\n+OK\r\n+PONG\r\n",
    );
}
