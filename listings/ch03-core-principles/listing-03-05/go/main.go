// The article's read-write lock program, corrected: every goroutine that is
// counted with wg.Add calls wg.Done, twenty goroutines are counted as
// twenty, and the lock guards the data it is meant to protect.
package main

import (
	"fmt"
	"sync"
)

func main() {
	var (
		mu  sync.RWMutex
		log []string
		wg  sync.WaitGroup
	)
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func(id int) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			log = append(log, fmt.Sprintf("entry from writer %d", id))
		}(i)
		go func() {
			defer wg.Done()
			mu.RLock()
			defer mu.RUnlock()
			_ = len(log)
		}()
	}
	wg.Wait()
	fmt.Println("entries after all writers finished:", len(log))
}
