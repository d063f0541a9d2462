//! PUBLISH and PUBSUB through the command layer (what execute_command and the server use).

use embedis::command::{dispatch, Context, Reply};
use embedis::engine::pubsub::{Event, Kind, Recv};
use embedis::engine::Engine;

fn run(e: &Engine, line: &str) -> Result<Reply, String> {
    let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    dispatch(e, &mut Context::default(), &words).map_err(|err| err.to_string())
}

#[test]
fn publish_without_subscribers_reaches_nobody() {
    let e = Engine::new();
    assert_eq!(run(&e, "PUBLISH ch hello"), Ok(Reply::Int(0)));
}

#[test]
fn publish_counts_channel_and_pattern_subscribers_as_redis_does() {
    let e = Engine::new();
    let (a, b) = (e.subscriber(), e.subscriber());
    a.change(Kind::Subscribe, &[b"news".as_slice()]).unwrap();
    a.change(Kind::PSubscribe, &[b"n*".as_slice()]).unwrap();
    b.change(Kind::PSubscribe, &[b"n*".as_slice()]).unwrap();
    assert_eq!(run(&e, "PUBLISH news x"), Ok(Reply::Int(3)));
    assert_eq!(run(&e, "PUBSUB CHANNELS"), Ok(Reply::Array(vec![Reply::Bulk(b"news".to_vec())])));
    assert_eq!(run(&e, "PUBSUB CHANNELS z*"), Ok(Reply::Array(vec![])));
    assert_eq!(
        run(&e, "PUBSUB NUMSUB news other"),
        Ok(Reply::Array(vec![
            Reply::Bulk(b"news".to_vec()),
            Reply::Int(1),
            Reply::Bulk(b"other".to_vec()),
            Reply::Int(0)
        ]))
    );
    assert_eq!(run(&e, "PUBSUB NUMPAT"), Ok(Reply::Int(1)));
}

#[test]
fn pubsub_errors_use_redis_words() {
    let e = Engine::new();
    assert_eq!(run(&e, "PUBLISH ch").unwrap_err(), "ERR wrong number of arguments for 'publish' command");
    assert_eq!(run(&e, "PUBSUB FOO").unwrap_err(), "ERR unknown subcommand 'FOO'. Try PUBSUB HELP.");
    assert_eq!(run(&e, "PUBSUB NUMPAT x").unwrap_err(), "ERR wrong number of arguments for 'pubsub|numpat' command");
    assert_eq!(run(&e, "PUBSUB CHANNELS a b").unwrap_err(), "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");
}

#[test]
fn spublish_reaches_shard_subscribers_only() {
    let e = Engine::new();
    let (a, b) = (e.subscriber(), e.subscriber());
    a.change(Kind::SSubscribe, &[b"orders".as_slice()]).unwrap();
    b.change(Kind::Subscribe, &[b"orders".as_slice()]).unwrap();
    b.change(Kind::PSubscribe, &[b"*".as_slice()]).unwrap();
    assert_eq!(run(&e, "SPUBLISH orders x"), Ok(Reply::Int(1)));
    assert_eq!(run(&e, "spublish nobody x"), Ok(Reply::Int(0)));
    assert_eq!(run(&e, "PUBLISH orders y"), Ok(Reply::Int(2)));
    assert_eq!(run(&e, "PUBSUB SHARDCHANNELS"), Ok(Reply::Array(vec![Reply::Bulk(b"orders".to_vec())])));
    assert_eq!(run(&e, "PUBSUB shardchannels z*"), Ok(Reply::Array(vec![])));
    assert_eq!(run(&e, "PUBSUB CHANNELS"), Ok(Reply::Array(vec![Reply::Bulk(b"orders".to_vec())])));
    assert_eq!(
        run(&e, "PUBSUB SHARDNUMSUB orders other orders"),
        Ok(Reply::Array(vec![
            Reply::Bulk(b"orders".to_vec()),
            Reply::Int(1),
            Reply::Bulk(b"other".to_vec()),
            Reply::Int(0),
            Reply::Bulk(b"orders".to_vec()),
            Reply::Int(1),
        ]))
    );
    assert_eq!(run(&e, "PUBSUB SHARDNUMSUB"), Ok(Reply::Array(vec![])));
    let mut got = Vec::new();
    while let Recv::Event(ev) = a.try_recv() {
        got.push(ev);
    }
    assert!(matches!(got.last(), Some(Event::SMessage(m)) if &*m.data == b"x"), "{got:?}");
    assert!(!got.iter().any(|ev| matches!(ev, Event::Message(_) | Event::PMessage { .. })));
}

#[test]
fn shard_pubsub_errors_use_redis_words() {
    let e = Engine::new();
    assert_eq!(run(&e, "SPUBLISH ch").unwrap_err(), "ERR wrong number of arguments for 'spublish' command");
    assert_eq!(run(&e, "SPUBLISH ch a b").unwrap_err(), "ERR wrong number of arguments for 'spublish' command");
    assert_eq!(
        run(&e, "PUBSUB SHARDCHANNELS a b").unwrap_err(),
        "ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP."
    );
    assert_eq!(run(&e, "PUBSUB HELP x").unwrap_err(), "ERR wrong number of arguments for 'pubsub|help' command");
    match run(&e, "PUBSUB HELP") {
        Ok(Reply::Array(lines)) => assert_eq!(lines.len(), 14),
        other => panic!("{other:?}"),
    }
}
