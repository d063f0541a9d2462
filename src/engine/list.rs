//! TEMPORARY stand-in for the packed list (being written); same API, VecDeque inside.
use std::collections::VecDeque;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End { Left, Right }
impl End { pub fn opposite(self) -> End { match self { End::Left => End::Right, End::Right => End::Left } } }
#[derive(Debug, Default)]
pub struct List { items: VecDeque<Vec<u8>> }
fn norm(i: i64, len: usize) -> i64 { if i < 0 { i + len as i64 } else { i } }
impl List {
    pub fn new() -> List { List::default() }
    pub fn len(&self) -> usize { self.items.len() }
    pub fn is_empty(&self) -> bool { self.items.is_empty() }
    pub fn push(&mut self, end: End, e: &[u8]) { match end { End::Left => self.items.push_front(e.to_vec()), End::Right => self.items.push_back(e.to_vec()) } }
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> { match end { End::Left => self.items.pop_front(), End::Right => self.items.pop_back() } }
    pub fn peek(&self, end: End) -> Option<&[u8]> { match end { End::Left => self.items.front(), End::Right => self.items.back() }.map(|v| v.as_slice()) }
    pub fn index(&self, i: i64) -> Option<&[u8]> { let i = norm(i, self.len()); if i < 0 { return None } self.items.get(i as usize).map(|v| v.as_slice()) }
    pub fn set(&mut self, i: i64, e: &[u8]) -> bool { let i = norm(i, self.len()); if i < 0 || i as usize >= self.len() { return false } self.items[i as usize] = e.to_vec(); true }
    pub fn range(&self, s: i64, e: i64) -> Vec<Vec<u8>> { let n = self.len() as i64; let s = norm(s, n as usize).max(0); let e = norm(e, n as usize).min(n - 1); if s > e || s >= n { return vec![] } self.items.range(s as usize..=e as usize).cloned().collect() }
    pub fn insert(&mut self, before: bool, p: &[u8], e: &[u8]) -> bool { match self.items.iter().position(|x| x == p) { None => false, Some(i) => { self.items.insert(if before { i } else { i + 1 }, e.to_vec()); true } } }
    pub fn remove(&mut self, count: i64, e: &[u8]) -> usize { let mut removed = 0; let limit = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize }; if count >= 0 { let mut i = 0; while i < self.items.len() && removed < limit { if self.items[i] == e { self.items.remove(i); removed += 1 } else { i += 1 } } } else { let mut i = self.items.len(); while i > 0 && removed < limit { i -= 1; if self.items[i] == e { self.items.remove(i); removed += 1 } } } removed }
    pub fn trim(&mut self, s: i64, e: i64) { let r = { let n = self.len() as i64; let s = norm(s, n as usize).max(0); let e = norm(e, n as usize).min(n - 1); if s > e || s >= n { None } else { Some((s as usize, e as usize)) } }; match r { None => self.items.clear(), Some((s, e)) => { self.items.truncate(e + 1); self.items.drain(..s); } } }
    pub fn positions(&self, e: &[u8], rank: i64, count: usize, maxlen: usize) -> Vec<usize> { let n = self.len(); let mut out = vec![]; let mut skip = rank.unsigned_abs() - 1; let idx: Box<dyn Iterator<Item = usize>> = if rank > 0 { Box::new(0..n) } else { Box::new((0..n).rev()) }; for (seen, i) in idx.enumerate() { if maxlen != 0 && seen >= maxlen { break } if self.items[i] == e { if skip > 0 { skip -= 1; continue } out.push(i); if count != 0 && out.len() >= count { break } } } out }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ { self.items.iter().map(|v| v.as_slice()) }
    pub fn allocated_bytes(&self) -> usize { self.items.iter().map(|v| v.capacity() + 24).sum() }
}
