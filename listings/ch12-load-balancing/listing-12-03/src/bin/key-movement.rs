//! How many keys move when a replica leaves or joins, and how evenly the
//! keys are spread, for the three strategies of Listing 12-3. Everything
//! is computed from fixed keys and names: the output is the same on every
//! run and every machine, which is why the hash is written out in the
//! library rather than taken from `std`.

use listing_12_03::{Modulo, Place, Rendezvous, Ring};

const KEYS: usize = 100_000;
const SIZES: [usize; 4] = [3, 4, 5, 10];

/// A strategy's name and how to build it for a set of replicas.
type Build = fn(&[&str]) -> Box<dyn Place>;
const STRATEGIES: [(&str, Build); 4] = [
    ("modulo", |r| Box::new(Modulo::new(r))),
    ("rendezvous", |r| Box::new(Rendezvous::new(r))),
    ("ring V=100", |r| Box::new(Ring::new(r, 100))),
    ("ring V=1", |r| Box::new(Ring::new(r, 1))),
];

/// The share of keys (in %) placed differently by `before` and `after`.
fn moved(before: &dyn Place, after: &dyn Place, keys: &[String]) -> f64 {
    let n = keys
        .iter()
        .filter(|k| before.place(k) != after.place(k))
        .count();
    100.0 * n as f64 / keys.len() as f64
}

/// The most and the least loaded replica's keys, each divided by the mean.
fn balance(p: &dyn Place, replicas: &[&str], keys: &[String]) -> (f64, f64) {
    let mut counts = vec![0usize; replicas.len()];
    for key in keys {
        if let Some(i) = p
            .place(key)
            .and_then(|r| replicas.iter().position(|x| *x == r))
        {
            counts[i] += 1;
        }
    }
    let mean = keys.len() as f64 / replicas.len() as f64;
    let max = counts.iter().max().copied().unwrap_or(0) as f64;
    let min = counts.iter().min().copied().unwrap_or(0) as f64;
    (max / mean, min / mean)
}

fn main() {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("key-{i}")).collect();
    let names: Vec<String> = (1..=11).map(|i| format!("replica-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();

    println!(
        "{KEYS} keys (key-0 .. key-{}), replicas replica-1 .. replica-N",
        KEYS - 1
    );
    // The first columns of a table, then one column per strategy.
    let header = |first: &str| {
        print!("{first}");
        for (name, _) in STRATEGIES {
            print!(" {name:>11}");
        }
        println!();
    };

    println!();
    println!("% of keys that move when replica-N leaves (ideal: its own keys, 1/N)");
    header("  N     1/N");
    for n in SIZES {
        print!("{n:>3} {:>7.1}", 100.0 / n as f64);
        for (_, build) in STRATEGIES {
            print!(
                " {:>11.1}",
                moved(&*build(&names[..n]), &*build(&names[..n - 1]), &keys)
            );
        }
        println!();
    }

    println!();
    println!("% of keys that move when replica-(N+1) joins (ideal: 1/(N+1), all onto it)");
    header("  N 1/(N+1)");
    for n in SIZES {
        print!("{n:>3} {:>7.1}", 100.0 / (n + 1) as f64);
        for (_, build) in STRATEGIES {
            print!(
                " {:>11.1}",
                moved(&*build(&names[..n]), &*build(&names[..=n]), &keys)
            );
        }
        println!();
    }

    println!();
    println!(
        "balance: keys on the most / least loaded replica, divided by the mean (ideal 1.00/1.00)"
    );
    header("  N");
    for n in SIZES {
        print!("{n:>3}");
        for (_, build) in STRATEGIES {
            let (max, min) = balance(&*build(&names[..n]), &names[..n], &keys);
            print!(" {:>11}", format!("{max:.2}/{min:.2}"));
        }
        println!();
    }
}
