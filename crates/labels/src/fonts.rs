//! The fonts labels print with: DejaVu Sans and DejaVu Sans Bold (free
//! licence, `fonts/LICENSE-DejaVu.txt`), built in so that PNG and PDF
//! output look the same on every machine and PDFs embed them.

use std::sync::OnceLock;

/// DejaVu Sans.
pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold.
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// The parsed fonts, regular then bold.
pub(crate) fn fonts() -> &'static [fontdue::Font; 2] {
    static FONTS: OnceLock<[fontdue::Font; 2]> = OnceLock::new();
    FONTS.get_or_init(|| {
        // The exception to "no expect": the fonts are compiled into the
        // binary and every test that renders text parses them, so this
        // cannot fail at run time for any input.
        #[allow(clippy::expect_used)]
        let load = |bytes: &[u8]| {
            fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()).expect("the built-in font parses")
        };
        [load(REGULAR), load(BOLD)]
    })
}

/// The font for a face.
pub(crate) fn font(bold: bool) -> &'static fontdue::Font {
    let [regular, bold_face] = fonts();
    if bold { bold_face } else { regular }
}

/// Width of `text` at `size` (any unit: the result is in the same unit).
pub(crate) fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let f = font(bold);
    text.chars().map(|c| f.metrics(c, size).advance_width).sum()
}
