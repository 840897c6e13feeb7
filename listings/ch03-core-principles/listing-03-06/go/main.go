// The mistake in the article's read-write lock program, reproduced on
// purpose: the WaitGroup expects ten Done calls and gets none, so Wait
// never returns. The Go runtime notices that no goroutine can make
// progress and stops the program.
package main

import (
	"fmt"
	"sync"
)

func main() {
	const readers = 10
	var mu sync.RWMutex
	var wg sync.WaitGroup
	wg.Add(readers)
	for i := 0; i < readers; i++ {
		go func() {
			mu.RLock()
			defer mu.RUnlock()
			// The bug: no wg.Done() here.
		}()
	}
	wg.Wait()
	fmt.Println("never printed")
}
