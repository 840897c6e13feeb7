//! The model checker on both cores: the G-counter keeps its promise in
//! every reachable state of a small cluster; the naive core does not, and
//! the checker finds the run that shows it.

use listing_10_03::counter::{GCounter, NaiveCounter};
use listing_10_03::model::CounterModel;
use stateright::{Checker, Model};

const PROPERTY: &str = "a node that has heard from every other counts every increment";

#[test]
fn the_gcounter_holds_in_every_state() {
    for (nodes, increments) in [(2, 3), (3, 2)] {
        let checker = CounterModel::<GCounter>::new(nodes, increments)
            .checker()
            .spawn_bfs()
            .join();
        checker.assert_properties();
        assert!(checker.is_done());
    }
}

#[test]
fn the_naive_core_is_caught() {
    for (nodes, increments) in [(2, 2), (3, 2)] {
        let checker = CounterModel::<NaiveCounter>::new(nodes, increments)
            .checker()
            .spawn_bfs()
            .join();
        let path = checker.discovery(PROPERTY).expect("a counterexample");
        // Two increments on two nodes, one message: the shortest failure.
        assert!(path.into_actions().len() <= 4);
    }
}
