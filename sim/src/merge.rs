//! Sweeps past one machine: the shard of a sweep a machine runs (its index possibly from the
//! environment, as a Kubernetes Indexed Job or a CI matrix sets it), and `yim-sim merge`,
//! which combines the shards' output directories (`results.jsonl`, `sweep.json`) into the
//! report a single machine's sweep of the same seeds gives. It reads files; it runs nothing.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::branch::BranchPoint;
use crate::sweep::{failure_name, replay_command, SeedResult, ShardInfo, SweepReport};

/// A `--shard` value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// The option is not `I/N`.
    #[error("--shard must be I/N with I < N, each a number or env:VARIABLE (got {0:?})")]
    Syntax(String),
    /// The environment variable named is not set.
    #[error("--shard: environment variable {0} is not set")]
    Unset(String),
    /// The environment variable's value is not a number.
    #[error("--shard: environment variable {name} is {value:?}, not a number")]
    NotANumber {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// The index is not below the count.
    #[error("--shard: index {index} is not below the count {count}")]
    OutOfRange {
        /// The shard's index.
        index: u64,
        /// The shard count.
        count: u64,
    },
}

/// Parses `--shard I/N`, where each of I and N is a number or `env:NAME` (read from the
/// environment through `env`): `env:JOB_COMPLETION_INDEX/8` in a Kubernetes Indexed Job.
pub fn parse_shard(
    text: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(u64, u64), ShardError> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| ShardError::Syntax(text.to_owned()))?;
    let number = |part: &str| -> Result<u64, ShardError> {
        match part.trim().strip_prefix("env:") {
            Some(name) => {
                let value = env(name).ok_or_else(|| ShardError::Unset(name.to_owned()))?;
                value.trim().parse().map_err(|_| ShardError::NotANumber {
                    name: name.to_owned(),
                    value,
                })
            }
            None => part
                .trim()
                .parse()
                .map_err(|_| ShardError::Syntax(text.to_owned())),
        }
    };
    let (index, count) = (number(index)?, number(count)?);
    if index >= count {
        return Err(ShardError::OutOfRange { index, count });
    }
    Ok((index, count))
}

/// Shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of a file is not what it should be.
    #[error("{path} line {line}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The line, counted from 1.
        line: usize,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Two shards ran the same seed.
    #[error("seed {seed} is in both {first} and {second}: shards overlap")]
    DuplicateSeed {
        /// The seed.
        seed: u64,
        /// The first directory that has it.
        first: String,
        /// The second.
        second: String,
    },
    /// A shard belongs to another sweep.
    #[error("{path} is a shard of another sweep than {first}: {what} differ")]
    OtherSweep {
        /// The shard's directory.
        path: String,
        /// The first directory merged.
        first: String,
        /// What differs.
        what: &'static str,
    },
    /// No directory was given.
    #[error("nothing to merge: give at least one directory")]
    NoInput,
}

/// The merged report, and what a reader should know about it.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The report of every shard's seeds together.
    pub report: SweepReport,
    /// The shards' common sweep (shard 0/1: the whole), if every directory had `sweep.json`.
    pub info: Option<ShardInfo>,
    /// Seeds the sweep covers that no directory had (a shard missing or unfinished).
    pub missing_seeds: Vec<u64>,
}

/// Reads one shard's directory.
pub fn read_shard(dir: &Path) -> Result<(Option<ShardInfo>, Vec<SeedResult>), MergeError> {
    let io = |path: &Path, source| MergeError::Io {
        path: path.display().to_string(),
        source,
    };
    let info_path = dir.join("sweep.json");
    let info = match std::fs::read_to_string(&info_path) {
        Ok(text) => Some(
            serde_json::from_str(&text).map_err(|source| MergeError::Json {
                path: info_path.display().to_string(),
                line: 1,
                source,
            })?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&info_path, e)),
    };
    let path = dir.join("results.jsonl");
    let file = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
    let mut results = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| io(&path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = serde_json::from_str(&line).map_err(|source| MergeError::Json {
            path: path.display().to_string(),
            line: i + 1,
            source,
        })?;
        results.push(result);
    }
    Ok((info, results))
}

/// Merges the shards in `dirs` into one report: the results of every seed in seed order, as
/// one machine's sweep would have them; the wall time of the slowest shard (shards run side
/// by side); the replay commands of the failures whose scenarios are in the directories.
pub fn merge(dirs: &[PathBuf]) -> Result<Merged, MergeError> {
    if dirs.is_empty() {
        return Err(MergeError::NoInput);
    }
    // A seed's fresh run, then its branched runs.
    let mut by_seed: BTreeMap<(u64, Option<BranchPoint>), (SeedResult, usize)> = BTreeMap::new();
    let mut infos: Vec<Option<ShardInfo>> = Vec::new();
    for (d, dir) in dirs.iter().enumerate() {
        let (info, results) = read_shard(dir)?;
        if let (Some(info), Some(Some(first))) = (&info, infos.first()) {
            let what = if info.from_seed != first.from_seed || info.seeds != first.seeds {
                Some("seed ranges")
            } else if info.profile != first.profile || info.size != first.size {
                Some("profiles or sizes")
            } else if info.planted != first.planted {
                Some("planted bugs")
            } else if info.branching != first.branching {
                Some("branching options")
            } else {
                None
            };
            if let Some(what) = what {
                return Err(MergeError::OtherSweep {
                    path: dir.display().to_string(),
                    first: dirs[0].display().to_string(),
                    what,
                });
            }
        }
        infos.push(info);
        for result in results {
            let key = (result.seed, result.branch.clone());
            if let Some((_, other)) = by_seed.get(&key) {
                return Err(MergeError::DuplicateSeed {
                    seed: result.seed,
                    first: dirs[*other].display().to_string(),
                    second: dir.display().to_string(),
                });
            }
            by_seed.insert(key, (result, d));
        }
    }
    let all_infos: Option<Vec<ShardInfo>> = infos.into_iter().collect();
    let info = all_infos.as_ref().and_then(|infos| {
        let first = infos.first()?;
        Some(ShardInfo {
            shard: (0, 1),
            wall_ms: infos.iter().map(|i| i.wall_ms).max().unwrap_or(0),
            ..first.clone()
        })
    });
    let missing_seeds = info.as_ref().map_or_else(Vec::new, |info| {
        info.shard_seeds()
            .filter(|seed| !by_seed.contains_key(&(*seed, None)))
            .collect()
    });
    let planted = info.as_ref().and_then(|i| i.planted.clone());
    let mut replays = Vec::new();
    for (result, d) in by_seed.values() {
        let Some(first) = result.violations.first() else {
            continue;
        };
        let scenario = dirs[*d].join(format!("{}.json", failure_name(result)));
        if scenario.exists() {
            replays.push(format!(
                "{}   # {}; timeline {}",
                replay_command("run --scenario", &scenario, planted.as_deref()),
                first.checker,
                scenario.with_extension("html").display()
            ));
        }
    }
    let results: Vec<SeedResult> = by_seed.into_values().map(|(r, _)| r).collect();
    let wall_ms = info.as_ref().map_or_else(
        || results.iter().map(|r| r.wall_ms).sum(),
        |info| info.wall_ms,
    );
    Ok(Merged {
        report: SweepReport {
            results,
            wall_ms,
            replays,
            // Which child came from where is in the results; the shards' runs interleave,
            // so there is no one run order to tell the first failure by.
            branches: Vec::new(),
            first_failure: None,
        },
        info,
        missing_seeds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "JOB_COMPLETION_INDEX" => Some("3".into()),
            "SHARDS" => Some(" 8 ".into()),
            "BAD" => Some("three".into()),
            _ => None,
        }
    }

    #[test]
    fn a_shard_comes_from_numbers_or_the_environment() {
        assert_eq!(parse_shard("1/4", env), Ok((1, 4)));
        assert_eq!(parse_shard("env:JOB_COMPLETION_INDEX/8", env), Ok((3, 8)));
        assert_eq!(
            parse_shard("env:JOB_COMPLETION_INDEX/env:SHARDS", env),
            Ok((3, 8))
        );
        assert_eq!(
            parse_shard("env:NOPE/8", env),
            Err(ShardError::Unset("NOPE".into()))
        );
        assert!(matches!(
            parse_shard("env:BAD/8", env),
            Err(ShardError::NotANumber { .. })
        ));
        assert_eq!(
            parse_shard("env:JOB_COMPLETION_INDEX/2", env),
            Err(ShardError::OutOfRange { index: 3, count: 2 })
        );
        assert!(matches!(parse_shard("4", env), Err(ShardError::Syntax(_))));
        assert!(matches!(
            parse_shard("a/4", env),
            Err(ShardError::Syntax(_))
        ));
    }

    #[test]
    fn merging_nothing_or_a_missing_directory_is_an_error() {
        assert!(matches!(merge(&[]), Err(MergeError::NoInput)));
        let missing = std::env::temp_dir().join("yim-sim-no-such-shard-dir");
        assert!(matches!(merge(&[missing]), Err(MergeError::Io { .. })));
    }
}
