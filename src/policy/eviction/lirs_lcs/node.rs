//! The entries of libCacheSim's LIRS as tiersim keeps them (one slab node per object,
//! with its S, Q and NH entries as flags and link sets), and [`ChunkReuse`], which
//! follows a freed libCacheSim entry through the allocator.

use crate::policy::eviction::linked::{Keyed, Linked, Links};

pub(super) struct Node {
    pub(super) id: u64,
    pub(super) size: u32,
    /// Has an entry on S, flagged LIR or HIR, resident or not.
    pub(super) in_s: bool,
    pub(super) s_lir: bool,
    pub(super) s_resident: bool,
    /// Has an entry on Q (always resident).
    pub(super) in_q: bool,
    /// Has an entry on NH.
    pub(super) in_nh: bool,
    pub(super) s: Links,
    pub(super) q: Links,
    pub(super) nh: Links,
}

impl Node {
    #[inline]
    pub(super) fn resident(&self) -> bool {
        self.in_q || (self.in_s && self.s_resident)
    }
}

impl Keyed for Node {
    #[inline]
    fn id(&self) -> u64 {
        self.id
    }
    #[inline]
    fn size(&self) -> u32 {
        self.size
    }
}

impl Linked for Node {
    #[inline]
    fn links(&self, k: usize) -> &Links {
        match k {
            0 => &self.s,
            1 => &self.q,
            _ => &self.nh,
        }
    }
    #[inline]
    fn links_mut(&mut self, k: usize) -> &mut Links {
        match k {
            0 => &mut self.s,
            1 => &mut self.q,
            _ => &mut self.nh,
        }
    }
}

/// Which of libCacheSim's lists an entry is on (each entry is its own allocation there).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Entry {
    S,
    Q,
    Nh,
}

/// Follows one freed allocation of libCacheSim through the allocator, to know what
/// `hit_RD_HIRinQ` reads through its stale pointer. libCacheSim's entries are all
/// `cache_obj_t`s, freed and allocated in one size class, which glibc's allocator
/// reuses last-freed-first; `free` overwrites the first 16 bytes of a chunk (its
/// next pointer and key), not `obj_size` at offset 16, so a freed entry keeps its
/// size until the chunk is handed out again. While tracking, `freeds` is the stack of
/// chunks freed since the start (true: the tracked chunk), `holder` the entry now in
/// the tracked chunk and `size` the size the chunk holds. Allocation-free once warm.
#[derive(Default)]
pub(super) struct ChunkReuse {
    pub(super) tracking: bool,
    pub(super) holder: Option<(Entry, u32)>,
    pub(super) size: u32,
    pub(super) freeds: Vec<bool>,
}

impl ChunkReuse {
    pub(super) fn start(&mut self, q_entry_of: u32, size: u32) {
        self.tracking = true;
        self.holder = Some((Entry::Q, q_entry_of));
        self.size = size;
        self.freeds.clear();
    }

    pub(super) fn stop(&mut self) {
        self.tracking = false;
    }

    #[inline]
    pub(super) fn freed(&mut self, list: Entry, node: u32) {
        if self.tracking {
            let tracked = self.holder == Some((list, node));
            if tracked {
                self.holder = None;
            }
            self.freeds.push(tracked);
        }
    }

    #[inline]
    pub(super) fn allocated(&mut self, list: Entry, node: u32, size: u32) {
        if self.tracking && self.freeds.pop() == Some(true) {
            self.holder = Some((list, node));
            self.size = size;
        }
    }
}
