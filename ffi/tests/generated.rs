//! The generated files are current: `include/yim.h` (cbindgen) and
//! `csharp/NativeMethods.g.cs` (csbindgen) are what the generators make from `src/` now, and
//! every item in the header has its doc comment.
//!
//! After changing `src/`, regenerate both with `YIM_BLESS=1 cargo test -p yim-ffi --test
//! generated`, then commit them.

use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares a freshly generated file with the committed one, or rewrites the committed one
/// under `YIM_BLESS=1`.
fn check_current(committed: &Path, generated: &str) {
    if std::env::var_os("YIM_BLESS").is_some() {
        std::fs::write(committed, generated).expect("write the generated file");
        return;
    }
    let on_disk = std::fs::read_to_string(committed).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{} is stale: run `YIM_BLESS=1 cargo test -p yim-ffi --test generated` and commit it",
        committed.display()
    );
}

fn header() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn the_header_is_current() {
    check_current(&crate_dir().join("include/yim.h"), &header());
}

/// The declarations of `header` (constants, enums and their variants, structs and their
/// fields, functions) that no doc comment precedes.
fn undocumented(header: &str) -> Vec<String> {
    let mut missing = Vec::new();
    // The last line that counts closed a doc comment.
    let mut documented = false;
    // Inside a function prototype spread over several lines.
    let mut in_prototype = false;
    for line in header.lines() {
        let t = line.trim();
        let preprocessor = t.starts_with('#') && !t.starts_with("#define YIM_");
        if t.is_empty() || preprocessor {
            continue;
        }
        if t.starts_with("/**") || t.starts_with('*') {
            documented = t.ends_with("*/");
            continue;
        }
        if in_prototype {
            in_prototype = !t.ends_with(';');
            continue;
        }
        let top_level = t.starts_with("#define YIM_")
            || t.starts_with("enum Yim")
            || t.starts_with("typedef struct Yim")
            || (!line.starts_with(' ') && t.contains("yim_") && t.contains('('));
        let member = line.starts_with("  ") && (t.ends_with(',') || t.ends_with(';'));
        if top_level || member {
            if !documented {
                missing.push(t.to_string());
            }
            in_prototype = t.contains('(') && !t.ends_with(';');
        }
        documented = false;
    }
    missing
}

#[test]
fn every_item_in_the_header_is_documented() {
    let missing = undocumented(&header());
    assert!(missing.is_empty(), "undocumented in yim.h: {missing:#?}");
}

/// The check above finds a function, a field and a variant whose doc comment is gone.
#[test]
fn the_documentation_check_catches_planted_gaps() {
    let header = header();
    let without_doc = |header: &str, declaration: &str| {
        let at = header.find(declaration).expect("declaration in the header");
        let doc = header[..at].rfind("/**").expect("its doc comment");
        format!("{}{}", &header[..doc], &header[at..])
    };
    for declaration in [
        "YimErrorCode yim_login(",
        "uint64_t request_id;",
        "YIM_EVENT_KIND_KICK_OFF = 3,",
        "#define YIM_MAX_CLIENTS",
    ] {
        let planted = without_doc(&header, declaration);
        let missing = undocumented(&planted);
        assert!(
            missing.iter().any(|m| m.starts_with(declaration)),
            "{declaration} not reported: {missing:?}"
        );
        assert_eq!(missing.len(), 1, "only the planted gap: {missing:?}");
    }
}

fn csharp_binding() -> String {
    let dir = crate_dir();
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = out_dir.path().join("NativeMethods.g.cs");
    let mut builder = csbindgen::Builder::default();
    for file in [
        "calls.rs",
        "pump.rs",
        "event.rs",
        "codes.rs",
        "options.rs",
        "instance.rs",
        "boundary.rs",
    ] {
        builder = builder.input_extern_file(dir.join("src").join(file));
    }
    builder
        .csharp_dll_name("yim_ffi")
        .csharp_namespace("Yim")
        .csharp_class_name("NativeMethods")
        .csharp_class_accessibility("public")
        // Mono's mcs knows C# 7: IntPtr / UIntPtr, not C# 9's nint / nuint.
        .csharp_use_nint_types(false)
        .always_included_types(["YimServerZone", "YimAudioDevices", "YimChatType"])
        .csharp_generate_const_filter(|name| name.starts_with("YIM_"))
        .generate_csharp_file(&out)
        .expect("csbindgen generates the binding");
    std::fs::read_to_string(&out).expect("read the binding")
}

#[test]
fn the_csharp_binding_is_current() {
    check_current(
        &crate_dir().join("csharp/NativeMethods.g.cs"),
        &csharp_binding(),
    );
}

/// The staleness check fails on a committed file that differs from the generated one.
#[test]
fn the_staleness_check_catches_a_stale_file() {
    if std::env::var_os("YIM_BLESS").is_some() {
        return; // blessing rewrites instead of checking
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let stale = dir.path().join("yim.h");
    let generated = header();
    std::fs::write(&stale, generated.replace("yim_login", "yim_log_in")).expect("write");
    let caught = std::panic::catch_unwind(|| check_current(&stale, &generated));
    assert!(caught.is_err(), "a stale header passed");
    std::fs::write(&stale, &generated).expect("write");
    check_current(&stale, &generated);
}
