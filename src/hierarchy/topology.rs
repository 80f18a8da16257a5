//! Where tier and link instances live: the levels of the hierarchy (one per config
//! tier) and their instances (one for a shared tier, one per node for a node or
//! cluster tier), the links each node's data crosses (its NIC, the fabric), and the
//! owner node of an object in a cluster-scope cache.
//!
//! Instances are numbered level by level (level 0's instances first), so with one node
//! an instance's index is its level's and the single-node data path is unchanged.
//! Routes: data moving between a node and an instance not on it crosses the node's
//! NIC and the fabric, and the other node's NIC when the instance is on another node
//! (a shared tier's own link, the storage side's NIC, is the tier's `link`).

use crate::config::cluster::Scope;

/// The node of a shared instance (and of traffic that starts at no node).
pub const SHARED: u16 = u16::MAX;

/// One level (config tier): its scope and its first instance.
#[derive(Clone, Debug)]
pub struct Level {
    pub name: String,
    pub scope: Scope,
    pub first: usize,
}

/// See the module doc.
#[derive(Clone, Debug)]
pub struct Topology {
    pub levels: Vec<Level>,
    pub nodes: usize,
    /// Per instance: its level and node ([`SHARED`] for a shared instance).
    inst_level: Vec<u8>,
    inst_node: Vec<u16>,
    /// Per config link: its first instance and scope.
    link_first: Vec<usize>,
    link_scope: Vec<Scope>,
    /// Per node: its NIC's link instance.
    nic: Vec<Option<usize>>,
    fabric: Option<usize>,
    /// One node: instance = level, no routes.
    flat: bool,
    /// Config link names and node group names (for the results).
    pub link_names: Vec<String>,
    pub groups: Vec<String>,
}

/// The owner node of `id` among `nodes` in a cluster-scope cache: a mixing hash of
/// the id (SplitMix64's finaliser) scaled to the node count.
#[inline]
pub fn owner_of(id: u64, nodes: usize) -> usize {
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((z as u128 * nodes as u128) >> 64) as usize
}

/// The links a transfer crosses besides the tier's own (at most three).
pub type Route = [Option<usize>; 3];

impl Topology {
    /// `levels` (name, scope) fastest first, the scope of every config link, `nodes`
    /// nodes with their NIC's config link index, and the fabric's config link index.
    pub fn new(
        levels: &[(String, Scope)],
        link_scopes: &[Scope],
        nics: &[Option<usize>],
        fabric: Option<usize>,
    ) -> Self {
        let nodes = nics.len().max(1);
        let per = |s: Scope| if s == Scope::Shared { 1 } else { nodes };
        let mut out = Topology {
            levels: Vec::with_capacity(levels.len()),
            nodes,
            inst_level: Vec::new(),
            inst_node: Vec::new(),
            link_first: Vec::with_capacity(link_scopes.len()),
            link_scope: link_scopes.to_vec(),
            nic: Vec::new(),
            fabric: None,
            flat: nodes == 1,
            link_names: Vec::new(),
            groups: vec![String::new(); nodes],
        };
        for (l, (name, scope)) in levels.iter().enumerate() {
            let scope = if nodes == 1 { Scope::Shared } else { *scope };
            out.levels.push(Level {
                name: name.clone(),
                scope,
                first: out.inst_level.len(),
            });
            for n in 0..per(scope) {
                out.inst_level.push(l as u8);
                out.inst_node.push(if scope == Scope::Shared {
                    SHARED
                } else {
                    n as u16
                });
            }
        }
        let mut next = 0;
        for s in link_scopes {
            out.link_first.push(next);
            next += per(*s);
        }
        out.nic = nics
            .iter()
            .enumerate()
            .map(|(n, l)| l.map(|l| out.link_instance(l, n)))
            .collect();
        out.fabric = fabric.map(|l| out.link_instance(l, 0));
        out
    }

    /// One node, `levels` levels and `links` links, all shared.
    pub fn single(levels: &[String], links: usize) -> Self {
        let l: Vec<(String, Scope)> = levels.iter().map(|n| (n.clone(), Scope::Shared)).collect();
        Topology::new(&l, &vec![Scope::Shared; links], &[None], None)
    }

    /// The link instances of config link `link`.
    pub fn link_range(&self, link: usize) -> std::ops::Range<usize> {
        let first = self.link_first[link];
        let n = if self.link_scope[link] == Scope::Shared || self.flat {
            1
        } else {
            self.nodes
        };
        first..first + n
    }

    /// The instances of level `level`.
    pub fn level_range(&self, level: usize) -> std::ops::Range<usize> {
        let first = self.levels[level].first;
        let end = self
            .levels
            .get(level + 1)
            .map_or(self.instances(), |l| l.first);
        first..end
    }

    /// Whether there is one node (instances are levels).
    #[inline]
    pub fn is_flat(&self) -> bool {
        self.flat
    }

    /// Instances in all.
    pub fn instances(&self) -> usize {
        self.inst_level.len()
    }

    /// Link instances in all.
    pub fn link_instances(&self) -> usize {
        match (self.link_first.last(), self.link_scope.last()) {
            (Some(f), Some(s)) => f + if *s == Scope::Shared { 1 } else { self.nodes },
            _ => 0,
        }
    }

    /// The instance of level `level` that node `node` uses for object `id`.
    #[inline]
    pub fn inst(&self, node: usize, level: usize, id: u64) -> usize {
        if self.flat {
            return level;
        }
        let l = &self.levels[level];
        match l.scope {
            Scope::Shared => l.first,
            Scope::Node => l.first + node,
            Scope::Cluster => l.first + self.owner(id),
        }
    }

    /// Node `node`'s own instance of level `level` (the shared one if shared).
    pub fn own_instance(&self, node: usize, level: usize) -> usize {
        let l = &self.levels[level];
        match l.scope {
            Scope::Shared => l.first,
            _ => l.first + node.min(self.nodes - 1),
        }
    }

    /// The owner node of `id` in a cluster-scope cache ([`owner_of`]).
    #[inline]
    pub fn owner(&self, id: u64) -> usize {
        owner_of(id, self.nodes)
    }

    /// The level of instance `i`.
    #[inline]
    pub fn level(&self, i: usize) -> usize {
        self.inst_level[i] as usize
    }

    /// The node of instance `i` ([`SHARED`] for a shared one).
    #[inline]
    pub fn node_of(&self, i: usize) -> u16 {
        self.inst_node[i]
    }

    /// The instance of config link `link` on node `node` (its only one if shared).
    pub fn link_instance(&self, link: usize, node: usize) -> usize {
        let first = self.link_first[link];
        match self.link_scope[link] {
            Scope::Shared => first,
            _ => first + node.min(self.nodes - 1),
        }
    }

    /// Node `node`'s NIC (a link instance).
    pub fn nic(&self, node: usize) -> Option<usize> {
        self.nic.get(node).copied().flatten()
    }

    /// The links data crosses between node `from` ([`SHARED`]: none) and instance
    /// `to`, besides `to`'s own link.
    #[inline]
    pub fn route(&self, from: u16, to: usize) -> Route {
        let at = self.inst_node[to];
        if self.flat || from == at || from == SHARED {
            return [None; 3];
        }
        let far = if at == SHARED {
            None
        } else {
            self.nic[at as usize]
        };
        [self.nic[from as usize], self.fabric, far]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(nodes: usize) -> Topology {
        let levels = vec![
            ("dram".to_string(), Scope::Node),
            ("pool".to_string(), Scope::Cluster),
            ("storage".to_string(), Scope::Shared),
        ];
        let links = [Scope::Node, Scope::Shared];
        Topology::new(&levels, &links, &vec![Some(0); nodes], Some(1))
    }

    #[test]
    fn instances_are_numbered_level_by_level() {
        let t = cluster(4);
        assert_eq!(t.instances(), 9);
        assert_eq!(t.link_instances(), 5);
        assert_eq!(t.inst(2, 0, 7), 2);
        assert_eq!(t.inst(2, 2, 7), 8);
        assert_eq!(t.inst(2, 1, 7), 4 + t.owner(7));
        assert_eq!((t.level(5), t.node_of(5)), (1, 1));
        assert_eq!(t.node_of(8), SHARED);
        // Node-local to shared: the node's NIC and the fabric.
        assert_eq!(t.route(3, 8), [Some(3), Some(4), None]);
        // To another node's instance: both NICs.
        assert_eq!(t.route(3, 5), [Some(3), Some(4), Some(1)]);
        assert_eq!(t.route(1, 5), [None; 3]);
    }

    #[test]
    fn one_node_is_flat() {
        let t = Topology::single(&["a".into(), "b".into()], 1);
        assert!(t.is_flat());
        assert_eq!(t.inst(0, 1, 99), 1);
        assert_eq!(t.route(0, 1), [None; 3]);
    }

    #[test]
    fn owners_split_ids_evenly() {
        let t = cluster(8);
        let mut counts = [0u32; 8];
        for id in 0..80_000u64 {
            counts[t.owner(id)] += 1;
        }
        // Binomial(80,000, 1/8): sd ~ 94; 5 sd either side.
        for c in counts {
            assert!((9_530..=10_470).contains(&c), "{counts:?}");
        }
    }
}
