package redisserver_test

import (
	"errors"
	"fmt"

	"github.com/throttlegen/throttlegen/bench/internal/redisserver"
)

func ExampleStart() {
	s, err := redisserver.Start()
	if errors.Is(err, redisserver.ErrNotInstalled) {
		fmt.Println("no redis-server: skip")
		return
	}
	if err != nil {
		panic(err)
	}
	defer s.Stop()
	fmt.Println("connect go-redis to", s.Addr())
}
