//! The GS1 modulo-10 check digit shared by GTIN, SSCC, GLN and friends.

/// Computes the GS1 check digit for `digits` (all ASCII digits, the check
/// digit itself excluded). Returns `None` when any byte is not a digit, so
/// callers never have to trust their input.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    // Weights alternate 3,1,3,... starting from the rightmost data digit.
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when the last digit of `code` is the GS1 check digit of the rest.
pub fn has_valid_gs1_check_digit(code: &str) -> bool {
    let Some((body, last)) = code.len().checked_sub(1).map(|n| code.split_at(n)) else {
        return false;
    };
    match (gs1_check_digit(body), last.bytes().next()) {
        (Some(expected), Some(b)) if b.is_ascii_digit() => expected == b - b'0',
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // GTIN-13 from GS1's own examples, an SSCC and a GLN.
        assert!(has_valid_gs1_check_digit("9506000134352"));
        assert!(has_valid_gs1_check_digit("09506000134352"));
        assert!(has_valid_gs1_check_digit("106141411234567897"));
        assert!(has_valid_gs1_check_digit("9521321000018"));
        assert!(!has_valid_gs1_check_digit("9506000134353"));
        assert!(!has_valid_gs1_check_digit(""));
        assert!(!has_valid_gs1_check_digit("95060001343a2"));
        assert_eq!(gs1_check_digit("950600013435"), Some(2));
        assert_eq!(gs1_check_digit("9x"), None);
    }
}
