// The Go side of the counter benchmarks: the same work as bench/counters,
// with goroutines and a WaitGroup, for sync/atomic, sync.Mutex and
// sync.RWMutex. Run with: go test -bench .
package benchcounters

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

const totalOps = 40000

func spread(goroutines int, add func()) {
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < totalOps/goroutines; i++ {
				add()
			}
		}()
	}
	wg.Wait()
}

func run(b *testing.B, name string, work func(goroutines int) int64) {
	for _, g := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("%s/%d", name, g), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if got := work(g); got != totalOps {
					b.Fatalf("counted %d, want %d", got, totalOps)
				}
			}
		})
	}
}

func BenchmarkCounters(b *testing.B) {
	run(b, "atomic", func(g int) int64 {
		var n int64
		spread(g, func() { atomic.AddInt64(&n, 1) })
		return atomic.LoadInt64(&n)
	})
	run(b, "mutex", func(g int) int64 {
		var mu sync.Mutex
		var n int64
		spread(g, func() { mu.Lock(); n++; mu.Unlock() })
		return n
	})
	run(b, "rwlock", func(g int) int64 {
		var mu sync.RWMutex
		var n int64
		spread(g, func() { mu.Lock(); n++; mu.Unlock() })
		return n
	})
}
