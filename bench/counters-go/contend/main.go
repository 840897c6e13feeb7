// contend KIND GOROUTINES ITERATIONS: runs one counter benchmark's
// iteration ITERATIONS times, for perf stat (cargo xtask bench).
package main

import (
	"fmt"
	"os"
	"strconv"

	"benchcounters"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: contend KIND GOROUTINES ITERATIONS")
		os.Exit(2)
	}
	g, err1 := strconv.Atoi(os.Args[2])
	n, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "GOROUTINES and ITERATIONS are numbers")
		os.Exit(2)
	}
	for _, c := range benchcounters.Counters {
		if c.Name == os.Args[1] {
			for i := 0; i < n; i++ {
				if got := c.Run(g); got != c.Want {
					fmt.Fprintf(os.Stderr, "counted %d, want %d\n", got, c.Want)
					os.Exit(1)
				}
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "no counter %q\n", os.Args[1])
	os.Exit(2)
}
