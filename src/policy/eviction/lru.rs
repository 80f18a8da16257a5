//! Least recently used: a hit moves the object to the head; the tail leaves first.

use super::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::Request;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Node {
    id: u64,
    size: u32,
    prev: u32,
    next: u32,
}

/// LRU over a slab-allocated doubly linked list and an id -> slot map.
pub struct Lru {
    map: IdMap<u32>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    used: u64,
    capacity: u64,
}

impl Lru {
    pub fn new(capacity: u64) -> Self {
        Lru {
            map: IdMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            used: 0,
            capacity,
        }
    }

    fn unlink(&mut self, i: u32) {
        let Node { prev, next, .. } = self.nodes[i as usize];
        if prev == NIL {
            self.head = next
        } else {
            self.nodes[prev as usize].next = next
        }
        if next == NIL {
            self.tail = prev
        } else {
            self.nodes[next as usize].prev = prev
        }
    }

    fn push_front(&mut self, i: u32) {
        self.nodes[i as usize].prev = NIL;
        self.nodes[i as usize].next = self.head;
        if self.head != NIL {
            self.nodes[self.head as usize].prev = i
        } else {
            self.tail = i
        }
        self.head = i;
    }

    fn evict_one(&mut self, evicted: &mut Vec<Victim>) {
        let t = self.tail;
        let Node { id, size, .. } = self.nodes[t as usize];
        self.unlink(t);
        self.map.remove(&id);
        self.free.push(t);
        self.used -= size as u64;
        evicted.push(Victim { id, size });
    }

    fn alloc(&mut self, id: u64, size: u32) -> u32 {
        let node = Node {
            id,
            size,
            prev: NIL,
            next: NIL,
        };
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
}

impl EvictionPolicy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.lookup(req) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.map.get(&req.id) {
            Some(&i) => {
                self.unlink(i);
                self.push_front(i);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if size > self.capacity {
            return;
        }
        while self.used + size > self.capacity {
            self.evict_one(evicted);
        }
        let i = self.alloc(req.id, req.size);
        self.push_front(i);
        self.map.insert(req.id, i);
        self.used += size;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.map.remove(&id)?;
        self.unlink(i);
        self.free.push(i);
        let size = self.nodes[i as usize].size;
        self.used -= size as u64;
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.map.contains_key(&id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}
