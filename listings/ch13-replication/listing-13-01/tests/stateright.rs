//! Cross-checks the checker against stateright's `LinearizabilityTester`
//! on thousands of random small histories of one key: the two must agree
//! on every one. Read/write histories use stateright's own `Register`;
//! histories with compare-and-set use a register with cas written here
//! in stateright's `SequentialSpec`. Seeded: `SEED=N` replays one seed,
//! and a failure prints its seed.

mod common;

use std::time::Duration;

use listing_13_01::search::{Budget, Verdict, check};
use listing_13_01::{by_key, read};
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

/// splitmix64: small, seedable, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A register with compare-and-set, for stateright.
#[derive(Clone, Debug, PartialEq)]
struct CasRegister(i64);

#[derive(Clone, Debug, PartialEq)]
enum CasOp {
    Read,
    Write(i64),
    Cas(i64, i64),
}

#[derive(Clone, Debug, PartialEq)]
enum CasRet {
    Read(i64),
    Write,
    /// Only swaps are returned: a cas that failed never happened.
    Swapped,
}

impl SequentialSpec for CasRegister {
    type Op = CasOp;
    type Ret = CasRet;
    fn invoke(&mut self, op: &CasOp) -> CasRet {
        match *op {
            CasOp::Read => CasRet::Read(self.0),
            CasOp::Write(v) => {
                self.0 = v;
                CasRet::Write
            }
            CasOp::Cas(a, b) if self.0 == a => {
                self.0 = b;
                CasRet::Swapped
            }
            // A cas that did not find its value changes nothing; in the
            // history it is a `fail`, which is never given to the tester,
            // or unknown, which may have done this.
            CasOp::Cas(..) => CasRet::Write,
        }
    }
}

/// One random history: events as JSON Lines, and the same history fed to
/// both testers. Values are small so that reads often see the wrong one.
struct Case {
    text: String,
    rw: LinearizabilityTester<u32, Register<i64>>,
    cas: LinearizabilityTester<u32, CasRegister>,
    with_cas: bool,
}

fn random_history(rng: &mut Rng) -> Case {
    let processes = 2 + rng.below(3) as u32;
    let with_cas = rng.below(2) == 0;
    let ops_left = 4 + rng.below(5);
    let mut case = Case {
        text: String::new(),
        rw: LinearizabilityTester::new(Register(0)),
        cas: LinearizabilityTester::new(CasRegister(0)),
        with_cas,
    };
    // What each process has in flight: (f, invoke value), or None; a
    // process that was told "info" stops, as Jepsen's does.
    let mut open: Vec<Option<(&str, String, u64)>> = vec![None; processes as usize];
    let mut stopped = vec![false; processes as usize];
    let mut started = 0;
    let mut last = 0;
    let mut time = 0;
    let mut line = |text: &mut String, p: u32, t: &str, f: &str, v: &str| {
        time += 1;
        text.push_str(&format!(
            "{{\"process\":{p},\"type\":\"{t}\",\"f\":\"{f}\",\"value\":{v},\"time\":{time}}}\n"
        ));
    };
    loop {
        let idle: Vec<usize> = (0..processes as usize)
            .filter(|&p| open[p].is_none() && !stopped[p])
            .collect();
        let busy: Vec<usize> = (0..processes as usize)
            .filter(|&p| open[p].is_some())
            .collect();
        let can_start = started < ops_left && !idle.is_empty();
        if !can_start && busy.is_empty() {
            break;
        }
        if can_start && (busy.is_empty() || rng.below(2) == 0) {
            let p = idle[rng.below(idle.len() as u64) as usize];
            let kinds = if with_cas { 3 } else { 2 };
            let (f, v, op) = match rng.below(kinds) {
                0 => ("read", "null".to_string(), CasOp::Read),
                1 => {
                    let v = 1 + rng.below(2) as i64;
                    ("write", v.to_string(), CasOp::Write(v))
                }
                _ => {
                    let (a, b) = (rng.below(3) as i64, 1 + rng.below(2) as i64);
                    ("cas", format!("[{a},{b}]"), CasOp::Cas(a, b))
                }
            };
            line(&mut case.text, p as u32, "invoke", f, &v);
            // The end is chosen now: a failed operation never happened,
            // so the testers never hear of it; the others are invoked
            // now, at the same point of real time as in the file.
            let end = rng.below(10);
            let fails = matches!((f, end), ("write", 1) | ("cas", 1..=3));
            if !fails {
                let _ = case.rw.on_invoke(p as u32, rw_op(&op));
                let _ = case.cas.on_invoke(p as u32, op.clone());
            }
            if let (false, CasOp::Write(w) | CasOp::Cas(_, w)) = (fails, &op) {
                last = *w;
            }
            open[p] = Some((f, v, end));
            started += 1;
            continue;
        }
        let p = busy[rng.below(busy.len() as u64) as usize];
        // The loop above checked that process p has an operation open.
        let (f, v, end) = open[p].take().expect("an open operation");
        let id = p as u32;
        match (f, end) {
            (_, 0) => {
                // Unknown outcome: the testers never hear back.
                line(&mut case.text, id, "info", f, &v);
                stopped[p] = true;
            }
            ("write", 1) | ("cas", 1..=3) => {
                line(&mut case.text, id, "fail", f, &v);
            }
            ("read", _) => {
                // Mostly the value last written, so that about half the
                // histories pass; sometimes any value.
                let seen = if rng.below(3) > 0 {
                    last
                } else {
                    rng.below(3) as i64
                };
                line(&mut case.text, id, "ok", f, &seen.to_string());
                let _ = case.rw.on_return(id, RegisterRet::ReadOk(seen));
                let _ = case.cas.on_return(id, CasRet::Read(seen));
            }
            ("write", _) => {
                line(&mut case.text, id, "ok", f, &v);
                let _ = case.rw.on_return(id, RegisterRet::WriteOk);
                let _ = case.cas.on_return(id, CasRet::Write);
            }
            _ => {
                line(&mut case.text, id, "ok", f, &v);
                let _ = case.cas.on_return(id, CasRet::Swapped);
            }
        }
    }
    case
}

fn rw_op(op: &CasOp) -> RegisterOp<i64> {
    match *op {
        CasOp::Write(v) => RegisterOp::Write(v),
        _ => RegisterOp::Read,
    }
}

fn ours(text: &str) -> bool {
    let path = common::file(text);
    let ops = read(&path).expect("a generated history reads");
    std::fs::remove_file(&path).expect("remove the temporary history");
    let budget = Budget::new(Duration::from_secs(10), 64 << 20);
    by_key(&ops)
        .values()
        .all(|key_ops| match check(key_ops, None, &budget) {
            Verdict::Linearizable => true,
            Verdict::NotLinearizable => false,
            Verdict::Unknown => panic!("a small history ran out of budget"),
        })
}

#[test]
fn agrees_with_stateright_on_random_histories() {
    let (first, count) = match std::env::var("SEED") {
        Ok(s) => (s.parse().expect("SEED is a number"), 1),
        Err(_) => (1_u64, 5000),
    };
    let mut not_linearizable = 0;
    for seed in first..first + count {
        let mut rng = Rng(seed);
        let case = random_history(&mut rng);
        let theirs = if case.with_cas {
            case.cas.is_consistent()
        } else {
            case.rw.is_consistent()
        };
        let mine = ours(&case.text);
        assert_eq!(
            mine, theirs,
            "seed {seed}: lincheck says {mine}, stateright {theirs}; replay with SEED={seed}\n{}",
            case.text
        );
        not_linearizable += usize::from(!mine);
    }
    // Not vacuous: a good share of the histories must fail.
    if count > 1 {
        let share = not_linearizable as f64 / count as f64;
        println!("{not_linearizable} of {count} histories not linearizable");
        assert!(
            (0.3..0.7).contains(&share),
            "share not linearizable: {share}"
        );
    }
}
