package main

import (
	"context"
	"flag"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

// devKafka runs an in-process Kafka broker (franz-go's kfake) for trying
// streamsql without a Kafka installation. It speaks the real protocol, so
// kcat and streamsql connect to it as to any broker, but it keeps
// everything in memory and is for development only.
func devKafka(args []string) error {
	fs := flag.NewFlagSet("dev-kafka", flag.ContinueOnError)
	port := fs.Int("port", 9092, "port to listen on (127.0.0.1)")
	topics := fs.String("topics", "", "comma-separated topics to create")
	parts := fs.Int("partitions", 4, "partitions of each topic (and of topics created on first use)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(*port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(*parts)}
	if *topics != "" {
		opts = append(opts, kfake.SeedTopics(int32(*parts), strings.Split(*topics, ",")...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("dev-kafka: %w", err)
	}
	defer c.Close()
	fmt.Printf("dev-kafka: an in-memory Kafka broker for development, on %s (topics are created on first use, %d partitions)\n",
		strings.Join(c.ListenAddrs(), ","), *parts)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
