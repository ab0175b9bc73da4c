//! Code 128 (ISO/IEC 15417) and GS1-128: sets A, B and C chosen per run of
//! characters, FNC1 first for GS1, the modulo-103 check character.

use tracelot_gs1::Message;

use crate::{BarcodeError, Symbol, Symbology};

/// Bar and space widths of symbol values 0..=105, then the stop pattern.
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213", "221312",
    "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132", "221231", "213212",
    "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", "232121",
    "111323", "131123", "131321", "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331",
    "132131", "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131", "311123",
    "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", "111422", "121124",
    "121421", "141122", "141221", "112214", "112412", "122114", "122411", "142112", "142211", "241211", "221114",
    "413111", "241112", "134111", "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];

const FNC1: u8 = 102;
const START_A: u8 = 103;
const START_B: u8 = 104;
const START_C: u8 = 105;
const STOP: usize = 106;
const TO_C: u8 = 99;
const TO_B: u8 = 100;
const TO_A: u8 = 101;

/// GS1's limit for the data of one GS1-128 symbol, and the same practical
/// limit for plain Code 128 on a label.
const MAX_CHARACTERS: usize = 48;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    A,
    B,
    C,
}

/// One thing to encode: a data byte or FNC1.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Byte(u8),
    Fnc1,
}

fn digits_at(items: &[Item]) -> usize {
    items.iter().take_while(|x| matches!(x, Item::Byte(b) if b.is_ascii_digit())).count()
}

/// The value of `b` in set A or B; None when the set lacks it.
fn text_value(b: u8, set: Set) -> Option<u8> {
    match (set, b) {
        (Set::A, 0..=31) => b.checked_add(64),
        (Set::A, 32..=95) | (Set::B, 32..=127) => b.checked_sub(32),
        _ => None,
    }
}

/// The set C value of two ASCII digits: the number they write.
fn digit_pair(h: u8, l: u8) -> Option<u8> {
    h.checked_sub(b'0')?.checked_mul(10)?.checked_add(l.checked_sub(b'0')?)
}

/// The modulo-103 check character: values weighted by position, the start
/// character weighted 1.
fn check_character(values: &[u8]) -> Option<u8> {
    let sum = values
        .iter()
        .enumerate()
        .try_fold(0usize, |sum, (k, v)| sum.checked_add(usize::from(*v).checked_mul(k.max(1))?))?;
    u8::try_from(sum % 103).ok()
}

/// Symbol values for `items`, choosing sets so that runs of four or more
/// digits (or a run of two or more at the start or end) use set C. None
/// when a byte is in no set (beyond ASCII).
fn values(items: &[Item]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(items.len().saturating_add(4));
    let wants_c = |rest: &[Item]| {
        let n = digits_at(rest);
        n >= 4 || (n >= 2 && n == rest.len())
    };
    let text_set = |b: u8| if b < 32 { Set::A } else { Set::B };
    let first = items.iter().position(|x| *x != Item::Fnc1).unwrap_or(0);
    let mut set = match items.get(first..) {
        Some(rest) if wants_c(rest) => Set::C,
        Some([Item::Byte(b), ..]) => text_set(*b),
        _ => Set::B,
    };
    out.push(match set {
        Set::A => START_A,
        Set::B => START_B,
        Set::C => START_C,
    });
    let mut rest = items;
    while let Some((item, tail)) = rest.split_first() {
        let Item::Byte(b) = *item else {
            out.push(FNC1);
            rest = tail;
            continue;
        };
        if set != Set::C && wants_c(rest) && digits_at(rest).is_multiple_of(2) {
            out.push(TO_C);
            set = Set::C;
        }
        if set == Set::C {
            if let [Item::Byte(h), Item::Byte(l), after @ ..] = rest
                && digits_at(rest) >= 2
            {
                out.push(digit_pair(*h, *l)?);
                rest = after;
                continue;
            }
            set = text_set(b);
            out.push(if set == Set::A { TO_A } else { TO_B });
        }
        let want = text_set(b);
        if b >= 96 && set == Set::A || b < 32 && set == Set::B {
            out.push(if want == Set::A { TO_A } else { TO_B });
            set = want;
        }
        out.push(text_value(b, set)?);
        rest = tail;
    }
    out.push(check_character(&out)?);
    Some(out)
}

/// Bars and spaces of `values` and the stop pattern; None for a value
/// beyond the table.
fn modules(values: &[u8]) -> Option<Vec<bool>> {
    let mut m = Vec::with_capacity(values.len().saturating_mul(11).saturating_add(13));
    for v in values.iter().map(|v| usize::from(*v)).chain([STOP]) {
        for (k, w) in PATTERNS.get(v)?.chars().enumerate() {
            m.extend(std::iter::repeat_n(k % 2 == 0, w.to_digit(10)? as usize));
        }
    }
    Some(m)
}

/// The symbol of `items`. Code 128 text is checked to be ASCII and GS1 data
/// is in GS1's character set, so every byte has a value; the error keeps a
/// byte that had none a refusal rather than a panic.
fn linear(symbology: Symbology, name: &'static str, items: &[Item], hri: String) -> Result<Symbol, BarcodeError> {
    let modules = values(items).and_then(|v| modules(&v)).ok_or_else(|| BarcodeError::Invalid {
        symbology: name,
        rule: "only ASCII characters can be encoded".into(),
    })?;
    Ok(Symbol::Linear { symbology, modules, hri })
}

fn check_length(symbology: &'static str, n: usize) -> Result<(), BarcodeError> {
    match n > MAX_CHARACTERS {
        true => Err(BarcodeError::TooLong { symbology, max: MAX_CHARACTERS, unit: "data characters", needed: n }),
        false => Ok(()),
    }
}

/// A GS1-128 symbol of `message`: FNC1 first, FNC1 after every element
/// that is not predefined-length, predefined-length elements first.
pub fn gs1_128(message: &Message) -> Result<Symbol, BarcodeError> {
    let text = message.element_string();
    check_length("GS1-128", text.len())?;
    let mut items = vec![Item::Fnc1];
    items.extend(text.bytes().map(|b| if b == tracelot_gs1::GS { Item::Fnc1 } else { Item::Byte(b) }));
    linear(Symbology::Gs1_128, "GS1-128", &items, message.hri())
}

/// A plain Code 128 symbol of ASCII text.
pub fn code128(text: &str) -> Result<Symbol, BarcodeError> {
    if let Some((position, character)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii() || *c == '\u{7f}') {
        return Err(BarcodeError::Character { symbology: "Code 128", character, position });
    }
    if text.is_empty() {
        return Err(BarcodeError::Invalid { symbology: "Code 128", rule: "there is no data".into() });
    }
    check_length("Code 128", text.len())?;
    let items: Vec<Item> = text.bytes().map(Item::Byte).collect();
    linear(Symbology::Code128, "Code 128", &items, text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_have_eleven_modules_and_the_stop_thirteen() {
        for (v, p) in PATTERNS.iter().enumerate() {
            let width: u32 = p.bytes().map(|b| u32::from(b - b'0')).sum();
            assert_eq!(width, if v == STOP { 13 } else { 11 }, "value {v}");
        }
    }

    #[test]
    fn digits_use_set_c_and_the_check_character_is_modulo_103() {
        let items: Vec<Item> = "1234".bytes().map(Item::Byte).collect();
        // Start C, 12, 34, check (105 + 12 + 2*34) % 103 = 82.
        assert_eq!(values(&items), Some(vec![START_C, 12, 34, 82]));
        let items: Vec<Item> = "AB12".bytes().map(Item::Byte).collect();
        assert_eq!(values(&items).unwrap()[..5], [START_B, 33, 34, TO_C, 12]);
    }

    #[test]
    fn too_long_and_non_ascii_are_refused() {
        let long = "X".repeat(49);
        assert!(matches!(code128(&long), Err(BarcodeError::TooLong { max: 48, needed: 49, .. })));
        assert!(matches!(code128("Stück"), Err(BarcodeError::Character { character: 'ü', position: 2, .. })));
    }
}
