//! A supplier's lot code as a way in: a supplier's recall notice names its
//! own lot code, and the quality manager must find our lots from it.

use tracelot_core::{DomainError, LotCode, Rule, Sku};
use tracelot_store::Store;

use crate::ReportError;

/// The one lot of `sku` that carries `supplier_lot`. None is `not_found`;
/// several (two deliveries received under codes of their own) are refused
/// with their codes, so the reader picks one.
pub fn one_lot(store: &dyn Store, sku: &Sku, supplier_lot: &str, field: &str) -> Result<LotCode, ReportError> {
    let mut found = store.lots_by_supplier_lot(Some(sku), supplier_lot)?;
    match found.len() {
        0 => Err(DomainError::at(
            Rule::NotFound,
            field,
            format!("no lot of {sku} carries the supplier lot code {supplier_lot}"),
        )
        .into()),
        1 => Ok(found.remove(0).1),
        _ => {
            let codes: Vec<String> = found.iter().map(|(_, l)| l.to_string()).collect();
            Err(DomainError::at(
                Rule::InvalidValue,
                field,
                format!(
                    "supplier lot {supplier_lot} of {sku} was received as lots {}; name one of them",
                    codes.join(", ")
                ),
            )
            .into())
        }
    }
}
