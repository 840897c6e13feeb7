//! Listing 12-3: three ways to send every request for a key to the same
//! one of N replicas, so that its cache, its session or its shard of the
//! state is found where it was left.
//!
//! - [`Modulo`]: `hash(key) % N`, the obvious way, which moves most keys
//!   when N changes;
//! - [`Rendezvous`]: highest random weight, each replica scores the key and
//!   the highest score wins;
//! - [`Ring`]: consistent hashing, the replicas' points on a circle and the
//!   key goes to the next point.
//!
//! All three answer `None` for an empty set of replicas instead of
//! panicking: an empty set is an outage the caller must handle, not a bug.

// ANCHOR: hash
/// 64-bit FNV-1a over `bytes`, starting from `state`. Short and stable:
/// the same bytes give the same number on every machine, in every release.
/// `std`'s `DefaultHasher` does not promise that ("should not be relied
/// upon over releases"), and two balancers that disagree on a hash send
/// the same key to different replicas.
pub fn fnv1a(state: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(state, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// FNV-1a's starting value (its "offset basis").
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// SplitMix64's finaliser. FNV-1a alone gives keys that differ only in
/// their last byte nearby hashes (those of "key-1" and "key-2" share their
/// top 20 bits), which would put them on the same arc of the ring; the
/// finaliser spreads every input bit over all 64 output bits.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash of one string.
pub fn hash(s: &str) -> u64 {
    mix(fnv1a(FNV_OFFSET, s.as_bytes()))
}

/// The hash of two strings together. The byte 0xff never occurs in UTF-8,
/// so ("ab", "c") and ("a", "bc") hash differently.
pub fn hash2(a: &str, b: &str) -> u64 {
    let h = fnv1a(FNV_OFFSET, a.as_bytes());
    mix(fnv1a(fnv1a(h, &[0xff]), b.as_bytes()))
}
// ANCHOR_END: hash

/// What the three strategies have in common: a replica's name for a key,
/// or `None` when there is no replica at all.
pub trait Place {
    fn place(&self, key: &str) -> Option<&str>;
}

// ANCHOR: modulo
/// `hash(key) % N` over the list of replicas. Changing N changes the
/// remainder of almost every hash, so almost every key moves. nginx's
/// `hash $key;` (without `consistent`) works this way, and its
/// documentation warns that adding or removing a server may remap most
/// keys.
pub struct Modulo {
    replicas: Vec<String>,
}

impl Modulo {
    pub fn new(replicas: &[&str]) -> Self {
        let replicas = replicas.iter().map(|r| r.to_string()).collect();
        Modulo { replicas }
    }
}

impl Place for Modulo {
    fn place(&self, key: &str) -> Option<&str> {
        let n = self.replicas.len() as u64;
        // checked_rem is None for n == 0: no division by zero.
        let i = hash(key).checked_rem(n)?;
        Some(&self.replicas[i as usize])
    }
}
// ANCHOR_END: modulo

// ANCHOR: rendezvous
/// Rendezvous (highest random weight) hashing: every replica scores the
/// key with `hash2(replica, key)`, and the highest score wins. The score
/// depends on the replica's *name*, not on its position in the list, so
/// removing a replica changes no other replica's score: only the keys it
/// won move, each to the replica that came second. A lookup costs one hash
/// per replica, which is nothing for tens of replicas. GitHub's load
/// balancer (GLB Director) uses a variant of it to pick the servers of
/// each connection.
pub struct Rendezvous {
    replicas: Vec<String>,
}

impl Rendezvous {
    pub fn new(replicas: &[&str]) -> Self {
        let replicas = replicas.iter().map(|r| r.to_string()).collect();
        Rendezvous { replicas }
    }
}

impl Place for Rendezvous {
    fn place(&self, key: &str) -> Option<&str> {
        self.replicas
            .iter()
            // Equal scores (one chance in 2^64) go to the larger name, so
            // that the order of the list never matters.
            .max_by_key(|r| (hash2(r, key), r.as_str()))
            .map(|r| r.as_str())
    }
}
// ANCHOR_END: rendezvous

// ANCHOR: ring
/// Consistent hashing on a ring: each replica puts `vnodes` points on a
/// circle of 2^64 positions (`hash2(replica, "0")`, `hash2(replica, "1")`,
/// ...), and a key goes to the first point at or after its own hash,
/// wrapping past the top. A replica that leaves takes its points with it,
/// and its keys fall to the next points; a replica that joins takes over
/// the keys just before its points. With one point each, the arcs between
/// points are very unequal; many points per replica even them out.
/// This is the "ketama" ring of memcached clients (libmemcached's ketama
/// distribution), of nginx's `hash $key consistent;` and of Envoy's
/// `ring_hash` policy (1024 points in all by default); Envoy's `maglev`
/// policy replaces the ring with a lookup table of 65537 entries.
pub struct Ring {
    points: std::collections::BTreeMap<u64, String>,
}

impl Ring {
    pub fn new(replicas: &[&str], vnodes: usize) -> Self {
        let mut points = std::collections::BTreeMap::new();
        for r in replicas {
            for v in 0..vnodes {
                let name = r.to_string();
                // Two equal points (one chance in 2^64 for each pair): the
                // smaller name keeps it, whatever the order of the list.
                points
                    .entry(hash2(r, &v.to_string()))
                    .and_modify(|owner: &mut String| {
                        if name < *owner {
                            *owner = name.clone();
                        }
                    })
                    .or_insert(name);
            }
        }
        Ring { points }
    }
}

impl Place for Ring {
    fn place(&self, key: &str) -> Option<&str> {
        let h = hash(key);
        self.points
            .range(h..)
            .next()
            .or_else(|| self.points.iter().next()) // wrap around
            .map(|(_, r)| r.as_str())
    }
}
// ANCHOR_END: ring
