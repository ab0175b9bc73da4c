//! gs1-bench: GS1 element strings parsed per second on one core.
//!
//! Builds a corpus of realistic scans (pharma DataMatrix packs, GS1-128
//! pallet labels, variable-weight meat, priced items), each different, then
//! parses them with full validation (lengths, character sets, check digits,
//! date linters) in one thread for a few seconds. As a floor, the same run
//! times a bare pass that only splits each string at its GS separators.

use std::hint::black_box;
use std::time::{Duration, Instant};

use clap::Parser;
use proptest::prelude::Rng as _;
use proptest::test_runner::{TestRng, TestRunner};
use tracelot_gs1::{GS, Message, Options, gs1_check_digit};

#[derive(Parser, Debug)]
struct Args {
    /// Distinct strings in the corpus.
    #[arg(long, default_value_t = 100_000)]
    corpus: usize,
    /// Seconds to parse for.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
}

/// Proptest's deterministic generator, so every run parses the same corpus.
struct Rng(TestRng);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + (self.next() % 10) as u8)).collect()
    }

    fn text(&mut self, max: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-./";
        let n = 1 + (self.next() as usize) % max;
        (0..n).map(|_| char::from(CHARS[(self.next() as usize) % CHARS.len()])).collect()
    }

    fn keyed(&mut self, n: usize) -> String {
        let body = self.digits(n - 1);
        let check = gs1_check_digit(&body).unwrap_or(0);
        format!("{body}{check}")
    }

    fn date(&mut self) -> String {
        format!("{:02}{:02}{:02}", 20 + self.next() % 10, 1 + self.next() % 12, 1 + self.next() % 28)
    }
}

fn corpus(n: usize) -> Vec<String> {
    let gs = char::from(GS);
    let mut rng = Rng(TestRunner::deterministic().rng().clone());
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("01{}17{}10{}{gs}21{}", rng.keyed(14), rng.date(), rng.text(20), rng.text(20)),
            1 => format!(
                "00{}02{}37{}{gs}10{}{gs}400{}",
                rng.keyed(18),
                rng.keyed(14),
                1 + rng.next() % 500,
                rng.text(12),
                rng.text(30)
            ),
            2 => format!("01{}3103{}15{}13{}10{}", rng.keyed(14), rng.digits(6), rng.date(), rng.date(), rng.text(20)),
            _ => format!("01{}3922{}{gs}30{}{gs}21{}", rng.keyed(14), rng.digits(5), 1 + rng.next() % 99, rng.text(20)),
        })
        .collect()
}

/// Runs `f` over the corpus until `seconds` pass; returns strings per second.
fn rate(corpus: &[String], seconds: f64, mut f: impl FnMut(&str) -> usize) -> (f64, usize) {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let (mut done, mut checksum) = (0usize, 0usize);
    while start.elapsed() < budget {
        for s in corpus {
            checksum = checksum.wrapping_add(f(black_box(s)));
        }
        done += corpus.len();
    }
    (done as f64 / start.elapsed().as_secs_f64(), checksum)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let corpus = corpus(args.corpus);
    let options = Options::default();
    for s in &corpus {
        Message::parse_element_string(s, &options).map_err(|e| anyhow::anyhow!("corpus string {s:?}: {e}"))?;
    }
    let bytes: usize = corpus.iter().map(String::len).sum();
    let (split, _) = rate(&corpus, args.seconds / 2.0, |s| s.split(char::from(GS)).count());
    let (parsed, elements) =
        rate(&corpus, args.seconds, |s| Message::parse_element_string(s, &options).map(|m| m.len()).unwrap_or(0));
    println!(
        "corpus: {} distinct element strings, {:.1} bytes each on average",
        corpus.len(),
        bytes as f64 / corpus.len() as f64
    );
    println!(
        "parsed and validated: {parsed:.0} strings/s on one core ({:.0} ns each), {elements} elements",
        1e9 / parsed
    );
    println!("baseline, split at GS only: {split:.0} strings/s ({:.1}x the full parse)", split / parsed);
    println!("target 2,000,000 strings/s per core: {}", if parsed >= 2_000_000.0 { "met" } else { "NOT met" });
    Ok(())
}
