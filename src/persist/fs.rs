//! The file-system seam: every byte persistence writes or reads goes through [`Fs`], so that
//! crash tests run on [`MemFs`], an in-memory file system that remembers what was *synced*
//! and can "lose power" ([`MemFs::crash`]), as okaywal's tests do. [`RealFs`] is the real one.
//!
//! The model `MemFs` enforces is POSIX's: file contents are durable after `sync` of the file,
//! a created, renamed or removed name is durable after `sync_dir` of its directory.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

/// A file opened for writing.
pub trait FsFile: Write + Send + fmt::Debug {
    /// Makes everything written so far durable (`fdatasync`).
    ///
    /// # Errors
    /// The I/O error.
    fn sync(&mut self) -> io::Result<()>;
}

/// A held lock on a directory; released when dropped.
pub trait FsLock: Send + Sync + fmt::Debug {}

/// The file operations persistence needs, and no more.
pub trait Fs: Send + Sync + fmt::Debug {
    /// `mkdir -p`.
    ///
    /// # Errors
    /// The I/O error.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Opens `path` for reading.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, or the I/O error.
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>>;
    /// Creates `path` empty (truncating it) for writing.
    ///
    /// # Errors
    /// The I/O error.
    fn create(&self, path: &Path) -> io::Result<Box<dyn FsFile>>;
    /// Opens `path` for appending, creating it if missing.
    ///
    /// # Errors
    /// The I/O error.
    fn append(&self, path: &Path) -> io::Result<Box<dyn FsFile>>;
    /// Renames `from` to `to`, replacing `to` atomically.
    ///
    /// # Errors
    /// The I/O error.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes the file `path`.
    ///
    /// # Errors
    /// The I/O error.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes the names in `dir` durable (`fsync` of the directory).
    ///
    /// # Errors
    /// The I/O error.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// The names of the files in `dir`.
    ///
    /// # Errors
    /// The I/O error.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// The size of `path`, `None` if it does not exist.
    ///
    /// # Errors
    /// The I/O error.
    fn len(&self, path: &Path) -> io::Result<Option<u64>>;
    /// Cuts `path` to `len` bytes and syncs it.
    ///
    /// # Errors
    /// The I/O error.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Takes the exclusive lock of a directory through its lock file `path` (flock). Returns
    /// `Ok(None)` when another holder has it.
    ///
    /// # Errors
    /// The I/O error.
    fn try_lock(&self, path: &Path) -> io::Result<Option<Box<dyn FsLock>>>;
}

// ---- the real file system ---------------------------------------------------------------

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

#[derive(Debug)]
struct RealFile(File);

impl Write for RealFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FsFile for RealFile {
    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }
}

/// An flock held on an open lock file, by the process `pid`.
#[derive(Debug)]
struct RealLock {
    file: File,
    pid: u32,
}

impl FsLock for RealLock {}

impl Drop for RealLock {
    /// Unlocks explicitly rather than by closing: a forked child holding a copy of the
    /// descriptor keeps the open file, and with it the flock, alive after the owner closes
    /// its own; the explicit unlock releases the directory anyway. Only the owner unlocks:
    /// in a forked child the flock is shared with the parent, which still holds the
    /// directory, and the child's copy only closes.
    fn drop(&mut self) {
        if std::process::id() == self.pid {
            let _ = rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock);
        }
    }
}

impl Fs for RealFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(path)?))
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(RealFile(File::create(path)?)))
    }
    fn append(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        Ok(Box::new(RealFile(OpenOptions::new().append(true).create(true).open(path)?)))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir)? {
            out.push(e?.file_name().to_string_lossy().into_owned());
        }
        Ok(out)
    }
    fn len(&self, path: &Path) -> io::Result<Option<u64>> {
        match fs::metadata(path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let f = OpenOptions::new().write(true).open(path)?;
        f.set_len(len)?;
        f.sync_all()
    }
    fn try_lock(&self, path: &Path) -> io::Result<Option<Box<dyn FsLock>>> {
        let f = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(Box::new(RealLock { file: f, pid: std::process::id() }))),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

// ---- the in-memory file system -----------------------------------------------------------

/// One file's bytes: what a reader sees, and what survives a crash.
#[derive(Debug, Default, Clone)]
struct Inode {
    /// Current contents.
    data: Vec<u8>,
    /// Contents as of the last `sync`.
    durable: Vec<u8>,
}

type InodeRef = Arc<Mutex<Inode>>;

#[derive(Debug, Default)]
struct MemState {
    /// Names as processes see them.
    live: HashMap<PathBuf, InodeRef>,
    /// Names as they would be found after a crash (updated per directory by `sync_dir`).
    durable: HashMap<PathBuf, InodeRef>,
    /// Directories that exist (not crash-modelled: created once, never removed).
    dirs: Vec<PathBuf>,
    /// Lock files currently held.
    locks: Vec<PathBuf>,
    /// When set, every write and sync fails (a full disk, a dying device).
    failing: bool,
}

/// An in-memory file system that models durability; see the module doc.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    state: Arc<Mutex<MemState>>,
}

#[derive(Debug)]
struct MemFile {
    inode: InodeRef,
    fs: Arc<Mutex<MemState>>,
}

fn failing(fs: &Mutex<MemState>) -> io::Result<()> {
    if fs.lock().failing {
        Err(io::Error::other("MemFs: injected I/O failure"))
    } else {
        Ok(())
    }
}

impl Write for MemFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        failing(&self.fs)?;
        self.inode.lock().data.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FsFile for MemFile {
    fn sync(&mut self) -> io::Result<()> {
        failing(&self.fs)?;
        let mut i = self.inode.lock();
        i.durable = i.data.clone();
        Ok(())
    }
}

#[derive(Debug)]
struct MemLock {
    path: PathBuf,
    fs: Arc<Mutex<MemState>>,
}

impl FsLock for MemLock {}

impl Drop for MemLock {
    fn drop(&mut self) {
        self.fs.lock().locks.retain(|p| p != &self.path);
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: no such file", path.display()))
}

impl MemFs {
    /// A new, empty file system.
    pub fn new() -> MemFs {
        MemFs::default()
    }

    /// What a machine would find after losing power now: only synced names and synced
    /// bytes, plus, for each file whose unsynced data extends its synced data, the first
    /// `torn(file_len_unsynced)` bytes of that extension (a write cut short). Locks are gone.
    pub fn crash(&self, mut torn: impl FnMut(usize) -> usize) -> MemFs {
        let st = self.state.lock();
        let mut live = HashMap::new();
        let mut seen: Vec<(*const Mutex<Inode>, InodeRef)> = Vec::new();
        for (path, inode) in &st.durable {
            let key = Arc::as_ptr(inode);
            let copy = if let Some((_, c)) = seen.iter().find(|(k, _)| *k == key) {
                c.clone()
            } else {
                let i = inode.lock();
                let mut data = i.durable.clone();
                if i.data.len() > data.len() && i.data.starts_with(&data) {
                    let extra = i.data.len() - data.len();
                    let keep = torn(extra).min(extra);
                    data.extend_from_slice(&i.data[i.durable.len()..i.durable.len() + keep]);
                }
                let c = Arc::new(Mutex::new(Inode { durable: data.clone(), data }));
                seen.push((key, c.clone()));
                c
            };
            live.insert(path.clone(), copy);
        }
        MemFs {
            state: Arc::new(Mutex::new(MemState {
                durable: live.clone(),
                live,
                dirs: st.dirs.clone(),
                locks: Vec::new(),
                failing: false,
            })),
        }
    }

    /// The current bytes of `path` (for tests that damage files).
    pub fn read_all(&self, path: &Path) -> Option<Vec<u8>> {
        self.state.lock().live.get(path).map(|i| i.lock().data.clone())
    }

    /// Replaces the bytes of `path`, durably (for tests that damage files).
    pub fn write_all(&self, path: &Path, data: &[u8]) {
        let mut st = self.state.lock();
        let inode = Arc::new(Mutex::new(Inode { data: data.to_vec(), durable: data.to_vec() }));
        st.live.insert(path.to_path_buf(), inode.clone());
        st.durable.insert(path.to_path_buf(), inode);
    }

    /// Makes every later write and sync fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.state.lock().failing = failing;
    }
}

impl Fs for MemFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        if !st.dirs.iter().any(|d| d == dir) {
            st.dirs.push(dir.to_path_buf());
        }
        Ok(())
    }
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn Read + Send>> {
        let st = self.state.lock();
        let inode = st.live.get(path).ok_or_else(|| not_found(path))?;
        let data = inode.lock().data.clone();
        Ok(Box::new(io::Cursor::new(data)))
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        let mut st = self.state.lock();
        if st.failing {
            return Err(io::Error::other("MemFs: injected I/O failure"));
        }
        // A new inode: an old name still durable keeps pointing at the old contents.
        let inode: InodeRef = Arc::new(Mutex::new(Inode::default()));
        st.live.insert(path.to_path_buf(), inode.clone());
        Ok(Box::new(MemFile { inode, fs: self.state.clone() }))
    }
    fn append(&self, path: &Path) -> io::Result<Box<dyn FsFile>> {
        let mut st = self.state.lock();
        let inode = st.live.entry(path.to_path_buf()).or_default().clone();
        Ok(Box::new(MemFile { inode, fs: self.state.clone() }))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        let inode = st.live.remove(from).ok_or_else(|| not_found(from))?;
        st.live.insert(to.to_path_buf(), inode);
        Ok(())
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.live.remove(path).map(|_| ()).ok_or_else(|| not_found(path))
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        if st.failing {
            return Err(io::Error::other("MemFs: injected I/O failure"));
        }
        let in_dir = |p: &Path| p.parent() == Some(dir);
        st.durable.retain(|p, _| !in_dir(p));
        let entries: Vec<(PathBuf, InodeRef)> =
            st.live.iter().filter(|(p, _)| in_dir(p)).map(|(p, i)| (p.clone(), i.clone())).collect();
        st.durable.extend(entries);
        Ok(())
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let st = self.state.lock();
        Ok(st
            .live
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect())
    }
    fn len(&self, path: &Path) -> io::Result<Option<u64>> {
        let st = self.state.lock();
        Ok(st.live.get(path).map(|i| i.lock().data.len() as u64))
    }
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let st = self.state.lock();
        let inode = st.live.get(path).ok_or_else(|| not_found(path))?;
        let mut i = inode.lock();
        let n = usize::try_from(len).unwrap_or(usize::MAX).min(i.data.len());
        i.data.truncate(n);
        i.durable = i.data.clone();
        Ok(())
    }
    fn try_lock(&self, path: &Path) -> io::Result<Option<Box<dyn FsLock>>> {
        let mut st = self.state.lock();
        if st.locks.iter().any(|p| p == path) {
            return Ok(None);
        }
        st.locks.push(path.to_path_buf());
        Ok(Some(Box::new(MemLock { path: path.to_path_buf(), fs: self.state.clone() })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock file and a second descriptor on the same open file, as a forked child has.
    fn locked_with_copy(name: &str) -> (PathBuf, File, File) {
        let dir = std::env::temp_dir().join(format!("embedis-lock-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("embedis.lock");
        let f = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
        rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
        let copy = f.try_clone().unwrap();
        (path, f, copy)
    }

    #[test]
    fn the_owner_releases_the_lock_even_while_a_copy_of_its_descriptor_lives() {
        let (path, f, copy) = locked_with_copy("owner");
        assert!(RealFs.try_lock(&path).unwrap().is_none(), "held");
        drop(RealLock { file: f, pid: std::process::id() });
        // Closing alone would leave the flock to `copy`; the owner's unlock releases it.
        let again = RealFs.try_lock(&path).unwrap();
        assert!(again.is_some());
        drop((again, copy));
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_forked_childs_copy_of_the_lock_never_releases_it() {
        let (path, f, copy) = locked_with_copy("child");
        // The child's handle: same open file, another process id.
        drop(RealLock { file: copy, pid: std::process::id().wrapping_add(1) });
        assert!(RealFs.try_lock(&path).unwrap().is_none(), "still held through the owner's descriptor");
        drop(RealLock { file: f, pid: std::process::id() });
        assert!(RealFs.try_lock(&path).unwrap().is_some());
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }
}
