// goroutines.go: what a Go program does with its runtime, for the threads corpus.
// Goroutines send on channels, a sync.WaitGroup waits for workers, time.Sleep parks one,
// os/exec runs another static program (the path in argv[1]) and captures its output,
// and a panic is recovered. The output does not depend on the interleaving.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

func square(in <-chan int, out chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range in {
		out <- v * v
	}
}

func recovered() (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint("recovered: ", r)
		}
	}()
	var m map[string]int
	m["boom"] = 1 // assignment to a nil map panics
	return "no panic"
}

func main() {
	in, out := make(chan int), make(chan int, 100)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go square(in, out, &wg)
	}
	for i := 1; i <= 20; i++ {
		in <- i
	}
	close(in)
	wg.Wait()
	close(out)
	var got []int
	sum := 0
	for v := range out {
		got = append(got, v)
		sum += v
	}
	sort.Ints(got)
	fmt.Println("squares", len(got), "sum", sum, "largest", got[len(got)-1])

	start := time.Now()
	done := make(chan string)
	go func() {
		time.Sleep(20 * time.Millisecond)
		done <- "slept"
	}()
	fmt.Println(<-done, time.Since(start) >= 20*time.Millisecond)

	fmt.Println(recovered())

	if len(os.Args) > 1 {
		cmd := exec.Command(os.Args[1], os.Args[2:]...)
		b, err := cmd.Output()
		if err != nil {
			fmt.Println("exec failed:", err)
			os.Exit(3)
		}
		fmt.Printf("child said %q\n", strings.TrimSpace(string(b)))
	}
	os.Exit(0)
}
