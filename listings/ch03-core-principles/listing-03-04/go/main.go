// The article's atomic counter, corrected: it used sync.WaitGroup without
// importing sync, so it did not compile.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

func main() {
	var counter int64
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			atomic.AddInt64(&counter, 1)
		}()
	}
	wg.Wait()
	fmt.Println("counter after 10 goroutines:", atomic.LoadInt64(&counter))

	var owner, winners int64
	for id := int64(1); id <= 10; id++ {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			if atomic.CompareAndSwapInt64(&owner, 0, id) {
				atomic.AddInt64(&winners, 1)
			}
		}(id)
	}
	wg.Wait()
	fmt.Println("goroutines that claimed the slot:", atomic.LoadInt64(&winners))
}
