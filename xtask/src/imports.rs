//! Short names for the widget module's JS imports.
//!
//! wasm-bindgen names every function the module imports from its JS glue after the Rust item and a
//! 16-hex-digit hash (`__wbg_setAttribute_8f3c…`), and the name is spelled twice in what is
//! shipped: in the module's import section and as a key of the glue's import object. About 150
//! such names cost ~5 KB gzip, the hashes compressing badly. [`shorten`] renames them to `a`, `b`,
//! … in both files at once, reading the names from the module's import section itself.
//!
//! wasm-bindgen's internal exports (`__wbindgen_malloc`, the closure trampolines
//! `wasm_bindgen__convert__closures_____invoke__h…`, …) get the same treatment: the glue reaches
//! them only as properties of the module's exports object (`.NAME`).
//!
//! It is deliberately strict: an import is renamed only if its name is a key of the glue's import
//! object exactly once (`NAME:`) and appears nowhere else in the glue; an export only if it is
//! wasm-bindgen's own and every mention of it in the glue is a property access; a new name is used
//! only if it appears nowhere in the glue as a word. Anything else stays as it is. The build then
//! checks that the renamed pair still instantiates.
//!
//! [`drop_stream_exports`] removes the exports of wasm-streams' classes, which Leptos always
//! compiles in (through server_fn) and this widget never uses; see there why that is sound.

use anyhow::{Context, Result, bail};

/// The renamed module and glue, and how many imports were renamed.
pub struct Shortened {
    /// The module with the new import names.
    pub wasm: Vec<u8>,
    /// The glue with the same new names.
    pub js: String,
    /// Imports renamed.
    pub renamed: usize,
}

/// Renames the imports of `wasm` that come from the glue module `glue_module` (the specifier the
/// glue registers its import object under, e.g. `./ucclient_widget_bg.js`) in both `wasm` and
/// `js`.
pub fn shorten(wasm: &[u8], js: &str, glue_module: &str) -> Result<Shortened> {
    let mut out = wasm[..MAGIC.len()].to_vec();
    let mut js = js.to_owned();
    let mut names = NameSource::default();
    let mut renamed = 0;
    for section in sections(wasm)? {
        let body = &wasm[section.body.clone()];
        let new_body = match section.id {
            IMPORT_SECTION => rename_imports(body, glue_module, &mut js, &mut names, &mut renamed)?,
            EXPORT_SECTION => rename_exports(body, &mut js, &mut names, &mut renamed)?,
            _ => {
                out.extend_from_slice(&wasm[section.start..section.body.end]);
                continue;
            }
        };
        push_section(&mut out, section.id, &new_body);
    }
    Ok(Shortened {
        wasm: out,
        js,
        renamed,
    })
}

/// The magic number and version of a WebAssembly 1.0 module.
const MAGIC: &[u8] = b"\0asm\x01\0\0\0";

/// One section of a module: its id, where it starts (at the id) and where its body is.
struct Section {
    id: u8,
    start: usize,
    body: std::ops::Range<usize>,
}

/// The sections of `wasm`, in order.
fn sections(wasm: &[u8]) -> Result<Vec<Section>> {
    if !wasm.starts_with(MAGIC) {
        bail!("not a WebAssembly 1.0 module");
    }
    let mut out = Vec::new();
    let mut at = MAGIC.len();
    while at < wasm.len() {
        let (size, body_at) = read_leb(wasm, at + 1)?;
        let end = body_at
            .checked_add(size as usize)
            .filter(|e| *e <= wasm.len())
            .context("a section runs past the end of the module")?;
        out.push(Section {
            id: wasm[at],
            start: at,
            body: body_at..end,
        });
        at = end;
    }
    Ok(out)
}

/// Appends a section with id `id` and `body` to `out`.
fn push_section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    write_leb(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// The id of the import section.
const IMPORT_SECTION: u8 = 2;
/// The id of the export section.
const EXPORT_SECTION: u8 = 7;

/// One export: its name, kind byte and index.
struct Export<'a> {
    name: &'a str,
    kind: u8,
    index: u64,
}

/// Reads an export section body.
fn read_exports(body: &[u8]) -> Result<Vec<Export<'_>>> {
    let (count, mut at) = read_leb(body, 0)?;
    let mut exports = Vec::new();
    for _ in 0..count {
        let (name, next) = read_name(body, at)?;
        let kind = *body.get(next).context("an export ends early")?;
        let (index, next) = read_leb(body, next + 1)?;
        exports.push(Export { name, kind, index });
        at = next;
    }
    if at != body.len() {
        bail!("the export section has {} unread bytes", body.len() - at);
    }
    Ok(exports)
}

/// Writes an export section body.
fn write_exports<'a>(exports: impl ExactSizeIterator<Item = (&'a str, u8, u64)>) -> Vec<u8> {
    let mut out = Vec::new();
    write_leb(&mut out, exports.len() as u64);
    for (name, kind, index) in exports {
        write_name(&mut out, name);
        out.push(kind);
        write_leb(&mut out, index);
    }
    out
}

/// Rewrites one export section body: wasm-bindgen's own exports get short names where the glue
/// only ever reads them as properties.
fn rename_exports(
    body: &[u8],
    js: &mut String,
    names: &mut NameSource,
    renamed: &mut usize,
) -> Result<Vec<u8>> {
    let exports = read_exports(body)?;
    let mut new_names = Vec::with_capacity(exports.len());
    for e in &exports {
        let name = if is_bindgen_internal(e.name) && only_as_property(js, e.name) {
            let short = names.next_unused(js);
            *js = js.replace(&format!(".{}", e.name), &format!(".{short}"));
            *renamed += 1;
            short
        } else {
            e.name.to_owned()
        };
        new_names.push(name);
    }
    Ok(write_exports(
        exports
            .iter()
            .zip(&new_names)
            .map(|(e, name)| (name.as_str(), e.kind, e.index)),
    ))
}

/// Whether an export is wasm-bindgen's own plumbing (never part of the widget's JS API).
fn is_bindgen_internal(name: &str) -> bool {
    ["__wbindgen_", "__wbg_", "__externref_", "wasm_bindgen__"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether `name` occurs in `js`, and every time as a whole property name (`.NAME` followed by
/// no identifier character).
fn only_as_property(js: &str, name: &str) -> bool {
    let mut seen = false;
    for (i, _) in js.match_indices(name) {
        let after = js[i + name.len()..].chars().next();
        if !js[..i].ends_with('.') || after.is_some_and(is_ident_char) {
            return false;
        }
        seen = true;
    }
    seen
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Removes from `wasm` (wasm-bindgen's output, before wasm-opt, which then drops the code only
/// they reached) the exports of wasm-streams' `IntoUnderlyingSource`, `IntoUnderlyingSink` and
/// `IntoUnderlyingByteSource`: Leptos's server_fn always compiles them in, this widget never uses
/// them. Sound because those objects only ever reach JS from Rust, through an import that wraps
/// one (`__wbg_intounderlying…_new`); the glue has no constructor for them. So the exports are
/// dropped only when the module has no such import — should a future dependency start handing
/// such a stream to JS, the import appears and nothing is dropped. Returns the module and how many
/// exports went.
pub fn drop_stream_exports(wasm: &[u8]) -> Result<(Vec<u8>, usize)> {
    const STREAMS: &str = "intounderlying";
    let sections = sections(wasm)?;
    for section in sections.iter().filter(|s| s.id == IMPORT_SECTION) {
        let body = &wasm[section.body.clone()];
        let (count, mut at) = read_leb(body, 0)?;
        for _ in 0..count {
            let (_, next) = read_name(body, at)?;
            let (field, next) = read_name(body, next)?;
            if field.to_ascii_lowercase().contains(STREAMS) {
                return Ok((wasm.to_vec(), 0));
            }
            at = skip_import_desc(body, next)?;
        }
    }
    let mut out = wasm[..MAGIC.len()].to_vec();
    let mut dropped = 0;
    for section in &sections {
        if section.id != EXPORT_SECTION {
            out.extend_from_slice(&wasm[section.start..section.body.end]);
            continue;
        }
        let exports = read_exports(&wasm[section.body.clone()])?;
        let kept: Vec<&Export> = exports
            .iter()
            .filter(|e| !e.name.to_ascii_lowercase().contains(STREAMS))
            .collect();
        dropped = exports.len() - kept.len();
        let body = write_exports(kept.iter().map(|e| (e.name, e.kind, e.index)));
        push_section(&mut out, section.id, &body);
    }
    Ok((out, dropped))
}

/// Rewrites one import section body.
fn rename_imports(
    body: &[u8],
    glue_module: &str,
    js: &mut String,
    names: &mut NameSource,
    renamed: &mut usize,
) -> Result<Vec<u8>> {
    let (count, mut at) = read_leb(body, 0)?;
    let mut out = Vec::with_capacity(body.len());
    write_leb(&mut out, count);
    for _ in 0..count {
        let (module, next) = read_name(body, at)?;
        let (field, next) = read_name(body, next)?;
        let desc_end = skip_import_desc(body, next)?;
        let new_field = match module == glue_module && is_sole_key(js, field) {
            true => {
                let short = names.next_unused(js);
                *js = js.replacen(&format!("{field}:"), &format!("{short}:"), 1);
                *renamed += 1;
                short
            }
            false => field.to_owned(),
        };
        write_name(&mut out, module);
        write_name(&mut out, &new_field);
        out.extend_from_slice(&body[next..desc_end]);
        at = desc_end;
    }
    if at != body.len() {
        bail!("the import section has {} unread bytes", body.len() - at);
    }
    Ok(out)
}

/// Whether `name` occurs in `js` exactly once, as an object key (`name:`).
fn is_sole_key(js: &str, name: &str) -> bool {
    js.matches(name).count() == 1 && js.contains(&format!("{name}:"))
}

/// The end of an import's description (its kind and type) starting at `at`.
fn skip_import_desc(body: &[u8], at: usize) -> Result<usize> {
    let kind = *body.get(at).context("an import ends early")?;
    let at = at + 1;
    Ok(match kind {
        // Function: a type index.
        0x00 => read_leb(body, at)?.1,
        // Table: a reference type, then limits.
        0x01 => skip_limits(body, at + 1)?,
        // Memory: limits.
        0x02 => skip_limits(body, at)?,
        // Global: a value type (one byte for the numeric and reference types) and mutability.
        0x03 => at + 2,
        // Tag: an attribute byte and a type index.
        0x04 => read_leb(body, at + 1)?.1,
        other => bail!("unknown import kind {other:#x}"),
    })
}

/// The end of limits (a flags byte, a minimum and, when flagged, a maximum) starting at `at`.
fn skip_limits(body: &[u8], at: usize) -> Result<usize> {
    let flags = *body.get(at).context("limits end early")?;
    let at = read_leb(body, at + 1)?.1;
    Ok(if flags & 1 == 1 {
        read_leb(body, at)?.1
    } else {
        at
    })
}

/// Short identifiers: `a` … `z`, `aa` …, skipping any that already appear in the glue as a word.
#[derive(Default)]
struct NameSource {
    next: usize,
}

impl NameSource {
    fn next_unused(&mut self, js: &str) -> String {
        loop {
            let name = identifier(self.next);
            self.next += 1;
            if !contains_word(js, &name) {
                return name;
            }
        }
    }
}

/// The `n`th identifier of `a`, `b`, …, `z`, `aa`, `ab`, ….
fn identifier(mut n: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
        n -= 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// Whether `word` occurs in `js` with no identifier character on either side.
fn contains_word(js: &str, word: &str) -> bool {
    let ident =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    js.match_indices(word).any(|(i, _)| {
        !ident(js[..i].chars().next_back()) && !ident(js[i + word.len()..].chars().next())
    })
}

/// Reads an unsigned LEB128 number at `at`; the number and the offset after it.
fn read_leb(bytes: &[u8], mut at: usize) -> Result<(u64, usize)> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(at).context("a number runs past the end")?;
        at += 1;
        if shift > 63 {
            bail!("a number is too long");
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
        shift += 7;
    }
}

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads a length-prefixed UTF-8 name at `at`; the name and the offset after it.
fn read_name(bytes: &[u8], at: usize) -> Result<(&str, usize)> {
    let (len, at) = read_leb(bytes, at)?;
    let end = at
        .checked_add(len as usize)
        .filter(|e| *e <= bytes.len())
        .context("a name runs past the end")?;
    let name = std::str::from_utf8(&bytes[at..end]).context("a name is not UTF-8")?;
    Ok((name, end))
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing `fields` (functions of type 0) from `module`, then one memory import,
    /// then a custom section.
    fn module(imports: &[(&str, &str)]) -> Vec<u8> {
        module_with(imports, &[])
    }

    /// [`module`] with an export section of functions (indices 0, 1, …) before the custom section.
    fn module_with(imports: &[(&str, &str)], exports: &[&str]) -> Vec<u8> {
        let mut body = Vec::new();
        write_leb(&mut body, imports.len() as u64 + 1);
        for (module, field) in imports {
            write_name(&mut body, module);
            write_name(&mut body, field);
            body.extend_from_slice(&[0x00, 0x00]);
        }
        write_name(&mut body, "env");
        write_name(&mut body, "memory");
        body.extend_from_slice(&[0x02, 0x01, 0x01, 0x02]);
        let mut wasm = MAGIC.to_vec();
        push_section(&mut wasm, IMPORT_SECTION, &body);
        if !exports.is_empty() {
            let body = write_exports(
                exports
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (*name, 0, i as u64)),
            );
            push_section(&mut wasm, EXPORT_SECTION, &body);
        }
        push_section(&mut wasm, 0, &[0x04, b'n', b'o', b't', b'e', 0xff]);
        wasm
    }

    fn import_names(wasm: &[u8]) -> Vec<(String, String)> {
        let (size, at) = read_leb(wasm, 9).unwrap();
        assert_eq!(wasm[8], IMPORT_SECTION);
        let body = &wasm[at..at + size as usize];
        let (count, mut at) = read_leb(body, 0).unwrap();
        let mut names = Vec::new();
        for _ in 0..count {
            let (m, next) = read_name(body, at).unwrap();
            let (f, next) = read_name(body, next).unwrap();
            names.push((m.to_owned(), f.to_owned()));
            at = skip_import_desc(body, next).unwrap();
        }
        names
    }

    const GLUE: &str = "./w_bg.js";

    #[test]
    fn renames_each_glue_import_in_both_files_and_keeps_the_rest() {
        let wasm = module(&[
            (GLUE, "__wbg_setAttribute_0123456789abcdef"),
            (GLUE, "__wbg_new_fedcba9876543210"),
            ("other", "__wbg_x_0000000000000000"),
        ]);
        // `a` is taken in the glue already, so the first new name is `b`.
        let js = "const a = 1; const import0 = {\n  __wbg_setAttribute_0123456789abcdef: function(x) {},\n  __wbg_new_fedcba9876543210: function() { return a; },\n};\n";
        let out = shorten(&wasm, js, GLUE).unwrap();
        assert_eq!(out.renamed, 2);
        assert_eq!(
            import_names(&out.wasm),
            [
                (GLUE.to_owned(), "b".to_owned()),
                (GLUE.to_owned(), "c".to_owned()),
                ("other".to_owned(), "__wbg_x_0000000000000000".to_owned()),
                ("env".to_owned(), "memory".to_owned()),
            ]
        );
        assert!(out.js.contains("  b: function(x) {},\n  c: function()"));
        assert!(!out.js.contains("__wbg_"));
        // What follows the import section is copied byte for byte.
        assert!(
            out.wasm
                .ends_with(&[0, 6, 0x04, b'n', b'o', b't', b'e', 0xff])
        );
    }

    #[test]
    fn a_name_used_more_than_once_or_not_as_a_key_stays() {
        let wasm = module(&[
            (GLUE, "__wbg_twice_0123456789abcdef"),
            (GLUE, "__wbg_absent_0123456789abcdef"),
        ]);
        let js = "{ __wbg_twice_0123456789abcdef: f }; g(__wbg_twice_0123456789abcdef);";
        let out = shorten(&wasm, js, GLUE).unwrap();
        assert_eq!(out.renamed, 0);
        assert_eq!(out.js, js);
        assert_eq!(out.wasm, wasm);
    }

    fn export_names(wasm: &[u8]) -> Vec<String> {
        let sections = sections(wasm).unwrap();
        let Some(section) = sections.iter().find(|s| s.id == EXPORT_SECTION) else {
            return Vec::new();
        };
        let exports = read_exports(&wasm[section.body.clone()]).unwrap();
        exports.iter().map(|e| e.name.to_owned()).collect()
    }

    #[test]
    fn bindgen_exports_read_only_as_properties_are_renamed_too() {
        let wasm = module_with(
            &[],
            &["__wbindgen_malloc", "mount", "__wbindgen_start", "memory"],
        );
        // `mount` is the widget's API; `__wbindgen_start` is also mentioned as a bare word.
        let js = "export function mount(e){w.mount(e)}f(w.__wbindgen_malloc,w.__wbindgen_malloc);                  w.__wbindgen_start();log('__wbindgen_start');w.memory.buffer";
        let out = shorten(&wasm, js, GLUE).unwrap();
        assert_eq!(out.renamed, 1);
        assert_eq!(
            export_names(&out.wasm),
            ["a", "mount", "__wbindgen_start", "memory"]
        );
        assert!(out.js.contains("f(w.a,w.a)"), "{}", out.js);
        assert!(
            out.js
                .contains("w.__wbindgen_start();log('__wbindgen_start')")
        );
    }

    #[test]
    fn stream_exports_go_only_when_no_import_hands_such_a_stream_to_js() {
        let exports = [
            "mount",
            "__wbg_intounderlyingsource_free",
            "intounderlyingsource_pull",
            "intounderlyingbytesource_pull",
            "intounderlyingsink_write",
        ];
        let wasm = module_with(&[(GLUE, "__wbg_now_0123456789abcdef")], &exports);
        let (out, dropped) = drop_stream_exports(&wasm).unwrap();
        assert_eq!(dropped, 4);
        assert_eq!(export_names(&out), ["mount"]);
        assert_eq!(import_names(&out), import_names(&wasm));
        // A module that wraps such an object for JS keeps them all.
        let wasm = module_with(
            &[(GLUE, "__wbg_intounderlyingsource_new_0123456789abcdef")],
            &exports,
        );
        let (out, dropped) = drop_stream_exports(&wasm).unwrap();
        assert_eq!(dropped, 0);
        assert_eq!(out, wasm);
    }

    #[test]
    fn identifiers_count_like_spreadsheet_columns() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 701, 702].map(identifier).into();
        assert_eq!(names, ["a", "b", "z", "aa", "ab", "zz", "aaa"]);
        assert!(contains_word("x = a;", "a"));
        assert!(!contains_word("xa = ab; $a; a_", "a"));
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let wasm = module(&[(GLUE, "__wbg_f_0123456789abcdef")]);
        for cut in 8..wasm.len() - 1 {
            let _ = shorten(&wasm[..cut], "", GLUE);
        }
        assert!(shorten(b"\0asm\x02\0\0\0", "", GLUE).is_err());
    }
}
