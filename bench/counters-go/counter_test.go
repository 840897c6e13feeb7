package benchcounters

import (
	"fmt"
	"testing"
)

func BenchmarkCounters(b *testing.B) {
	for _, c := range Counters {
		for _, g := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%s/%d", c.Name, g), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if got := c.Run(g); got != c.Want {
						b.Fatalf("counted %d, want %d", got, c.Want)
					}
				}
			})
		}
	}
}
