//! Compiles `proto/yim.proto` with protox (a pure-Rust protobuf compiler), so no system
//! `protoc` is needed, and generates the Rust types with prost-build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/yim.proto");
    let descriptors = protox::compile(["proto/yim.proto"], ["proto"])?;
    prost_build::Config::new()
        .type_attribute(
            ".",
            "#[cfg_attr(feature = \"arbitrary\", derive(arbitrary::Arbitrary))]",
        )
        // The SDK's events carry the chat type; its `serde` feature serialises them.
        .enum_attribute(
            ".yim.v1.ChatType",
            "#[cfg_attr(feature = \"serde\", derive(serde::Serialize, serde::Deserialize))]",
        )
        .compile_fds(descriptors)?;
    Ok(())
}
