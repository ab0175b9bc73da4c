//! The GS1 Barcode Syntax Tests ("linters") that the syntax dictionary names.
//!
//! Each linter checks one component of an AI's value beyond its length and
//! character set: check digits, dates, times, code lists, coupon layouts.
//! Errors carry GS1's own names (`GS1_LINTER_ILLEGAL_DAY`...) so that a
//! message can be matched against GS1's documentation.

use crate::check_digit::has_valid_gs1_check_digit;

macro_rules! lint_errors {
    ($($variant:ident => $code:literal, $text:literal;)*) => {
        /// Why a component failed a linter. `code()` is GS1's name for it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LintError {
            $(#[doc = $text] $variant,)*
        }

        impl LintError {
            /// GS1's name for this failure, e.g. `GS1_LINTER_ILLEGAL_DAY`.
            pub fn code(self) -> &'static str {
                match self { $(LintError::$variant => concat!("GS1_LINTER_", $code),)* }
            }

            /// A sentence a person can act on.
            pub fn message(self) -> &'static str {
                match self { $(LintError::$variant => $text,)* }
            }
        }
    };
}

lint_errors! {
    NonDigitCharacter => "NON_DIGIT_CHARACTER", "a non-digit character where only digits are allowed";
    InvalidCset82Character => "INVALID_CSET82_CHARACTER", "a character outside GS1's 82-character set";
    InvalidCset39Character => "INVALID_CSET39_CHARACTER", "a character outside GS1's 39-character set";
    InvalidCset64Character => "INVALID_CSET64_CHARACTER", "a character outside GS1's 64-character (base64url) set";
    InvalidCset64Padding => "INVALID_CSET64_PADDING", "wrong number of '=' padding characters";
    TooShortForCheckDigit => "TOO_SHORT_FOR_CHECK_DIGIT", "too short to carry a check digit";
    IncorrectCheckDigit => "INCORRECT_CHECK_DIGIT", "the check digit is wrong";
    TooShortForCheckPair => "TOO_SHORT_FOR_CHECK_PAIR", "too short to carry a check character pair";
    TooLongForCheckPairImplementation => "TOO_LONG_FOR_CHECK_PAIR_IMPLEMENTATION", "too long for a check character pair";
    IncorrectCheckPair => "INCORRECT_CHECK_PAIR", "the check character pair is wrong";
    InvalidGcpPrefix => "INVALID_GCP_PREFIX", "no GS1 Company Prefix starts here";
    GcpDatasourceOffline => "GCP_DATASOURCE_OFFLINE", "the GS1 Company Prefix source could not be asked";
    DateTooShort => "DATE_TOO_SHORT", "the date is too short";
    DateTooLong => "DATE_TOO_LONG", "the date is too long";
    IllegalMonth => "ILLEGAL_MONTH", "the month is not 01 to 12";
    IllegalDay => "ILLEGAL_DAY", "the day does not exist in that month";
    HourTooShort => "HOUR_TOO_SHORT", "the hour is too short";
    HourTooLong => "HOUR_TOO_LONG", "the hour is too long";
    HourWithMinuteTooShort => "HOUR_WITH_MINUTE_TOO_SHORT", "the time (HHMI) is too short";
    HourWithMinuteTooLong => "HOUR_WITH_MINUTE_TOO_LONG", "the time (HHMI) is too long";
    MinuteTooShort => "MINUTE_TOO_SHORT", "the minute is too short";
    MinuteTooLong => "MINUTE_TOO_LONG", "the minute is too long";
    SecondTooShort => "SECOND_TOO_SHORT", "the second is too short";
    SecondTooLong => "SECOND_TOO_LONG", "the second is too long";
    IllegalHour => "ILLEGAL_HOUR", "the hour is not 00 to 23";
    IllegalMinute => "ILLEGAL_MINUTE", "the minute is not 00 to 59";
    IllegalSecond => "ILLEGAL_SECOND", "the second is not 00 to 59";
    NotIso3166 => "NOT_ISO3166", "not an ISO 3166 numeric country code";
    NotIso3166Or999 => "NOT_ISO3166_OR_999", "not an ISO 3166 numeric country code or 999";
    NotIso3166Alpha2 => "NOT_ISO3166_ALPHA2", "not an ISO 3166 alpha-2 country code";
    NotIso4217 => "NOT_ISO4217", "not an ISO 4217 numeric currency code";
    InvalidBiologicalSexCode => "INVALID_BIOLOGICAL_SEX_CODE", "not an ISO/IEC 5218 code (0, 1, 2 or 9)";
    InvalidLatitude => "INVALID_LATITUDE", "the latitude is above 1800000000";
    InvalidLongitude => "INVALID_LONGITUDE", "the longitude is above 3600000000";
    LatitudeInvalidLength => "LATITUDE_INVALID_LENGTH", "a latitude has 10 digits";
    LongitudeInvalidLength => "LONGITUDE_INVALID_LENGTH", "a longitude has 10 digits";
    InvalidMediaType => "INVALID_MEDIA_TYPE", "not an AIDC media type (01-10, 80-99)";
    IllegalZeroValue => "ILLEGAL_ZERO_VALUE", "zero is not allowed here";
    IllegalZeroPrefix => "ILLEGAL_ZERO_PREFIX", "a leading zero is not allowed here";
    NotZero => "NOT_ZERO", "only zeros are allowed here";
    NotHyphen => "NOT_HYPHEN", "only hyphens are allowed here";
    NotZeroOrOne => "NOT_ZERO_OR_ONE", "must be 0 or 1";
    InvalidWindingDirection => "INVALID_WINDING_DIRECTION", "the winding direction is not 0, 1 or 9";
    InvalidPercentSequence => "INVALID_PERCENT_SEQUENCE", "'%' must be followed by two hex digits";
    InvalidLengthForPieceOfTotal => "INVALID_LENGTH_FOR_PIECE_OF_TOTAL", "piece-of-total needs an even number of digits";
    ZeroPieceNumber => "ZERO_PIECE_NUMBER", "the piece number is zero";
    ZeroTotalPieces => "ZERO_TOTAL_PIECES", "the total number of pieces is zero";
    PieceNumberExceedsTotal => "PIECE_NUMBER_EXCEEDS_TOTAL", "the piece number exceeds the total";
    PositionInSequenceMalformed => "POSITION_IN_SEQUENCE_MALFORMED", "must read <position>/<end>";
    PositionExceedsEnd => "POSITION_EXCEEDS_END", "the position exceeds the end";
    RequiresNonDigitCharacter => "REQUIRES_NON_DIGIT_CHARACTER", "at least one non-digit character is required";
    IbanTooShort => "IBAN_TOO_SHORT", "too short for an IBAN";
    IbanTooLong => "IBAN_TOO_LONG", "too long for an IBAN";
    InvalidIbanCharacter => "INVALID_IBAN_CHARACTER", "an IBAN has only A-Z and 0-9";
    IllegalIbanCountryCode => "ILLEGAL_IBAN_COUNTRY_CODE", "the IBAN's country code is not ISO 3166";
    IncorrectIbanChecksum => "INCORRECT_IBAN_CHECKSUM", "the IBAN's check digits are wrong";
    ImporterIdxMustBeOneCharacter => "IMPORTER_IDX_MUST_BE_ONE_CHARACTER", "the importer index is one character";
    InvalidImportIdxCharacter => "INVALID_IMPORT_IDX_CHARACTER", "the importer index is not 0-9, A-Z, a-z, '-' or '_'";
    InvalidPackageType => "INVALID_PACKAGE_TYPE", "not a GS1 package type code";
    CouponMissingGcpVli => "COUPON_MISSING_GCP_VLI", "the coupon's GCP length indicator is missing";
    CouponInvalidGcpLength => "COUPON_INVALID_GCP_LENGTH", "the coupon's GCP length indicator is not 0-6";
    CouponTruncatedGcp => "COUPON_TRUNCATED_GCP", "the coupon's GCP is shorter than its length indicator";
    CouponTruncatedOfferCode => "COUPON_TRUNCATED_OFFER_CODE", "the coupon's offer code is shorter than 6 digits";
    CouponMissingSaveValueVli => "COUPON_MISSING_SAVE_VALUE_VLI", "the coupon's save value length indicator is missing";
    CouponInvalidSaveValueLength => "COUPON_INVALID_SAVE_VALUE_LENGTH", "the coupon's save value length indicator is not 1-5";
    CouponTruncatedSaveValue => "COUPON_TRUNCATED_SAVE_VALUE", "the coupon's save value is truncated";
    CouponMissing1stPurchaseRequirementVli => "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_VLI", "the coupon's 1st purchase requirement length indicator is missing";
    CouponInvalid1stPurchaseRequirementLength => "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_LENGTH", "the coupon's 1st purchase requirement length indicator is not 1-5";
    CouponTruncated1stPurchaseRequirement => "COUPON_TRUNCATED_1ST_PURCHASE_REQUIREMENT", "the coupon's 1st purchase requirement is truncated";
    CouponMissing1stPurchaseRequirementCode => "COUPON_MISSING_1ST_PURCHASE_REQUIREMENT_CODE", "the coupon's 1st purchase requirement code is missing";
    CouponInvalid1stPurchaseRequirementCode => "COUPON_INVALID_1ST_PURCHASE_REQUIREMENT_CODE", "the coupon's 1st purchase requirement code is not 0-4 or 9";
    CouponTruncated1stPurchaseFamilyCode => "COUPON_TRUNCATED_1ST_PURCHASE_FAMILY_CODE", "the coupon's 1st purchase family code is truncated";
    CouponMissingAdditionalPurchaseRulesCode => "COUPON_MISSING_ADDITIONAL_PURCHASE_RULES_CODE", "the coupon's additional purchase rules code is missing";
    CouponInvalidAdditionalPurchaseRulesCode => "COUPON_INVALID_ADDITIONAL_PURCHASE_RULES_CODE", "the coupon's additional purchase rules code is not 0-3";
    CouponMissing2ndPurchaseRequirementVli => "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_VLI", "the coupon's 2nd purchase requirement length indicator is missing";
    CouponInvalid2ndPurchaseRequirementLength => "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_LENGTH", "the coupon's 2nd purchase requirement length indicator is not 1-5";
    CouponTruncated2ndPurchaseRequirement => "COUPON_TRUNCATED_2ND_PURCHASE_REQUIREMENT", "the coupon's 2nd purchase requirement is truncated";
    CouponMissing2ndPurchaseRequirementCode => "COUPON_MISSING_2ND_PURCHASE_REQUIREMENT_CODE", "the coupon's 2nd purchase requirement code is missing";
    CouponInvalid2ndPurchaseRequirementCode => "COUPON_INVALID_2ND_PURCHASE_REQUIREMENT_CODE", "the coupon's 2nd purchase requirement code is not 0-4 or 9";
    CouponTruncated2ndPurchaseFamilyCode => "COUPON_TRUNCATED_2ND_PURCHASE_FAMILY_CODE", "the coupon's 2nd purchase family code is truncated";
    CouponMissing2ndPurchaseGcpVli => "COUPON_MISSING_2ND_PURCHASE_GCP_VLI", "the coupon's 2nd purchase GCP length indicator is missing";
    CouponInvalid2ndPurchaseGcpLength => "COUPON_INVALID_2ND_PURCHASE_GCP_LENGTH", "the coupon's 2nd purchase GCP length indicator is not 0-6 or 9";
    CouponTruncated2ndPurchaseGcp => "COUPON_TRUNCATED_2ND_PURCHASE_GCP", "the coupon's 2nd purchase GCP is truncated";
    CouponMissing3rdPurchaseRequirementVli => "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_VLI", "the coupon's 3rd purchase requirement length indicator is missing";
    CouponInvalid3rdPurchaseRequirementLength => "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_LENGTH", "the coupon's 3rd purchase requirement length indicator is not 1-5";
    CouponTruncated3rdPurchaseRequirement => "COUPON_TRUNCATED_3RD_PURCHASE_REQUIREMENT", "the coupon's 3rd purchase requirement is truncated";
    CouponMissing3rdPurchaseRequirementCode => "COUPON_MISSING_3RD_PURCHASE_REQUIREMENT_CODE", "the coupon's 3rd purchase requirement code is missing";
    CouponInvalid3rdPurchaseRequirementCode => "COUPON_INVALID_3RD_PURCHASE_REQUIREMENT_CODE", "the coupon's 3rd purchase requirement code is not 0-4 or 9";
    CouponTruncated3rdPurchaseFamilyCode => "COUPON_TRUNCATED_3RD_PURCHASE_FAMILY_CODE", "the coupon's 3rd purchase family code is truncated";
    CouponMissing3rdPurchaseGcpVli => "COUPON_MISSING_3RD_PURCHASE_GCP_VLI", "the coupon's 3rd purchase GCP length indicator is missing";
    CouponInvalid3rdPurchaseGcpLength => "COUPON_INVALID_3RD_PURCHASE_GCP_LENGTH", "the coupon's 3rd purchase GCP length indicator is not 0-6 or 9";
    CouponTruncated3rdPurchaseGcp => "COUPON_TRUNCATED_3RD_PURCHASE_GCP", "the coupon's 3rd purchase GCP is truncated";
    CouponTooShortForExpirationDate => "COUPON_TOO_SHORT_FOR_EXPIRATION_DATE", "the coupon's expiration date is truncated";
    CouponInvalidExpirationDate => "COUPON_INVALID_EXIPIRATION_DATE", "the coupon's expiration date is not a valid YYMMDD";
    CouponTooShortForStartDate => "COUPON_TOO_SHORT_FOR_START_DATE", "the coupon's start date is truncated";
    CouponInvalidStartDate => "COUPON_INVALID_START_DATE", "the coupon's start date is not a valid YYMMDD";
    CouponExpirationBeforeStart => "COUPON_EXPIRATION_BEFORE_START", "the coupon expires before it starts";
    CouponMissingSerialNumberVli => "COUPON_MISSING_SERIAL_NUMBER_VLI", "the coupon's serial number length indicator is missing";
    CouponTruncatedSerialNumber => "COUPON_TRUNCATED_SERIAL_NUMBER", "the coupon's serial number is truncated";
    CouponMissingRetailerGcpOrGlnVli => "COUPON_MISSING_RETAILER_GCP_OR_GLN_VLI", "the coupon's retailer GCP/GLN length indicator is missing";
    CouponInvalidRetailerGcpOrGlnLength => "COUPON_INVALID_RETAILER_GCP_OR_GLN_LENGTH", "the coupon's retailer GCP/GLN length indicator is not 1-7";
    CouponTruncatedRetailerGcpOrGln => "COUPON_TRUNCATED_RETAILER_GCP_OR_GLN", "the coupon's retailer GCP/GLN is truncated";
    CouponMissingSaveValueCode => "COUPON_MISSING_SAVE_VALUE_CODE", "the coupon's save value code is missing";
    CouponInvalidSaveValueCode => "COUPON_INVALID_SAVE_VALUE_CODE", "the coupon's save value code is not 0, 1, 2, 5 or 6";
    CouponMissingSaveValueAppliesToItem => "COUPON_MISSING_SAVE_VALUE_APPLIES_TO_ITEM", "the coupon's save-value-applies-to-item is missing";
    CouponInvalidSaveValueAppliesToItem => "COUPON_INVALID_SAVE_VALUE_APPLIES_TO_ITEM", "the coupon's save-value-applies-to-item is not 0-2";
    CouponMissingStoreCouponFlag => "COUPON_MISSING_STORE_COUPON_FLAG", "the coupon's store coupon flag is missing";
    CouponMissingDontMultiplyFlag => "COUPON_MISSING_DONT_MULTIPLY_FLAG", "the coupon's don't-multiply flag is missing";
    CouponInvalidDontMultiplyFlag => "COUPON_INVALID_DONT_MULTIPLY_FLAG", "the coupon's don't-multiply flag is not 0 or 1";
    CouponExcessData => "COUPON_EXCESS_DATA", "the coupon has data after its last recognised field";
    CouponMissingFormatCode => "COUPON_MISSING_FORMAT_CODE", "the coupon's format code is missing";
    CouponInvalidFormatCode => "COUPON_INVALID_FORMAT_CODE", "the coupon's format code is not 0 or 1";
    CouponMissingFunderVli => "COUPON_MISSING_FUNDER_VLI", "the coupon's funder length indicator is missing";
    CouponInvalidFunderLength => "COUPON_INVALID_FUNDER_LENGTH", "the coupon's funder length indicator is not 0-6";
    CouponTruncatedFunder => "COUPON_TRUNCATED_FUNDER", "the coupon's funder is truncated";
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

/// The outcome of asking who owns a GS1 Company Prefix. tracelot holds no
/// GCP registry, so by default every prefix is accepted; a site that has
/// one (GS1's Verified by GS1, a local copy) plugs it in here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcpVerdict {
    /// The prefix is allocated, or nobody can say otherwise.
    Valid,
    /// No GS1 Company Prefix starts the data.
    Invalid,
    /// The registry could not be reached.
    Offline,
}

/// Looks GS1 Company Prefixes up in whatever registry a site has.
pub trait GcpLookup: Sync {
    /// Judges the GCP at the start of `data`.
    fn check(&self, data: &str) -> GcpVerdict;
}

/// The default: no registry, so no prefix is refused.
pub struct NoGcpRegistry;

impl GcpLookup for NoGcpRegistry {
    fn check(&self, _data: &str) -> GcpVerdict {
        GcpVerdict::Valid
    }
}

macro_rules! linters {
    ($($variant:ident => $name:literal,)*) => {
        /// A linter named in the syntax dictionary.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Linter {
            $(#[doc = concat!("The `", $name, "` linter.")] $variant,)*
        }

        impl Linter {
            /// The dictionary's name for the linter.
            pub fn name(self) -> &'static str {
                match self { $(Linter::$variant => $name,)* }
            }

            /// Every linter, for tests and tooling.
            pub const ALL: &'static [Linter] = &[$(Linter::$variant,)*];
        }
    };
}

linters! {
    Couponcode => "couponcode",
    Couponposoffer => "couponposoffer",
    Csum => "csum",
    Csumalpha => "csumalpha",
    Gcppos1 => "gcppos1",
    Gcppos2 => "gcppos2",
    Hasnondigit => "hasnondigit",
    Hh => "hh",
    Hhmi => "hhmi",
    Hyphen => "hyphen",
    Iban => "iban",
    Importeridx => "importeridx",
    Iso3166 => "iso3166",
    Iso3166999 => "iso3166999",
    Iso3166alpha2 => "iso3166alpha2",
    Iso4217 => "iso4217",
    Iso5218 => "iso5218",
    Latitude => "latitude",
    Longitude => "longitude",
    Mediatype => "mediatype",
    Mi => "mi",
    Nonzero => "nonzero",
    Nozeroprefix => "nozeroprefix",
    Packagetype => "packagetype",
    Pcenc => "pcenc",
    Pieceoftotal => "pieceoftotal",
    Posinseqslash => "posinseqslash",
    Ss => "ss",
    Winding => "winding",
    Yesno => "yesno",
    Yymmd0 => "yymmd0",
    Yymmdd => "yymmdd",
    Yyyymmd0 => "yyyymmd0",
    Yyyymmdd => "yyyymmdd",
    Zero => "zero",
}

impl Linter {
    /// Looks a linter up by the dictionary's name.
    pub fn from_name(name: &str) -> Option<Linter> {
        Linter::ALL.iter().copied().find(|l| l.name() == name)
    }

    /// Runs the linter on one component value.
    pub fn check(self, data: &str, gcp: &dyn GcpLookup) -> Result<(), LintError> {
        match self {
            Linter::Couponcode => coupon_code(data, gcp),
            Linter::Couponposoffer => coupon_positive_offer(data),
            Linter::Csum => check_digit(data),
            Linter::Csumalpha => check_pair(data),
            Linter::Gcppos1 => gcp_at(data, 0, gcp),
            Linter::Gcppos2 => gcp_at(data, 1, gcp),
            Linter::Hasnondigit => match data.bytes().any(|b| !b.is_ascii_digit()) {
                true => Ok(()),
                false => Err(LintError::RequiresNonDigitCharacter),
            },
            Linter::Hh => {
                two_digits(data, 23, [LintError::HourTooShort, LintError::HourTooLong, LintError::IllegalHour])
            }
            Linter::Mi => {
                two_digits(data, 59, [LintError::MinuteTooShort, LintError::MinuteTooLong, LintError::IllegalMinute])
            }
            Linter::Ss => {
                two_digits(data, 59, [LintError::SecondTooShort, LintError::SecondTooLong, LintError::IllegalSecond])
            }
            Linter::Hhmi => hour_minute(data),
            Linter::Hyphen => one_of_only(data, b'-', LintError::NotHyphen),
            Linter::Zero => one_of_only(data, b'0', LintError::NotZero),
            Linter::Iban => iban(data),
            Linter::Importeridx => importer_index(data),
            Linter::Iso3166 => in_list(data, ISO3166_NUMERIC, LintError::NotIso3166),
            Linter::Iso3166999 => match data == "999" {
                true => Ok(()),
                false => in_list(data, ISO3166_NUMERIC, LintError::NotIso3166Or999),
            },
            Linter::Iso3166alpha2 => in_list(data, ISO3166_ALPHA2, LintError::NotIso3166Alpha2),
            Linter::Iso4217 => in_list(data, ISO4217_NUMERIC, LintError::NotIso4217),
            Linter::Packagetype => in_list(data, PACKAGE_TYPES, LintError::InvalidPackageType),
            Linter::Iso5218 => single_of(data, b"0129", LintError::InvalidBiologicalSexCode),
            Linter::Yesno => single_of(data, b"01", LintError::NotZeroOrOne),
            Linter::Winding => single_of(data, b"019", LintError::InvalidWindingDirection),
            Linter::Latitude => {
                bounded_ten_digits(data, 1_800_000_000, LintError::LatitudeInvalidLength, LintError::InvalidLatitude)
            }
            Linter::Longitude => {
                bounded_ten_digits(data, 3_600_000_000, LintError::LongitudeInvalidLength, LintError::InvalidLongitude)
            }
            Linter::Mediatype => {
                match data.len() == 2 && digits(data).is_ok() && matches!(data.parse::<u8>(), Ok(1..=10 | 80..=99)) {
                    true => Ok(()),
                    false => Err(LintError::InvalidMediaType),
                }
            }
            Linter::Nonzero => {
                digits(data)?;
                match data.bytes().all(|b| b == b'0') {
                    true => Err(LintError::IllegalZeroValue),
                    false => Ok(()),
                }
            }
            Linter::Nozeroprefix => {
                digits(data)?;
                match data.starts_with('0') {
                    true => Err(LintError::IllegalZeroPrefix),
                    false => Ok(()),
                }
            }
            Linter::Pcenc => percent_encoding(data),
            Linter::Pieceoftotal => piece_of_total(data),
            Linter::Posinseqslash => position_in_sequence(data),
            Linter::Yymmd0 => date(data, 2, true),
            Linter::Yymmdd => date(data, 2, false),
            Linter::Yyyymmd0 => date(data, 4, true),
            Linter::Yyyymmdd => date(data, 4, false),
        }
    }
}

const ISO3166_NUMERIC: &str = include_str!("../data/iso3166-numeric.txt");
const ISO3166_ALPHA2: &str = include_str!("../data/iso3166-alpha2.txt");
const ISO4217_NUMERIC: &str = include_str!("../data/iso4217-numeric.txt");
const PACKAGE_TYPES: &str = include_str!("../data/package-types.txt");

/// True when `code` is a line of a checked-in code list (comments skipped).
fn in_list(code: &str, list: &str, error: LintError) -> Result<(), LintError> {
    match !code.is_empty() && list.lines().any(|line| !line.starts_with('#') && line == code) {
        true => Ok(()),
        false => Err(error),
    }
}

/// Refuses any non-digit.
pub(crate) fn digits(data: &str) -> Result<(), LintError> {
    match data.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(LintError::NonDigitCharacter),
    }
}

fn number(data: &str) -> u64 {
    data.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0')))
}

/// GS1's 82-character set (GS1 General Specifications, figure 7.11-1).
pub(crate) fn is_cset82(b: u8) -> bool {
    matches!(b, b'!' | b'"' | b'%'..=b'?' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// GS1's 39-character set.
pub(crate) fn is_cset39(b: u8) -> bool {
    matches!(b, b'#' | b'-' | b'/' | b'0'..=b'9' | b'A'..=b'Z')
}

fn is_cset64(b: u8) -> bool {
    matches!(b, b'-' | b'0'..=b'9' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// The character-set test of a component: N, X (82), Y (39) or Z (64).
pub(crate) fn cset82(data: &str) -> Result<(), LintError> {
    match data.bytes().all(is_cset82) {
        true => Ok(()),
        false => Err(LintError::InvalidCset82Character),
    }
}

pub(crate) fn cset39(data: &str) -> Result<(), LintError> {
    match data.bytes().all(is_cset39) {
        true => Ok(()),
        false => Err(LintError::InvalidCset39Character),
    }
}

pub(crate) fn cset64(data: &str) -> Result<(), LintError> {
    let body = data.trim_end_matches('=');
    let pads = data.len() - body.len();
    if pads > 2 || (pads > 0 && !data.len().is_multiple_of(3)) {
        return Err(LintError::InvalidCset64Padding);
    }
    match body.bytes().all(is_cset64) {
        true => Ok(()),
        false => Err(LintError::InvalidCset64Character),
    }
}

fn check_digit(data: &str) -> Result<(), LintError> {
    if data.is_empty() {
        return Err(LintError::TooShortForCheckDigit);
    }
    digits(data)?;
    match has_valid_gs1_check_digit(data) {
        true => Ok(()),
        false => Err(LintError::IncorrectCheckDigit),
    }
}

/// GS1's check character pair (General Specifications 7.9.5): each
/// character's CSET 82 index times a prime weight, modulo 1021, written as
/// two characters of a 32-character alphabet.
fn check_pair(data: &str) -> Result<(), LintError> {
    const PRIMES: [u32; 97] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107,
        109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229,
        233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359,
        367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491,
        499, 503, 509,
    ];
    const CSET32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    if data.len() < 2 {
        return Err(LintError::TooShortForCheckPair);
    }
    let (body, pair) = data.split_at(data.len() - 2);
    if body.len() > PRIMES.len() {
        return Err(LintError::TooLongForCheckPairImplementation);
    }
    let mut sum = 0u32;
    for (i, b) in body.bytes().enumerate() {
        let index = cset82_index(b).ok_or(LintError::InvalidCset82Character)?;
        sum += index * PRIMES[body.len() - 1 - i];
    }
    let sum = (sum % 1021) as usize;
    match pair.as_bytes() == [CSET32[sum >> 5], CSET32[sum & 31]] {
        true => Ok(()),
        false => Err(LintError::IncorrectCheckPair),
    }
}

/// A character's position in CSET 82's table order.
fn cset82_index(b: u8) -> Option<u32> {
    let index = match b {
        b'!' => 0,
        b'"' => 1,
        b'%'..=b'?' => 2 + (b - b'%'),
        b'A'..=b'Z' => 29 + (b - b'A'),
        b'_' => 55,
        b'a'..=b'z' => 56 + (b - b'a'),
        _ => return None,
    };
    Some(u32::from(index))
}

fn gcp_at(data: &str, offset: usize, gcp: &dyn GcpLookup) -> Result<(), LintError> {
    match gcp.check(data.get(offset..).unwrap_or("")) {
        GcpVerdict::Valid => Ok(()),
        GcpVerdict::Invalid => Err(LintError::InvalidGcpPrefix),
        GcpVerdict::Offline => Err(LintError::GcpDatasourceOffline),
    }
}

/// HH, MI or SS: exactly two digits, at most `max`. `errors` are the
/// too-short, too-long and out-of-range errors of the field.
fn two_digits(data: &str, max: u64, errors: [LintError; 3]) -> Result<(), LintError> {
    match data.len() {
        0 | 1 => return Err(errors[0]),
        2 => {}
        _ => return Err(errors[1]),
    }
    digits(data)?;
    match number(data) <= max {
        true => Ok(()),
        false => Err(errors[2]),
    }
}

fn hour_minute(data: &str) -> Result<(), LintError> {
    match data.len() {
        0..=3 => return Err(LintError::HourWithMinuteTooShort),
        4 => {}
        _ => return Err(LintError::HourWithMinuteTooLong),
    }
    digits(data)?;
    if number(&data[..2]) > 23 {
        return Err(LintError::IllegalHour);
    }
    match number(&data[2..]) <= 59 {
        true => Ok(()),
        false => Err(LintError::IllegalMinute),
    }
}

fn one_of_only(data: &str, allowed: u8, error: LintError) -> Result<(), LintError> {
    match !data.is_empty() && data.bytes().all(|b| b == allowed) {
        true => Ok(()),
        false => Err(error),
    }
}

fn single_of(data: &str, allowed: &[u8], error: LintError) -> Result<(), LintError> {
    match data.as_bytes() {
        [b] if allowed.contains(b) => Ok(()),
        _ => Err(error),
    }
}

fn bounded_ten_digits(data: &str, max: u64, length: LintError, range: LintError) -> Result<(), LintError> {
    if data.len() != 10 {
        return Err(length);
    }
    digits(data)?;
    match number(data) <= max {
        true => Ok(()),
        false => Err(range),
    }
}

fn importer_index(data: &str) -> Result<(), LintError> {
    let mut chars = data.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() || c == '-' || c == '_' => Ok(()),
        (Some(_), None) => Err(LintError::InvalidImportIdxCharacter),
        _ => Err(LintError::ImporterIdxMustBeOneCharacter),
    }
}

fn iban(data: &str) -> Result<(), LintError> {
    if data.len() < 5 {
        return Err(LintError::IbanTooShort);
    }
    if data.len() > 34 {
        return Err(LintError::IbanTooLong);
    }
    let bytes = data.as_bytes();
    let shape_ok = bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !shape_ok {
        return Err(LintError::InvalidIbanCharacter);
    }
    in_list(&data[..2], ISO3166_ALPHA2, LintError::IllegalIbanCountryCode)?;
    // ISO 13616: move the first four characters to the end, letters become
    // 10..35, and the number modulo 97 must be 1.
    let mut remainder = 0u32;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    match remainder == 1 {
        true => Ok(()),
        false => Err(LintError::IncorrectIbanChecksum),
    }
}

fn percent_encoding(data: &str) -> Result<(), LintError> {
    let bytes = data.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(LintError::InvalidPercentSequence);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn piece_of_total(data: &str) -> Result<(), LintError> {
    if data.is_empty() || !data.len().is_multiple_of(2) {
        return Err(LintError::InvalidLengthForPieceOfTotal);
    }
    digits(data)?;
    let (piece, total) = data.split_at(data.len() / 2);
    let (piece, total) = (number(piece), number(total));
    if piece == 0 {
        return Err(LintError::ZeroPieceNumber);
    }
    if total == 0 {
        return Err(LintError::ZeroTotalPieces);
    }
    match piece <= total {
        true => Ok(()),
        false => Err(LintError::PieceNumberExceedsTotal),
    }
}

fn position_in_sequence(data: &str) -> Result<(), LintError> {
    let Some((position, end)) = data.split_once('/') else {
        return Err(LintError::PositionInSequenceMalformed);
    };
    let well_formed = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !well_formed(position) || !well_formed(end) {
        return Err(LintError::PositionInSequenceMalformed);
    }
    if position.starts_with('0') || end.starts_with('0') {
        return Err(LintError::IllegalZeroPrefix);
    }
    match number(position) <= number(end) {
        true => Ok(()),
        false => Err(LintError::PositionExceedsEnd),
    }
}

/// YYMMDD / YYYYMMDD, with DD = 00 allowed when `day_zero` (the `…d0`
/// linters: "the last day of the month").
fn date(data: &str, year_digits: usize, day_zero: bool) -> Result<(), LintError> {
    let want = year_digits + 4;
    if data.len() < want {
        return Err(LintError::DateTooShort);
    }
    if data.len() > want {
        return Err(LintError::DateTooLong);
    }
    digits(data)?;
    let year = number(&data[..year_digits]);
    let month = number(&data[year_digits..year_digits + 2]);
    let day = number(&data[year_digits + 2..]);
    if !(1..=12).contains(&month) {
        return Err(LintError::IllegalMonth);
    }
    // A two-digit year cannot name its century; GS1 treats YY % 4 == 0 as leap.
    let leap = match year_digits {
        2 => year.is_multiple_of(4),
        _ => (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400),
    };
    match (day == 0 && day_zero) || (1..=days_in_month(month, leap)).contains(&day) {
        true => Ok(()),
        false => Err(LintError::IllegalDay),
    }
}

/// Days in `month` (1-12).
pub(crate) fn days_in_month(month: u64, leap: bool) -> u64 {
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over a coupon's digits: each field either fits or names the
/// error for its absence or truncation.
struct Coupon<'a> {
    data: &'a [u8],
    at: usize,
}

impl Coupon<'_> {
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    /// Takes one digit, or fails with `missing`.
    fn digit(&mut self, missing: LintError) -> Result<u8, LintError> {
        let d = self.peek().ok_or(missing)?;
        self.at += 1;
        Ok(d - b'0')
    }

    /// Takes `n` digits, or fails with `truncated`.
    fn take(&mut self, n: usize, truncated: LintError) -> Result<&str, LintError> {
        if self.data.len() - self.at < n {
            return Err(truncated);
        }
        let s = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(std::str::from_utf8(s).unwrap_or_default())
    }

    /// A VLI-prefixed field: the VLI must be in `vli`, the field is
    /// `vli + extra` digits long.
    fn sized(
        &mut self,
        vli: std::ops::RangeInclusive<u8>,
        extra: usize,
        errors: [LintError; 3],
    ) -> Result<&str, LintError> {
        let v = self.digit(errors[0])?;
        if !vli.contains(&v) {
            return Err(errors[1]);
        }
        self.take(usize::from(v) + extra, errors[2])
    }

    /// A GCP VLI that may be `9` (no GCP), then the GCP.
    fn optional_gcp(&mut self, errors: [LintError; 3], gcp: &dyn GcpLookup) -> Result<(), LintError> {
        let v = self.digit(errors[0])?;
        if v > 6 && v != 9 {
            return Err(errors[1]);
        }
        if v != 9 {
            let prefix = self.take(usize::from(v) + 6, errors[2])?;
            gcp_at(prefix, 0, gcp)?;
        }
        Ok(())
    }

    /// A purchase requirement code (0-4 or 9).
    fn requirement_code(&mut self, missing: LintError, invalid: LintError) -> Result<(), LintError> {
        match self.digit(missing)? {
            0..=4 | 9 => Ok(()),
            _ => Err(invalid),
        }
    }
}

/// The North American coupon code of AI (8110).
fn coupon_code(data: &str, gcp: &dyn GcpLookup) -> Result<(), LintError> {
    use LintError::*;
    digits(data)?;
    let mut c = Coupon { data: data.as_bytes(), at: 0 };
    let prefix = c.sized(0..=6, 6, [CouponMissingGcpVli, CouponInvalidGcpLength, CouponTruncatedGcp])?;
    gcp_at(prefix, 0, gcp)?;
    c.take(6, CouponTruncatedOfferCode)?;
    c.sized(1..=5, 0, [CouponMissingSaveValueVli, CouponInvalidSaveValueLength, CouponTruncatedSaveValue])?;
    c.sized(
        1..=5,
        0,
        [
            CouponMissing1stPurchaseRequirementVli,
            CouponInvalid1stPurchaseRequirementLength,
            CouponTruncated1stPurchaseRequirement,
        ],
    )?;
    c.requirement_code(CouponMissing1stPurchaseRequirementCode, CouponInvalid1stPurchaseRequirementCode)?;
    c.take(3, CouponTruncated1stPurchaseFamilyCode)?;
    if c.peek() == Some(b'1') {
        c.at += 1;
        if c.digit(CouponMissingAdditionalPurchaseRulesCode)? > 3 {
            return Err(CouponInvalidAdditionalPurchaseRulesCode);
        }
        c.sized(
            1..=5,
            0,
            [
                CouponMissing2ndPurchaseRequirementVli,
                CouponInvalid2ndPurchaseRequirementLength,
                CouponTruncated2ndPurchaseRequirement,
            ],
        )?;
        c.requirement_code(CouponMissing2ndPurchaseRequirementCode, CouponInvalid2ndPurchaseRequirementCode)?;
        c.take(3, CouponTruncated2ndPurchaseFamilyCode)?;
        c.optional_gcp(
            [CouponMissing2ndPurchaseGcpVli, CouponInvalid2ndPurchaseGcpLength, CouponTruncated2ndPurchaseGcp],
            gcp,
        )?;
    }
    if c.peek() == Some(b'2') {
        c.at += 1;
        c.sized(
            1..=5,
            0,
            [
                CouponMissing3rdPurchaseRequirementVli,
                CouponInvalid3rdPurchaseRequirementLength,
                CouponTruncated3rdPurchaseRequirement,
            ],
        )?;
        c.requirement_code(CouponMissing3rdPurchaseRequirementCode, CouponInvalid3rdPurchaseRequirementCode)?;
        c.take(3, CouponTruncated3rdPurchaseFamilyCode)?;
        c.optional_gcp(
            [CouponMissing3rdPurchaseGcpVli, CouponInvalid3rdPurchaseGcpLength, CouponTruncated3rdPurchaseGcp],
            gcp,
        )?;
    }
    let mut expiry = None;
    if c.peek() == Some(b'3') {
        c.at += 1;
        let d = c.take(6, CouponTooShortForExpirationDate)?;
        date(d, 2, false).map_err(|_| CouponInvalidExpirationDate)?;
        expiry = Some(d.to_string());
    }
    if c.peek() == Some(b'4') {
        c.at += 1;
        let start = c.take(6, CouponTooShortForStartDate)?;
        date(start, 2, false).map_err(|_| CouponInvalidStartDate)?;
        if expiry.as_deref().is_some_and(|e| start > e) {
            return Err(CouponExpirationBeforeStart);
        }
    }
    if c.peek() == Some(b'5') {
        c.at += 1;
        c.sized(0..=9, 6, [CouponMissingSerialNumberVli, CouponMissingSerialNumberVli, CouponTruncatedSerialNumber])?;
    }
    if c.peek() == Some(b'6') {
        c.at += 1;
        let retailer = c.sized(
            1..=7,
            6,
            [CouponMissingRetailerGcpOrGlnVli, CouponInvalidRetailerGcpOrGlnLength, CouponTruncatedRetailerGcpOrGln],
        )?;
        gcp_at(retailer, 0, gcp)?;
    }
    if c.peek() == Some(b'9') {
        c.at += 1;
        if !matches!(c.digit(CouponMissingSaveValueCode)?, 0 | 1 | 2 | 5 | 6) {
            return Err(CouponInvalidSaveValueCode);
        }
        if c.digit(CouponMissingSaveValueAppliesToItem)? > 2 {
            return Err(CouponInvalidSaveValueAppliesToItem);
        }
        c.digit(CouponMissingStoreCouponFlag)?;
        if c.digit(CouponMissingDontMultiplyFlag)? > 1 {
            return Err(CouponInvalidDontMultiplyFlag);
        }
    }
    match c.done() {
        true => Ok(()),
        false => Err(CouponExcessData),
    }
}

/// The positive-offer coupon of AI (8112).
fn coupon_positive_offer(data: &str) -> Result<(), LintError> {
    use LintError::*;
    digits(data)?;
    let mut c = Coupon { data: data.as_bytes(), at: 0 };
    if c.digit(CouponMissingFormatCode)? > 1 {
        return Err(CouponInvalidFormatCode);
    }
    c.sized(0..=6, 6, [CouponMissingFunderVli, CouponInvalidFunderLength, CouponTruncatedFunder])?;
    c.take(6, CouponTruncatedOfferCode)?;
    c.sized(0..=9, 6, [CouponMissingSerialNumberVli, CouponMissingSerialNumberVli, CouponTruncatedSerialNumber])?;
    match c.done() {
        true => Ok(()),
        false => Err(CouponExcessData),
    }
}

/// Runs a check by the name GS1's reference implementation gives it: a
/// linter, or one of the character-set tests `csetnumeric`, `cset82`,
/// `cset39` and `cset64`. `None` for an unknown name.
pub fn check_by_name(name: &str, data: &str, gcp: &dyn GcpLookup) -> Option<Result<(), LintError>> {
    match name {
        "csetnumeric" => Some(digits(data)),
        "cset82" => Some(cset82(data)),
        "cset39" => Some(cset39(data)),
        "cset64" => Some(cset64(data)),
        _ => Linter::from_name(name).map(|l| l.check(data, gcp)),
    }
}
