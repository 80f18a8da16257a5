//! Intrusive doubly linked lists over a slab of nodes with `u32` links: the queue
//! structure that LRU, FIFO-like, ARC, LFU and S3-FIFO share. A node lives in one
//! `Vec`, is named by its index, and belongs to at most one list at a time; `head`
//! is the most recently inserted end, `tail` the oldest.

/// "No node": the end of a list, or an unlinked node.
pub(crate) const NIL: u32 = u32::MAX;

/// The two links every listed node carries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Links {
    pub prev: u32,
    pub next: u32,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            prev: NIL,
            next: NIL,
        }
    }
}

/// A node type that can sit in a [`List`].
pub(crate) trait Linked {
    fn links(&self) -> &Links;
    fn links_mut(&mut self) -> &mut Links;
}

/// One list: its two ends and its length (in nodes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct List {
    pub head: u32,
    pub tail: u32,
    pub len: u32,
}

impl Default for List {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl List {
    /// Puts node `i` (not in any list) at the head.
    #[inline]
    pub fn push_front<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        let old = self.head;
        *nodes[i as usize].links_mut() = Links {
            prev: NIL,
            next: old,
        };
        if old == NIL {
            self.tail = i;
        } else {
            nodes[old as usize].links_mut().prev = i;
        }
        self.head = i;
        self.len += 1;
    }

    /// Takes node `i` out of this list.
    #[inline]
    pub fn unlink<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        let Links { prev, next } = *nodes[i as usize].links();
        if prev == NIL {
            self.head = next;
        } else {
            nodes[prev as usize].links_mut().next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            nodes[next as usize].links_mut().prev = prev;
        }
        self.len -= 1;
    }

    /// Moves node `i`, already in this list, to the head.
    #[inline]
    pub fn move_to_front<N: Linked>(&mut self, nodes: &mut [N], i: u32) {
        if self.head != i {
            self.unlink(nodes, i);
            self.push_front(nodes, i);
        }
    }

    /// The tail (the next victim of a FIFO-like queue), after starting to load the
    /// node before it (the victim after that) into the CPU cache.
    #[inline]
    pub fn tail_prefetching_next<N: Linked>(&self, nodes: &[N]) -> Option<u32> {
        if self.tail == NIL {
            return None;
        }
        let prev = nodes[self.tail as usize].links().prev;
        if prev != NIL {
            super::slot_index::prefetch_ptr(nodes.as_ptr().wrapping_add(prev as usize));
        }
        Some(self.tail)
    }

    /// Removes and returns the tail node, or `None` when empty.
    #[inline]
    pub fn pop_back<N: Linked>(&mut self, nodes: &mut [N]) -> Option<u32> {
        let t = self.tail;
        if t == NIL {
            return None;
        }
        self.unlink(nodes, t);
        Some(t)
    }
}

/// A slab of nodes with a free list, so slots are reused and indices stay dense.
pub(crate) struct Slab<N> {
    pub nodes: Vec<N>,
    free: Vec<u32>,
}

impl<N> Default for Slab<N> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<N> Slab<N> {
    /// Stores `node` in a free slot and returns its index.
    #[inline]
    pub fn alloc(&mut self, node: N) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Returns slot `i` to the free list.
    #[inline]
    pub fn release(&mut self, i: u32) {
        self.free.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Clone, Copy)]
    struct N(Links);
    impl Linked for N {
        fn links(&self) -> &Links {
            &self.0
        }
        fn links_mut(&mut self) -> &mut Links {
            &mut self.0
        }
    }

    fn order(l: &List, nodes: &[N]) -> Vec<u32> {
        let mut v = vec![];
        let mut i = l.head;
        while i != NIL {
            v.push(i);
            i = nodes[i as usize].0.next;
        }
        v
    }

    #[test]
    fn push_unlink_move_pop() {
        let mut nodes = vec![N::default(); 4];
        let mut l = List::default();
        for i in 0..4 {
            l.push_front(&mut nodes, i);
        }
        assert_eq!(order(&l, &nodes), vec![3, 2, 1, 0]);
        l.move_to_front(&mut nodes, 1);
        assert_eq!(order(&l, &nodes), vec![1, 3, 2, 0]);
        l.unlink(&mut nodes, 3);
        assert_eq!(order(&l, &nodes), vec![1, 2, 0]);
        assert_eq!(l.pop_back(&mut nodes), Some(0));
        assert_eq!(l.pop_back(&mut nodes), Some(2));
        assert_eq!(l.pop_back(&mut nodes), Some(1));
        assert_eq!(l.pop_back(&mut nodes), None);
        assert_eq!(l.len, 0);
    }
}
