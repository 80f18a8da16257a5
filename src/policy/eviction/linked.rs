//! Building blocks shared by the list-based eviction policies (2Q, SIEVE, LIRS,
//! n-bit CLOCK): a slab of nodes addressed by `u32` with a free list, and intrusive
//! doubly linked lists over it that keep their length and byte total. A node may carry
//! several link sets (LIRS keeps a node on its stack and its queue at once); `k` names
//! the set. Nothing here allocates once the slab has grown to the working-set size.
//!
//! Convention: `head` is the newest end, `tail` the oldest; `prev` points towards the
//! head and `next` towards the tail.

/// The null link.
pub(crate) const NIL: u32 = u32::MAX;

/// One link set of a node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Links {
    pub prev: u32,
    pub next: u32,
}

impl Links {
    pub const NONE: Links = Links {
        prev: NIL,
        next: NIL,
    };
}

/// A node that can sit on intrusive lists.
pub(crate) trait Linked {
    /// Bytes the node accounts for on a list.
    fn size(&self) -> u32;
    /// Link set `k`.
    fn links(&mut self, k: usize) -> &mut Links;
}

/// Nodes addressed by index, with released slots reused first.
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
    /// Stores `node` and returns its index.
    #[inline]
    pub fn alloc(&mut self, node: N) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("more than 2^32 cached objects")
            }
        }
    }

    /// Returns slot `i` to the free list (its contents stay until reused).
    #[inline]
    pub fn release(&mut self, i: u32) {
        self.free.push(i);
    }

    #[inline]
    pub fn get(&self, i: u32) -> &N {
        &self.nodes[i as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, i: u32) -> &mut N {
        &mut self.nodes[i as usize]
    }
}

/// An intrusive doubly linked list over a slab, using link set `K`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List<const K: usize> {
    pub head: u32,
    pub tail: u32,
    pub len: usize,
    pub bytes: u64,
}

impl<const K: usize> Default for List<K> {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
            bytes: 0,
        }
    }
}

impl<const K: usize> List<K> {
    /// Links node `i` (on no list of this set) at the head.
    #[inline]
    pub fn push_front<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        let old = self.head;
        let n = slab.get_mut(i);
        self.bytes += n.size() as u64;
        *n.links(K) = Links {
            prev: NIL,
            next: old,
        };
        if old == NIL {
            self.tail = i;
        } else {
            slab.get_mut(old).links(K).prev = i;
        }
        self.head = i;
        self.len += 1;
    }

    /// Unlinks node `i`, which must be on this list.
    #[inline]
    pub fn unlink<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        let n = slab.get_mut(i);
        self.bytes -= n.size() as u64;
        let Links { prev, next } = *n.links(K);
        *n.links(K) = Links::NONE;
        if prev == NIL {
            self.head = next;
        } else {
            slab.get_mut(prev).links(K).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab.get_mut(next).links(K).prev = prev;
        }
        self.len -= 1;
    }

    /// Unlinks and returns the tail (oldest) node.
    #[inline]
    pub fn pop_back<N: Linked>(&mut self, slab: &mut Slab<N>) -> Option<u32> {
        let t = self.tail;
        if t == NIL {
            return None;
        }
        self.unlink(slab, t);
        Some(t)
    }

    /// Moves node `i`, on this list, to the head.
    #[inline]
    pub fn move_to_front<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        if self.head != i {
            self.unlink(slab, i);
            self.push_front(slab, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N {
        size: u32,
        l: Links,
    }
    impl Linked for N {
        fn size(&self) -> u32 {
            self.size
        }
        fn links(&mut self, _k: usize) -> &mut Links {
            &mut self.l
        }
    }

    fn order(list: &List<0>, slab: &mut Slab<N>) -> Vec<u32> {
        let mut v = Vec::new();
        let mut i = list.head;
        while i != NIL {
            v.push(i);
            i = slab.get_mut(i).l.next;
        }
        v
    }

    #[test]
    fn push_unlink_pop_keep_order_and_totals() {
        let mut slab = Slab::default();
        let mut l = List::<0>::default();
        let ids: Vec<u32> = (1..=4)
            .map(|s| {
                slab.alloc(N {
                    size: s,
                    l: Links::NONE,
                })
            })
            .collect();
        for &i in &ids {
            l.push_front(&mut slab, i);
        }
        assert_eq!(order(&l, &mut slab), vec![3, 2, 1, 0]);
        assert_eq!((l.len, l.bytes), (4, 10));
        l.unlink(&mut slab, 2);
        l.move_to_front(&mut slab, 0);
        assert_eq!(order(&l, &mut slab), vec![0, 3, 1]);
        assert_eq!(l.pop_back(&mut slab), Some(1));
        assert_eq!((l.len, l.bytes), (2, 5));
        slab.release(1);
        assert_eq!(
            slab.alloc(N {
                size: 9,
                l: Links::NONE
            }),
            1
        );
    }
}
