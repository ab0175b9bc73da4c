//! The single writer: a thread that owns the write connection and drains a
//! queue of submissions into `BEGIN IMMEDIATE` transactions, one SAVEPOINT
//! per client transaction, one result per caller. Throughput comes from
//! sharing one fsync among many transactions, never from weakening it.

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use rusqlite::{Connection, ErrorCode, OptionalExtension, Statement, params};
use tracelot_core::chain;
use tracelot_core::command::{Command, ReceiveUnits};
use tracelot_core::rules::{self, Effect, LedgerView, Plan, PlannedMove, SerialRef};
use tracelot_core::time::{ClockPolicy, from_micros};
use tracelot_core::{DomainError, Request, Rule, Transaction};
use tracelot_store::writing::{self, Head, Job, Stamp, lot_id, serial_id};
use tracelot_store::{Posted, SubmitError, WriterMetrics};

use crate::view::{Cache, WriteView};

/// The statements run for every transaction, prepared once for the
/// writer's life (as a hand-written loop would) instead of fetched from the
/// statement cache each time.
struct Hot<'c> {
    insert_tx: Statement<'c>,
    insert_movement: Statement<'c>,
    insert_serial: Statement<'c>,
    take_from: Statement<'c>,
    add_to: Statement<'c>,
}

impl<'c> Hot<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Hot {
            insert_tx: conn.prepare(
                "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name,
                  reference, reason, reverses, overrides, movement_count, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?,
            insert_movement: conn.prepare(
                "INSERT INTO movements (tx_seq, line, item_id, lot_id, serial_id, from_id, to_id, qty, occurred_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            insert_serial: conn
                .prepare("INSERT INTO serials (item_id, serial, lot_id, created_seq) VALUES (?1, ?2, ?3, ?4)")?,
            // The source is decremented with UPDATE: SQLite checks an UPSERT's
            // candidate row (here negative) before it sees the conflict.
            take_from: conn.prepare(
                "UPDATE balances SET qty = qty - ?5 WHERE item_id = ?1 AND lot_id = ?2 AND serial_id = ?3 AND location_id = ?4",
            )?,
            add_to: conn.prepare(
                "INSERT INTO balances (item_id, lot_id, serial_id, location_id, internal, qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (item_id, lot_id, serial_id, location_id) DO UPDATE SET qty = qty + excluded.qty",
            )?,
        })
    }
}

/// The writer's state between batches. It borrows the write connection,
/// which lives on the writer thread's stack.
pub(crate) struct Writer<'c> {
    conn: &'c Connection,
    hot: Hot<'c>,
    cache: Cache,
    head: Head,
    data_version: i64,
    policy: ClockPolicy,
    max_batch: usize,
    metrics: Arc<WriterMetrics>,
    #[cfg(debug_assertions)]
    touched: std::collections::HashSet<(i64, i64, i64)>,
}

/// How a transaction failed: before anything was written (nothing to undo),
/// or part-way through writing (its writes must be rolled back).
enum Failure {
    BeforeWriting(SubmitError),
    AfterWriting(SubmitError),
}

fn storage(e: impl std::fmt::Display) -> SubmitError {
    SubmitError::Storage(e.to_string())
}

impl<'c> Writer<'c> {
    pub(crate) fn new(
        conn: &'c Connection,
        policy: ClockPolicy,
        max_batch: usize,
        metrics: Arc<WriterMetrics>,
    ) -> rusqlite::Result<Self> {
        let mut w = Writer {
            conn,
            hot: Hot::prepare(conn)?,
            cache: Cache::default(),
            head: Head::EMPTY,
            data_version: 0,
            policy,
            max_batch: max_batch.max(1),
            metrics,
            #[cfg(debug_assertions)]
            touched: Default::default(),
        };
        w.reload()?;
        Ok(w)
    }

    /// Re-reads the chain head and forgets cached master data.
    fn reload(&mut self) -> rusqlite::Result<()> {
        self.cache.clear();
        self.data_version = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let head: Option<(i64, Vec<u8>, i64)> = self
            .conn
            .query_row("SELECT seq, hash, recorded_at FROM transactions ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        self.head = match head {
            Some((seq, hash, recorded_at)) => {
                Head { seq, hash: hash.try_into().unwrap_or(chain::GENESIS), recorded_at }
            }
            None => Head::EMPTY,
        };
        Ok(())
    }

    /// Serves jobs until every sender is gone.
    pub(crate) fn run(mut self, rx: Receiver<Job>) {
        let metrics = self.metrics.clone();
        writing::serve(rx, self.max_batch, &metrics, &mut self);
    }

    /// Posts `txs` in one database transaction, one result each.
    ///
    /// The rules refuse before anything is written (they check stock and
    /// where serials are), so the common path needs no savepoints. If a
    /// transaction still fails after it began writing (a constraint caught
    /// what the rules did not), the whole batch is rolled back and redone
    /// with one savepoint per client transaction, so that only the failing
    /// one is refused and its neighbours commit.
    fn post_batch(&mut self, txs: &[(Transaction, Option<Stamp>)]) -> Vec<Result<Posted, SubmitError>> {
        let fail_all = |e: SubmitError| txs.iter().map(|_| Err(e.clone())).collect();
        if let Err(e) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            return fail_all(storage(e));
        }
        // Only now, holding the write lock, is the view of other processes'
        // commits final: their rows change the chain head and the caches.
        let changed =
            self.conn.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0)).map(|v| v != self.data_version);
        if changed.unwrap_or(true)
            && let Err(e) = self.reload()
        {
            let _ = self.conn.execute_batch("ROLLBACK");
            return fail_all(storage(e));
        }
        let mut results = Vec::with_capacity(txs.len());
        for (tx, stamp) in txs {
            match self.apply(tx, stamp.as_ref()) {
                Ok(p) => results.push(Ok(p)),
                Err(Failure::BeforeWriting(e)) => results.push(Err(e)),
                Err(Failure::AfterWriting(_)) => {
                    self.metrics.redone();
                    results = match self.redo_with_savepoints(txs) {
                        Ok(r) => r,
                        Err(e) => return fail_all(e),
                    };
                    break;
                }
            }
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            // The chain head and caches may hold rows that were never committed.
            let _ = self.reload();
            return fail_all(storage(format!("commit failed: {e}")));
        }
        self.data_version = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)).unwrap_or(self.data_version);
        #[cfg(debug_assertions)]
        self.assert_invariants();
        results
    }

    /// Rolls the open batch back and posts it again, each transaction in its
    /// own savepoint.
    fn redo_with_savepoints(
        &mut self,
        txs: &[(Transaction, Option<Stamp>)],
    ) -> Result<Vec<Result<Posted, SubmitError>>, SubmitError> {
        self.conn.execute_batch("ROLLBACK").map_err(storage)?;
        self.reload().map_err(storage)?;
        #[cfg(debug_assertions)]
        self.touched.clear();
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(storage)?;
        Ok(txs.iter().map(|(tx, stamp)| self.post_alone(tx, stamp.as_ref())).collect())
    }

    /// Posts one transaction in its own savepoint.
    fn post_alone(&mut self, tx: &Transaction, stamp: Option<&Stamp>) -> Result<Posted, SubmitError> {
        let head = self.head;
        self.conn.execute_batch("SAVEPOINT tx").map_err(storage)?;
        match self.apply(tx, stamp) {
            Ok(posted) => {
                self.conn.execute_batch("RELEASE tx").map_err(storage)?;
                Ok(posted)
            }
            Err(Failure::BeforeWriting(e) | Failure::AfterWriting(e)) => {
                let _ = self.conn.execute_batch("ROLLBACK TO tx; RELEASE tx");
                self.head = head;
                // The failed savepoint may have cached rows it created.
                self.cache.clear();
                Err(e)
            }
        }
    }

    /// The result of an id that is already in the ledger: the stored result
    /// when the content is the same, a refusal when it is not.
    /// Canonical JSON is deterministic, so equal content means equal text.
    fn posted_before(&self, req: &Request, request: &str) -> Result<Option<Posted>, SubmitError> {
        let seen: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT seq, request FROM transactions WHERE id = ?1")
            .and_then(|mut s| s.query_row([&req.id.as_bytes()[..]], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(storage)?;
        let Some((seq, stored)) = seen else { return Ok(None) };
        if stored != request {
            return Err(DomainError::at(
                Rule::IdempotencyConflict,
                "id",
                format!("transaction {} was already posted with different content", req.id),
            )
            .into());
        }
        self.replay(seq, req).map(Some)
    }

    /// Plans and writes one transaction. The id is checked only when it
    /// matters: when planning refuses (a retry may no longer plan) and when
    /// the insert meets the id's UNIQUE constraint. New transactions, the
    /// common case, pay for no lookup.
    fn apply(&mut self, tx: &Transaction, stamp: Option<&Stamp>) -> Result<Posted, Failure> {
        let req = &tx.request;
        let request = req.canonical_json();
        let before = |this: &Self, e: SubmitError| match this.posted_before(req, &request) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(Failure::BeforeWriting(e)),
            Err(other) => Err(Failure::BeforeWriting(other)),
        };
        let mut view = WriteView { conn: self.conn, cache: &mut self.cache };
        let c = match writing::chain(tx, &request, &self.head, stamp, self.policy, &mut view) {
            Ok(c) => c,
            Err(e) => return before(self, e),
        };
        let inserted = self.hot.insert_tx.execute(params![
            c.seq,
            &req.id.as_bytes()[..],
            c.plan.kind,
            request,
            c.occurred_at,
            c.recorded_at,
            tx.user.as_str(),
            req.reference,
            req.reason,
            c.plan.reverses,
            c.overrides,
            c.movement_count,
            &c.hash[..],
        ]);
        if c.plan.reverses.is_some() {
            self.cache.forget_suppliers();
        }
        // A failed INSERT statement writes nothing, so this is still "before writing".
        if let Err(e) = inserted {
            let msg = e.to_string();
            return if is_constraint(&e) && msg.contains("transactions.id") {
                // The id is taken: a retry (same content) or a conflict.
                before(self, storage(msg))
            } else if is_constraint(&e) && msg.contains("transactions.reverses") {
                let refusal = DomainError::at(Rule::NotReversible, "tx", "that transaction was already reversed");
                Err(Failure::BeforeWriting(refusal.into()))
            } else {
                Err(Failure::BeforeWriting(storage(e)))
            };
        }
        self.write_effects(c.seq, c.occurred_at, &c.plan).map_err(Failure::AfterWriting)?;
        self.head = c.head();
        Ok(c.into_posted(tx))
    }

    fn write_effects(&mut self, seq: i64, occurred_at: i64, plan: &Plan) -> Result<(), SubmitError> {
        let mut new_lots: Vec<i64> = Vec::new();
        let mut new_serials: Vec<i64> = Vec::new();
        let mut line = 0i64;
        let mut events = 0i64;
        for effect in &plan.effects {
            match effect {
                Effect::CreateItem(spec) => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO items (sku, name, tracking, gtin, uom, scale, shelf_life_days, warranty_months,
                              serial_kind, serial_pattern, created_seq, date_rule, min_remaining_days, output_expiry,
                              catch_weight_uom)
                              VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                spec.sku.as_str(),
                                spec.name,
                                spec.tracking.as_str(),
                                spec.gtin.as_ref().map(|g| g.as_str()),
                                spec.uom,
                                spec.scale.places(),
                                spec.shelf_life_days,
                                spec.warranty_months,
                                spec.serial_kind.as_str(),
                                spec.serial_pattern.as_ref().map(|p| p.as_str()),
                                seq,
                                spec.date_rule.as_str(),
                                spec.min_remaining_days,
                                spec.output_expiry.as_str(),
                                spec.catch_weight_uom,
                            ])
                        })
                        .map_err(|e| constraint(e, || DomainError::at(Rule::AlreadyExists, "sku", format!("item {} or its GTIN already exists", spec.sku))))?;
                }
                Effect::AttachDocument { lot_id, document: d } => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO lot_documents (lot_id, tx_seq, kind, name, media_type, sha256, size, result)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                lot_id,
                                seq,
                                d.kind,
                                d.name,
                                d.media_type,
                                d.sha256.as_str(),
                                d.size,
                                d.result
                            ])
                        })
                        .map_err(storage)?;
                }
                Effect::CreatePackaging { item_id, name, gtin, units } => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO packagings (item_id, name, gtin, units, created_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                        )
                        .and_then(|mut s| s.execute(params![item_id, name, gtin.as_str(), units, seq]))
                        .map_err(|e| {
                            constraint(e, || {
                                DomainError::at(
                                    Rule::AlreadyExists,
                                    "name",
                                    format!("the item has a packaging {name:?} already, or GTIN {gtin} is taken"),
                                )
                            })
                        })?;
                }
                Effect::CreateLocation { path, kind, zone } => {
                    let parent = match path.parent() {
                        Some(p) => WriteView { conn: self.conn, cache: &mut self.cache }
                            .location(&p)
                            .map_err(storage)?
                            .map(|l| l.id),
                        None => None,
                    };
                    self.conn
                        .prepare_cached(
                            "INSERT INTO locations (path, kind, parent_id, created_seq, time_zone) VALUES (?1, ?2, ?3, ?4, ?5)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![path.as_str(), kind.as_str(), parent, seq, zone.as_ref().map(|z| z.name())])
                        })
                        .map_err(|e| {
                            constraint(e, || {
                                DomainError::at(Rule::AlreadyExists, "path", format!("location {path} already exists"))
                            })
                        })?;
                }
                Effect::CreatePartner { code, name, kind, location, min_shelf_life_days } => {
                    let loc = WriteView { conn: self.conn, cache: &mut self.cache }
                        .location(location)
                        .map_err(storage)?
                        .ok_or_else(|| storage(format!("location {location} vanished")))?;
                    self.conn
                        .prepare_cached(
                            "INSERT INTO partners (code, name, kind, location_id, created_seq, min_shelf_life_days)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![code.as_str(), name, kind.as_str(), loc.id, seq, min_shelf_life_days])
                        })
                        .map_err(|e| {
                            constraint(e, || {
                                DomainError::at(Rule::AlreadyExists, "code", format!("partner {code} already exists"))
                            })
                        })?;
                }
                Effect::CreateLot { item_id, code, details, status } => {
                    let attrs = serde_json::to_string(&details.attributes).map_err(storage)?;
                    let id: i64 = self
                        .conn
                        .prepare_cached(
                            "INSERT INTO lots (item_id, code, produced_on, expires_on, best_before, supplier_lot, attributes, status, created_seq)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        )
                        .and_then(|mut s| {
                            s.execute(
                                params![
                                    item_id,
                                    code.as_str(),
                                    details.produced_on.map(|d| d.to_string()),
                                    details.expires_on.map(|d| d.to_string()),
                                    details.best_before.map(|d| d.to_string()),
                                    details.supplier_lot,
                                    attrs,
                                    status.as_str(),
                                    seq
                                ],
                            )
                        })
                        .map(|_| self.conn.last_insert_rowid())
                        .map_err(|e| constraint(e, || DomainError::at(Rule::AlreadyExists, "lot", format!("lot {code} already exists"))))?;
                    self.status_change(id, seq, status.as_str())?;
                    new_lots.push(id);
                }
                Effect::SetLotStatus { lot_id, status } => {
                    // The change first: a lot's status follows its recorded changes.
                    self.status_change(*lot_id, seq, status.as_str())?;
                    self.conn
                        .prepare_cached("UPDATE lots SET status = ?1 WHERE id = ?2")
                        .and_then(|mut s| s.execute(params![status.as_str(), lot_id]))
                        .map_err(storage)?;
                    self.cache.forget_lot(*lot_id);
                }
                Effect::AssemblyLot { parent_item, parent_serial, component_item, component_lot, qty, installed } => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO assembly_lot_events (seq, line, parent_item, parent_serial, component_item, component_lot, qty, installed)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![seq, events, parent_item, parent_serial, component_item, component_lot, qty, installed])
                        })
                        .map_err(storage)?;
                    self.cache.parents.insert(*parent_item, true);
                    events = events.saturating_add(1);
                }
                Effect::Arrival { dispatch_seq } => {
                    self.conn
                        .prepare_cached("INSERT INTO arrivals (dispatch_seq, arrival_seq) VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![dispatch_seq, seq]))
                        .map_err(|e| {
                            constraint(e, || {
                                DomainError::at(Rule::AlreadyArrived, "dispatch", "that dispatch arrived already")
                            })
                        })?;
                }
                Effect::SetSerialStatus { serial_id, status } => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO serial_status_changes (serial_id, tx_seq, status) VALUES (?1, ?2, ?3)",
                        )
                        .and_then(|mut s| s.execute(params![serial_id, seq, status.as_str()]))
                        .map_err(storage)?;
                    self.cache.held_serials = None;
                }
                Effect::FillLotDetails { lot_id, details } => {
                    let date = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string());
                    self.conn
                        .prepare_cached(
                            "UPDATE lots SET produced_on = ?1, expires_on = ?2, best_before = ?3, supplier_lot = ?4 WHERE id = ?5",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                date(details.produced_on),
                                date(details.expires_on),
                                date(details.best_before),
                                details.supplier_lot,
                                lot_id
                            ])
                        })
                        .map_err(storage)?;
                    self.cache.forget_lot(*lot_id);
                }
                Effect::CreateSerial { item_id, serial, lot } => {
                    let lot = Some(lot_id(lot, &new_lots)?).filter(|l| *l != 0);
                    let id: i64 = self
                        .hot
                        .insert_serial
                        .execute(params![item_id, serial.as_str(), lot, seq])
                        .map(|_| self.conn.last_insert_rowid())
                        .map_err(|e| {
                            constraint(e, || {
                                DomainError::at(Rule::SerialExists, "serial", format!("serial {serial} already exists"))
                            })
                        })?;
                    new_serials.push(id);
                }
                Effect::SetSerialCounter { item_id, next } => {
                    self.conn
                        .prepare_cached("INSERT INTO serial_counters (item_id, next) VALUES (?1, ?2) ON CONFLICT (item_id) DO UPDATE SET next = excluded.next")
                        .and_then(|mut s| s.execute(params![item_id, i64::try_from(*next).unwrap_or(i64::MAX)]))
                        .map_err(storage)?;
                }
                Effect::Move(m) => {
                    let lot = lot_id(&m.lot, &new_lots)?;
                    let (serial, fresh) = serial_id(&m.serial, &new_serials)?;
                    self.write_move(seq, line, occurred_at, m, lot, (serial, fresh))?;
                    line = line.saturating_add(1);
                }
                Effect::Assembly { parent_item, parent_serial, component_item, component_serial, installed } => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO assembly_events (seq, line, parent_item, parent_serial, component_item, component_serial, installed)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![seq, events, parent_item, parent_serial, component_item, component_serial, installed])
                        })
                        .map_err(storage)?;
                    self.cache.parents.insert(*parent_item, true);
                    events = events.saturating_add(1);
                }
            }
        }
        Ok(())
    }

    fn status_change(&self, lot_id: i64, seq: i64, status: &str) -> Result<(), SubmitError> {
        self.conn
            .prepare_cached("INSERT INTO lot_status_changes (lot_id, tx_seq, status) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![lot_id, seq, status]))
            .map(|_| ())
            .map_err(storage)
    }

    /// Writes one ledger row and its two balance changes: the source first,
    /// so a serial leaves one place before it arrives at the next.
    /// `fresh` marks a serial created by this transaction: it has no
    /// balance rows yet, so its source row is inserted without looking.
    fn write_move(
        &mut self,
        seq: i64,
        line: i64,
        occurred_at: i64,
        m: &PlannedMove,
        lot: i64,
        (serial, fresh): (i64, bool),
    ) -> Result<(), SubmitError> {
        let item = m.item.id;
        self.hot
            .insert_movement
            .execute(params![seq, line, item, lot, serial, m.from.id, m.to.id, m.qty, occurred_at])
            .map_err(storage)?;
        // With no source row to update, the INSERT of a negative row lets the
        // constraint refuse it for internal locations.
        let from = (item, lot, serial, m.from.id, m.from.kind.is_internal());
        let out =
            if fresh { Ok(0) } else { self.hot.take_from.execute(params![from.0, from.1, from.2, from.3, m.qty]) };
        let upsert = &mut self.hot.add_to;
        let out = match out {
            Ok(0) => upsert.execute(params![from.0, from.1, from.2, from.3, from.4, m.qty.saturating_neg()]),
            other => other,
        };
        let into =
            out.and_then(|_| upsert.execute(params![item, lot, serial, m.to.id, m.to.kind.is_internal(), m.qty]));
        if let Err(e) = into {
            return Err(self.explain_balance_failure(e, m, lot, serial));
        }
        if let Some(weight) = m.weight {
            self.conn
                .prepare_cached("INSERT INTO movement_weights (tx_seq, line, weight) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![seq, line, weight]))
                .map_err(storage)?;
        }
        let number = m.serial.as_ref().map(SerialRef::serial);
        self.cache.moved((item, lot, serial), number, &m.from, &m.to, m.qty, fresh.then_some(lot));
        #[cfg(debug_assertions)]
        self.touched.insert((item, lot, serial));
        Ok(())
    }

    /// Words a balance constraint failure for the user who caused it.
    fn explain_balance_failure(&mut self, e: rusqlite::Error, m: &PlannedMove, lot: i64, serial: i64) -> SubmitError {
        let msg = e.to_string();
        if !is_constraint(&e) {
            return storage(e);
        }
        if msg.contains("internal_not_negative") {
            let key = rules::BalanceKey {
                item_id: m.item.id,
                lot_id: (lot != 0).then_some(lot),
                serial_id: (serial != 0).then_some(serial),
                location_id: m.from.id,
            };
            let have = WriteView { conn: self.conn, cache: &mut self.cache }.balance(key).unwrap_or(0);
            return rules::insufficient_stock(m, have).into();
        }
        let what = m.describe();
        DomainError::at(Rule::SerialExists, m.field.to_string(), format!("{what} is already held at another location"))
            .into()
    }

    fn replay(&self, seq: i64, req: &Request) -> Result<Posted, SubmitError> {
        let (id, kind, occ, rec, count, hash, overrides): (_, String, i64, i64, i64, Vec<u8>, String) = self
            .conn
            .query_row(
                "SELECT id, kind, occurred_at, recorded_at, movement_count, hash, overrides FROM transactions WHERE seq = ?1",
                [seq],
                |r| Ok((crate::rows::tx_id(r, 0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
            .map_err(storage)?;
        let generates = matches!(&req.command, Command::Receive { lines, .. } if lines.iter().any(|l| matches!(l.units, ReceiveUnits::Generate(_))));
        let generated_serials = if generates {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT serial FROM serials WHERE created_seq = ?1 ORDER BY id")
                .map_err(storage)?;
            stmt.query_map([seq], |r| crate::rows::serial(r, 0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(storage)?
        } else {
            Vec::new()
        };
        let hash: [u8; 32] =
            hash.try_into().map_err(|_| storage(format!("transaction #{seq}: stored hash is not 32 bytes")))?;
        Ok(Posted {
            id,
            seq,
            kind,
            occurred_at: from_micros(occ),
            recorded_at: from_micros(rec),
            movements: count as u64,
            hash: chain::to_hex(&hash),
            replayed: true,
            generated_serials,
            overrides: serde_json::from_str(&overrides).map_err(storage)?,
        })
    }

    /// Debug builds re-check the ledger's invariants for everything a batch
    /// touched: each (item, lot, serial) sums to zero over all locations, no
    /// internal balance is negative, and a serial is held in one place at most.
    // Debug builds only: a broken postcondition must stop the tests loudly.
    #[cfg(debug_assertions)]
    #[allow(clippy::expect_used)]
    fn assert_invariants(&mut self) {
        let touched = std::mem::take(&mut self.touched);
        for (item, lot, serial) in touched {
            let (sum, negative, held): (i64, i64, i64) = self
                .conn
                .query_row(
                    "SELECT coalesce(sum(qty), 0), coalesce(sum(internal = 1 AND qty < 0), 0), coalesce(sum(qty > 0), 0)
                     FROM balances WHERE item_id = ?1 AND lot_id = ?2 AND serial_id = ?3",
                    params![item, lot, serial],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .expect("invariant query");
            assert_eq!(sum, 0, "balances of (item {item}, lot {lot}, serial {serial}) do not sum to zero");
            assert_eq!(negative, 0, "an internal balance of (item {item}, lot {lot}, serial {serial}) is negative");
            assert!(serial == 0 || held <= 1, "serial {serial} is held in {held} places");
        }
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// Maps a constraint violation to the domain refusal it stands for; any
/// other failure is a storage error.
fn constraint(e: rusqlite::Error, refusal: impl FnOnce() -> DomainError) -> SubmitError {
    if is_constraint(&e) { refusal().into() } else { storage(e) }
}

impl writing::BatchWriter for Writer<'_> {
    fn post_all(&mut self, batch: &[writing::Posting]) -> Vec<Result<Posted, SubmitError>> {
        self.post_batch(batch)
    }

    fn recover(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let _ = self.reload();
        #[cfg(debug_assertions)]
        self.touched.clear();
    }
}
