//! One client connection: read requests, run each complete one in order, write all their
//! replies in one write (pipelining), wait for more. A blocking command waits here on the
//! engine's `BlockFuture`, polled by this task (no thread per blocked client); while it
//! waits the socket is still read, so a client that goes away drops the future, which
//! gives back whatever it had been handed. Pub/sub events come from the subscriber's
//! mailbox, whose waker is this task's. Malformed input gets Redis's protocol error and
//! the connection is closed; nothing a peer sends can panic the server.

use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::mpsc;

use super::client::{Client, ClientEntry, ReplyMode, UNBLOCK_ERROR, UNBLOCK_TIMEOUT};
use super::commands::{self, Kind, ServerCommand, NO_AUTH, NO_MULTI, PUBSUB_OK, MULTI_CONTROL};
use super::errors;
use super::reply::{error_line, write_event, Answer};
use super::Shared;
use crate::command::{self, is_keyword, BlockingCall, Command, Flags, Reply};
use crate::engine::blocking::BlockFuture;
use crate::engine::monitor::Line;
use crate::engine::stats::Origin;
use crate::engine::pubsub::{Event, Recv, Subscriber};
use crate::engine::waiters::Served;
use crate::resp::{decode_request_in, Limits, RequestArgs};

/// Bytes asked of each read (Redis's `PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;
/// Replies are written once this many bytes wait, even in the middle of a pipeline.
const FLUSH_AT: usize = 64 * 1024;
/// Buffers grown past this are shrunk back once empty.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// A socket of either kind.
enum Io {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// An accepted connection and what CLIENT LIST shows of it.
pub struct Socket {
    io: Io,
    addr: String,
    laddr: String,
    fd: i64,
    unix: bool,
}

impl Socket {
    /// A TCP connection from `addr` to `laddr`.
    pub fn tcp(s: TcpStream, addr: String, laddr: String) -> Socket {
        let fd = i64::from(s.as_raw_fd());
        Socket { io: Io::Tcp(s), addr, laddr, fd, unix: false }
    }

    /// A Unix socket connection; `addr` is `path:0`, as Redis shows it.
    pub fn unix(s: UnixStream, addr: String) -> Socket {
        let fd = i64::from(s.as_raw_fd());
        Socket { io: Io::Unix(s), laddr: addr.clone(), addr, fd, unix: true }
    }

    /// A second descriptor of the socket (see `ClientEntry::kill`).
    fn control(&self) -> Option<rustix::fd::OwnedFd> {
        match &self.io {
            Io::Tcp(s) => rustix::io::dup(s).ok(),
            Io::Unix(s) => rustix::io::dup(s).ok(),
        }
    }

    /// Waits until the socket may have input. `poll_read_ready` keeps one waker slot per
    /// socket, cheaper than `readable()`'s waiter list entry on every wait.
    async fn readable(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| match &self.io {
            Io::Tcp(s) => s.poll_read_ready(cx),
            Io::Unix(s) => s.poll_read_ready(cx),
        })
        .await
    }

    /// Reads what has arrived into `buf`: `Ok(0)` at end of input, `WouldBlock` when
    /// nothing is there. A read shorter than the space offered drained the socket, so it
    /// also clears the readiness: the next wait goes to epoll instead of costing a read
    /// that finds nothing (the syscall Redis's event loop never makes either).
    fn read_some(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        if buf.capacity() - buf.len() < READ_CHUNK {
            buf.reserve(READ_CHUNK);
        }
        let spare = buf.capacity() - buf.len();
        let mut got = 0;
        let drain = |n: usize, got: &mut usize| -> io::Result<usize> {
            *got = n;
            if n > 0 && n < spare {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                Ok(n)
            }
        };
        let r = match &self.io {
            Io::Tcp(s) => s.try_io(Interest::READABLE, || drain(s.try_read_buf(buf)?, &mut got)),
            Io::Unix(s) => s.try_io(Interest::READABLE, || drain(s.try_read_buf(buf)?, &mut got)),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got > 0 => Ok(got),
            r => r,
        }
    }

    /// Whether the peer has closed, asked of the socket itself: tokio's readiness may not
    /// have seen the FIN yet when the task was woken by the engine rather than by epoll.
    fn peer_closed(&self) -> bool {
        use rustix::net::{recv, RecvFlags};
        let mut b = [0u8; 1];
        let r = match &self.io {
            Io::Tcp(s) => recv(s, &mut b, RecvFlags::PEEK | RecvFlags::DONTWAIT),
            Io::Unix(s) => recv(s, &mut b, RecvFlags::PEEK | RecvFlags::DONTWAIT),
        };
        match r {
            Ok((n, _)) => n == 0,
            Err(e) => e != rustix::io::Errno::AGAIN && e != rustix::io::Errno::INTR,
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.io {
            Io::Tcp(s) => s.write_all(data).await,
            Io::Unix(s) => s.write_all(data).await,
        }
    }
}

/// Whether the connection goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Go,
    Close,
}

/// What one request asks of the connection.
enum Flow {
    /// Its answer is written; go on with the next.
    Next,
    /// Wait for this blocking call, then go on.
    Block(BlockingCall),
    /// Close once the replies so far are written.
    Close,
}

/// Where a command lives.
enum Target {
    Server(&'static ServerCommand),
    Engine(&'static Command),
}

/// How a blocking wait ended.
enum Outcome {
    /// Served: the reply, unless the peer has gone meanwhile.
    Served(Served),
    /// Timed out, unblocked, or failed: this answer.
    Answer(Answer),
    /// The client is gone or must close: nothing to answer.
    Gone,
}

/// What woke an idle connection.
enum Woke {
    Input,
    Events,
    Closed,
}

/// A served connection.
struct Connection {
    sock: Socket,
    shared: Arc<Shared>,
    client: Client,
    /// Unprocessed input: the start of a request still arriving, or requests left while a
    /// blocking one waits.
    inbuf: Vec<u8>,
    /// Where the arguments of the request being run are (reused: no allocation per
    /// request).
    args: RequestArgs,
    /// Replies not yet written.
    out: Vec<u8>,
    /// `client-output-buffer-limit normal`'s hard limit, read once per batch.
    out_limit: usize,
    /// Input bytes, added to the server's stats once per batch.
    bytes_in: u64,
}

/// Serves one accepted socket until it closes. `_alive` tells the server the connection
/// is still open (it waits for every clone to drop when stopping).
pub async fn serve(sock: Socket, shared: Arc<Shared>, _alive: mpsc::Sender<()>) {
    let open = shared.connected.fetch_add(1, Ordering::AcqRel) + 1;
    let (maxclients, authenticated) = {
        let s = shared.settings.read();
        (s.maxclients, s.requirepass.is_none())
    };
    if open > maxclients {
        shared.connected.fetch_sub(1, Ordering::AcqRel);
        shared.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
        let mut sock = sock;
        let mut msg = Vec::new();
        error_line(&mut msg, errors::MAX_CLIENTS);
        let _ = sock.write_all(&msg).await;
        return;
    }
    let id = shared.next_client_id.fetch_add(1, Ordering::Relaxed);
    let entry = Arc::new(ClientEntry::new(id, sock.addr.clone(), sock.laddr.clone(), sock.fd, sock.unix, sock.control(), shared.now_ms()));
    shared.clients.lock().insert(id, entry.clone());
    let mut conn = Connection {
        sock,
        shared,
        client: Client::new(entry, authenticated),
        inbuf: Vec::with_capacity(READ_CHUNK),
        args: RequestArgs::default(),
        out: Vec::with_capacity(READ_CHUNK),
        out_limit: 0,
        bytes_in: 0,
    };
    // Registered first, then checked: a stop that came meanwhile is not missed.
    if *conn.shared.stop.borrow() {
        return;
    }
    let _ = conn.run().await;
}

impl Drop for Connection {
    /// Runs however the connection ends, a runtime shutting down included: leave the
    /// registry, forget WATCHed keys; the subscriber leaves the engine as it drops.
    fn drop(&mut self) {
        commands::unwatch_all_locked(&mut self.client, &self.shared);
        self.client.subscriber = None;
        self.shared.clients.lock().remove(&self.client.entry.id);
        self.shared.connected.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A future of the subscriber's next event, or one that never completes without one.
async fn next_event(recv: Option<impl Future<Output = Recv>>) -> Recv {
    match recv {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// Writes `a` for the client, honouring CLIENT REPLY: a silenced client still gets the
/// pub/sub pushes inside it (EXEC's), as in Redis.
fn emit(client: &mut Client, out: &mut Vec<u8>, a: &Answer) {
    match client.reply_mode {
        ReplyMode::On => a.write(client.ctx.resp, out),
        ReplyMode::Off => a.write_pushes(out),
        ReplyMode::Skip => {
            a.write_pushes(out);
            client.reply_mode = ReplyMode::On;
        }
        ReplyMode::SkipNext => {
            a.write_pushes(out);
            client.reply_mode = ReplyMode::Skip;
        }
    }
}

/// Records a server command's call (its time from `started`, its error if it answered one).
fn record_server_call(shared: &Shared, id: Option<u32>, started: std::time::Instant, a: &Answer, db: usize, origin: &Origin<'_>, args: &[&[u8]]) {
    let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let err = a.error_text();
    shared.engine.observe(|ks| match id {
        Some(id) => ks.after_call_timed(id, usec, err.as_deref(), db, origin, || args.to_vec()),
        None => {
            if let Some(e) = &err {
                ks.stats.rejected(None, e);
            }
        }
    });
}

/// The answer to a served blocking call, shaped for the client's protocol.
fn served_answer(served: Served, resp: u8) -> Answer {
    match served {
        Served::Streams { streams } => Answer::Reply(command::streams_reply(streams, resp)),
        other => Answer::Reply(Reply::from(other)),
    }
}

impl Connection {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            match self.wait().await? {
                Woke::Closed => return Ok(()),
                Woke::Input | Woke::Events => {}
            }
            let step = self.process().await?;
            self.drain_events();
            self.flush().await?;
            if step == Step::Close || self.client.close_after_reply {
                return Ok(());
            }
        }
    }

    /// Waits for input or a pub/sub event. CLIENT KILL and a server stop end the input
    /// (`ClientEntry::kill`), so the socket is all there is to watch.
    async fn wait(&mut self) -> io::Result<Woke> {
        loop {
            if let Some(feed) = self.client.monitor.clone() {
                let recv = self.client.subscriber.as_ref().map(Subscriber::recv);
                let mut event = None;
                let mut line = None;
                tokio::select! {
                    biased;
                    r = self.sock.readable() => r?,
                    l = feed.recv() => line = Some(l),
                    ev = next_event(recv) => event = Some(ev),
                }
                if let Some(ev) = event {
                    self.event_or_close(ev);
                    return Ok(Woke::Events);
                }
                if let Some(l) = line {
                    self.monitor_line(l);
                    return Ok(Woke::Events);
                }
            } else if let Some(sub) = &self.client.subscriber {
                let recv = sub.recv();
                let mut event = None;
                tokio::select! {
                    biased;
                    r = self.sock.readable() => r?,
                    ev = recv => event = Some(ev),
                }
                if let Some(ev) = event {
                    self.event_or_close(ev);
                    return Ok(Woke::Events);
                }
            } else {
                self.sock.readable().await?;
            }
            match self.sock.read_some(&mut self.inbuf) {
                Ok(0) => return Ok(Woke::Closed),
                Ok(n) => {
                    self.bytes_in += n as u64;
                    return Ok(Woke::Input);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(Woke::Closed),
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs every complete request in the input, in order.
    async fn process(&mut self) -> io::Result<Step> {
        self.shared.syncer.batch_ran();
        if let Some(spin) = &self.shared.spin {
            spin.active();
        }
        let (base, query_limit) = {
            let s = self.shared.settings.read();
            self.out_limit = s.output_normal.hard;
            (Limits { max_bulk_len: s.proto_max_bulk_len, ..Limits::default() }, s.client_query_buffer_limit)
        };
        let mut pos = 0;
        // The arguments are read in place: the input is lent out of `self` while the
        // requests in it run, and handed back before anything that reads more of it.
        let mut inbuf = std::mem::take(&mut self.inbuf);
        let mut args = std::mem::take(&mut self.args);
        let step = loop {
            let limits = Limits { auth_required: !self.client.authenticated, ..base.clone() };
            match decode_request_in(&inbuf[pos..], &limits, &mut args) {
                Ok(Some(used)) => {
                    let request = &inbuf[pos..pos + used];
                    pos += used;
                    if args.is_empty() {
                        continue;
                    }
                    match self.execute(request, &args) {
                        Flow::Next => {}
                        Flow::Close => break Step::Close,
                        Flow::Block(call) => {
                            self.inbuf = inbuf;
                            self.consume(pos);
                            pos = 0;
                            let step = self.block(call).await;
                            inbuf = std::mem::take(&mut self.inbuf);
                            if step? == Step::Close {
                                break Step::Close;
                            }
                        }
                    }
                    if self.client.close_after_reply {
                        break Step::Close;
                    }
                    if self.out.len() >= FLUSH_AT {
                        // An error closes the connection, input and all.
                        self.flush().await?;
                    }
                }
                Ok(None) => break Step::Go,
                Err(e) => {
                    // `setProtocolError`: the reply, then the connection is closed.
                    let text = errors::protocol(&e);
                    self.shared.engine.observe(|ks| ks.stats.error(&text));
                    error_line(&mut self.out, &text);
                    break Step::Close;
                }
            }
        };
        self.inbuf = inbuf;
        self.args = args;
        self.consume(pos);
        let st = &self.shared.stats;
        st.net_input_bytes.fetch_add(std::mem::take(&mut self.bytes_in), Ordering::Relaxed);
        self.client.publish_state(self.inbuf.len(), self.shared.now_ms());
        if step == Step::Go && self.inbuf.len() > query_limit {
            // Redis closes such a client without a reply (`closeClientOnQueryBufferLimit`).
            self.out.clear();
            return Ok(Step::Close);
        }
        Ok(step)
    }

    /// Drops the first `n` bytes of input.
    fn consume(&mut self, n: usize) {
        if n == self.inbuf.len() {
            self.inbuf.clear();
            if self.inbuf.capacity() > KEEP_CAPACITY {
                self.inbuf = Vec::with_capacity(READ_CHUNK);
            }
        } else if n > 0 {
            self.inbuf.drain(..n);
        }
    }

    /// Writes the pending replies, once what they report is durable.
    async fn flush(&mut self) -> io::Result<()> {
        if let Some(d) = self.client.durable.take() {
            self.shared.syncer.wait(d).await;
        }
        if self.out.is_empty() {
            return Ok(());
        }
        if self.out_limit > 0 && self.out.len() > self.out_limit {
            // `client-output-buffer-limit normal`: the client is closed.
            self.out.clear();
            return Err(io::Error::other("output buffer limit reached"));
        }
        // A client that stops reading blocks this write; CLIENT KILL still ends it (the
        // socket is shut down under it).
        self.sock.write_all(&self.out).await?;
        self.shared.stats.net_output_bytes.fetch_add(self.out.len() as u64, Ordering::Relaxed);
        self.out.clear();
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::with_capacity(READ_CHUNK);
        }
        Ok(())
    }

    /// Writes a MONITOR line as a simple string (both protocols), or closes a monitor
    /// whose feed was closed for its backlog.
    fn monitor_line(&mut self, l: Line) {
        match l {
            Line::Line(text) => {
                // A client closing after its reply (QUIT) gets nothing more, as in Redis.
                if self.client.reply_mode != ReplyMode::Off && !self.client.close_after_reply {
                    self.out.push(b'+');
                    self.out.extend_from_slice(&text);
                    self.out.extend_from_slice(b"\r\n");
                }
            }
            Line::Empty => {}
            Line::Closed => self.client.close_after_reply = true,
        }
    }

    /// Writes every MONITOR line waiting.
    fn drain_monitor(&mut self) {
        let Some(feed) = self.client.monitor.clone() else { return };
        loop {
            match feed.try_recv() {
                Line::Empty => return,
                l => self.monitor_line(l),
            }
            if self.client.close_after_reply {
                return;
            }
        }
    }

    /// Writes every event waiting in the mailbox.
    fn drain_events(&mut self) {
        self.drain_monitor();
        loop {
            let r = match &self.client.subscriber {
                Some(s) => s.try_recv(),
                None => return,
            };
            if matches!(r, Recv::Empty) {
                return;
            }
            self.event_or_close(r);
            if self.client.close_after_reply {
                return;
            }
        }
    }

    fn event_or_close(&mut self, r: Recv) {
        match r {
            Recv::Event(ev) => self.event(&ev),
            Recv::Empty => {}
            // The broker closed the subscription for its backlog: Redis closes the client.
            Recv::Closed(_) => self.client.close_after_reply = true,
        }
    }

    /// Writes one event whatever CLIENT REPLY says: Redis writes confirmations and
    /// messages as pushes (`CLIENT_PUSHING`), which REPLY OFF and SKIP do not silence; the
    /// one reply among the events, a RESP2 subscriber's pong, is not put in the mailbox
    /// while replies are off (`pubsub_ping`).
    fn event(&mut self, ev: &Event) {
        self.client.note_event(ev);
        write_event(ev, self.client.ctx.resp, &mut self.out);
    }

    /// Runs one request (`processCommand`'s checks, in its order), or queues it in MULTI.
    fn execute(&mut self, request: &[u8], argv: &RequestArgs) -> Flow {
        // The arguments as slices of the request, on the stack for the usual short command.
        let mut small: [&[u8]; 8] = [&[]; 8];
        let heap: Vec<&[u8]>;
        let args: &[&[u8]] = if argv.len() <= small.len() {
            for (slot, a) in small.iter_mut().zip(argv.iter(request)) {
                *slot = a;
            }
            &small[..argv.len()]
        } else {
            heap = argv.iter(request).collect();
            &heap
        };
        let Connection { client, shared, out, .. } = self;
        let shared: &Shared = shared;
        let name = args[0];
        // A call refused before it runs: counted against the command found (if any).
        let reject = |client: &mut Client, out: &mut Vec<u8>, a: Answer, id: Option<u32>| {
            if client.multi.is_some() {
                client.multi_error = true;
            }
            if let Some(text) = a.error_text() {
                shared.engine.observe(|ks| ks.stats.rejected(id, &text));
            }
            emit(client, out, &a);
            Flow::Next
        };

        // PING in RESP2 subscribed mode answers in the event stream.
        if client.in_resp2_pubsub() && is_keyword(name, "ping") {
            client.last_cmd = "ping";
            let a = commands::pubsub_ping(client, args);
            emit(client, out, &a);
            self.drain_events();
            return Flow::Next;
        }

        // The engine's table first: nearly every request is found there. No name is in both.
        let (fullname, flags, target) = if let Some(cmd) = command::lookup(name) {
            if !cmd.arity_ok(args.len()) {
                let e = crate::engine::Error::WrongArity { cmd: cmd.name.to_owned() };
                let id = command::observe::stat_id(cmd.name, cmd.id.get(), args);
                return reject(client, out, Answer::Reply(Reply::Error(e)), id);
            }
            (cmd.name, 0, Target::Engine(cmd))
        } else if let Some(sc) = commands::lookup(name) {
            if !sc.arity_ok(args.len()) {
                let e = crate::engine::Error::WrongArity { cmd: sc.name.to_owned() };
                return reject(client, out, Answer::Reply(Reply::Error(e)), sc.stat_id(args));
            }
            (sc.name, sc.flags, Target::Server(sc))
        } else {
            // Unknown: `resolve` words the error as Redis does.
            let e = command::resolve(&client.ctx, args).err().unwrap_or(crate::engine::Error::Syntax);
            return reject(client, out, Answer::Reply(Reply::Error(e)), None);
        };
        let stat_id = match target {
            Target::Engine(cmd) => command::observe::stat_id(cmd.name, cmd.id.get(), args),
            Target::Server(sc) => sc.stat_id(args),
        };
        client.last_cmd = fullname;
        if !client.authenticated && flags & NO_AUTH == 0 {
            return reject(client, out, Answer::err(errors::NOAUTH), stat_id);
        }
        if client.multi.is_some() && flags & NO_MULTI != 0 {
            return reject(client, out, Answer::err(errors::NOT_IN_MULTI), stat_id);
        }
        let engine_cmd = match target {
            Target::Engine(cmd) => Some(cmd),
            Target::Server(_) => None,
        };
        if let Some(a) = commands::oom_refusal(client, shared, fullname, engine_cmd, args) {
            return reject(client, out, a, stat_id);
        }
        if client.in_resp2_pubsub() && flags & PUBSUB_OK == 0 {
            return reject(client, out, Answer::Error(errors::pubsub_context(fullname, args).into()), stat_id);
        }
        if let Some(queue) = client.multi.as_mut() {
            if flags & MULTI_CONTROL == 0 {
                queue.push(args.iter().map(|a| a.to_vec()).collect());
                emit(client, out, &Answer::Reply(Reply::simple("QUEUED")));
                return Flow::Next;
            }
        }
        let entry = client.entry.clone();
        let name = || entry.shown.lock().name.clone().unwrap_or_default();
        let origin = Origin { peer: &entry.addr, monitor: &entry.monitor_label, name: &name };
        let answer = match target {
            Target::Server(sc) => {
                let id = stat_id;
                let started = std::time::Instant::now();
                let a = match sc.kind {
                    Kind::Unit(f) => {
                        let (a, d) = shared.engine.execute_deferred(|ks| f(client, shared, ks, args));
                        client.owe(d);
                        a
                    }
                    Kind::Free(f) => f(client, shared, args),
                };
                record_server_call(shared, id, started, &a, client.ctx.db, &origin, args);
                a
            }
            Target::Engine(cmd) => {
                if cmd.flags.contains(Flags::BLOCKING) {
                    match command::parse_blocking(args) {
                        Ok(Some(call)) => {
                            // Counted (and shown to monitors) as it starts, as Redis shows it.
                            if let Some(id) = stat_id {
                                let db = client.ctx.db;
                                shared.engine.observe(|ks| ks.after_call(id, None, None, db, &origin, || args.to_vec()));
                            }
                            return Flow::Block(call);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            emit(client, out, &Answer::Reply(Reply::Error(e)));
                            return Flow::Next;
                        }
                    }
                }
                let (r, d) = command::dispatch_found_observed(&shared.engine, &mut client.ctx, cmd, args, &origin);
                client.owe(d);
                Answer::from(r)
            }
        };
        emit(client, out, &answer);
        if self.client.subscriber.is_some() || self.client.monitor.is_some() {
            self.drain_events();
        }
        if self.client.close_after_reply {
            Flow::Close
        } else {
            Flow::Next
        }
    }

    /// Waits for a blocking call (BLPOP, XREAD BLOCK…) as this task: served, timed out,
    /// unblocked by CLIENT UNBLOCK, or abandoned (the peer closed, CLIENT KILL, server
    /// stop), in which case dropping the future gives back what it was handed. A value
    /// served just as the peer went away is given back too, rather than written into a
    /// closed socket.
    async fn block(&mut self, call: BlockingCall) -> io::Result<Step> {
        self.flush().await?;
        let on_timeout = call.timeout_reply();
        let BlockingCall { keys, op, timeout } = call;
        let entry = self.client.entry.clone();
        entry.unblock.store(0, Ordering::Relaxed);
        entry.shown.lock().blocked = true;
        let db = self.client.ctx.db;
        let give_back_op = op.clone();
        let fut = BlockFuture::new(self.shared.engine.clone(), db, keys, op);
        tokio::pin!(fut);
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let resp = self.client.ctx.resp;
        let outcome: io::Result<Outcome> = loop {
            let recv = self.client.subscriber.as_ref().map(Subscriber::recv);
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let mut readable = false;
            let mut event = None;
            tokio::select! {
                biased;
                // The socket first: a peer that closed abandons the wait even if it was
                // served in the same instant.
                r = self.sock.readable() => { r?; readable = true; }
                r = &mut fut => break Ok(match r {
                    Ok(served) => Outcome::Served(served),
                    Err(e) => Outcome::Answer(Answer::Reply(Reply::Error(e))),
                }),
                () = sleep => break Ok(Outcome::Answer(Answer::Reply(on_timeout.clone()))),
                () = entry.signal.notified() => {
                    match entry.unblock.swap(0, Ordering::AcqRel) {
                        UNBLOCK_TIMEOUT => break Ok(Outcome::Answer(Answer::Reply(on_timeout.clone()))),
                        UNBLOCK_ERROR => break Ok(Outcome::Answer(Answer::err(errors::UNBLOCKED))),
                        _ => {}
                    }
                }
                ev = next_event(recv) => event = Some(ev),
            }
            if readable {
                // Requests after the blocking one wait their turn, but a closed socket
                // ends the wait now.
                match self.read_more() {
                    Ok(true) => {}
                    Ok(false) => break Ok(Outcome::Gone),
                    Err(e) => break Err(e),
                }
            }
            if let Some(ev) = event {
                self.event_or_close(ev);
                self.drain_events();
                if self.client.close_after_reply {
                    break Ok(Outcome::Gone);
                }
                if let Err(e) = self.flush().await {
                    break Err(e);
                }
            }
        };
        entry.shown.lock().blocked = false;
        let answer = match outcome? {
            Outcome::Served(served) => {
                if self.sock.peer_closed() {
                    self.shared.engine.execute(|ks| ks.give_back(db, &give_back_op, served));
                    return Ok(Step::Close);
                }
                // The unit that served us is not known here: wait for every unit so far.
                self.client.owe(self.shared.engine.durable_point());
                served_answer(served, resp)
            }
            Outcome::Answer(a) => a,
            Outcome::Gone => return Ok(Step::Close),
        };
        emit(&mut self.client, &mut self.out, &answer);
        Ok(Step::Go)
    }

    /// Reads whatever input has arrived without waiting; false when the peer has closed
    /// (or the input passed the query buffer limit, which closes the client too).
    fn read_more(&mut self) -> io::Result<bool> {
        match self.sock.read_some(&mut self.inbuf) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.bytes_in += n as u64;
                Ok(self.inbuf.len() <= self.shared.settings.read().client_query_buffer_limit)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(false),
            Err(e) => Err(e),
        }
    }
}
