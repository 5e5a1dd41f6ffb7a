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

/// Every function, struct, enum and constant in the header is preceded by a doc comment.
#[test]
fn every_item_in_the_header_is_documented() {
    let header = header();
    let lines: Vec<&str> = header.lines().collect();
    let mut undocumented = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let item = line.starts_with("YimErrorCode yim_")
            || (line.starts_with("const char *yim_") || line.starts_with("uint32_t yim_"))
            || line.starts_with("typedef struct ")
            || line.starts_with("enum ")
            || line.starts_with("#define YIM_");
        // Enum variants and struct fields: indented names.
        let member = line.starts_with("  ")
            && !line.trim_start().starts_with('*')
            && !line.trim_start().starts_with("/**")
            && (line.trim_end().ends_with(',') || line.trim_end().ends_with(';'));
        if !(item || member) {
            continue;
        }
        let previous = lines[..index]
            .iter()
            .rev()
            .find(|l| {
                !l.trim().is_empty()
                    && !l.trim().starts_with("#if")
                    && !l.trim().starts_with("#endif")
            })
            .copied()
            .unwrap_or("");
        let continued = previous.trim_end().ends_with(',') && line.starts_with("    ");
        if !previous.trim_end().ends_with("*/") && !continued {
            undocumented.push(line.to_string());
        }
    }
    assert!(
        undocumented.is_empty(),
        "undocumented in yim.h: {undocumented:#?}"
    );
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
