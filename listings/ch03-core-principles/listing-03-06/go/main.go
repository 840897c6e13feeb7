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
	var mu sync.RWMutex
	var wg sync.WaitGroup
	wg.Add(10)
	for i := 0; i < 10; i++ {
		go func() {
			mu.RLock()
			defer mu.RUnlock()
			// The bug: no wg.Done() here.
		}()
	}
	wg.Wait()
	fmt.Println("never printed")
}
