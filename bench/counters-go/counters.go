// Package benchcounters is the Go side of the counter benchmarks: the same
// work as bench/counters, with goroutines and a WaitGroup, for sync/atomic,
// sync.Mutex, sync.RWMutex (nine reads to one write) and a sharded counter.
// Benchmarks: go test -bench . ; the contend command runs one of them for
// perf stat.
package benchcounters

import (
	"sync"
	"sync/atomic"
)

// TotalOps is the number of operations per iteration, split over the goroutines.
const TotalOps = 40000

// WriteEvery: in the rwlock counter, one operation in this many is a write.
const WriteEvery = 10

// Sink keeps the reads of the rwlock counter from being optimised away.
var Sink int64

func spread(goroutines int, op func(g, i int)) {
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < TotalOps/goroutines; i++ {
				op(g, i)
			}
		}(g)
	}
	wg.Wait()
}

// Atomic increments one shared atomic.
func Atomic(g int) int64 {
	var n int64
	spread(g, func(_, _ int) { atomic.AddInt64(&n, 1) })
	return atomic.LoadInt64(&n)
}

// Mutex increments one integer under a sync.Mutex.
func Mutex(g int) int64 {
	var mu sync.Mutex
	var n int64
	spread(g, func(_, _ int) { mu.Lock(); n++; mu.Unlock() })
	return n
}

// RWLock reads nine times for every write; it returns the number of writes.
func RWLock(g int) int64 {
	var mu sync.RWMutex
	var n int64
	spread(g, func(_, i int) {
		if i%WriteEvery == WriteEvery-1 {
			mu.Lock()
			n++
			mu.Unlock()
		} else {
			mu.RLock()
			atomic.StoreInt64(&Sink, n)
			mu.RUnlock()
		}
	})
	return n
}

// shard is an atomic alone on its 128 bytes, as in the Rust version.
type shard struct {
	n atomic.Int64
	_ [120]byte
}

// Sharded gives each goroutine its own atomic and sums them.
func Sharded(g int) int64 {
	shards := make([]shard, g)
	spread(g, func(g, _ int) { shards[g].n.Add(1) })
	var sum int64
	for i := range shards {
		sum += shards[i].n.Load()
	}
	return sum
}

// Counters by name, with the count each returns.
var Counters = []struct {
	Name string
	Run  func(int) int64
	Want int64
}{
	{"atomic", Atomic, TotalOps},
	{"mutex", Mutex, TotalOps},
	{"rwlock", RWLock, TotalOps / WriteEvery},
	{"sharded", Sharded, TotalOps},
}
