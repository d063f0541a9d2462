//! What the `command_*` tests share: a broker and one connection's context, driven with
//! command lines as a client would type them.

#![allow(dead_code)] // Each test crate uses its own subset.

use embedis::command::{dispatch, Context, Reply};
use embedis::engine::Engine;

/// A broker and one connection's context.
pub struct Conn {
    pub engine: Engine,
    pub ctx: Context,
}

impl Conn {
    /// A new, empty broker.
    pub fn new() -> Conn {
        Conn { engine: Engine::new(), ctx: Context::default() }
    }

    /// Runs one command line (words split on spaces); the reply or the error text.
    pub fn run(&mut self, line: &str) -> Result<Reply, String> {
        let argv: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        dispatch(&self.engine, &mut self.ctx, &argv).map_err(|e| e.to_string())
    }

    /// The reply of a line that must succeed.
    pub fn ok(&mut self, line: &str) -> Reply {
        self.run(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    /// The error text of a line that must fail.
    pub fn err(&mut self, line: &str) -> String {
        match self.run(line) {
            Ok(r) => panic!("{line}: expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// The integer reply of a line that must give one.
    pub fn int(&mut self, line: &str) -> i64 {
        match self.ok(line) {
            Reply::Int(i) => i,
            other => panic!("{line}: {other:?}"),
        }
    }
}

/// An effect sink that keeps each recorded command as its words joined by spaces, for
/// asserting the AOF effects of commands.
#[derive(Debug, Default)]
pub struct Recorder(pub parking_lot::Mutex<Vec<String>>);

impl embedis::engine::effects::EffectSink for Recorder {
    fn record(&self, unit: embedis::engine::effects::Unit<'_>) -> u64 {
        let mut log = self.0.lock();
        for e in unit.to_effects() {
            log.push(e.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "));
        }
        log.len() as u64
    }
    fn wait_durable(&self, _seq: u64) {}
}
