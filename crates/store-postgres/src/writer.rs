//! The writer: a thread that owns one connection and drains a queue of
//! submissions into database transactions. Each batch takes the write lock
//! (an advisory lock: the hash chain has one head, whichever process
//! appends to it), plans every client transaction against the overlay of
//! the batch so far, and writes the batch's transactions, serials,
//! movements and balance changes with one set-based statement per table.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use tracelot_core::chain;
use tracelot_core::command::{Command, ReceiveUnits, Units};
use tracelot_core::rules::{Effect, LedgerView, LotRecord, MovementRecord, Plan, PlannedMove, SerialRef, TxRecord};
use tracelot_core::time::ClockPolicy;
use tracelot_core::{DomainError, LotCode, LotDetails, PlaceRef, Request, Rule, Serial, Sku, Transaction, TxId};
use tracelot_store::writing::{self, Head, Job, Stamp, lot_id, serial_id};
use tracelot_store::{Posted, SubmitError, WriterMetrics};

use crate::db::{Conn, Error, WRITE_LOCK};
use crate::rows;
use crate::view::{Cache, Pending, WriteView};

/// How a transaction failed: before anything was written (nothing to undo),
/// or part-way through writing (its writes must be rolled back).
enum Failure {
    BeforeWriting(SubmitError),
    AfterWriting(SubmitError),
}

fn storage(e: impl std::fmt::Display) -> SubmitError {
    SubmitError::Storage(e.to_string())
}

type Results = Vec<Result<Posted, SubmitError>>;

/// The writer's state between batches.
pub(crate) struct Writer {
    url: String,
    conn: Conn,
    cache: Cache,
    pend: Pending,
    head: Head,
    /// The next serial id to hand out (ids are chosen under the write lock).
    next_serial: i64,
    /// The next lot id to hand out.
    next_lot: i64,
    /// Ids of the batch stored before it (seq and request), when they were
    /// read up front: only when a batch is redone. A first try looks an id
    /// up only when its transaction is refused (a retry may no longer plan)
    /// or when the id's UNIQUE constraint stops the batch (then it is redone).
    stored: Option<HashMap<TxId, (i64, String)>>,
    /// What this batch has posted: request and result, for retries within it.
    posted: rustc_hash::FxHashMap<TxId, (Arc<str>, Posted)>,
    policy: ClockPolicy,
    max_batch: usize,
    metrics: Arc<WriterMetrics>,
    #[cfg(debug_assertions)]
    touched: std::collections::HashSet<(i64, i64, i64)>,
}

impl Writer {
    pub(crate) fn new(
        url: String,
        conn: Conn,
        policy: ClockPolicy,
        max_batch: usize,
        metrics: Arc<WriterMetrics>,
    ) -> Self {
        Writer {
            url,
            conn,
            cache: Cache::default(),
            pend: Pending::default(),
            head: Head { seq: -1, ..Head::EMPTY },
            next_serial: 1,
            next_lot: 1,
            stored: None,
            posted: Default::default(),
            policy,
            max_batch: max_batch.max(1),
            metrics,
            #[cfg(debug_assertions)]
            touched: Default::default(),
        }
    }

    /// Serves jobs until every sender is gone.
    pub(crate) fn run(mut self, rx: Receiver<Job>) {
        let metrics = self.metrics.clone();
        writing::serve(rx, self.max_batch, &metrics, &mut self);
    }

    /// Opens a batch: a transaction holding the write lock, with the chain's
    /// head and the batch's already-stored ids read under it.
    fn begin(&mut self, txs: &[(Transaction, Option<Stamp>)], read_ids: bool) -> Result<(), Error> {
        if self.conn.is_closed() {
            self.conn = Conn::connect(&self.url).map_err(|e| Error::Data(e.to_string()))?;
            self.cache.clear();
        }
        self.pend.clear();
        self.posted.clear();
        // The writer's statements join a batch's keys (hundreds) with
        // tables of millions of rows: index probes, never a hash or merge
        // join over a whole table, which the planner picks for large arrays.
        self.conn.batch(&format!(
            "BEGIN; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
             SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        ))?;
        // Only now, holding the lock, is the view of other processes' commits final.
        let r = self.conn.query_one(
            "SELECT h.seq, h.hash, h.recorded_at, (SELECT coalesce(max(id), 0) FROM serials),
                    (SELECT coalesce(max(id), 0) FROM lots)
             FROM (SELECT 1) one LEFT JOIN LATERAL
                  (SELECT seq, hash, recorded_at FROM transactions ORDER BY seq DESC LIMIT 1) h ON true",
            &[],
        )?;
        let head = match r.try_get::<_, Option<i64>>(0)? {
            Some(seq) => Head { seq, hash: rows::hash(&r, 1)?, recorded_at: r.try_get(2)? },
            None => Head::EMPTY,
        };
        if head != self.head {
            // Another process appended: what the caches hold may be stale.
            self.cache.clear();
            self.head = head;
        }
        // Ids are positive 64-bit numbers; running out of them is refused by the CHECK.
        self.next_serial = r.try_get::<_, i64>(3)?.saturating_add(1);
        self.next_lot = r.try_get::<_, i64>(4)?.saturating_add(1);
        self.prefetch(txs)?;
        self.stored = None;
        if read_ids {
            let ids: Vec<&[u8]> = txs.iter().map(|(t, _)| &t.request.id.as_bytes()[..]).collect();
            let mut stored = HashMap::new();
            for r in self.conn.query("SELECT id, seq, request FROM transactions WHERE id = ANY($1)", &[&ids])? {
                stored.insert(rows::tx_id(&r, 0)?, (r.try_get(1)?, r.try_get(2)?));
            }
            self.stored = Some(stored);
        }
        Ok(())
    }

    /// Reads what the batch's receipts, transfers and shipments will ask
    /// for, a query per kind instead of a query per line: their lots, the
    /// balances on both sides of their quantity moves (the rules check the
    /// source for stock and both for the 64-bit range) and the serials they
    /// name.
    fn prefetch(&mut self, txs: &[(Transaction, Option<Stamp>)]) -> Result<(), Error> {
        struct Named<'a> {
            sku: &'a Sku,
            lot: Option<&'a LotCode>,
            serials: &'a [Serial],
            /// The places a quantity moves between.
            places: [Option<&'a PlaceRef>; 2],
        }
        let mut named: Vec<Named> = Vec::new();
        for (tx, _) in txs {
            match &tx.request.command {
                Command::Receive { from, to, lines } => named.extend(lines.iter().map(|l| match &l.units {
                    ReceiveUnits::Serials(s) => {
                        Named { sku: &l.sku, lot: l.lot.as_ref(), serials: s, places: [None; 2] }
                    }
                    _ => Named { sku: &l.sku, lot: l.lot.as_ref(), serials: &[], places: [from.as_ref(), Some(to)] },
                })),
                Command::Transfer { from, to, lines } | Command::Ship { from, to, lines, .. } => {
                    named.extend(lines.iter().map(|l| match &l.units {
                        Units::Serials(s) => Named { sku: &l.sku, lot: l.lot.as_ref(), serials: s, places: [None; 2] },
                        _ => Named { sku: &l.sku, lot: l.lot.as_ref(), serials: &[], places: [Some(from), Some(to)] },
                    }))
                }
                _ => {}
            }
        }
        let err = |e: tracelot_core::rules::ViewError| Error::Data(e.to_string());
        let mut view = WriteView { conn: &mut self.conn, cache: &mut self.cache, pend: &self.pend };
        let (mut lots, mut serials) = (Vec::new(), Vec::new());
        let mut resolved = Vec::with_capacity(named.len());
        for n in &named {
            // An unknown item or place is the rules' to refuse.
            let Some(item) = view.item(n.sku).map_err(err)? else { continue };
            let mut places = [None; 2];
            for (id, place) in places.iter_mut().zip(n.places) {
                if let Some(p) = place {
                    *id = view.place(p).map_err(err)?.map(|l| l.id);
                }
            }
            if let Some(code) = n.lot {
                lots.push((item.id, code.clone()));
            }
            serials.extend(n.serials.iter().map(|s| (item.id, s.clone())));
            resolved.push((item.id, n.lot, places));
        }
        let mut absent_lots = std::mem::take(&mut self.pend.absent_lots);
        let mut absent = std::mem::take(&mut self.pend.absent);
        let mut view = WriteView { conn: &mut self.conn, cache: &mut self.cache, pend: &self.pend };
        view.prefetch_lots(&lots, &mut absent_lots).map_err(err)?;
        let mut balances = Vec::new();
        for (item, lot, places) in resolved {
            let lot = match lot {
                Some(code) => match view.cached_lot(item, code) {
                    Some(id) => id,
                    // A lot this batch creates has no balances yet.
                    None => continue,
                },
                None => 0,
            };
            balances.extend(places.into_iter().flatten().map(|place| (item, lot, 0, place)));
        }
        view.prefetch_balances(&balances).map_err(err)?;
        view.prefetch_serials(&serials, &mut absent).map_err(err)?;
        self.pend.absent_lots = absent_lots;
        self.pend.absent = absent;
        Ok(())
    }

    /// Forgets a batch that did not commit.
    fn abandon(&mut self) {
        let _ = self.conn.batch("ROLLBACK");
        self.cache.clear();
        self.pend.clear();
        self.posted.clear();
        self.head.seq = -1;
        #[cfg(debug_assertions)]
        self.touched.clear();
    }

    /// Posts `txs` in one database transaction, one result each.
    ///
    /// The rules refuse before anything is written (they check stock and
    /// where serials are), so the common path needs no savepoints. If a
    /// write still fails (a constraint caught what the rules did not), the
    /// batch is rolled back and redone with one savepoint per client
    /// transaction, so that only the failing one is refused.
    fn post_batch(&mut self, txs: &[(Transaction, Option<Stamp>)]) -> Results {
        let fail_all = |e: SubmitError| txs.iter().map(|_| Err(e.clone())).collect();
        if let Err(e) = self.begin(txs, false) {
            self.abandon();
            return fail_all(storage(e));
        }
        let mut results = Vec::with_capacity(txs.len());
        let mut redo = false;
        for (tx, stamp) in txs {
            match self.apply(tx, stamp.as_ref()) {
                Ok(p) => results.push(Ok(p)),
                Err(Failure::BeforeWriting(e)) => results.push(Err(e)),
                Err(Failure::AfterWriting(_)) => {
                    redo = true;
                    break;
                }
            }
        }
        if !redo {
            match self.flush().and_then(|()| self.conn.batch("COMMIT")) {
                Ok(()) => {
                    self.committed();
                    return results;
                }
                Err(e) if e.is_of_one_transaction() => redo = true,
                Err(e) => {
                    self.abandon();
                    return fail_all(storage(format!("commit failed: {e}")));
                }
            }
        }
        debug_assert!(redo);
        self.abandon();
        self.metrics.redone();
        match self.redo_with_savepoints(txs) {
            Ok(r) => r,
            Err(e) => {
                self.abandon();
                fail_all(storage(e))
            }
        }
    }

    /// After a commit: the caches take in what was written.
    fn committed(&mut self) {
        self.cache.written(&self.pend);
        self.pend.clear();
        #[cfg(debug_assertions)]
        self.assert_invariants();
    }

    fn redo_with_savepoints(&mut self, txs: &[(Transaction, Option<Stamp>)]) -> Result<Results, Error> {
        self.begin(txs, true)?;
        let mut results = Vec::with_capacity(txs.len());
        for (tx, stamp) in txs {
            results.push(self.post_alone(tx, stamp.as_ref())?);
        }
        self.conn.batch("COMMIT")?;
        self.committed();
        Ok(results)
    }

    /// Posts one transaction in its own savepoint, its rows written and its
    /// deferred constraints checked before the savepoint is released.
    fn post_alone(&mut self, tx: &Transaction, stamp: Option<&Stamp>) -> Result<Result<Posted, SubmitError>, Error> {
        let head = self.head;
        self.conn.batch("SAVEPOINT tx")?;
        let outcome = match self.apply(tx, stamp) {
            Ok(posted) => match self.flush().and_then(|()| {
                // Later transactions of the batch read again: custom plans.
                self.conn.batch(
                    "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; RELEASE SAVEPOINT tx;
                     SET LOCAL plan_cache_mode = force_custom_plan",
                )
            }) {
                Ok(()) => {
                    self.cache.written(&self.pend);
                    self.pend.clear();
                    return Ok(Ok(posted));
                }
                Err(e) => explain(&e),
            },
            Err(Failure::BeforeWriting(e) | Failure::AfterWriting(e)) => e,
        };
        self.conn.batch("ROLLBACK TO SAVEPOINT tx; RELEASE SAVEPOINT tx")?;
        self.head = head;
        self.posted.remove(&tx.request.id);
        self.pend.clear();
        // The failed savepoint may have cached rows it created.
        self.cache.clear();
        Ok(Err(outcome))
    }

    /// The result of an id that is already in the ledger or this batch: the
    /// stored result when the content is the same, a refusal when it is not.
    /// `ask` looks the id up in the database when it was not read up front.
    fn posted_before(&mut self, req: &Request, request: &str, ask: bool) -> Result<Option<Posted>, SubmitError> {
        let conflict = || {
            Err(DomainError::at(
                Rule::IdempotencyConflict,
                "id",
                format!("transaction {} was already posted with different content", req.id),
            )
            .into())
        };
        if let Some((stored, posted)) = self.posted.get(&req.id) {
            if &**stored != request {
                return conflict();
            }
            return Ok(Some(Posted { replayed: true, ..posted.clone() }));
        }
        let found = match &self.stored {
            Some(stored) => stored.get(&req.id).cloned(),
            None if ask => self
                .conn
                .query_opt("SELECT seq, request FROM transactions WHERE id = $1", &[&&req.id.as_bytes()[..]])
                .and_then(|r| r.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose())
                .map_err(storage)?,
            None => None,
        };
        let Some((seq, stored)) = found else { return Ok(None) };
        if stored != request {
            return conflict();
        }
        self.replay(seq, req).map(Some)
    }

    /// Plans one transaction and adds its rows to the batch.
    fn apply(&mut self, tx: &Transaction, stamp: Option<&Stamp>) -> Result<Posted, Failure> {
        let req = &tx.request;
        let request = req.canonical_json();
        match self.posted_before(req, &request, false) {
            Ok(Some(p)) => return Ok(p),
            Ok(None) => {}
            Err(e) => return Err(Failure::BeforeWriting(e)),
        }
        let mut view = WriteView { conn: &mut self.conn, cache: &mut self.cache, pend: &self.pend };
        let mut c = match writing::chain(tx, &request, &self.head, stamp, self.policy, &mut view) {
            Ok(c) => c,
            // A retry of a posted transaction may no longer plan: answer it
            // with the stored result.
            Err(e) => {
                return match self.posted_before(req, &request, true) {
                    Ok(Some(p)) => Ok(p),
                    Ok(None) => Err(Failure::BeforeWriting(e)),
                    Err(other) => Err(Failure::BeforeWriting(other)),
                };
            }
        };
        let movements = self.write_effects(c.seq, c.occurred_at, &c.plan).map_err(Failure::AfterWriting)?;
        let t = &mut self.pend.tx;
        t.seq.push(c.seq);
        t.id.push(*req.id.as_bytes());
        t.kind.push(c.plan.kind);
        let request: Arc<str> = request.into();
        t.request.push(request.clone());
        t.occurred_at.push(c.occurred_at);
        t.recorded_at.push(c.recorded_at);
        t.user.push(tx.user.as_str().to_owned());
        t.reference.push(req.reference.clone());
        t.reason.push(req.reason.clone());
        t.reverses.push(c.plan.reverses);
        t.overrides.push(std::mem::take(&mut c.overrides));
        t.movement_count.push(c.movement_count);
        t.hash.push(c.hash);
        let record = TxRecord {
            seq: c.seq,
            kind: c.plan.kind.to_owned(),
            reverses: c.plan.reverses,
            reversed_by: None,
            movements,
        };
        self.pend.txs.insert(req.id, record);
        if let Some(r) = c.plan.reverses {
            self.pend.reversed.insert(r, c.seq);
        }
        self.head = c.head();
        let posted = c.into_posted(tx);
        self.posted.insert(req.id, (request, posted.clone()));
        Ok(posted)
    }

    /// Writes master data at once (rare, and later reads need its ids) and
    /// adds serials and movements to the batch's rows. Returns the movements
    /// by ids, for a reversal later in the batch.
    fn write_effects(&mut self, seq: i64, occurred_at: i64, plan: &Plan) -> Result<Vec<MovementRecord>, SubmitError> {
        let mut new_lots: Vec<i64> = Vec::new();
        let mut new_serials: Vec<i64> = Vec::new();
        let mut movements = Vec::new();
        let mut line = 0i64;
        let mut events = 0i64;
        for effect in &plan.effects {
            match effect {
                Effect::CreateItem(spec) => {
                    self.conn
                        .execute(
                            "INSERT INTO items (sku, name, tracking, gtin, uom, scale, shelf_life_days, warranty_months,
                              serial_kind, serial_pattern, created_seq, date_rule, min_remaining_days, output_expiry,
                              catch_weight_uom)
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                            &[
                                &spec.sku.as_str(),
                                &spec.name,
                                &spec.tracking.as_str(),
                                &spec.gtin.as_ref().map(|g| g.as_str()),
                                &spec.uom,
                                &i16::from(spec.scale.places()),
                                &spec.shelf_life_days.map(i64::from),
                                &spec.warranty_months.map(i64::from),
                                &spec.serial_kind.as_str(),
                                &spec.serial_pattern.as_ref().map(|p| p.as_str()),
                                &seq,
                                &spec.date_rule.as_str(),
                                &spec.min_remaining_days.map(i64::from),
                                &spec.output_expiry.as_str(),
                                &spec.catch_weight_uom,
                            ],
                        )
                        .map_err(|e| {
                            refusal(e, || {
                                DomainError::at(
                                    Rule::AlreadyExists,
                                    "sku",
                                    format!("item {} or its GTIN already exists", spec.sku),
                                )
                            })
                        })?;
                }
                Effect::AttachDocument { lot_id, document: d } => {
                    let size = i64::from(d.size);
                    self.conn
                        .execute(
                            "INSERT INTO lot_documents (lot_id, tx_seq, kind, name, media_type, sha256, size, result)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            &[lot_id, &seq, &d.kind, &d.name, &d.media_type, &d.sha256.as_str(), &size, &d.result],
                        )
                        .map_err(storage)?;
                }
                Effect::CreatePackaging { item_id, name, gtin, units } => {
                    self.conn
                        .execute(
                            "INSERT INTO packagings (item_id, name, gtin, units, created_seq) VALUES ($1, $2, $3, $4, $5)",
                            &[item_id, name, &gtin.as_str(), units, &seq],
                        )
                        .map_err(|e| {
                            refusal(e, || {
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
                        Some(p) => self.view().location(&p).map_err(storage)?.map(|l| l.id),
                        None => None,
                    };
                    self.conn
                        .execute(
                            "INSERT INTO locations (path, kind, parent_id, created_seq, time_zone)
                             VALUES ($1, $2, $3, $4, $5)",
                            &[&path.as_str(), &kind.as_str(), &parent, &seq, &zone.as_ref().map(|z| z.name())],
                        )
                        .map_err(|e| {
                            refusal(e, || {
                                DomainError::at(Rule::AlreadyExists, "path", format!("location {path} already exists"))
                            })
                        })?;
                }
                Effect::CreatePartner { code, name, kind, location, min_shelf_life_days } => {
                    let loc = self
                        .view()
                        .location(location)
                        .map_err(storage)?
                        .ok_or_else(|| storage(format!("location {location} vanished")))?;
                    self.conn
                        .execute(
                            "INSERT INTO partners (code, name, kind, location_id, created_seq, min_shelf_life_days)
                             VALUES ($1, $2, $3, $4, $5, $6)",
                            &[&code.as_str(), name, &kind.as_str(), &loc.id, &seq, &min_shelf_life_days.map(i64::from)],
                        )
                        .map_err(|e| {
                            refusal(e, || {
                                DomainError::at(Rule::AlreadyExists, "code", format!("partner {code} already exists"))
                            })
                        })?;
                }
                Effect::CreateLot { item_id, code, details, status } => {
                    let id = self.next_lot;
                    self.next_lot = id.saturating_add(1);
                    let l = &mut self.pend.new_lot_rows;
                    l.id.push(id);
                    l.item.push(*item_id);
                    l.code.push(code.as_str().to_owned());
                    l.produced_on.push(details.produced_on.map(|d| d.to_string()));
                    l.expires_on.push(details.expires_on.map(|d| d.to_string()));
                    l.best_before.push(details.best_before.map(|d| d.to_string()));
                    l.supplier_lot.push(details.supplier_lot.clone());
                    l.attributes.push(serde_json::to_string(&details.attributes).map_err(storage)?);
                    l.status.push(status.as_str());
                    l.created_seq.push(seq);
                    self.pend.status_changes.push(id, seq, status.as_str());
                    self.cache.keep_lot(LotRecord {
                        id,
                        item_id: *item_id,
                        code: code.clone(),
                        details: details.clone(),
                        status: *status,
                    });
                    new_lots.push(id);
                    self.pend.new_lots.insert(id);
                }
                Effect::SetLotStatus { lot_id, status } => {
                    let rows = &mut self.pend.new_lot_rows;
                    let created = rows.id.iter().position(|id| id == lot_id).and_then(|i| rows.status.get_mut(i));
                    match created {
                        // A lot this batch created: change the row before it is written.
                        Some(row_status) => {
                            *row_status = status.as_str();
                            let lot = self.view().lot_by_id(*lot_id).map_err(storage)?;
                            self.cache.keep_lot(LotRecord { status: *status, ..(*lot).clone() });
                        }
                        None => {
                            self.conn
                                .execute("UPDATE lots SET status = $1 WHERE id = $2", &[&status.as_str(), lot_id])
                                .map_err(storage)?;
                            self.cache.forget_lot(*lot_id);
                        }
                    }
                    self.pend.status_changes.push(*lot_id, seq, status.as_str());
                }
                Effect::FillLotDetails { lot_id, details } => self.fill_lot(*lot_id, details)?,
                Effect::AssemblyLot { parent_item, parent_serial, component_item, component_lot, qty, installed } => {
                    self.conn
                        .execute(
                            "INSERT INTO assembly_lot_events (seq, line, parent_item, parent_serial, component_item,
                              component_lot, qty, installed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            &[&seq, &events, parent_item, parent_serial, component_item, component_lot, qty, installed],
                        )
                        .map_err(storage)?;
                    self.cache.parents.insert(*parent_item, true);
                    events = events.saturating_add(1);
                }
                Effect::Arrival { dispatch_seq } => {
                    self.conn
                        .execute(
                            "INSERT INTO arrivals (dispatch_seq, arrival_seq) VALUES ($1, $2)",
                            &[dispatch_seq, &seq],
                        )
                        .map_err(|e| {
                            refusal(e, || {
                                DomainError::at(Rule::AlreadyArrived, "dispatch", "that dispatch arrived already")
                            })
                        })?;
                }
                Effect::SetSerialStatus { serial_id, status } => {
                    self.conn
                        .execute(
                            "INSERT INTO serial_status_changes (serial_id, tx_seq, status) VALUES ($1, $2, $3)",
                            &[serial_id, &seq, &status.as_str()],
                        )
                        .map_err(storage)?;
                    self.cache.held_serials = None;
                }
                Effect::CreateSerial { item_id, serial, lot } => {
                    let id = self.next_serial;
                    self.next_serial = id.saturating_add(1);
                    let lot = Some(lot_id(lot, &new_lots)?).filter(|l| *l != 0);
                    let s = &mut self.pend.new_serials;
                    s.id.push(id);
                    s.item.push(*item_id);
                    s.serial.push(serial.as_str().to_owned());
                    s.lot.push(lot);
                    s.created_seq.push(seq);
                    self.pend.serial_names.insert(id, serial.clone());
                    new_serials.push(id);
                }
                Effect::SetSerialCounter { item_id, next } => {
                    self.conn
                        .execute(
                            "INSERT INTO serial_counters (item_id, next) VALUES ($1, $2)
                             ON CONFLICT (item_id) DO UPDATE SET next = excluded.next",
                            &[item_id, &i64::try_from(*next).unwrap_or(i64::MAX)],
                        )
                        .map_err(storage)?;
                }
                Effect::Move(m) => {
                    let lot = lot_id(&m.lot, &new_lots)?;
                    let (serial, _) = serial_id(&m.serial, &new_serials)?;
                    if let Some(weight) = m.weight {
                        self.conn
                            .execute(
                                "INSERT INTO movement_weights (tx_seq, line, weight) VALUES ($1, $2, $3)",
                                &[&seq, &line, &weight],
                            )
                            .map_err(storage)?;
                    }
                    self.add_move(seq, line, occurred_at, m, lot, serial);
                    let nz = |v: i64| (v != 0).then_some(v);
                    movements.push(MovementRecord {
                        item_id: m.item.id,
                        lot_id: nz(lot),
                        serial_id: nz(serial),
                        from_id: m.from.id,
                        to_id: m.to.id,
                        qty: m.qty,
                    });
                    line = line.saturating_add(1);
                }
                Effect::Assembly { parent_item, parent_serial, component_item, component_serial, installed } => {
                    self.conn
                        .execute(
                            "INSERT INTO assembly_events (seq, line, parent_item, parent_serial, component_item,
                              component_serial, installed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            &[&seq, &events, parent_item, parent_serial, component_item, component_serial, installed],
                        )
                        .map_err(storage)?;
                    self.cache.parents.insert(*parent_item, true);
                    events = events.saturating_add(1);
                }
            }
        }
        Ok(movements)
    }

    fn view(&mut self) -> WriteView<'_> {
        WriteView { conn: &mut self.conn, cache: &mut self.cache, pend: &self.pend }
    }

    /// Records a lot's newly known dates: in its pending row when this
    /// batch created it, else in the stored row (whose trigger lets only
    /// unknown dates be filled).
    fn fill_lot(&mut self, lot_id: i64, details: &LotDetails) -> Result<(), SubmitError> {
        let date = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string());
        let rows = &mut self.pend.new_lot_rows;
        match rows.id.iter().position(|id| *id == lot_id) {
            Some(i) => {
                let slots = [
                    (rows.produced_on.get_mut(i), date(details.produced_on)),
                    (rows.expires_on.get_mut(i), date(details.expires_on)),
                    (rows.best_before.get_mut(i), date(details.best_before)),
                    (rows.supplier_lot.get_mut(i), details.supplier_lot.clone()),
                ];
                for (slot, value) in slots {
                    *slot.ok_or_else(|| storage("a pending lot row is incomplete"))? = value;
                }
            }
            None => {
                self.conn
                    .execute(
                        "UPDATE lots SET produced_on = $1, expires_on = $2, best_before = $3, supplier_lot = $4
                         WHERE id = $5",
                        &[
                            &date(details.produced_on),
                            &date(details.expires_on),
                            &date(details.best_before),
                            &details.supplier_lot,
                            &lot_id,
                        ],
                    )
                    .map_err(storage)?;
            }
        }
        let lot = self.view().lot_by_id(lot_id).map_err(storage)?;
        self.cache.keep_lot(LotRecord { details: details.clone(), ..(*lot).clone() });
        Ok(())
    }

    /// Adds one ledger row and its two balance changes to the batch.
    fn add_move(&mut self, seq: i64, line: i64, occurred_at: i64, m: &PlannedMove, lot: i64, serial: i64) {
        let mv = &mut self.pend.moves;
        mv.tx_seq.push(seq);
        mv.line.push(line);
        mv.item.push(m.item.id);
        mv.lot.push(lot);
        mv.serial.push(serial);
        mv.from.push(m.from.id);
        mv.to.push(m.to.id);
        mv.qty.push(m.qty);
        mv.occurred_at.push(occurred_at);
        let number = m.serial.as_ref().map(SerialRef::serial);
        self.pend.moved((m.item.id, lot, serial), number, &m.from, &m.to, m.qty);
        #[cfg(debug_assertions)]
        self.touched.insert((m.item.id, lot, serial));
    }

    /// Writes the batch's rows: one statement per table.
    fn flush(&mut self) -> Result<(), Error> {
        if self.pend.is_empty() {
            return Ok(());
        }
        // These statements take whole columns, not keys to look up: a
        // generic plan suits them and saves planning thousands of values.
        // The setting ends with the database transaction.
        self.conn.batch("SET LOCAL plan_cache_mode = auto")?;
        let t = &self.pend.tx;
        let ids: Vec<&[u8]> = t.id.iter().map(|i| &i[..]).collect();
        let requests: Vec<&str> = t.request.iter().map(|r| &**r).collect();
        let hashes: Vec<&[u8]> = t.hash.iter().map(|h| &h[..]).collect();
        self.conn.execute(
            "INSERT INTO transactions (seq, id, kind, request, occurred_at, recorded_at, user_name, reference, reason,
               reverses, overrides, movement_count, hash)
             SELECT * FROM unnest($1::int8[], $2::bytea[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[],
               $8::text[], $9::text[], $10::int8[], $11::text[], $12::int8[], $13::bytea[])",
            &[
                &t.seq,
                &ids,
                &t.kind,
                &requests,
                &t.occurred_at,
                &t.recorded_at,
                &t.user,
                &t.reference,
                &t.reason,
                &t.reverses,
                &t.overrides,
                &t.movement_count,
                &hashes,
            ],
        )?;
        let l = &self.pend.new_lot_rows;
        if !l.id.is_empty() {
            self.conn.execute(
                "INSERT INTO lots (id, item_id, code, produced_on, expires_on, best_before, supplier_lot, attributes,
                   status, created_seq)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::text[], $8::text[], $9::text[], $10::int8[])",
                &[
                    &l.id,
                    &l.item,
                    &l.code,
                    &l.produced_on,
                    &l.expires_on,
                    &l.best_before,
                    &l.supplier_lot,
                    &l.attributes,
                    &l.status,
                    &l.created_seq,
                ],
            )?;
        }
        let c = &self.pend.status_changes;
        if !c.lot.is_empty() {
            self.conn.execute(
                "INSERT INTO lot_status_changes (lot_id, tx_seq, status)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[])",
                &[&c.lot, &c.seq, &c.status],
            )?;
        }
        let s = &self.pend.new_serials;
        if !s.id.is_empty() {
            self.conn.execute(
                "INSERT INTO serials (id, item_id, serial, lot_id, created_seq)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int8[])",
                &[&s.id, &s.item, &s.serial, &s.lot, &s.created_seq],
            )?;
        }
        let m = &self.pend.moves;
        if !m.tx_seq.is_empty() {
            self.conn.execute(
                "INSERT INTO movements (tx_seq, line, item_id, lot_id, serial_id, from_id, to_id, qty, occurred_at)
                 SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[],
                   $7::int8[], $8::int8[], $9::int8[])",
                &[&m.tx_seq, &m.line, &m.item, &m.lot, &m.serial, &m.from, &m.to, &m.qty, &m.occurred_at],
            )?;
        }
        if !self.pend.balances.is_empty() {
            let n = self.pend.balances.len();
            let (mut item, mut lot, mut serial, mut loc, mut internal, mut qty) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for (&(i, l, s, at), &(int, d)) in &self.pend.balances {
                item.push(i);
                lot.push(l);
                serial.push(s);
                loc.push(at);
                internal.push(int);
                qty.push(d);
            }
            // MERGE, not INSERT ... ON CONFLICT: PostgreSQL checks CHECK
            // constraints on an upsert's proposed row (a negative change)
            // before it sees the conflict.
            self.conn.execute(
                "MERGE INTO balances b
                 USING unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::bool[], $6::int8[])
                       AS d(item_id, lot_id, serial_id, location_id, internal, qty)
                 ON b.item_id = d.item_id AND b.lot_id = d.lot_id AND b.serial_id = d.serial_id
                    AND b.location_id = d.location_id
                 WHEN MATCHED THEN UPDATE SET qty = b.qty + d.qty
                 WHEN NOT MATCHED THEN INSERT (item_id, lot_id, serial_id, location_id, internal, qty)
                      VALUES (d.item_id, d.lot_id, d.serial_id, d.location_id, d.internal, d.qty)",
                &[&item, &lot, &serial, &loc, &internal, &qty],
            )?;
        }
        Ok(())
    }

    fn replay(&mut self, seq: i64, req: &Request) -> Result<Posted, SubmitError> {
        let r = self
            .conn
            .query_one(
                "SELECT id, kind, occurred_at, recorded_at, movement_count, hash, overrides FROM transactions WHERE seq = $1",
                &[&seq],
            )
            .map_err(storage)?;
        let generates = matches!(&req.command, Command::Receive { lines, .. } if lines.iter().any(|l| matches!(l.units, ReceiveUnits::Generate(_))));
        let generated_serials = if generates {
            self.conn
                .query("SELECT serial FROM serials WHERE created_seq = $1 ORDER BY id", &[&seq])
                .map_err(storage)?
                .iter()
                .map(|r| rows::serial(r, 0).map_err(storage))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let overrides: &str = r.try_get(6).map_err(storage)?;
        Ok(Posted {
            id: rows::tx_id(&r, 0).map_err(storage)?,
            seq,
            kind: r.try_get(1).map_err(storage)?,
            occurred_at: rows::instant(&r, 2).map_err(storage)?,
            recorded_at: rows::instant(&r, 3).map_err(storage)?,
            movements: r.try_get::<_, i64>(4).map_err(storage)? as u64,
            hash: chain::to_hex(&rows::hash(&r, 5).map_err(storage)?),
            replayed: true,
            generated_serials,
            overrides: serde_json::from_str(overrides).map_err(storage)?,
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
        let (mut items, mut lots, mut serials) = (Vec::new(), Vec::new(), Vec::new());
        for (i, l, s) in touched {
            items.push(i);
            lots.push(l);
            serials.push(s);
        }
        let rows = self
            .conn
            .query(
                "SELECT b.item_id, b.lot_id, b.serial_id, sum(b.qty)::bigint,
                        count(*) FILTER (WHERE b.internal AND b.qty < 0), count(*) FILTER (WHERE b.qty > 0)
                 FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS k(item_id, lot_id, serial_id)
                 JOIN balances b USING (item_id, lot_id, serial_id) GROUP BY 1, 2, 3",
                &[&items, &lots, &serials],
            )
            .expect("invariant query");
        for r in rows {
            let (item, lot, serial): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
            let (sum, negative, held): (i64, i64, i64) = (r.get(3), r.get(4), r.get(5));
            assert_eq!(sum, 0, "balances of (item {item}, lot {lot}, serial {serial}) do not sum to zero");
            assert_eq!(negative, 0, "an internal balance of (item {item}, lot {lot}, serial {serial}) is negative");
            assert!(serial == 0 || held <= 1, "serial {serial} is held in {held} places");
        }
    }
}

/// Maps a constraint violation to the domain refusal it stands for; any
/// other failure is a storage error.
fn refusal(e: Error, domain: impl FnOnce() -> DomainError) -> SubmitError {
    if e.is_constraint() { domain().into() } else { storage(e) }
}

/// Words a failure of the batch's set-based writes for the user whose
/// transaction caused it (only reached when a constraint caught what the
/// rules did not).
fn explain(e: &Error) -> SubmitError {
    let rule = match e.constraint() {
        Some("internal_not_negative") => Rule::InsufficientStock,
        Some("serial_in_one_place" | "serial_at_most_one" | "serials_item_id_serial_key") => Rule::SerialExists,
        Some("transactions_reverses") => Rule::NotReversible,
        Some("transactions_id_key") => Rule::IdempotencyConflict,
        _ => return storage(e),
    };
    DomainError::at(rule, "lines", format!("the database refused the change: {e}")).into()
}

impl writing::BatchWriter for Writer {
    fn post_all(&mut self, batch: &[writing::Posting]) -> Results {
        self.post_batch(batch)
    }

    fn recover(&mut self) {
        self.abandon();
    }
}
