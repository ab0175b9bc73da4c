//! label-bench: 10,000 serial labels (GS1 DataMatrix and a Digital Link QR
//! code each) into one PDF, as a receipt's print run makes them: prints the
//! time and the file size, and the same for ZPL.

use std::collections::BTreeMap;
use std::time::Instant;

use clap::Parser;
use tracelot_labels::{Deadline, Format, Sheet, builtin, render};

#[derive(Parser, Debug)]
struct Args {
    /// Labels to print.
    #[arg(long, default_value_t = 10_000)]
    labels: usize,
    /// Where the PDF goes.
    #[arg(long, default_value = "target/bench-data/labels.pdf")]
    out: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data: Vec<BTreeMap<String, String>> = (0..args.labels)
        .map(|i| {
            let serial = format!("SN{i:08}");
            [
                ("item.name", "Phone X 128 GB".to_string()),
                ("item.gtin", "09506000134352".to_string()),
                ("lot.code", "L2611A".to_string()),
                ("gs1.digital_link", format!("https://id.gs1.org/01/09506000134352/10/L2611A/21/{serial}")),
                ("serial", serial),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        })
        .collect();
    let template = builtin("serial")?;
    let start = Instant::now();
    let pdf = render(&template, &data, Format::Pdf, Sheet::PerPage, Deadline::none())?;
    let pdf_time = start.elapsed();
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &pdf)?;
    let start = Instant::now();
    let zpl = render(&template, &data, Format::Zpl, Sheet::PerPage, Deadline::none())?;
    let zpl_time = start.elapsed();
    println!(
        "{} serial labels into one PDF: {:.2} s, {:.1} MiB ({}); target under 5 s: {}",
        args.labels,
        pdf_time.as_secs_f64(),
        pdf.len() as f64 / 1048576.0,
        args.out.display(),
        if pdf_time.as_secs_f64() < 5.0 { "met" } else { "NOT met" }
    );
    println!("the same as ZPL: {:.2} s, {:.1} MiB", zpl_time.as_secs_f64(), zpl.len() as f64 / 1048576.0);
    Ok(())
}
