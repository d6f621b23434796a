// A Go program (issue 9), built static with Debian's golang-go and run natively and
// under picolx by tests/e2e/threads/meson.build: 100 goroutines over a WaitGroup, an
// unbuffered channel ping-pong, a contended sync.Mutex, time.Sleep and timers (the
// runtime's netpoller: epoll and a pipe), and os/exec (clone with CLONE_VFORK, pipes).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"sync"
	"time"
)

func main() {
	// 100 goroutines over a WaitGroup, results through a channel
	var wg sync.WaitGroup
	results := make(chan int, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			sum := 0
			for k := 0; k <= n*1000; k++ {
				sum += k % 7
			}
			results <- sum
		}(i)
	}
	wg.Wait()
	close(results)
	total := 0
	for r := range results {
		total += r
	}
	fmt.Println("goroutines done, total", total)

	// an unbuffered ping-pong
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 10000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	fmt.Println("ping-pong:", v)

	// a mutex under contention
	var mu sync.Mutex
	count := 0
	var wg2 sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for k := 0; k < 100000; k++ {
				mu.Lock()
				count++
				mu.Unlock()
			}
		}()
	}
	wg2.Wait()
	fmt.Println("mutex count:", count)

	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	fmt.Println("slept at least 50ms:", time.Since(start) >= 50*time.Millisecond)

	timer := time.After(20 * time.Millisecond)
	select {
	case <-timer:
		fmt.Println("timer fired")
	case <-time.After(5 * time.Second):
		fmt.Println("timer late")
	}

	words := []string{"pear", "apple", "fig"}
	sort.Strings(words)
	fmt.Println("sorted:", words, "GOMAXPROCS>0:", runtime.GOMAXPROCS(0) > 0)

	cmd := exec.Command("/bin/true")
	err := cmd.Run()
	fmt.Println("exec /bin/true:", err)
	cmd = exec.Command("/bin/sh", "-c", "exit 3")
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		fmt.Println("exec exit 3:", ee.ExitCode())
	} else {
		fmt.Println("exec exit 3: unexpected", err)
	}
	out, err := exec.Command("/bin/echo", "from echo").Output()
	fmt.Printf("exec output: %q %v\n", out, err)
	os.Exit(0)
}
