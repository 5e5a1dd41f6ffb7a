#!/usr/bin/env python3
"""Checks that the workspace's clippy bans are one list, and that they catch what they ban.

Clippy reads only the clippy.toml nearest to a crate, so a crate with its own file must repeat
the root's bans. The root `clippy.toml` holds the one list (ambient time, ambient randomness,
fresh hash seeds, hash-ordered collections), used by proto and server; `sdk/clippy.toml`
repeats all of it and adds its spawn bans; `ffi/clippy.toml` repeats the types (it runs on real
time on purpose, see its comment); `load/` and `tests/` run on real time and ban nothing.

Then it plants a use of each root ban that std has in a scratch crate and runs clippy over it
with each of those three files: every planted use must be reported.

Usage: python3 scripts/check_clippy_lists.py   (from anywhere; exits 1 on a mismatch)
"""

import os
import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Each file with its own list, and which of the root's lists it must repeat in full.
REPEATS = {
    "sdk": ("disallowed-methods", "disallowed-types"),
    "ffi": ("disallowed-types",),
}

# What the root must ban, one planted use each, with the ban it must trip (the root's rand bans
# are `allow-invalid`: no crate depends on rand, so they cannot be planted here). `std::hash::RandomState` is the same type
# as `std::collections::hash_map::RandomState`: both spellings are banned by the one entry.
PLANTED = [
    ("std::time::Instant::now", "let _ = std::time::Instant::now();"),
    ("std::time::SystemTime::now", "let _ = std::time::SystemTime::now();"),
    ("std::collections::hash_map::RandomState::new",
     "let _ = std::collections::hash_map::RandomState::new();"),
    ("std::collections::hash_map::RandomState::new", "let _ = std::hash::RandomState::new();"),
    ("std::collections::hash_map::RandomState",
     "let _: Option<std::collections::hash_map::RandomState> = None;"),
    ("std::collections::hash_map::RandomState", "let _: Option<std::hash::RandomState> = None;"),
    ("std::collections::HashMap", "let _: Option<std::collections::HashMap<u8, u8>> = None;"),
    ("std::collections::HashSet", "let _: Option<std::collections::HashSet<u8>> = None;"),
]
FIRST_LINE = 2  # src/lib.rs line of the first planted use


def bans(path, key):
    with open(path, "rb") as f:
        return [entry["path"] for entry in tomllib.load(f).get(key, [])]


def check_lists():
    problems = []
    for crate, keys in REPEATS.items():
        for key in keys:
            root = bans(ROOT / "clippy.toml", key)
            own = bans(ROOT / crate / "clippy.toml", key)
            missing = [p for p in root if p not in own]
            if missing:
                problems.append(f"{crate}/clippy.toml {key} lacks the root's {missing}")
    return problems


def check_catches():
    """Runs clippy over the planted uses with each file; returns what was not reported."""
    scratch = ROOT / "target" / "clippy-bans"
    (scratch / "src").mkdir(parents=True, exist_ok=True)
    (scratch / "Cargo.toml").write_text(
        '[package]\nname = "clippy-bans"\nversion = "0.0.0"\nedition = "2021"\n'
        "publish = false\n\n[workspace]\n"
    )
    body = "\n".join(f"    {line}" for _, line in PLANTED)
    (scratch / "src" / "lib.rs").write_text(f"pub fn planted() {{\n{body}\n}}\n")
    problems = []
    for conf in ["."] + list(REPEATS):
        conf_dir = (ROOT / conf).resolve()
        banned = {
            path
            for key in ("disallowed-methods", "disallowed-types")
            for path in bans(conf_dir / "clippy.toml", key)
        }
        # Touch the source so clippy runs again under this configuration.
        os.utime(scratch / "src" / "lib.rs")
        out = subprocess.run(
            ["cargo", "clippy", "--quiet", "--message-format=short",
             "--manifest-path", str(scratch / "Cargo.toml"),
             "--target-dir", str(scratch / "target")],
            env={**os.environ, "CLIPPY_CONF_DIR": str(conf_dir)},
            capture_output=True, text=True, check=False,
        ).stderr
        for offset, (path, line) in enumerate(PLANTED):
            prefix = f"src/lib.rs:{FIRST_LINE + offset}:"
            reported = any(
                r.startswith(prefix) and "disallowed" in r for r in out.splitlines()
            )
            if conf == "." and path not in banned:
                problems.append(f"clippy.toml does not ban {path}")
            elif path in banned and not reported:
                problems.append(f"{conf}/clippy.toml bans {path} but `{line}` was not reported")
    return problems


def main():
    problems = check_lists() + check_catches()
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"clippy bans: one list, repeated in {', '.join(REPEATS)}; every planted use caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
