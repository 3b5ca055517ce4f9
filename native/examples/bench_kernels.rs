//! Times the kernels on inputs captured from a real parse (no Python in the loop).
//!
//! `cargo run --release --example bench_kernels -- DIR [ROUNDS]`, where `DIR` holds
//! `split/` (`offsets`, `data`, `starts`: the buffers `split_pairs` receives, and
//! `meta.txt`: the pattern and the CEF flag) and `pick/` (`lists`, `views`,
//! `buf0`.., `meta.txt`: wanted keys, separator, strip, quote, escapes, buffers),
//! each `meta.txt` line hex-encoded. Prints the median and the minimum per kernel
//! (thread CPU time; a third argument, `split` or `pick`, runs one kernel alone).
use std::time::Instant;

use _native::{kv, pick, views, views::Views};

fn le_i64(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn meta(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let bytes = (0..l.len() / 2)
                .map(|i| u8::from_str_radix(&l[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            String::from_utf8(bytes).unwrap()
        })
        .collect()
}

/// CPU seconds this thread has run (Linux `schedstat`, nanoseconds), else wall time:
/// on a machine shared with other jobs, wall time measures them too.
fn cpu_now(start: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(|| start.elapsed().as_secs_f64(), |ns| ns / 1e9)
}

fn time(name: &str, rounds: usize, bytes: usize, mut f: impl FnMut()) {
    let origin = Instant::now();
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = cpu_now(origin);
            f();
            cpu_now(origin) - t
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[rounds / 2];
    println!(
        "{name:6} median {:7.2} ms  min {:7.2} ms  {:6.0} MB/s",
        median * 1e3,
        times[0] * 1e3,
        bytes as f64 / median / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = &args[1];
    let rounds = args.get(2).map_or(15, |r| r.parse().unwrap());
    // Optional third argument: `split` or `pick` alone (for `perf stat`).
    let only = args.get(3).cloned().unwrap_or_default();
    let read = |p: &str| std::fs::read(format!("{dir}/{p}")).unwrap();
    if std::path::Path::new(&format!("{dir}/split")).exists() && only != "pick" {
        let m = meta(&format!("{dir}/split/meta.txt"));
        let splitter = if m[1] == "1" {
            kv::Splitter::Cef
        } else {
            kv::Splitter::regex(&m[0]).unwrap()
        };
        let (offsets, data, starts) = (
            le_i64(&read("split/offsets")),
            read("split/data"),
            le_i64(&read("split/starts")),
        );
        time("split", rounds, data.len(), || {
            let s = kv::split_rows(&splitter, &offsets, &data, &starts, None).unwrap();
            std::hint::black_box(s);
        });
        // The same rows as a `string_view` array, split into views (`split_pair_views`).
        let mut texts = views::ViewBuilder::with_capacity(starts.len(), data.len());
        for w in offsets.windows(2) {
            texts.push(&data[w[0] as usize..w[1] as usize]).unwrap();
        }
        time("views", rounds, data.len(), || {
            let mut v = Views::new(&texts.views, vec![&texts.data], None).unwrap();
            v.check_utf8();
            let s = kv::split_views(&splitter, &v, &starts).unwrap();
            std::hint::black_box(s);
        });
    }
    if only == "split" {
        return;
    }
    let m = meta(&format!("{dir}/pick/meta.txt"));
    let wanted: Vec<String> = m[0].split('\x1f').map(str::to_owned).collect();
    let undo = pick::Undo {
        strip: m[2].chars().collect(),
        quote: (m[3] != "\0").then(|| m[3].clone()),
        escapes: m[4]
            .split('\x1f')
            .filter(|e| !e.is_empty())
            .map(|e| {
                let (a, b) = e.split_once('\x1e').unwrap();
                (a.as_bytes().to_vec(), b.as_bytes().to_vec())
            })
            .collect(),
    };
    let buffers: Vec<Vec<u8>> = (0..m[5].parse::<usize>().unwrap())
        .map(|i| read(&format!("pick/buf{i}")))
        .collect();
    let (lists, views) = (le_i64(&read("pick/lists")), read("pick/views"));
    let bytes = buffers.iter().map(Vec::len).sum::<usize>();
    time("pick", rounds, bytes, || {
        let mut tokens =
            Views::new(&views, buffers.iter().map(|b| &b[..]).collect(), None).unwrap();
        tokens.check_utf8();
        let p = pick::pick(&lists, &tokens, &wanted, &m[1], &undo).unwrap();
        std::hint::black_box(p);
    });
}
