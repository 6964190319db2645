//! Sharding a run over machines: `--partition hash:M/N` or `slice:M/N` keeps shard M of N.
//!
//! The unit of partitioning is a *group*: an OMV test on one engine, or a whole crosscheck
//! suite (every engine and sweep point of it), because the agreement between engines can only
//! be judged where all of them ran. `hash` places a group by a hash of its identity (the test
//! file relative to the discovery path, and the engine), so adding tests never moves the
//! others; `slice` deals groups out in plan order, which balances counts but moves groups when
//! tests are added. Every group lands in exactly one shard, so the shards' union is the plan.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::plan::{Job, Work};

/// How to split a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `hash:M/N`: groups placed by a hash of their identity, so adding tests moves no other.
    Hash {
        /// The shard kept, from 1 to `count`.
        shard: u32,
        /// How many shards the plan is split into.
        count: u32,
    },
    /// `slice:M/N`: groups dealt out in turn in plan order, which balances the counts.
    Slice {
        /// The shard kept, from 1 to `count`.
        shard: u32,
        /// How many shards the plan is split into.
        count: u32,
    },
}

impl std::str::FromStr for Partition {
    type Err = String;

    /// `hash:M/N` or `slice:M/N`, shards numbered from 1.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!("`{text}`: expected `hash:M/N` or `slice:M/N` with 1 ≤ M ≤ N (e.g. hash:2/4)")
        };
        let (kind, rest) = text.split_once(':').ok_or_else(usage)?;
        let (m, n) = rest.split_once('/').ok_or_else(usage)?;
        let shard: u32 = m.trim().parse().map_err(|_| usage())?;
        let count: u32 = n.trim().parse().map_err(|_| usage())?;
        if count == 0 || shard == 0 || shard > count {
            return Err(usage());
        }
        match kind.trim() {
            "hash" => Ok(Partition::Hash { shard, count }),
            "slice" => Ok(Partition::Slice { shard, count }),
            _ => Err(usage()),
        }
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Partition::Hash { shard, count } => write!(f, "hash:{shard}/{count}"),
            Partition::Slice { shard, count } => write!(f, "slice:{shard}/{count}"),
        }
    }
}

/// The identity of the group a job belongs to.
pub fn group_of(job: &Job) -> String {
    match &job.work {
        Work::Omv(omv) => format!("omv\0{}\0{}", omv.test.id, omv.test.engine),
        Work::Suite(native) => format!("suite\0{}", native.id),
    }
}

/// The groups of `jobs` in plan order (first appearance), with their jobs.
pub fn groups(jobs: &[Job]) -> Vec<(String, Vec<usize>)> {
    let mut order: Vec<(String, Vec<usize>)> = Vec::new();
    let mut position: BTreeMap<String, usize> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        let group = group_of(job);
        match position.get(&group) {
            Some(&p) => order[p].1.push(i),
            None => {
                position.insert(group.clone(), order.len());
                order.push((group, vec![i]));
            }
        }
    }
    order
}

/// The shard (1-based) of each group under `partition`.
fn shard_of(partition: Partition, group: &str, position: usize) -> u32 {
    match partition {
        Partition::Hash { count, .. } => {
            let digest = Sha256::digest(group.as_bytes());
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            (u64::from_le_bytes(first) % u64::from(count)) as u32 + 1
        }
        Partition::Slice { count, .. } => (position % count as usize) as u32 + 1,
    }
}

/// Keeps the jobs of this shard, renumbered from 0 in plan order.
pub fn select(jobs: Vec<Job>, partition: Partition) -> Vec<Job> {
    let wanted = match partition {
        Partition::Hash { shard, .. } | Partition::Slice { shard, .. } => shard,
    };
    let mut keep = vec![false; jobs.len()];
    for (position, (group, members)) in groups(&jobs).into_iter().enumerate() {
        if shard_of(partition, &group, position) == wanted {
            for i in members {
                keep[i] = true;
            }
        }
    }
    jobs.into_iter()
        .zip(keep)
        .filter_map(|(job, k)| k.then_some(job))
        .enumerate()
        .map(|(index, mut job)| {
            job.index = index;
            job
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn bundled_plan() -> Vec<Job> {
        let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/NeuroML2");
        let loaded = crate::plan::load(&[suites, corpus]).expect("loads");
        crate::plan::plan(&loaded, &[])
    }

    fn key(job: &Job) -> String {
        format!(
            "{}\0{}\0{:?}",
            group_of(job),
            job.engine_label(),
            match &job.work {
                Work::Suite(n) => n.point,
                Work::Omv(_) => None,
            }
        )
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            "hash:2/4".parse::<Partition>(),
            Ok(Partition::Hash { shard: 2, count: 4 })
        );
        assert_eq!(
            "slice:1/1".parse::<Partition>(),
            Ok(Partition::Slice { shard: 1, count: 1 })
        );
        for bad in [
            "hash:0/4", "hash:5/4", "hash:1/0", "mod:1/2", "hash:1", "hash:a/b", "",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        assert_eq!(
            Partition::Hash { shard: 3, count: 8 }.to_string(),
            "hash:3/8"
        );
    }

    #[test]
    fn shards_cover_the_plan_exactly_once_and_keep_suites_whole() {
        let plan = bundled_plan();
        assert!(plan.len() > 50, "{}", plan.len());
        let all: Vec<String> = {
            let mut v: Vec<String> = plan.iter().map(key).collect();
            v.sort();
            v
        };
        for n in [1u32, 2, 3, 4, 7] {
            for make in [
                (|shard, count| Partition::Hash { shard, count }) as fn(u32, u32) -> Partition,
                |shard, count| Partition::Slice { shard, count },
            ] {
                let mut union: Vec<String> = Vec::new();
                for m in 1..=n {
                    let shard = select(plan.clone(), make(m, n));
                    // Renumbered from 0, in plan order.
                    assert!(shard.iter().enumerate().all(|(i, j)| j.index == i));
                    // A crosscheck suite's jobs are all in this shard or none are.
                    for job in &shard {
                        if let Work::Suite(native) = &job.work {
                            let in_plan = plan
                                .iter()
                                .filter(|j| matches!(&j.work, Work::Suite(n) if n.id == native.id))
                                .count();
                            let here = shard
                                .iter()
                                .filter(|j| matches!(&j.work, Work::Suite(n) if n.id == native.id))
                                .count();
                            assert_eq!(in_plan, here, "{} split across shards", native.id);
                        }
                    }
                    union.extend(shard.iter().map(key));
                }
                union.sort();
                assert_eq!(union, all, "{n} shards");
            }
        }
    }

    #[test]
    fn hash_shards_do_not_move_when_tests_are_added() {
        let plan = bundled_plan();
        let shard_keys = |jobs: Vec<Job>| -> Vec<String> {
            select(jobs, Partition::Hash { shard: 2, count: 3 })
                .iter()
                .map(key)
                .collect()
        };
        let before = shard_keys(plan[1..].to_vec());
        let after = shard_keys(plan.clone());
        // Adding the first job adds at most that job's group; nothing else moves.
        let added: Vec<&String> = after.iter().filter(|k| !before.contains(k)).collect();
        assert!(before.iter().all(|k| after.contains(k)));
        assert!(added.len() <= 1, "{added:?}");
    }
}
