//! The hand-over from the listing to the reading threads. While the history is being listed, blobs
//! go out in the order they are listed, so reading starts at once. Once the listing is done, what
//! is still waiting goes out by delta family ([`FamilyOrder`]): in listing order the versions of a
//! file are far apart and their bases fall out of a reader's cache in between, and are decoded
//! again.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::super::message::Message;
use super::super::odb::FamilyOrder;
use super::super::reader::BlobRef;

/// What a reading thread takes at once.
pub(super) enum Work {
    /// A run of blobs to read and scan.
    Blobs(Vec<BlobRef>),
    /// A run of commit messages.
    Messages(Vec<Message>),
}

/// A blob waiting, with where it sits in the packs (`u64::MAX`: in none).
struct Waiting {
    place: u64,
    blob: BlobRef,
}

/// Where no pack holds a blob.
const NOWHERE: u64 = u64::MAX;

#[derive(Default)]
struct State {
    blobs: VecDeque<Waiting>,
    messages: VecDeque<Vec<Message>>,
    /// The listing is over: nothing more comes, and what waits is in family order.
    listed: bool,
    /// Reading threads that have not ended ([`Reading`]): with none left, a full queue no longer
    /// holds the listing back, or it would wait for them forever.
    readers: usize,
}

/// Blobs waiting between the listing and the reading threads.
pub(super) struct Queue<'a> {
    state: Mutex<State>,
    /// The delta families of the blobs listed (None: no packs read in process). Only the listing
    /// thread takes this lock.
    families: Option<Mutex<FamilyOrder<'a>>>,
    /// Signalled when work arrives or the listing ends.
    ready: Condvar,
    /// Signalled when a reading thread takes blobs, for a listing held back by `cap`.
    room: Condvar,
    /// Blobs a reading thread takes at once.
    run: usize,
    /// Blobs that may wait at most: past it the listing waits, so a huge history is not held in
    /// memory whole (only what waits when the listing ends is put in family order).
    cap: usize,
    /// Reading threads that work while the listing goes on (the others wait for its end, or for
    /// the queue to fill half way).
    while_listing: usize,
}

impl<'a> Queue<'a> {
    /// A queue for `readers` reading threads handing out runs of `run` blobs, with at most `cap`
    /// waiting; with `families`, what waits when the listing ends goes out by delta family. While
    /// the listing goes on, only `while_listing` reading threads work: the listing (one `git
    /// rev-list` and the thread reading it) is the pace of a long history, and reading threads on
    /// every core would take its CPU.
    /// Measured on git/git (2 cores): the listing ended at 9.9 s instead of 14.1 s, the run took
    /// 21.2 s instead of 24.8–26.1 s; on redis 4.31–4.37 s instead of 4.52–4.68 s.
    pub(super) fn new(
        readers: usize,
        run: usize,
        cap: usize,
        while_listing: usize,
        families: Option<FamilyOrder<'a>>,
    ) -> Queue<'a> {
        Queue {
            state: Mutex::new(State {
                readers,
                ..State::default()
            }),
            families: families.map(Mutex::new),
            ready: Condvar::new(),
            room: Condvar::new(),
            run: run.max(1),
            cap: cap.max(1),
            while_listing: while_listing.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked while holding the lock left the queue itself consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blobs the listing found.
    pub(super) fn blobs(&self, batch: Vec<BlobRef>) {
        let mut families = self
            .families
            .as_ref()
            .map(|f| f.lock().unwrap_or_else(|e| e.into_inner()));
        let waiting: Vec<Waiting> = batch
            .into_iter()
            .map(|blob| Waiting {
                place: families
                    .as_mut()
                    .and_then(|f| f.add(&blob.oid))
                    .unwrap_or(NOWHERE),
                blob,
            })
            .collect();
        drop(families);
        let mut s = self.lock();
        while s.blobs.len() >= self.cap && s.readers > 0 {
            s = self.room.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        if s.readers == 0 {
            // Every reading thread ended early (a panic past the per-blob catch): nothing will
            // read these; the listing goes on to its end, and the scope reports the panic.
            return;
        }
        s.blobs.extend(waiting);
        drop(s);
        self.ready.notify_all();
    }

    /// Commit messages the listing found.
    pub(super) fn messages(&self, ms: Vec<Message>) {
        self.lock().messages.push_back(ms);
        // All: a thread held back while listing may be the one woken.
        self.ready.notify_all();
    }

    /// The listing is over: what waits is put in family order (a blob no pack holds last, in
    /// listing order), and the reading threads stop once it is taken. Ordering happens outside the
    /// lock, while the reading threads go on with the first run still waiting.
    pub(super) fn listed(&self) {
        let keep = self.run;
        let mut rest: Vec<Waiting> = {
            let mut s = self.lock();
            let n = s.blobs.len();
            s.blobs.drain(keep.min(n)..).collect()
        };
        if let Some(f) = &self.families {
            let ranks = f.lock().unwrap_or_else(|e| e.into_inner()).ranks();
            // Stable: what has no rank (no pack holds it, or past the families' bound) stays in
            // listing order, after the rest.
            rest.sort_by_key(|w| ranks.get(&w.place).copied().unwrap_or(NOWHERE));
        }
        let mut s = self.lock();
        s.blobs.extend(rest);
        s.listed = true;
        drop(s);
        self.ready.notify_all();
    }

    /// The next work for reading thread number `worker`, waiting for it; None once the listing is
    /// over and nothing waits.
    pub(super) fn next(&self, worker: usize) -> Option<Work> {
        let mut s = self.lock();
        loop {
            if worker >= self.while_listing && !s.listed && s.blobs.len() < self.cap / 2 {
                s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            if let Some(ms) = s.messages.pop_front() {
                return Some(Work::Messages(ms));
            }
            if !s.blobs.is_empty() {
                let n = self.run.min(s.blobs.len());
                let run: Vec<BlobRef> = s.blobs.drain(..n).map(|w| w.blob).collect();
                drop(s);
                self.room.notify_one();
                return Some(Work::Blobs(run));
            }
            if s.listed {
                return None;
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Held by a reading thread for its life: when it ends, however it ends, the [`Queue`] counts one
/// reader fewer.
pub(super) struct Reading<'q, 'a>(pub(super) &'q Queue<'a>);

impl Drop for Reading<'_, '_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.readers = s.readers.saturating_sub(1);
        drop(s);
        self.0.room.notify_all();
    }
}

/// Ends the listing of a [`Queue`] when dropped, so the reading threads stop even when the listing
/// fails or panics.
pub(super) struct Listing<'q, 'a>(pub(super) &'q Queue<'a>);

impl Drop for Listing<'_, '_> {
    fn drop(&mut self) {
        self.0.listed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(oid: &str) -> BlobRef {
        BlobRef {
            oid: oid.into(),
            path: String::new(),
            reachable: true,
            commit: false,
        }
    }

    fn oids(w: Option<Work>) -> Vec<String> {
        match w {
            Some(Work::Blobs(b)) => b.into_iter().map(|b| b.oid).collect(),
            _ => panic!("expected blobs"),
        }
    }

    #[test]
    fn blobs_go_out_in_runs_as_listed_when_no_pack_is_read_in_process() {
        let q = Queue::new(1, 2, 100, 1, None);
        q.blobs(vec![blob("9"), blob("8"), blob("7")]);
        assert_eq!(oids(q.next(0)), ["9", "8"]);
        q.blobs(vec![blob("6"), blob("1"), blob("4")]);
        q.listed();
        assert_eq!(oids(q.next(0)), ["7", "6"]);
        assert_eq!(oids(q.next(0)), ["1", "4"]);
        assert!(q.next(0).is_none());
    }

    #[test]
    fn messages_go_first_and_a_listing_dropped_ends_the_readers() {
        let q = Queue::new(1, 4, 100, 1, None);
        std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let mut got = Vec::new();
                while let Some(w) = q.next(0) {
                    got.push(match w {
                        Work::Messages(m) => format!("messages {}", m.len()),
                        Work::Blobs(b) => format!("blobs {}", b.len()),
                    });
                }
                got
            });
            {
                let _listing = Listing(&q);
                q.messages(Vec::new());
            }
            assert_eq!(reader.join().unwrap(), ["messages 0"]);
        });
    }

    #[test]
    fn a_full_queue_holds_the_listing_back_until_a_reader_takes_some() {
        let q = Queue::new(1, 1, 2, 1, None);
        std::thread::scope(|s| {
            let lister = s.spawn(|| {
                for i in 0..5 {
                    q.blobs(vec![blob(&i.to_string())]);
                }
                q.listed();
            });
            let mut got = Vec::new();
            while let Some(w) = q.next(0) {
                got.extend(oids(Some(w)));
            }
            lister.join().unwrap();
            assert_eq!(got, ["0", "1", "2", "3", "4"]);
        });
    }

    #[test]
    fn while_listing_only_the_first_readers_work_unless_the_queue_fills() {
        let q = Queue::new(2, 1, 4, 1, None);
        q.blobs(vec![blob("a")]);
        std::thread::scope(|s| {
            let second = s.spawn(|| oids(q.next(1)));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!second.is_finished(), "reader 1 took work while listing");
            // Reader 0 works meanwhile.
            assert_eq!(oids(q.next(0)), ["a"]);
            // Half full: every reader works.
            q.blobs(vec![blob("b"), blob("c")]);
            assert_eq!(second.join().unwrap(), ["b"]);
        });
        q.listed();
        assert_eq!(oids(q.next(1)), ["c"]);
        assert!(q.next(1).is_none());
    }

    #[test]
    fn a_full_queue_does_not_hold_the_listing_once_every_reader_has_ended() {
        let q: std::sync::Arc<Queue<'static>> = std::sync::Arc::new(Queue::new(1, 1, 2, 1, None));
        let reader = {
            let q = q.clone();
            std::thread::spawn(move || {
                let _reading = Reading(&q);
                assert_eq!(oids(q.next(0)), ["0"]);
                // Ends here, as a reader that panicked would, leaving the queue to fill.
            })
        };
        let (done, finished) = std::sync::mpsc::channel();
        // Not joined: should the listing wait forever, the test fails instead of hanging.
        std::thread::spawn(move || {
            for i in 0..10 {
                q.blobs(vec![blob(&i.to_string())]);
            }
            q.listed();
            done.send(()).unwrap();
        });
        reader.join().unwrap();
        finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the listing ends once no reader is left");
    }
}
