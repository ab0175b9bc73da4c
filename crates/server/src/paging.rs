//! Cursor paging for list endpoints. A cursor is the opaque, encoded key of
//! the last row returned; the next page starts after it, so pages neither
//! skip nor repeat rows when rows are added between requests.

use axum::http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use tracelot_store::Window;

use crate::problem::Problem;

/// Rows per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 100;
/// The most rows per page.
pub const MAX_LIMIT: usize = 1000;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The cursor for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The cursor and page size of a list that takes no other parameter.
pub fn page_query(raw: Option<&str>) -> Result<(Option<String>, usize), Problem> {
    let p: PageQuery = crate::body::query(raw)?;
    Ok((p.cursor, limit(p.limit.as_deref())?))
}

/// The window a list keyed by one text (SKU, path, code) reads in the
/// store: one row more than the page, to know whether another follows.
pub fn window(raw: Option<&str>) -> Result<(Window<String>, usize), Problem> {
    let (cursor, limit) = page_query(raw)?;
    let after = cursor.as_deref().map(decode::<String>).transpose()?;
    Ok((Window { after, limit: one_more(limit) }, limit))
}

/// The rows to read for a page: one more than it holds, to know whether
/// another follows.
pub fn one_more(limit: usize) -> Option<usize> {
    Some(limit.saturating_add(1))
}

/// Checks a requested page size.
pub fn limit(requested: Option<&str>) -> Result<usize, Problem> {
    let Some(s) = requested else { return Ok(DEFAULT_LIMIT) };
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => {
            Err(Problem::bad_request("invalid_parameter", format!("limit must be 1 to {MAX_LIMIT}, not {s:?}"))
                .at("limit"))
        }
    }
}

/// Encodes a key as a cursor.
pub fn encode<K: Serialize>(key: &K) -> String {
    serde_json::to_vec(key).unwrap_or_default().iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a cursor made by [`encode`].
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, Problem> {
    let bad = || {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_cursor", "the cursor is not one this server issued").at("cursor")
    };
    if !cursor.len().is_multiple_of(2) || cursor.len() > 4096 {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> =
        cursor.as_bytes().chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()).collect();
    serde_json::from_slice(&bytes.ok_or_else(bad)?).map_err(|_| bad())
}

/// A page from rows the database already started after the cursor and cut
/// at `limit + 1`: the extra row only says that another page follows.
pub fn first<T, K: Serialize>(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(|r| encode(&key(r))) } else { None };
    Page { items: rows, next }
}

#[cfg(test)]
// Tests: an overflow or a panic is a failed test.
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_row_once() {
        let rows: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        let mut after: Option<u32> = None;
        loop {
            // What a store does with a window: the rows after the cursor, one more than the page.
            let window: Vec<u32> = rows.iter().copied().filter(|r| after.is_none_or(|a| *r > a)).collect();
            let window = window.into_iter().take(one_more(3).expect("some")).collect();
            let p = first(window, 3, |r| *r);
            assert!(p.items.len() <= 3);
            seen.extend(p.items);
            match p.next {
                Some(c) => after = Some(decode(&c).expect("our own cursor")),
                None => break,
            }
        }
        assert_eq!(seen, rows);
        assert!(decode::<u32>("zz").is_err());
        assert!(decode::<u32>("7b").is_err(), "hex of '{{' is not a key");
        assert!(limit(Some("0")).is_err() && limit(Some("1001")).is_err());
        assert_eq!(limit(None).ok(), Some(DEFAULT_LIMIT));
    }
}
