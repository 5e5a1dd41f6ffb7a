//! The error-code table of `docs/yim-behaviour.md` matches `ErrorCode`: one row per code, in
//! numeric order, with the code's number, its variant name and its `description()`. A code
//! added, renamed or redescribed without the doc fails here.

use yim_proto::ErrorCode;

/// (number, name, meaning) of each table row: lines `| <number> | `<Name>` | <meaning> | ...`.
fn doc_rows(doc: &str) -> Vec<(u32, String, String)> {
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // A table line splits into "", cells..., "".
            let number = cells.get(1)?.parse::<u32>().ok()?;
            let name = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            let meaning = cells.get(3)?;
            Some((number, name.to_owned(), (*meaning).to_owned()))
        })
        .collect()
}

#[test]
fn the_doc_table_lists_every_code_as_the_code_does() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/yim-behaviour.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let rows = doc_rows(&doc);
    let expected: Vec<(u32, String, String)> = ErrorCode::ALL
        .iter()
        .map(|code| {
            (
                code.as_u32(),
                format!("{code:?}"),
                code.description().to_owned(),
            )
        })
        .collect();
    assert_eq!(rows, expected, "{}", path.display());
}
